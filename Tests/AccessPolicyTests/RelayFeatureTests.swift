import AccessMap
import AccessPolicy
import Testing

/// Feature variants; expected values recorded with `sendmail -bt` on cfs built with each FEATURE
/// (same map as RelayRulesetTests, recipients checked from client 198.51.100.1 / client.example).
@Suite("check_rcpt feature variants")
struct RelayFeatureTests {
    static let recipients = [
        "<friend@local.example>", "<hater@local.example>", "<abuse@local.example>",
        "<abuse@remote.example>",
        "<a@torelay.example>", "<blocked@local.example>", "<disc@local.example>",
        "<disc@torelay.example>",
        "<spamf@local.example>", "<a@x.dotted.example>", "<a@dotted.example>",
        "<a@skipped.torelay.example>",
        "<a@sub.relaydomain.example>", "<a@remote.example>",
    ]

    static func script(_ extra: [String] = []) -> [String] {
        [
            ".C{R}relaydomain.example", ".C{w}local.example", ".D{client_addr}198.51.100.1",
            ".D{client_name}client.example", ".D{client_resolve}OK", ".D{mail_from}<x@y.example>",
            ".Dfx@y.example",
        ] + extra + recipients.map { "check_rcpt \($0)" }
    }

    static let d = "$#error $@ 5.7.1 $: 550 Relaying denied"

