import AccessMap
import AccessPolicy
import LogGenerator
import Testing

@Suite("Session macro values")
struct MacroValueTests {
    @Test(
        "xtext encodes controls, space, 8-bit and + \\ ( ) < > \" (macros.md §3)",
        arguments: [
            ("/C=US/O=Example CA/CN=Root", "/C=US/O=Example+20CA/CN=Root"),
            ("CN=Darth Mail (Cert)", "CN=Darth+20Mail+20+28Cert+29"),
            ("a+b\\c<d>\"e", "a+2Bb+5Cc+3Cd+3E+22e"),
            ("x=y/@,.:", "x=y/@,.:"),
            ("ü", "+C3+BC"),
        ]
    )
    func xtext(plain: String, encoded: String) throws {
        #expect(XText.encode(plain) == encoded)
        #expect(XText(plain: plain).encoded == encoded)
        #expect(try XText.decode(encoded) == Array(plain.utf8))
        #expect(XText(encoded: encoded).decoded == plain)
    }

    @Test("xtext: = is also encoded for {auth_authen}; lower-case hex decodes; a bad escape is an error")
    func xtextDetails() throws {
        #expect(XText.encode("/C=US", alsoEncoding: "=") == "/C+3DUS")
        #expect(try XText.decode("a+2bb") == Array("a+b".utf8))
        #expect(throws: XTextError(offset: 2)) { try XText.decode("a+2") }
        #expect(throws: XTextError(offset: 1)) { try XText.decode("+zz") }
    }

    @Test("{verify}: every value sendmail sets, case-insensitive, others verbatim")
    func verify() {
        let words = [
            "OK", "TRUSTED", "NO", "NOT", "FAIL", "NONE", "CLEAR", "TEMP", "PROTOCOL", "SOFTWARE", "CONFIG",
            "DANE_FAIL", "FAILURE",
        ]
        for word in words {
            let value = VerifyResult(macroValue: word)
            #expect(value.macroValue == word)
            #expect(VerifyResult(macroValue: word.lowercased()) == value)
            if case .other = value { Issue.record("\(word) should be a known value") }
        }
        #expect(VerifyResult(macroValue: "ok") == .ok)
        #expect(VerifyResult(macroValue: "Weird") == .other("Weird"))
        #expect(VerifyResult.ok.isVerified && VerifyResult.trusted.isVerified && !VerifyResult.fail.isVerified)
    }

    @Test("typed accessors read and write the macro strings")
    func accessors() {
        var s = SessionMacros()
        s.verify = .daneFailure
        s.cipherBits = 256
        s.clientAddress = .ipv6("0:0:0:0:0:0:0:1")
        s.serverAddress = .ipv4("192.0.2.1")
        s.certSubject = XText(plain: "/CN=a b")
        #expect(s[.verify] == "DANE_FAIL")
        #expect(s[.cipherBits] == "256")
        #expect(s[.clientAddr] == "IPv6:0:0:0:0:0:0:0:1")
        #expect(s.clientAddress?.literal == "[IPv6:0:0:0:0:0:0:0:1]")
        #expect(s.serverAddress == .ipv4("192.0.2.1"))
        #expect(s[.certSubject] == "/CN=a+20b")
        s[MacroName("my_macro")] = "x"
        #expect(s.value("my_macro") == "x")
        #expect(s.value(.authType) == "")
        s[.verify] = ""
        #expect(s.verify == nil)
        #expect(HostAddress(macroValue: "ipv6:1:2") == .ipv6("1:2"))
        #expect(HostAddress(macroValue: "host") == .other("host"))
    }

    @Test("macro tokens: bracketed literals and DNs split at operator characters")
    func tokens() {
        let s = SessionMacros([.clientName: "[1.2.3.4]", .certIssuer: "/C=US/O=Foo+2BBar/CN=x=y"])
        #expect(s.tokens(.clientName).map(\.text) == ["[", "1", ".", "2", ".", "3", ".", "4", "]"])
        #expect(s.tokens(.certIssuer).map(\.text) == ["/", "C=US", "/", "O=Foo", "+", "2BBar", "/", "CN=x=y"])
    }
}

/// `SessionMacros` keeps the macros the fast paths read in one shared byte buffer (`HotMacros`): setting, clearing
/// and overwriting them in any order must behave exactly like a dictionary of strings.
@Suite("Session macros storage")
struct SessionMacrosStorageTests {
    static let names: [MacroName] = [
        .clientName, .clientAddr, .serverName, .serverAddr, .verify, .cipherBits, .authSSF, .cnSubject, .certSubject,
        .authType, .sender, "deliveryMode", "client_resolve",
    ]
    static let values: [String?] = [
        nil, "", "OK", "256", "mx.example.net", "a-much-longer-host-name.mail.example.org", "[192.0.2.7]",
        "IPv6:2001:db8::1", "ü/C=DE/O=Bäcker+20AG", String(repeating: "x", count: 300),
    ]

    @Test("random sets and clears agree with a dictionary; equal contents are equal and hash alike")
    func behavesLikeADictionary() {
        var generator = SplitMix64(seed: 7)
        func below(_ n: Int) -> Int { Int(generator.next() % UInt64(n)) }
        for _ in 0..<200 {
            var session = SessionMacros()
            var reference: [MacroName: String] = [:]
            for _ in 0..<(1 + below(30)) {
                let name = Self.names[below(Self.names.count)]
                let value = Self.values[below(Self.values.count)]
                session[name] = value
                reference[name] = value
                for name in Self.names { #expect(session[name] == reference[name], "\(name)") }
            }
            #expect(session.all == reference)
            // The same contents set in another order (and through an intermediate value) give an equal value.
            var other = SessionMacros()
            for (name, value) in reference.sorted(by: { $0.key.rawValue > $1.key.rawValue }) {
                other[name] = "intermediate"
                other[name] = value
            }
            #expect(other == session)
            #expect(other.hashValue == session.hashValue)
            #expect(SessionMacros(reference) == session)
            if let (name, value) = reference.first {
                other[name] = value + "!"
                #expect(other != session)
            }
        }
    }
}

@Suite("SMTP replies from $#error")
struct SMTPReplyTests {
    @Test(
        "code, enhanced status and text as sendmail builds them (access-map.md §4.2)",
        arguments: [
            ("4.7.0", "454 authentication failed", "454 4.7.0 authentication failed"),
            (nil, "550 nope", "550 5.0.0 nope"),
            (nil, "450 mailbox full", "450 4.0.0 mailbox full"),
            ("4.2.2", "450 mailbox full", "450 4.2.2 mailbox full"),
            (nil, "550 5.7.9 dsn in text", "550 5.7.9 dsn in text"),
            ("5.7.1", "550 5.7.9 both", "550 5.7.9 both"),
            (nil, "no code here", "553 5.3.0 no code here"),
            ("4.7.1", "no code", "553 5.3.0 no code"),
            ("nouser", "553 User address required", "553 5.0.0 User address required"),
        ] as [(String?, String, String)]
    )
    func reply(host: String?, text: String, expected: String) {
        #expect(SMTPReply(errorHost: host, text: text).description == expected)
    }
}
