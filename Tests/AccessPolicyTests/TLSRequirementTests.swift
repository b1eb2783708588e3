import AccessMap
import AccessPolicy
import Testing

@Suite("TLS requirement values")
struct TLSRequirementTests {
    @Test("the documented grammar")
    func grammar() {
        let r = TLSRequirement("PERM+VERIFY:112+CN:mx.example++CS:/C=US/CN=x++CI:/CN=Root++CITag:MyCA++CN")
        #expect(r.isEnforced)
        #expect(r.severity == .permanent)
        #expect(r.base == .verify(bits: "112"))
        #expect(
            r.extensions == [
                .commonName("mx.example"), .certificateSubject("/C=US/CN=x"), .certificateIssuer("/CN=Root"),
                .issuerTag("MyCA"), .commonName(nil),
            ]
        )
        #expect(r.rawValue == "PERM+VERIFY:112+CN:mx.example++CS:/C=US/CN=x++CI:/CN=Root++CITag:MyCA++CN")
        #expect(TLSRequirement("TEMP+ENCR:128").severity == .temporary)
        #expect(TLSRequirement("encr:128").base == .encryption(bits: "128"))
        #expect(TLSRequirement("VERIFY").base == .verify(bits: nil))
    }

    @Test(
        "values sendmail does not enforce (it accepts)",
        arguments: [
            "ENCR", "VERIFY:", "PERM+FOO", "TEMP+PERM+VERIFY", "ENCR:128 VERIFY", "VERIFY+", "VERIFY:100:x", "OK",
            "REJECT", "",
        ]
    )
    func notEnforced(value: String) {
        #expect(!TLSRequirement(value).isEnforced)
    }

    @Test("quirks are kept: a single + is no separator, unknown extensions, a leading ++")
    func quirks() {
        #expect(
            TLSRequirement("VERIFY+CN:a.example+CN:b.example").extensions == [.commonName("a.example+CN:b.example")]
        )
        #expect(TLSRequirement("VERIFY+FOO:bar++CN:zz").extensions == [.unrecognized("FOO:bar"), .commonName("zz")])
        #expect(TLSRequirement("VERIFY++CN:x").extensions == [.unrecognized("+CN:x")])
        #expect(TLSRequirement("ENCR:abc").base == .encryption(bits: "abc"))
    }

    /// Outcomes recorded from `sendmail -bt` (`Start,TLS_connection <verify> $| <requirement>`, `{cipher_bits}` 127,
    /// `{cn_subject}` and `{TLS_Name}` mx.example).
    @Test(
        "TLS_connection on requirement quirks",
        arguments: [
            ("OK", "ENCR:0x80", "$#error $@ 4.7.0 $: 454 encryption too weak 127 less than 0x80"),
            ("OK", "ENCR:0177", "OK"),
            ("SOFTWARE", "PERM+FOO", "$#error $@ 4.7.0 $: 454 TLS handshake failed."),
            ("SOFTWARE", "FOO:bar", "$#error $@ bar $: FOO TLS handshake failed."),
            ("SOFTWARE", "perm+verify", "$#error $@ 5.7.0 $: 503 TLS handshake failed."),
            ("TEMP", "VERIFY++CN:x", "$#error $@ 4.7.0 $: 454 authentication failure +CN:x"),
            ("OK", "VERIFY++CN:x", "OK"),
            (
                "OK", "VERIFY+CN:a.example+CN:b.example",
                "$#error $@ 4.7.0 $: 454 CN mx.example does not match a.example+CN:b.example"
            ),
            ("OK", "VERIFY+CN++CN:zz", "$#error $@ 4.7.0 $: 454 CN mx.example does not match zz"),
            ("OK", "VERIFY+CN:mx.example++CS:x", "$#error $@ 4.7.0 $: 454 Cert Subject does not match x"),
            ("OK", "VERIFY+CITag:T", "$#error $@ 4.7.0 $: 454 Cert Issuer not acceptable"),
            ("OK", "VERIFY+CN:", "OK"),
            ("TEMP", "verify:100", "$#error $@ 4.7.0 $: 454 authentication failure"),
        ]
    )
    func connection(verify: String, requirement: String, expected: String) {
        let engine = PolicyEngine(source: EmptyAccessMapSource())
        let session = SessionMacros([.cipherBits: "127", .cnSubject: "mx.example", .tlsName: "mx.example"])
        let input = Tokenizer.tokenize("\(verify) $| <\(requirement)>", parenthesesAreComments: false)
        #expect(engine.run(.tlsConnection, input: input, session: session)?.result.testModeLine == expected)
    }

    @Test("max of {cipher_bits} and {auth_ssf} compares like strtol(…, 0) and returns the original text")
    func maximum() {
        let engine = PolicyEngine(source: EmptyAccessMapSource())
        func max(_ text: String) -> String {
            engine.run(.max, input: Tokenizer.tokenize(text), session: SessionMacros())!.result.workspaceText
        }
        #expect(max(":") == "0")
        #expect(max(": 5") == "5")
        #expect(max("abc : 0x7f") == "0x7f")
        #expect(max("100 : abc") == "100")
        #expect(max("0177 : 128") == "128")
        #expect(max("0x80 : 127") == "0x80")
    }
}

extension RulesetResult {
    var workspaceText: String {
        if case .workspace(let tokens) = self { return tokens.map(\.text).joined(separator: " ") }
        return testModeLine
    }
}
