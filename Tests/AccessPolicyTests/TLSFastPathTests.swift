import AccessMap
import Foundation
import GDBMStore
import LogGenerator
import Testing

@testable import AccessPolicy

/// The byte-level tls_client/tls_server path (`TLSPeerFastPath`) must give the general engine's decision whenever it
/// answers at all. Random maps, sessions and configurations; the general engine is the one checked against sendmail.
@Suite struct TLSFastPathTests {
    /// The project's seeded generator (`LogGenerator.SplitMix64`) with the draws these tests need.
    struct Random {
        var generator: SplitMix64
        init(seed: UInt64) { generator = SplitMix64(seed: seed) }
        mutating func below(_ n: Int) -> Int { Int(generator.next() % UInt64(n)) }
        mutating func pick<T>(_ list: [T]) -> T { list[below(list.count)] }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    }

    static let labels = ["mx", "Mail", "a", "b-2", "x_y", "tmpf", "example", "NET", "org"]
    static let values = [
        "VERIFY", "VERIFY:128", "ENCR:112", "ENCR:256", "PERM+VERIFY:112", "TEMP+ENCR:64", "VERIFY+CN", "verify+cn",
        "VERIFY:128+CN", "ENCR:0x80", "ENCR:0128", "ENCR:abc", "VERIFY:128+CN:foo", "VERIFY+CS:x", "SKIP", "skip", "?",
        " ? ", "", "OK", "RELAY", "PERM+FOO", "VERIFY+", "VERIFY++CN", "VERIFY:128+CN++CN", "VERIFY <TMPF>", "TMPF",
        "VERIFY (comment)", "\"q\"", "ENCR:%0", "ENCR:112 ", "  VERIFY", "VERIFY\tfoo", "ENCR:112+CN", "PERM+VERIFY+CN",
        "TEMP+VERIFY:999999999999999999999999", "FOO:12", "ENCR:", "ENCR::", "VERIFY:+CN", "PERM+ENCR:512+CN",
        "TEMP+VERIFY", "Verify:56", "encr:40000", "VERIFY:-1", "ENCR:1+CI:x", "VERIFY+CITag:ci", "PERM+", "+VERIFY",
        "VERIFY:1:2", "VERIFY+cn+", "ENCR:2 +CN",
    ]
    static let verifies = [
        "", "OK", "ok", "TRUSTED", "FAIL", "NO", "NONE", "NOT", "CLEAR", "TEMP", "SOFTWARE", "PROTOCOL", "CONFIG",
        "DANE_FAIL", "x y", " ", "<OK>", "fail", "Foo-1",
    ]
    static let bits = ["", "256", "128", "56", "0128", "0x80", "abc", " 256", "0", "112", "99999999999999999999999"]

    static func host(_ r: inout Random) -> String {
        (0..<(1 + r.below(3))).map { _ in r.pick(labels) }.joined(separator: ".")
    }

    static func address(_ r: inout Random) -> String {
        if r.chance(10) { return "IPv6:2001:db8:\(r.below(3)):\(r.below(3))" }
        return "10.\(r.below(3)).\(r.below(3)).\(r.below(4))"
    }

    static func name(_ r: inout Random) -> String {
        switch r.below(20) {
        case 0: return "[\(address(&r))]"
        case 1:
            return r.pick(["a..b", ".a", "a.", "", "h\\i", "x y", "[IPv6:2001:db8::1]", "é.example", "[a.b]", "[]"])
        case 2: return "[" + host(&r) + "]"
        default: return host(&r)
        }
    }

    static let users = ["joe", "Ann", "a.b", "joe+x", "joe+x+y", "b-2"]

    static func recipient(_ r: inout Random) -> String {
        switch r.below(16) {
        case 0:
            return r.pick([
                "", "joe", "<>", "@x", "joe@", "joe@@x", "+x@a", "joe.@a", "joe@a..b", "joe @a", "<joe@a",
                "joe@localhost", "\"j\"@a",
            ])
        case 1: return "<\(r.pick(users))@\(host(&r))>"
        case 2: return "\(r.pick(users))@\(host(&r))."
        case 3: return "\(r.pick(users))@[\(address(&r))]"
        case 4: return "\(r.pick(users))@\(host(&r)).."
        default: return "\(r.pick(users))@\(host(&r))"
        }
    }

