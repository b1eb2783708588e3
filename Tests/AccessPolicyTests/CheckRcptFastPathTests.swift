import AccessMap
import Foundation
import GDBMStore
import Testing

@testable import AccessPolicy

/// The byte-level check_rcpt path (`CheckRcptFastPath`) must give the general engine's decision whenever it answers
/// at all. Random maps, sessions, recipients, classes and configurations; the general engine is the one checked
/// against sendmail.
@Suite struct CheckRcptFastPathTests {
    typealias Random = TLSFastPathTests.Random

    /// Some labels end with others (`ba`, `mymx`): class members must match on token boundaries only.
    static let labels = ["mx", "Mail", "a", "b-2", "x_y", "example", "NET", "org", "relay", "ba", "mymx"]
    /// Labels the canonicalisation or the temporary-failure source treat specially.
    static let specialLabels = ["tmpf", "uucp", "UUCP", "localhost"]
    static let values = [
        "RELAY", "relay", " RELAY ", "Relay", "OK", "REJECT", "DISCARD", "SKIP", "skip", "?", " ? ", "", "  ",
        "ERROR:5.7.1:550 no", "550 go away", "RELAY (c)", "\"RELAY\"", "%1RELAY", "RELAY <TMPF>", "TMPF",
        "ERROR:\"550 x\"", "QUARANTINE:held", "RELAY RELAY", "RELAY.", "RELAYS", "relay\t", "SKIP x", "?x", "a>b",
        "RE\\LAY", "FRIEND", "SUBJECT", "subject ",
    ]
    /// `{cert_issuer}`/`{cert_subject}` values (xtext) and the keys they make.
    static let certificateNames = [
        "CN=ci", "/C=US/O=Ex+20Co/CN=ci", "/CN=mx.example", "CN=cs", "/CN=a b", "CN=\"q\"", "/O=x,y", "/CN=é",
    ]
    /// Mostly one of the first four names (plain ones), so that sessions meet the map's entries.
    static func certificateName(_ r: inout Random) -> String {
        r.chance(85) ? certificateNames[r.below(4)] : r.pick(certificateNames)
    }

    /// Senders (`$f`) and the keys the map holds for them.
    static let senders = [
        "joe@partner.example", "<ann+x@mx.partner.example>", "joe@Partner.example.", "bob@other.example",
        "ann@mx.partner.example",
    ]
    static let senderKeys = [
        "partner.example", "mx.partner.example", "joe@partner.example", "ann@mx.partner.example",
        "ann+*@mx.partner.example", ".partner.example", "example", "other.example",
    ]

    static let users = ["joe", "Ann", "a.b", "joe+x", "joe+x+y", "b-2", "x_y"]

    static func host(_ r: inout Random) -> String {
        (0..<(1 + r.below(3))).map { _ in r.chance(5) ? r.pick(specialLabels) : r.pick(labels) }.joined(separator: ".")
    }

    static func address(_ r: inout Random) -> String {
        switch r.below(10) {
        case 0: return "IPv6:2001:db8:\(r.below(2)):\(r.below(2))"
        case 1: return "IPv6:2001:db8::\(r.below(2))"
        case 2: return "IPv6:2001:\(r.below(2))::\(r.below(2)):1"
        default: break
        }
        // `1` and `12` are prefixes of `10` and `1` but not on a token boundary.
        return "\(r.pick(["10", "1"])).\(r.pick(["0", "1", "12"])).\(r.below(3)).\(r.below(4))"
    }

