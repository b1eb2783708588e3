import AccessMap
import AccessPolicy
import Testing

/// The access map of the oracle runs (expected values below were recorded with `sendmail -bt` 8.17.1.9 on a cf
/// built from `FEATURE(access_db)` + `FEATURE(accept_unresolvable_domains)` and the named feature variants).
private let oracleMap: [String: String] = [
    "connect:10.1": "RELAY", "connect:relayhost.example": "RELAY", "connect:10.9": "REJECT",
    "connect:disc.example": "DISCARD", "connect:quar.example": "QUARANTINE:held here",
    "connect:err.example": "ERROR:4.2.1:450 go away", "connect:err2.example": "ERROR:550 no way",
    "connect:err3.example": "ERROR:\"550 quoted, text: here\"",
    "connect:legacy.example": "\"551 legacy text\"",
    "connect:legacy2.example": "552 unquoted   text (here)", "connect:skip.example": "SKIP",
    "connect:okhost.example": "OK", "legacyuntagged.example": "REJECT", "to:torelay.example": "RELAY",
    "to:other.relay.example": "RELAY", "from:ok@sender.example": "OK",
    "from:relay@sender.example": "RELAY",
    "from:bad.example": "REJECT", "from:disc@sender.example": "DISCARD",
    "from:user+*@plus.example": "ERROR:5.1.1:550 plus star", "from:postmaster@": "OK",
    "from:nouser@": "REJECT",
    "to:rej.example": "REJECT", "spam:friend@local.example": "FRIEND",
    "spam:hater@local.example": "HATER",
    "spam:abuse@": "FRIEND", "spam:torelay.example": "FRIEND", "to:blocked@local.example": "REJECT",
    "to:disc@": "DISCARD", "to:spamf@local.example": "SPAMFRIEND", "to:spamh@local.example": "SPAMHATER",
    "connect:.dotted.example": "RELAY",
    "to:.dotted.example": "RELAY", "to:skipped.torelay.example": "SKIP",
    "from:rf@sender.example": "RELAY",
    "from:sender2.example": "RELAY",
]

/// Runs a bt-style script against the oracle map.
enum RelayScript {
    static func run(
        _ script: [String],
        options: AccessLookupOptions = [],
        configure: (inout RelaySettings) -> Void = { _ in }
    ) -> [String] {
        runScript(script, configure: configure, options: options)
    }
}

private func run(
    _ script: [String],
    configure: (inout RelaySettings) -> Void = { _ in },
    options: AccessLookupOptions = []
) -> [String] {
    runScript(script, configure: configure, options: options)
}

/// Runs a bt-style script (`.D{name}value`, `.C{class}word`, `ruleset args`) through the engine's test mode and
/// returns one line per ruleset line (`error: …` for a line the test mode refuses).
private func runScript(
    _ script: [String],
    configure: (inout RelaySettings) -> Void = { _ in },
    options: AccessLookupOptions = []
) -> [String] {
    var settings = RelaySettings()
    configure(&settings)
    var configuration = PolicyConfiguration(relay: settings)
    configuration.features.accessLookup = options
    var interpreter = TestModeInterpreter(configuration: configuration, source: InMemoryAccessMapSource(oracleMap))
    var out: [String] = []
    for (index, line) in script.enumerated() {
        switch interpreter.execute(line, number: index + 1) {
        case .none: break
        case .result(let text): out.append(text)
        case .error(let error): out.append("error: \(error.reason)")
        case .undefinedRuleset(let text, let note): out.append("\(text) (\(note.reason))")
        }
    }
    return out
}

private let remoteClient = [
    ".C{R}relaydomain.example", ".C{w}local.example", ".D{client_addr}198.51.100.1",
    ".D{client_name}client.example", ".D{client_resolve}OK",
]

private let denied = "$#error $@ 5.7.1 $: 550 Relaying denied"

@Suite("check_rcpt: the open-relay table")
struct RelayOpenRelayTableTests {
    @Test(
        "relay tricks and plain addresses, default configuration",
        arguments: [
            ("user%other.net@local.example", denied), ("other.net!user@local.example", denied),
            ("\"user@other.net\"@local.example", denied), ("<@local.example:user@other.net>", denied),
            ("<user@local.example>", "RELAY"), ("<user@local.example.>", "RELAY"),
            ("<user@LOCAL.EXAMPLE>", "RELAY"),
            ("user@[10.1.2.3]", denied), ("user", "RELAY"), ("\"user@other.net\"", denied),
            ("user%other.net", denied), ("<user@torelay.example>", "RELAY"),
            ("<user@sub.torelay.example>", "RELAY"),
            ("<user@relaydomain.example>", "RELAY"), ("<user@sub.relaydomain.example>", "RELAY"),
            ("user%other.net@relaydomain.example", denied),
            ("user%other.relay.example@relaydomain.example", "RELAY"),
            ("<user@rej.example>", denied), ("<>", "$#error $@ nouser $: 553 User address required"),
            ("<user@remote.example>", denied), ("<x@torelay.example.>", "RELAY"),
            ("<x@TORELAY.example>", "RELAY"),
            ("x%y@torelay.example", denied), ("x%y.other.relay.example@torelay.example", "RELAY"),
            ("\"x@y\"@torelay.example", denied), ("<@torelay.example:x@y>", denied),
            ("<@remote.example:x@torelay.example>", "RELAY"), ("y!x@torelay.example", denied),
            ("other.relay.example!x@torelay.example", "RELAY"), ("<x@[1.2.3.4]>", denied),
            ("<a@x.dotted.example>", denied), ("<a@skipped.torelay.example>", denied),
        ]
    )
    func openRelayTable(address: String, expected: String) {
        #expect(run(remoteClient + ["check_rcpt \(address)"]) == [expected])
    }