    /// `TLS_Rcpt:` keys the recipients can hit.
    static func recipientMap(_ r: inout Random, nul: Bool) -> [[UInt8]: [UInt8]] {
        var entries: [[UInt8]: [UInt8]] = [:]
        for _ in 0..<(10 + r.below(40)) {
            var key: String
            switch r.below(8) {
            case 0: key = ""
            case 1: key = "\(r.pick(users))@"
            case 2: key = "\(r.pick(["joe", "Ann", "a.b"]))+*@" + (r.chance(50) ? host(&r) : "")
            case 3: key = "\(r.pick(users))@\(host(&r))"
            case 4: key = "." + host(&r)
            case 5: key = "[" + address(&r) + "]"
            default: key = host(&r)
            }
            var bytes = Array(("TLS_Rcpt:" + key).utf8).map(Token.asciiLowercased)
            if nul { bytes.append(0) }
            entries[bytes] = Array(r.pick(values).utf8)
        }
        return entries
    }

    /// Keys the sessions can hit: names and parents, `.parent`, bracketed forms, addresses and prefixes, bare tags.
    static func map(_ r: inout Random, nul: Bool) -> [[UInt8]: [UInt8]] {
        var entries: [[UInt8]: [UInt8]] = [:]
        for _ in 0..<(10 + r.below(40)) {
            let tag = r.pick(["TLS_Clt:", "TLS_Srv:", "tls_clt:", "Connect:"])
            var key: String
            switch r.below(10) {
            case 0: key = ""
            case 1: key = "." + host(&r)
            case 2:
                let a = address(&r).split(separator: ".")
                key = "[" + a.prefix(1 + r.below(a.count)).joined(separator: ".") + "]"
            case 3, 4:
                let a = address(&r).split(separator: ".")
                key = a.prefix(1 + r.below(a.count)).joined(separator: ".")
            default: key = host(&r)
            }
            var bytes = Array((tag + key).utf8).map(Token.asciiLowercased)
            if nul { bytes.append(0) }
            var value = Array(r.pick(values).utf8)
            if r.chance(5) { value.append(0) }
            entries[bytes] = value
        }
        return entries
    }

    static func configuration(_ r: inout Random) -> PolicyConfiguration {
        var options: AccessLookupOptions = []
        if r.chance(40) { options.insert(.lookupDotDomain) }
        if r.chance(40) { options.insert(.skip) }
        var configuration = PolicyConfiguration(
            features: PolicyFeatures(tlsPermanentErrors: r.chance(30), accessLookup: options)
        )
        if r.chance(15) { configuration.add(["FOO"], to: "Tls") }
        if r.chance(15) { configuration.add(["TEMP"], to: "TlsVerified") }
        return configuration
    }

    static func session(_ r: inout Random, server: Bool) -> SessionMacros {
        var s = SessionMacros()
        let name = self.name(&r)
        s[server ? .serverName : .clientName] = name
        s[server ? .serverAddr : .clientAddr] =
            r.chance(5) ? r.pick(["", "10..1", "IPv6:2001:db8::1", ":1"]) : address(&r)
        if !r.chance(5) { s[.verify] = r.pick(verifies) }
        if r.chance(80) { s[.cipherBits] = r.pick(bits) }
        if r.chance(30) { s[.authSSF] = r.pick(bits) }
        switch r.below(4) {
        case 0: break
        case 1: s[.cnSubject] = name
        case 2: s[.cnSubject] = name.uppercased()
        default: s[.cnSubject] = r.pick(["other.example", "a b", "*.example", "", "mx"])
        }
        if r.chance(20) { s[.certIssuer] = "CN=ci" }
        return s
    }