    /// The address cut before a random `.` or `:` (or whole).
    static func prefix(of address: String, _ r: inout Random) -> String {
        let bytes = Array(address.utf8)
        let cuts = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") || bytes[$0] == UInt8(ascii: ":") }
        let end = r.chance(30) ? bytes.count : r.pick(cuts + [bytes.count])
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    static func recipient(_ r: inout Random) -> String {
        switch r.below(20) {
        case 0:
            return r.pick([
                "", "joe", "<>", "@x", "joe@", "joe@@x", "+x@a", "joe.@a", "joe@a..b", "joe @a", "<joe@a",
                "joe@localhost", "\"j\"@a", "joe%mx@a", "a!joe@b", "\"joe@mx\"@a", "@a:joe@b", "<@a:joe@b>",
                "joe(c)@a", "joe@[10.1.2.3]", "joe@a.b..", "joe@localhost.NET", "joe@a.uucp", "joe%mx@localhost",
                "mx!joe", "joe@.a", "joe@a-", "j\\oe@a", "<joe@a> x", "joe@a;", "Joe <joe@a>",
            ])
        case 1, 2, 3: return "<\(r.pick(users))@\(host(&r))>"
        case 4: return "\(r.pick(users))@\(host(&r))."
        case 5: return "\(r.pick(users))@[\(address(&r))]"
        case 6: return "\(r.pick(users))%\(host(&r))@\(host(&r))"
        default: return "\(r.pick(users))@\(host(&r))"
        }
    }

    /// Keys the recipients and clients can hit: `To:`/`Connect:`/untagged domains, parents, `.parent`, addresses
    /// and prefixes, bracketed literals, full addresses and local parts, bare tags, certificates.
    static func map(_ r: inout Random, nul: Bool) -> [[UInt8]: [UInt8]] {
        var entries: [[UInt8]: [UInt8]] = [:]
        for _ in 0..<(10 + r.below(50)) {
            let tag = r.pick(["To:", "To:", "Connect:", "Connect:", "", "to:", "From:", "CERTISSUER:", "CERTSUBJECT:"])
            var key: String
            switch r.below(12) {
            case 0: key = ""
            case 1: key = "." + host(&r)
            case 2: key = "[" + prefix(of: address(&r), &r) + "]"
            case 3, 4: key = prefix(of: address(&r), &r)
            case 5: key = "\(r.pick(users))@\(host(&r))"
            case 6: key = "\(r.pick(users))@"
            case 7: key = "\(r.pick(["joe", "Ann", "a.b"]))+*@\(host(&r))"
            // Certificate names, and address prefixes ending in `:` (no search builds those).
            case 8: key = r.chance(70) ? r.pick(certificateNames) : prefix(of: address(&r), &r) + ":"
            default: key = host(&r)
            }
            var bytes = Array((tag + key).utf8).map(Token.asciiLowercased)
            if nul { bytes.append(0) }
            var value = Array(r.pick(values).utf8)
            if r.chance(5) { value.append(0) }
            entries[bytes] = value
        }
        // Entries for the senders (`From:` and untagged).
        for _ in 0..<r.below(5) {
            let tag = r.pick(["From:", "From:", ""])
            let value = r.pick(["RELAY", "RELAY", "OK", "REJECT", "?", "SKIP", "RELAY (c)"])
            entries[Array((tag + r.pick(senderKeys)).utf8).map(Token.asciiLowercased)] = Array(value.utf8)
        }
        // Certificate entries for RelayTLS.
        for _ in 0..<r.below(5) {
            let issuer = ["SUBJECT", "SUBJECT", "RELAY", "OK", "?", "RELAY (c)"]
            let subject = ["RELAY", "RELAY", "OK", "?", "SUBJECT"]
            let (tag, value) = r.chance(50) ? ("CERTISSUER:", r.pick(issuer)) : ("CERTSUBJECT:", r.pick(subject))
            entries[Array((tag + certificateName(&r)).utf8).map(Token.asciiLowercased)] = Array(value.utf8)
        }
        return entries
    }

    static func configuration(_ r: inout Random) -> PolicyConfiguration {
        var options: AccessLookupOptions = []
        if r.chance(40) { options.insert(.lookupDotDomain) }
        if r.chance(40) { options.insert(.skip) }
        var configuration = PolicyConfiguration(features: PolicyFeatures(accessLookup: options))
        var relay = RelaySettings()
        // Mostly inside the fast path's envelope; sometimes outside.
        if r.chance(8) { relay.delayChecks = true }
        if r.chance(25) { relay.blocklistRecipients = true }
        if r.chance(10) { relay.recipientRejectMessage = "550 not here" }
        if r.chance(25) { relay.relayMailFrom = r.pick([.address, .domain]) }
        if r.chance(20) { relay.relayLocalFrom = true }
        if r.chance(25) { relay.relayHostsOnly = true }
        if r.chance(20) { relay.relayEntireDomain = true }
        if r.chance(25) { relay.relayToFullAddress = true }
        if r.chance(20) { relay.looseRelayCheck = true }
        if r.chance(30) { relay.hostName = r.pick(["mx.example.NET", "vm.localdomain", "a", "Ünï.example"]) }
        if r.chance(10) { relay.relayMessage = "550 go elsewhere" }
        if r.chance(10) { relay.authConfigured = true }
        configuration.relay = relay
        for name in ["w", "R", "m"] where r.chance(60) {
            var words: [String] = []
            for _ in 0..<(1 + r.below(4)) {
                switch r.below(6) {
                case 0: words.append("[" + address(&r) + "]")
                case 1: words.append(prefix(of: address(&r), &r) + r.pick(["", "."]))
                case 2: words.append("." + host(&r))
                case 3: words.append(r.pick(["partner.example", "other.example"]))
                default: words.append(host(&r))
                }
            }
            configuration.add(words, to: name)
        }
        if r.chance(40) { configuration.add([r.pick(["PLAIN", "login", "CRAM-MD5"])], to: "TrustAuthMech") }
        if r.chance(10) { configuration.add(["NO"], to: "TlsVerified") }
        return configuration
    }

    static func session(_ r: inout Random) -> SessionMacros {
        var s = SessionMacros()
        let address = self.address(&r)
        s[.clientAddr] =
            r.chance(8)
            ? r.pick(["", "0", "127.0.0.1", "IPv6:0:0:0:0:0:0:0:1", "IPv6:::1", "10..1", " ", "a b"]) : address
        switch r.below(12) {
        case 0, 4: s[.clientName] = "[\(address)]"
        case 1:
            s[.clientName] = r.pick([
                "", "a..b", ".", "a.", "x..", "a b", "[IPv6:2001:db8::1]", "é.example", "[]", " ", "(c)",
            ])
        case 2: s[.clientName] = host(&r) + "."
        case 3: break
        default: s[.clientName] = host(&r)
        }
        if r.chance(30) {
            s[.clientResolve] = r.pick(["OK", "ok", "FAIL", "FORGED", "TEMP", "temp", "NO", " ", "x y"])
        }
        if r.chance(15) { s[.authType] = r.pick(["PLAIN", "plain", "LOGIN", "CRAM-MD5", "GSSAPI", " ", "a b"]) }
        if r.chance(60) { s[.verify] = r.pick(["", "NO", "NONE", "FAIL", "OK", "TRUSTED", "ok", "OK", " ", "x y"]) }
        if r.chance(15) { s[MacroName("deliveryMode")] = r.pick(["i", "b", "d", "D", "q", " ", "d d"]) }
        if r.chance(60) { s[.certIssuer] = certificateName(&r) }
        if r.chance(60) { s[.certSubject] = certificateName(&r) }
        switch r.below(10) {
        case 0, 1, 2: break
        case 3: s[.sender] = r.pick(["<>", "", "joe", " ", "joe@localhost", "\"j\"@a", "joe%a@b", "<joe@a.>"])
        case 4: s[.sender] = "<\(r.pick(users))@\(host(&r))>"
        case 5, 6: s[.sender] = "\(r.pick(users))@\(host(&r))"
        default: s[.sender] = r.pick(senders)
        }
        if r.chance(20) { s[.mailFrom] = r.pick(["<joe@a>", "<>"]) }
        return s
    }

    /// Builds each round's random map into all three sources (in memory with temporary failures, snapshot, GDBM
    /// file) and checks 60 random cases per source: the fast path, when it answers, and the public API must give
    /// the general engine's decision. Also checks that the fast path answers a good share, relays and refusals
    /// both.
    @Test func fastPathAgreesWithTheGeneralEngine() throws {
        let directory = try Support.makeDirectory("rcptfast")
        defer { try? FileManager.default.removeItem(at: directory) }
        var r = Random(seed: 20_261_122_0607)
        var answered = 0
        var total = 0
        var kinds: [String: Int] = [:]
        for round in 0..<150 {
            let entries = Self.map(&r, nul: r.chance(20))
            let configuration = Self.configuration(&r)
            let path = directory.appendingPathComponent("m\(round).db").path
            let sources = try Support.threeSources(entries, gdbmPath: path)
            let listing = entries.map {
                (String(decoding: $0.key, as: UTF8.self), String(decoding: $0.value, as: UTF8.self))
            }
            for (label, source) in sources {
                let engine = PolicyEngine(configuration: configuration, source: source)
                for _ in 0..<60 {
                    let s = Self.session(&r)
                    let recipient = Self.recipient(&r)
                    let fast = engine.checkRcptFastPath.decide(recipient, session: s, in: source)
                    let run = engine.run(.checkRcpt, input: Tokenizer.tokenize(recipient), session: s)
                    let expected = run.map { PolicyDecision($0.result) } ?? .accept
                    let api = engine.checkRcpt(recipient, session: s)
                    total += 1
                    if let fast {
                        answered += 1
                        switch fast {
                        case .relay: kinds["relay", default: 0] += 1
                        case .reject: kinds["reject", default: 0] += 1
                        default: kinds["other", default: 0] += 1
                        }
                        #expect(
                            fast == expected,
                            "\(label) round \(round): \(recipient) \(s.all) \(configuration.relay) map \(listing)"
                        )
                    }
                    #expect(api == expected, "\(label) round \(round): \(recipient) \(s.all)")
                }
            }
        }
        #expect(answered * 4 > total, "fast path answered \(answered) of \(total)")
        #expect(kinds["relay", default: 0] > 500, "\(kinds)")
        #expect(kinds["reject", default: 0] > 500, "\(kinds)")
    }