    @Test("AUTH with a trusted mechanism relays; others do not")
    func auth() {
        let lines = run(
            remoteClient + [
                ".D{auth_type}PLAIN", "check_rcpt <x@remote.example>", ".C{TrustAuthMech}PLAIN LOGIN",
                "check_rcpt <x@remote.example>", ".D{auth_type}plain", "check_rcpt <x@remote.example>",
                ".D{auth_type}CRAM-MD5", "check_rcpt <x@remote.example>",
            ]
        )
        #expect(lines == [denied, "$#RELAY", "$#RELAY", denied])
    }

    @Test("client side: Connect: RELAY by address and name, local clients, resolve states")
    func client() {
        let lines = run(
            remoteClient + [
                ".D{client_addr}10.1.5.5", ".D{client_name}unknown.example",
                "check_rcpt <x@remote.example>",
                ".D{client_addr}198.51.100.7", ".D{client_name}relayhost.example",
                "check_rcpt <x@remote.example>",
                ".D{client_name}sub.relayhost.example", "check_rcpt <x@remote.example>",
                ".D{client_resolve}FORGED", "check_rcpt <x@remote.example>", ".D{client_resolve}FAIL",
                "check_rcpt <x@remote.example>", ".D{client_resolve}TEMP", "check_rcpt <x@remote.example>",
                ".D{client_resolve}", "check_rcpt <x@remote.example>", ".D{client_resolve}OK",
                ".D{client_name}relayhost.example.", "check_rcpt <x@remote.example>",
                ".D{client_name}localhost",
                "check_rcpt <x@remote.example>", ".D{client_name}unknown.example",
                ".D{client_addr}127.0.0.2",
                "check_rcpt <x@remote.example>", ".D{client_addr}0", "check_rcpt <x@remote.example>",
                ".D{client_addr}IPv6:::1", "check_rcpt <x@remote.example>",
            ]
        )
        #expect(
            lines == [
                "RELAY", "RELAY", "RELAY",
                "$#error $@ 5.7.1 $: 550 Relaying denied. IP name possibly forged sub.relayhost.example",
                "$#error $@ 5.7.1 $: 550 Relaying denied. IP name lookup failed sub.relayhost.example",
                "$#error $@ 4.4.0 $: 450 Relaying temporarily denied. Cannot resolve PTR record for 198.51.100.7",
                "RELAY", "RELAY", "RELAY", denied, "RELAY", "RELAY",
            ]
        )
    }

    @Test("TRUST_AUTH_MECH changes the denial text")
    func authMessage() {
        let lines = run(remoteClient + ["check_rcpt <x@remote.example>"]) { $0.authConfigured = true }
        #expect(lines == ["$#error $@ 5.7.1 $: 550 Relaying denied. Proper authentication required."])
    }
}