    /// The general engine's decision.
    static func general(_ engine: PolicyEngine, _ s: SessionMacros, server: Bool) -> TLSPolicyDecision {
        let run =
            server
            ? engine.run(.tlsServer, input: s.tokens(.verify), session: s)
            : engine.run(.tlsClient, input: s.tokens(.verify) + [Token("$|"), Token("MAIL")], session: s)
        return TLSPolicyDecision(run!.result)
    }

    /// One random case: the fast path's answer (`nil`: general engine), the general engine's, the public API's.
    struct Case {
        var fast: TLSPolicyDecision?
        var expected: TLSPolicyDecision
        var api: TLSPolicyDecision
        var what: String
    }

    /// Builds each round's random map into all three sources (in memory with temporary failures, snapshot, GDBM
    /// file) and checks 60 random cases per source: the fast path, when it answers, and the public API must give
    /// the general engine's decision. Also checks that the fast path answers a good share (the generators are
    /// mostly odd on purpose), refusals and acceptances both.
    static func compareOnRandomMaps(
        seed: UInt64,
        rounds: Int,
        map: (inout Random) -> [[UInt8]: [UInt8]],
        check: (PolicyEngine, any AccessMapSource, inout Random) -> Case
    ) throws {
        let directory = try Support.makeDirectory("fastpath")
        defer { try? FileManager.default.removeItem(at: directory) }
        var r = Random(seed: seed)
        var answered = 0
        var total = 0
        var kinds: [String: Int] = [:]
        for round in 0..<rounds {
            let entries = map(&r)
            let configuration = Self.configuration(&r)
            let path = directory.appendingPathComponent("m\(round).db").path
            let sources = try Support.threeSources(entries, gdbmPath: path)
            let listing = entries.map {
                (String(decoding: $0.key, as: UTF8.self), String(decoding: $0.value, as: UTF8.self))
            }
            for (label, source) in sources {
                let engine = PolicyEngine(configuration: configuration, source: source)
                for _ in 0..<60 {
                    let c = check(engine, source, &r)
                    total += 1
                    if let fast = c.fast {
                        answered += 1
                        if case .reject = fast {
                            kinds["reject", default: 0] += 1
                        } else {
                            kinds["accept", default: 0] += 1
                        }
                        #expect(fast == c.expected, "\(label) round \(round): \(c.what) map \(listing)")
                    }
                    #expect(c.api == c.expected, "\(label) round \(round): \(c.what)")
                }
            }
        }
        #expect(answered * 4 > total, "fast path answered \(answered) of \(total)")
        #expect(kinds["reject", default: 0] > 100, "\(kinds)")
        #expect(kinds["accept", default: 0] > 100, "\(kinds)")
    }

    @Test func recipientFastPathAgreesWithTheGeneralEngine() throws {
        try Self.compareOnRandomMaps(
            seed: 4_711,
            rounds: 100,
            map: { r in Self.recipientMap(&r, nul: r.chance(20)) },
            check: { engine, source, r in
                let s = Self.session(&r, server: true)
                let recipient = Self.recipient(&r)
                let run = engine.run(.tlsRecipient, input: Tokenizer.tokenize(recipient), session: s)
                return Case(
                    fast: engine.tlsPeerFastPath.decideRecipient(recipient, session: s, in: source),
                    expected: TLSPolicyDecision(run!.result),
                    api: engine.tlsRecipient(recipient, session: s),
                    what: "\(recipient) \(s.all)"
                )
            }
        )
    }

    @Test func fastPathAgreesWithTheGeneralEngine() throws {
        try Self.compareOnRandomMaps(
            seed: 20_261_122,
            rounds: 120,
            map: { r in Self.map(&r, nul: r.chance(20)) },
            check: { engine, source, r in
                let server = r.chance(30)
                let s = Self.session(&r, server: server)
                let peer = server ? TLSPeerFastPath.server : TLSPeerFastPath.client
                return Case(
                    fast: engine.tlsPeerFastPath.decide(s, peer: peer, in: source),
                    expected: Self.general(engine, s, server: server),
                    api: server ? engine.tlsServer(s) : engine.tlsClient(s),
                    what: "\(s.all)"
                )
            }
        )
    }