    /// A plain map and plain sessions: every decision comes from the fast path, and each kind of rule decides.
    @Test func plainSessionsTakeTheFastPath() {
        let source = Support.memoryMap(
            """
            To:relayed.example RELAY
            To:rejected.example REJECT
            partner.example RELAY
            Connect:192.0.2 RELAY
            Connect:trusted.example.org RELAY
            Connect:bad.example.org REJECT
            """
        )
        var configuration = PolicyConfiguration()
        configuration.add(["local.example", "[198.51.100.9]"], to: "w")
        configuration.add(["relayhost.example", "10.9"], to: "R")
        configuration.add(["PLAIN"], to: "TrustAuthMech")
        let engine = PolicyEngine(configuration: configuration, source: source)
        let denied = PolicyDecision.reject(SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "Relaying denied"))
        func decide(
            _ recipient: String,
            _ name: String = "host.other.example",
            _ address: String = "203.0.113.5"
        )
            -> PolicyDecision?
        {
            let s = SessionMacros([.clientName: name, .clientAddr: address, .clientResolve: "OK"])
            let fast = engine.checkRcptFastPath.decide(recipient, session: s, in: source)
            if let fast { #expect(engine.checkRcpt(recipient, session: s) == fast) }
            return fast
        }
        #expect(decide("<joe@relayed.example>") == .relay)
        #expect(decide("<joe@mx.relayed.example>") == .relay)  // parent domain
        #expect(decide("joe@partner.example") == .relay)  // untagged entry
        #expect(decide("<joe@local.example>") == .relay)  // class w
        #expect(decide("<joe@mx.relayhost.example>") == .relay)  // ends with a class R member
        #expect(decide("<joe@remote.example>") == denied)
        #expect(decide("<joe@rejected.example>") == denied)  // REJECT does not relay
        #expect(decide("<joe@remote.example>", "x", "192.0.2.77") == .relay)  // Connect: address prefix
        #expect(decide("<joe@remote.example>", "mx.trusted.example.org") == .relay)  // Connect: parent name
        #expect(decide("<joe@remote.example>", "bad.example.org") == denied)
        #expect(decide("<joe@remote.example>", "x", "10.9.1.1") == .relay)  // starts with a class R member
        #expect(decide("<joe@remote.example>", "x", "198.51.100.9") == .relay)  // [address] in class w
        #expect(decide("<joe@remote.example>", "x", "127.0.0.1") == .relay)
        #expect(decide("<joe@remote.example>", "x", "") == .relay)
        let authenticated = SessionMacros([.clientName: "x", .clientAddr: "203.0.113.5", .authType: "PLAIN"])
        #expect(engine.checkRcptFastPath.decide("<joe@remote.example>", session: authenticated, in: source) == .relay)
    }