@Suite("check_relay and check_mail")
struct RelayConnectAndMailTests {
    @Test(
        "check_relay",
        arguments: [
            ("client.example $| 198.51.100.1", "OK"), ("relayhost.example $| 198.51.100.1", "RELAY"),
            ("x.okhost.example $| 198.51.100.1", "OK"),
            ("client.example $| 10.9.1.1", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("disc.example $| 1.2.3.4", "$#discard $: discard"),
            ("quar.example $| 1.2.3.4", "$#error $@ quarantine $: held here"),
            ("err.example $| 1.2.3.4", "$#error $@ 4.2.1 $: 450 go away"),
            ("err2.example $| 1.2.3.4", "$#error $: 550 no way"),
            ("err3.example $| 1.2.3.4", "$#error $: 550 quoted, text: here"),
            ("legacy.example $| 1.2.3.4", "$#error $: 551 legacy text"),
            ("legacy2.example $| 1.2.3.4", "$#error $: 552 unquoted text"),
            ("skip.example $| 1.2.3.4", "$#error $: SKIP"),
            ("www.legacyuntagged.example $| 1.2.3.4", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("$| 10.9.3.4", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("[10.9.3.4] $| 10.9.3.4", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("[1.2.3.4] $| 1.2.3.4", "OK"),
        ]
    )
    func checkRelay(arguments: String, expected: String) {
        #expect(run(["check_relay \(arguments)"]) == [expected])
    }

    @Test(
        "check_mail",
        arguments: [
            ("<>", "OK"), ("<a@b.example>", "OK"), ("a@b.example", "OK"), ("<ok@sender.example>", "$#OK"),
            ("<OK@Sender.Example.>", "$#OK"), ("<relay@sender.example>", "$#RELAY"),
            ("<x@bad.example>", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("<x@sub.bad.example>", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("<disc@sender.example>", "$#discard $: discard"),
            ("<user+foo@plus.example>", "$#error $@ 5.1.1 $: 550 plus star"),
            ("<user@plus.example>", "OK"),
            ("<postmaster@anything.example>", "$#OK"),
            ("<nouser@anything.example>", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("<nouser>", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("<user>", "$#error $@ 5.5.4 $: 553 Domain name required for sender address sender@x"),
            ("<user@localhost>", "$#error $@ 5.5.4 $: 553 Real domain name required for sender address"),
            (
                "<user@[127.0.0.1]>", "$#error $@ 5.5.4 $: 553 Real domain name required for sender address"
            ),
            ("<user@[IPv6:::1]>", "$#error $@ 5.5.4 $: 553 Real domain name required for sender address"),
            ("<user@[10.1.2.3]>", "OK"), ("<@bad.example:user@good.example>", "OK"),
            ("<user%bad.example@good.example>", "OK"), ("<bad.example!user@good.example>", "OK"),
            ("user@single", "OK"),
        ]
    )
    func checkMail(address: String, expected: String) {
        let script = [
            ".D{client_addr}198.51.100.1", ".D{client_name}client.example", ".D{client_resolve}OK",
            ".Dfsender@x",
            "check_mail \(address)",
        ]
        #expect(run(script) == [expected])
    }

    @Test("daemon flags f and u, local clients")
    func daemonFlags() {
        let lines = run([
            ".D{client_addr}198.51.100.1", ".D{client_name}client.example", ".Dfsender@x",
            ".D{daemon_flags}f",
            "check_mail <user@single>", "check_mail <user@two.labels>", ".D{daemon_flags}u",
            "check_mail <user>",
            ".D{daemon_flags}", ".D{client_addr}", "check_mail <user>",
        ])
        #expect(
            lines == [
                "$#error $@ 5.5.4 $: 553 Real domain name required for sender address", "OK", "OK", "OK",
            ]
        )
    }

    @Test("deferred delivery mode skips every check")
    func deferred() {
        let lines = run([
            ".D{deliveryMode}d", "check_relay disc.example $| 1.2.3.4", "check_mail <x@bad.example>",
            ".D{client_addr}198.51.100.1", "check_rcpt <x@remote.example>",
        ])
        #expect(lines == ["deferred", "deferred", "deferred"])
    }
}

/// Results recorded with `sendmail -bt` (FINDINGS 20–23): the dequote map on quoted local parts, a dequoted value that
/// is only a comment (sendmail abandons the ruleset there), `< @ @ … >`, and a `%` hack that unwraps to a refusal.
@Suite("check_rcpt: quoted local parts and sendmail's own marks")
struct RelayQuotedLocalPartTests {
    @Test(
        "default configuration",
        arguments: [
            ("\"(x)\"", "RELAY"), ("<\"(<h+)>", "RELAY"), ("\"\"", "$#error $@ 5.1.3 $: 553 User address required"),
            ("\"(x)\"@torelay.example", "RELAY"), ("\"(x)\"@remote.example", denied),
            ("\"(x)\"@local.example", "RELAY"), ("\"(<)\"", "RELAY"), ("\"a)(b\"", "RELAY"),
            ("\"(x)y\"@remote.example", denied), ("@!]a", "$#error $@ 5.1.2 $: 553 Invalid host name"),
            ("u@@[10.1.2.3]", "$#error $@ 5.1.3 $: 553 Invalid route address"),
            ("u%@torelay.example", "$#error $@ 5.1.3 $: 553 Hostname required"), ("u%@remote.example", denied),
        ]
    )
    func defaultConfiguration(address: String, expected: String) {
        #expect(run(remoteClient + ["check_rcpt \(address)"]) == [expected])
    }

    @Test(
        "delay_checks: when CanonAddr gives up, the left-over FullAddr glues `<@ host>` to the sender's refusal",
        arguments: [
            ("\"(x)\"", "$#error $@ 5.7.1 $: 550 Access denied<@vm.localdomain>"),
            ("\"(x)\"@local.example", "$#error $@ 5.7.1 $: 550 Access denied<@vm.localdomain>"),
            ("<\"(<h+)>", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("\"(x)\"@torelay.example", "$#error $@ 5.7.1 $: 550 Access denied"),
            ("\"(x)\"@remote.example", denied),
        ]
    )
    func delayChecks(address: String, expected: String) {
        let lines = run(remoteClient + [".D{mail_from}<u@bad.example>", "check_rcpt \(address)"]) {
            $0.delayChecks = true
            $0.hostName = "vm.localdomain"
        }
        #expect(lines == [expected])
    }
}