    /// Plain sessions on a plain map: every decision comes from the fast path, and each kind of key is hit.
    @Test func plainSessionsTakeTheFastPath() throws {
        let source = Support.memoryMap(
            """
            TLS_Clt:mail.example.net VERIFY:128
            TLS_Clt:example.org PERM+ENCR:112
            TLS_Clt:10.1.2 VERIFY+CN
            TLS_Clt:[192.0.2] ENCR:256
            TLS_Clt: TEMP+VERIFY
            """
        )
        let engine = PolicyEngine(source: source)
        func decide(
            _ name: String,
            _ address: String,
            verify: String = "OK",
            bits: String = "256",
            cn: String? = nil
        )
            -> TLSPolicyDecision?
        {
            var s = SessionMacros([.clientName: name, .clientAddr: address, .verify: verify, .cipherBits: bits])
            if let cn { s[.cnSubject] = cn }
            return engine.tlsPeerFastPath.decide(s, peer: TLSPeerFastPath.client, in: source)
        }
        #expect(decide("mail.example.net", "192.0.2.1") == .accept)
        #expect(
            decide("mail.example.net", "192.0.2.1", verify: "FAIL")
                == .reject(SMTPReply(errorHost: "4.7.0", text: "454 authentication failed"))
        )
        #expect(decide("mx.example.org", "192.0.2.1", verify: "NONE") == .accept)
        #expect(decide("host.other", "10.1.2.3", cn: "HOST.other") == .accept)
        #expect(
            decide("host.other", "10.1.2.3", cn: "x.other")
                == .reject(SMTPReply(errorHost: "4.7.0", text: "454 CN x.other does not match host.other"))
        )
        #expect(decide("[192.0.2.9]", "192.0.2.9") == .accept)
        #expect(
            decide("other.example", "192.0.2.9", verify: "")
                == .reject(SMTPReply(errorHost: "4.7.0", text: "403 authentication required"))
        )
        // Too weak: the general engine words the refusal.
        #expect(decide("[192.0.2.9]", "192.0.2.9", bits: "128") == nil)
        #expect(
            engine.tlsClient(
                SessionMacros([.clientName: "[192.0.2.9]", .clientAddr: "192.0.2.9", .verify: "OK", .cipherBits: "128"])
            ) != .accept
        )
    }
}

extension TLSFastPathTests {
    /// The key prefixes and the word-character table the fast path uses are the engine's.
    @Test func prefixesAndWordBytesMatchTheEngine() {
        for (peer, tag) in [(TLSPeerFastPath.client, AccessTag.tlsClient), (TLSPeerFastPath.server, .tlsServer)] {
            #expect(peer.prefix.description == tag.rawValue.lowercased() + ":")
        }
        #expect(TLSPeerFastPath.recipientPrefix.description == AccessTag.tlsRecipient.rawValue.lowercased() + ":")
        for byte in UInt8.min...UInt8.max {
            let expected =
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            #expect(TLSPeerFastPath.isWordByte(byte) == expected, "byte \(byte)")
        }
    }
}

extension TLSFastPathTests {
    /// A class too large to hold inline turns the fast path off; decisions still come from the general engine.
    @Test func oversizedClassesTurnTheFastPathOff() {
        var configuration = PolicyConfiguration()
        configuration.add(["A1", "A2", "A3"], to: "Tls")  // five words in all
        let source = Support.memoryMap("TLS_Clt:mail.example.net VERIFY\nTLS_Clt:a.example A1:12")
        let engine = PolicyEngine(configuration: configuration, source: source)
        #expect(!engine.tlsPeerFastPath.enabled)
        let session = SessionMacros([.clientName: "mail.example.net", .clientAddr: "192.0.2.1", .verify: "NO"])
        #expect(engine.tlsPeerFastPath.decide(session, peer: TLSPeerFastPath.client, in: source) == nil)
        #expect(
            engine.tlsClient(session)
                == .reject(SMTPReply(code: 454, enhancedStatus: "4.7.0", text: "not authenticated"))
        )
        #expect(PolicyEngine(source: source).tlsPeerFastPath.enabled)
    }

    /// Class words are compared ignoring case, by length and bytes.
    @Test func foldedWordsMatchIgnoringCase() {
        let words = FoldedWords(["VERIFY", "Encr"])
        #expect(words.isComplete)
        for (word, expected) in [("verify", true), ("ENCR", true), ("encr2", false), ("veri", false), ("", false)] {
            let bytes = Array(word.utf8)
            #expect(bytes.withUnsafeBytes { words.contains($0) } == expected, "\(word)")
        }
        #expect(!FoldedWords(["a", "b", "c", "d", "e"]).isComplete)
        #expect(!FoldedWords([String(repeating: "x", count: 17)]).isComplete)
    }
}