    /// blocklist_recipients: `To:` entries refuse recipients before any relay check.
    @Test func blocklistedRecipientsTakeTheFastPath() {
        let source = Support.memoryMap(
            """
            To:spam.example REJECT
            To:ann@ REJECT
            To:bob@local.example ERROR:5.1.1:550 gone
            To:relayed.example RELAY
            Connect:192.0.2 RELAY
            """
        )
        var configuration = PolicyConfiguration()
        configuration.relay.blocklistRecipients = true
        configuration.add(["local.example"], to: "w")
        let engine = PolicyEngine(configuration: configuration, source: source)
        func decide(_ recipient: String, _ address: String = "203.0.113.5") -> PolicyDecision? {
            let s = SessionMacros([.clientName: "mx.other.example", .clientAddr: address])
            let fast = engine.checkRcptFastPath.decide(recipient, session: s, in: source)
            if let fast { #expect(engine.checkRcpt(recipient, session: s) == fast) }
            return fast
        }
        let disabled = PolicyDecision.reject(
            SMTPReply(code: 550, enhancedStatus: "5.2.1", text: "Mailbox disabled for this recipient")
        )
        #expect(decide("<joe@mx.spam.example>", "192.0.2.1") == disabled)  // refused even from a relaying client
        #expect(decide("<ann+list@local.example>") == disabled)  // U: user+detail@, user+*@, user@
        #expect(decide("<ann@other.example>") != disabled)  // U only for local domains
        #expect(decide("<joe@local.example>") == .relay)
        #expect(decide("<joe@relayed.example>") == .relay)
        #expect(decide("<bob@local.example>") == nil)
        #expect(
            engine.checkRcpt("<bob@local.example>", session: SessionMacros([.clientAddr: "203.0.113.5"]))
                == .reject(SMTPReply(code: 550, enhancedStatus: "5.1.1", text: "gone"))
        )
    }