    @Test("delay_checks friend")
    func friend() {
        let lines = RelayScript.run(Self.script()) {
            $0.delayChecks = true
            $0.spamPolicy = .friend
        }
        #expect(
            lines == [
                "SPAMFRIEND", "OK", "SPAMFRIEND", Self.d, "SPAMFRIEND", "OK", "OK", "SPAMFRIEND", "OK",
                Self.d, Self.d,
                Self.d, "OK", Self.d,
            ]
        )
    }

    @Test("delay_checks hater")
    func hater() {
        let lines = RelayScript.run(Self.script()) {
            $0.delayChecks = true
            $0.spamPolicy = .hater
        }
        let n = "NOSPAMHATER"
        #expect(lines == [n, "OK", n, Self.d, n, n, n, n, n, Self.d, Self.d, Self.d, n, Self.d])
    }

    @Test("delay_checks: the sender is checked after the recipient, then the client")
    func delaySender() {
        let lines = RelayScript.run(
            Self.script().prefix(7) + [
                ".D{mail_from}<x@bad.example>", "check_rcpt <a@local.example>", ".D{client_addr}10.9.9.9",
                ".D{mail_from}<x@y.example>",
                "check_rcpt <a@local.example>", ".D{mail_from}<ok@sender.example>",
                "check_rcpt <a@local.example>",
                "check_mail <a@b.example>",
            ]
        ) { $0.delayChecks = true }
        let rejected = "$#error $@ 5.7.1 $: 550 Access denied"
        #expect(
            lines == [
                rejected, rejected, "$#OK",
                "OK (undefined ruleset 'check_mail' (printed the input, as sendmail -bt shows it))",
            ]
        )
    }

    @Test("blocklist_recipients")
    func blocklist() {
        let lines = RelayScript.run(Self.script()) { $0.blocklistRecipients = true }
        #expect(
            lines == [
                "RELAY", "RELAY", "RELAY", Self.d, "RELAY",
                "$#error $@ 5.2.1 $: 550 Mailbox disabled for this recipient",
                "$#discard $: discard", "RELAY", "$#error $: SPAMFRIEND", Self.d, Self.d, "$#error $: SKIP",
                "RELAY",
                Self.d,
            ]
        )
    }

    @Test("blocklist_recipients with delay_checks (no argument): SPAMFRIEND and SPAMHATER To: entries are no match")
    func blocklistDelayChecks() {
        let lines = RelayScript.run(Self.script() + ["check_rcpt <spamh@local.example>"]) {
            $0.blocklistRecipients = true
            $0.delayChecks = true
        }
        #expect(
            lines == [
                "OK", "OK", "OK", Self.d, "OK", "$#error $@ 5.2.1 $: 550 Mailbox disabled for this recipient",
                "$#discard $: discard", "OK", "OK", Self.d, Self.d, "$#error $: SKIP", "OK", Self.d, "OK",
            ]
        )
    }

    @Test("relay_hosts_only: class R and To: name hosts only")
    func hostsOnly() {
        let lines = RelayScript.run(Self.script()) { $0.relayHostsOnly = true }
        #expect(lines[4] == "RELAY")
        #expect(lines[12] == Self.d)
    }

    @Test("lookupdotdomain: .domain entries match subdomains")
    func dotDomain() {
        let lines = RelayScript.run(Self.script(), options: [.lookupDotDomain])
        #expect(lines[9] == "RELAY")
        #expect(lines[10] == Self.d)
    }

    @Test("relay_mail_from and relay_mail_from domain")
    func mailFrom() {
        let script =
            Self.script().prefix(7) + [
                ".Dfrf@sender.example", "check_rcpt <a@remote.example>", ".Dfz@sender2.example",
                "check_rcpt <a@remote.example>", ".Dfz@sub.sender2.example",
                "check_rcpt <a@remote.example>",
            ]
        #expect(
            RelayScript.run(Array(script)) { $0.relayMailFrom = .address } == ["RELAY", Self.d, Self.d]
        )
        #expect(
            RelayScript.run(Array(script)) { $0.relayMailFrom = .domain } == ["RELAY", "RELAY", "RELAY"]
        )
        #expect(RelayScript.run(Array(script)) == [Self.d, Self.d, Self.d])
    }

    /// relaytofulladdress: a `To:user@` entry relays `user@any.domain` but not `user+detail@any.domain` (no `+*`
    /// or detail-less retry in that search), while `To:user+detail@` relays that detail only. Recorded with
    /// `sendmail -bt` 8.17.1.9 on a cf with `FEATURE(access_db, relaytofulladdress)` (2026-11-22), client
    /// 192.0.2.9 / mx.example.org: RELAY, denied, RELAY, denied, denied.
    @Test("relaytofulladdress: To:user@ does not cover user+detail@ (as sendmail)")
    func fullAddressLocalPartWithoutDetail() {
        var configuration = PolicyConfiguration()
        configuration.relay.relayToFullAddress = true
        let source = InMemoryAccessMapSource(["To:joe@": "RELAY", "To:ann+x@": "RELAY"])
        let engine = PolicyEngine(configuration: configuration, source: source)
        var session = SessionMacros()
        session[.clientName] = "mx.example.org"
        session[.clientAddr] = "192.0.2.9"
        let denied = PolicyDecision.reject(SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "Relaying denied"))
        let expected: [(String, PolicyDecision)] = [
            ("<joe@other.example>", .relay), ("<joe+x@other.example>", denied), ("<ann+x@other.example>", .relay),
            ("<ann+y@other.example>", denied), ("<bob@other.example>", denied),
        ]
        for (recipient, decision) in expected {
            #expect(engine.checkRcpt(recipient, session: session) == decision, "\(recipient)")
            let general = engine.run(.checkRcpt, input: Tokenizer.tokenize(recipient), session: session)
            #expect(general.map { PolicyDecision($0.result) } == decision, "\(recipient) (general engine)")
        }
    }

    /// No address form that is denied in the baseline becomes relayed by another tested configuration unless
    /// that configuration names its destination.
    @Test("relay tricks stay denied under every feature combination", arguments: [false, true])
    func tricksStayDenied(delay: Bool) {
        let tricks = [
            "user%other.net@local.example", "other.net!user@local.example",
            "\"user@other.net\"@local.example",
            "<@local.example:user@other.net>", "user%other.net@relaydomain.example", "\"user@other.net\"",
            "user%other.net", "x%y@torelay.example", "\"x@y\"@torelay.example", "<@torelay.example:x@y>",
            "y!x@torelay.example", "<x@[1.2.3.4]>", "other.net!user", "a%b%c@local.example",
        ]
        for blocklist in [false, true] {
            for hostsOnly in [false, true] {
                let lines = RelayScript.run(Self.script().prefix(7) + tricks.map { "check_rcpt \($0)" }) {
                    $0.delayChecks = delay
                    $0.blocklistRecipients = blocklist
                    $0.relayHostsOnly = hostsOnly
                }
                #expect(
                    lines.allSatisfy { $0 == Self.d },
                    "delay \(delay) blocklist \(blocklist) hosts \(hostsOnly)"
                )
            }
        }
    }
}