extension TLSFastPathTests {
    /// Names and addresses are scanned once with their separators' offsets kept in a fixed area: up to 64 dots the
    /// fast path walks every parent; more dots, or a value over 255 bytes, hand the decision to the general engine,
    /// which reaches the same answer.
    @Test func manyLabelsAndLongValues() {
        let source = Support.memoryMap(
            """
            TLS_Clt:example VERIFY
            TLS_Srv:b.example ENCR:64
            TLS_Clt:10.1 PERM+VERIFY
            """
        )
        let engine = PolicyEngine(source: source)
        func session(_ name: String, _ address: String = "192.0.2.1") -> SessionMacros {
            SessionMacros([.clientName: name, .clientAddr: address, .verify: "NO", .cipherBits: "256"])
        }
        let refusal = TLSPolicyDecision.reject(SMTPReply(errorHost: "4.7.0", text: "454 not authenticated"))
        for labels in [1, 2, 63, 64, 65, 100] {
            let name = String(repeating: "a.", count: labels) + "example"
            let s = session(name)
            let fast = engine.tlsPeerFastPath.decide(s, peer: TLSPeerFastPath.client, in: source)
            #expect(fast == (labels <= 64 ? refusal : nil), "\(labels) dots")
            #expect(engine.tlsClient(s) == refusal, "\(labels) dots")
            #expect(TLSFastPathTests.general(engine, s, server: false) == refusal, "\(labels) dots")
        }
        // The address's prefixes: `10.1` is found after 10.1.2.3 and 10.1.2 miss.
        let byAddress = session("host.other", "10.1.2.3")
        let permanent = TLSPolicyDecision.reject(SMTPReply(errorHost: "5.7.0", text: "503 not authenticated"))
        #expect(engine.tlsPeerFastPath.decide(byAddress, peer: TLSPeerFastPath.client, in: source) == permanent)
        // Over 255 bytes: the general engine.
        let long = session(String(repeating: "b", count: 250) + ".example")
        #expect(engine.tlsPeerFastPath.decide(long, peer: TLSPeerFastPath.client, in: source) == nil)
        #expect(engine.tlsClient(long) == refusal)
        // Bracketed literals lose their last part inside the brackets.
        let literal = session("[10.1.7.7]", "192.0.2.1")
        let byLiteral = TLSPolicyDecision.accept  // [10.1.7.7], [10.1.7], [10.1], [10] are not keys; the address misses
        #expect(engine.tlsPeerFastPath.decide(literal, peer: TLSPeerFastPath.client, in: source) == byLiteral)
        #expect(TLSFastPathTests.general(engine, literal, server: false) == byLiteral)
        // tls_rcpt: a recipient domain with many labels.
        let rcptSource = Support.memoryMap("TLS_Rcpt:example VERIFY")
        let rcptEngine = PolicyEngine(source: rcptSource)
        let server = SessionMacros([.serverName: "mx.example", .serverAddr: "192.0.2.2", .verify: "NO"])
        for labels in [1, 40] {
            let recipient = "joe@" + String(repeating: "x.", count: labels) + "example"
            let fast = rcptEngine.tlsPeerFastPath.decideRecipient(recipient, session: server, in: rcptSource)
            #expect(fast == rcptEngine.tlsRecipient(recipient, session: server))
            #expect(fast != nil && fast != .accept, "\(labels) labels")
        }
    }
}