    /// relay_mail_from and relay_local_from: the envelope sender `$f` lets the client relay.
    @Test func sendersTakeTheFastPath() {
        let source = Support.memoryMap(
            """
            From:partner.example RELAY
            From:joe@friend.example RELAY
            friend.example RELAY
            """
        )
        var configuration = PolicyConfiguration()
        configuration.relay.relayMailFrom = .domain
        configuration.relay.relayLocalFrom = true
        configuration.add(["local.example"], to: "w")
        let engine = PolicyEngine(configuration: configuration, source: source)
        func decide(_ sender: String) -> PolicyDecision? {
            let s = SessionMacros([.clientName: "mx.other.example", .clientAddr: "203.0.113.5", .sender: sender])
            let fast = engine.checkRcptFastPath.decide("<joe@remote.example>", session: s, in: source)
            if let fast { #expect(engine.checkRcpt("<joe@remote.example>", session: s) == fast) }
            return fast
        }
        let denied = PolicyDecision.reject(SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "Relaying denied"))
        #expect(decide("<ann@mx.partner.example>") == .relay)  // From: parent domain
        #expect(decide("joe@friend.example") == .relay)  // From: full address
        #expect(decide("ann@friend.example") == denied)  // untagged entries do not count
        #expect(decide("ann@local.example") == .relay)  // relay_local_from
        #expect(decide("") == denied)
        #expect(decide("ann%x@local.example") == nil)
    }

    /// A verified client certificate relays through `CERTISSUER:` (`RELAY`, or `SUBJECT` and `CERTSUBJECT:`).
    @Test func verifiedCertificatesTakeTheFastPath() {
        let source = Support.memoryMap(
            """
            CERTISSUER:/C=US/O=Trusted+20CA RELAY
            CERTISSUER:/CN=Partner+20CA SUBJECT
            CERTSUBJECT:/CN=mx.partner.example RELAY
            """
        )
        let engine = PolicyEngine(source: source)
        let denied = PolicyDecision.reject(SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "Relaying denied"))
        func decide(_ verify: String, _ issuer: String, _ subject: String = "/CN=mx.other.example") -> PolicyDecision? {
            let s = SessionMacros([
                .clientName: "mx.other.example", .clientAddr: "203.0.113.5", .verify: verify, .certIssuer: issuer,
                .certSubject: subject,
            ])
            let fast = engine.checkRcptFastPath.decide("<joe@remote.example>", session: s, in: source)
            if let fast { #expect(engine.checkRcpt("<joe@remote.example>", session: s) == fast) }
            return fast
        }
        #expect(decide("OK", "/C=US/O=Trusted+20CA") == .relay)
        #expect(decide("TRUSTED", "/c=us/o=trusted+20ca") == .relay)
        #expect(decide("FAIL", "/C=US/O=Trusted+20CA") == denied)  // a copied issuer without verification
        #expect(decide("OK", "/CN=Partner+20CA", "/CN=mx.partner.example") == .relay)
        #expect(decide("OK", "/CN=Partner+20CA") == denied)
        #expect(decide("OK", "/CN=Other+20CA", "/CN=mx.partner.example") == denied)
        #expect(decide("OK", "") == denied)
    }

    /// IPv6 clients: `::` is cut as one separator, in the address and in a bracketed literal name.
    @Test func ipv6ClientsTakeTheFastPath() {
        let source = Support.memoryMap(
            """
            Connect:IPv6:2001:db8: REJECT
            Connect:IPv6:2001:db8 RELAY
            Connect:[IPv6:2001:db9] RELAY
            """
        )
        let engine = PolicyEngine(source: source)
        func decide(_ name: String, _ address: String) -> PolicyDecision? {
            let s = SessionMacros([.clientName: name, .clientAddr: address])
            let fast = engine.checkRcptFastPath.decide("<joe@remote.example>", session: s, in: source)
            if let fast { #expect(engine.checkRcpt("<joe@remote.example>", session: s) == fast) }
            return fast
        }
        let denied = PolicyDecision.reject(SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "Relaying denied"))
        #expect(decide("x.example", "IPv6:2001:db8::1") == .relay)
        #expect(decide("x.example", "IPv6:2001:db8:0:1") == .relay)
        #expect(decide("x.example", "IPv6:2001:db7::1") == denied)
        #expect(decide("[IPv6:2001:db9::1]", "IPv6:2001:db7::1") == .relay)
        #expect(decide("[IPv6:2001:db9:5:1]", "IPv6:2001:db7::1") == .relay)
        #expect(decide("[IPv6:2001:db7::1]", "IPv6:2001:db7::1") == denied)
        #expect(decide("x.example", "IPv6:::1") == .relay)
        #expect(decide("x.example", "IPv6:2001:::1") == nil)
    }

    /// The longest texts the scratch areas hold are decided; longer ones go to the general engine.
    @Test func longTextsStayInTheirBuffers() {
        var configuration = PolicyConfiguration()
        let longest = String(repeating: "1.", count: 30) + "12"  // 62 bytes
        let tooLong = "1" + longest
        configuration.add(["[\(longest)]", "[\(tooLong)]"], to: "w")
        let engine = PolicyEngine(configuration: configuration, source: EmptyAccessMapSource())
        let path = engine.checkRcptFastPath
        #expect(longest.utf8.count == CheckRcptFastPath.maximumAddress)
        let name = String(repeating: "a.", count: 126) + "abc"  // 255 bytes
        #expect(name.utf8.count == CheckRcptFastPath.maximumText)
        let recipient = "<j@" + String(repeating: "b.", count: 125) + "c>"  // 255 bytes
        #expect(recipient.utf8.count == CheckRcptFastPath.maximumText)
        for (address, expected) in [(longest, PolicyDecision?.some(.relay)), (tooLong, nil)] {
            let s = SessionMacros([.clientName: name, .clientAddr: address])
            #expect(path.decide(recipient, session: s, in: engine.source) == expected)
            #expect(engine.checkRcpt(recipient, session: s) == .relay)
        }
        let s = SessionMacros([.clientName: name + "x", .clientAddr: "192.0.2.1"])
        #expect(path.decide(recipient, session: s, in: engine.source) == nil)
        let denied = PolicyDecision.reject(SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "Relaying denied"))
        #expect(engine.checkRcpt(recipient, session: s) == denied)
        #expect(
            path.decide(
                recipient,
                session: SessionMacros([.clientName: name, .clientAddr: "192.0.2.1"]),
                in: engine.source
            ) == denied
        )
        #expect(path.decide("<j@" + String(repeating: "b.", count: 126) + "c>", session: s, in: engine.source) == nil)
    }

    /// Recipients, sessions and configurations outside the envelope answer `nil`; the engine still decides.
    @Test func unusualCasesTakeTheGeneralEngine() {
        let source = Support.memoryMap("To:relayed.example RELAY\nConnect:192.0.2 RELAY (trusted)")
        var configuration = PolicyConfiguration()
        configuration.add(["local.example"], to: "w")
        let engine = PolicyEngine(configuration: configuration, source: source)
        let plain = SessionMacros([.clientName: "x.example", .clientAddr: "203.0.113.5"])
        // `user%remote@local` is judged as `user@remote`.
        #expect(
            engine.checkRcptFastPath.decide("<joe%relayed.example@local.example>", session: plain, in: source) == nil
        )
        #expect(engine.checkRcpt("<joe%relayed.example@local.example>", session: plain) == .relay)
        #expect(engine.checkRcpt("<joe%other.example@local.example>", session: plain) != .relay)
        // A certificate name with white space: its key needs the tokenizer.
        var verified = plain
        verified[.verify] = "OK"
        verified[.certIssuer] = "/CN=Some+20CA/O=a b"
        #expect(engine.checkRcptFastPath.decide("<joe@other.example>", session: verified, in: source) == nil)
        // FORGED, FAIL and TEMP have their own replies, which name the client.
        var forged = plain
        forged[.clientResolve] = "FORGED"
        let reply = PolicyDecision.reject(
            SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "Relaying denied. IP name possibly forged x.example")
        )
        #expect(engine.checkRcptFastPath.decide("<joe@other.example>", session: forged, in: source) == reply)
        #expect(engine.checkRcpt("<joe@other.example>", session: forged) == reply)
        var temporary = plain
        temporary[.clientResolve] = "temp"
        let later = PolicyDecision.reject(
            SMTPReply(
                code: 450,
                enhancedStatus: "4.4.0",
                text: "Relaying temporarily denied. Cannot resolve PTR record for 203.0.113.5"
            )
        )
        #expect(engine.checkRcptFastPath.decide("<joe@other.example>", session: temporary, in: source) == later)
        #expect(engine.checkRcpt("<joe@other.example>", session: temporary) == later)
        // A name of only white space: Relay_ok fails, the general engine answers.
        temporary[.clientName] = " "
        #expect(engine.checkRcptFastPath.decide("<joe@other.example>", session: temporary, in: source) == nil)
        // A value with a comment needs the tokenizer.
        let commented = SessionMacros([.clientName: "x.example", .clientAddr: "192.0.2.1"])
        #expect(engine.checkRcptFastPath.decide("<joe@other.example>", session: commented, in: source) == nil)
        #expect(engine.checkRcpt("<joe@other.example>", session: commented) == .relay)
        // delay_checks is outside the envelope.
        var delayed = configuration
        delayed.relay.delayChecks = true
        #expect(!PolicyEngine(configuration: delayed, source: source).checkRcptFastPath.enabled)
        #expect(engine.checkRcptFastPath.enabled)
    }

    /// The key prefixes are the engine's tags.
    @Test func prefixesMatchTheEngine() {
        #expect(CheckRcptFastPath.toPrefix.description == AccessTag.to.rawValue.lowercased() + ":")
        #expect(CheckRcptFastPath.connectPrefix.description == AccessTag.connect.rawValue.lowercased() + ":")
        #expect(CheckRcptFastPath.certIssuerPrefix.description == AccessTag.certIssuer.rawValue.lowercased() + ":")
        #expect(CheckRcptFastPath.certSubjectPrefix.description == AccessTag.certSubject.rawValue.lowercased() + ":")
    }

    /// Class membership on bytes: whole words, suffixes and prefixes on token boundaries, ignoring case, any size.
    @Test func foldedWordSetMatchesClassSet() {
        let words = (0..<1000).map { "host\($0).Example" } + ["example.com", ".org", "10.1", "[192.0.2.1]"]
        let set = FoldedWordSet(words)
        #expect(set.isComplete && set.count == words.count)
        func check(_ text: String, whole: Bool, suffix: Bool, prefix: Bool) {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { b in
                #expect(set.contains(b) == whole, "\(text)")
                #expect(set.containsSuffix(of: b) == suffix, "\(text)")
                #expect(set.containsPrefix(of: b) == prefix, "\(text)")
            }
            #expect(ClassSet(words).contains(text) == whole, "\(text)")
        }
        check("HOST17.example", whole: true, suffix: true, prefix: true)
        check("mx.host17.example", whole: false, suffix: true, prefix: false)
        check("example.com", whole: true, suffix: true, prefix: true)
        check("mx.example.com", whole: false, suffix: true, prefix: false)
        check("myexample.com", whole: false, suffix: false, prefix: false)
        check("a.org", whole: false, suffix: true, prefix: false)
        check("10.1.2.3", whole: false, suffix: false, prefix: true)
        check("10.12.2.3", whole: false, suffix: false, prefix: false)
        check("[192.0.2.1]", whole: true, suffix: true, prefix: true)
        check("", whole: false, suffix: false, prefix: false)
        #expect(FoldedWordSet([]).count == 0)
    }
}
