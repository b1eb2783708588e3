import AccessMap
import Testing

/// Tokenization and text assembly, with expectations read off `sendmail -bt` (macro values printed in
/// error texts; see `.oracle` runs described in the engine report).
@Suite("Tokenizer and text assembly")
struct LookupTokenizerTests {
    @Test(
        "macro values split into sendmail's tokens",
        arguments: [
            (
                "a (b) \"c  d\" e<f g>h\\i j,k;l=m&n*o",
                ["a", "\"c  d\"", "e", "<", "f", "g", ">", "h\\i", "j", ",", "k", ";", "l=m&n*o"]
            ),
            ("a(b", ["a"]),
            ("a\"b", ["a", "\"b\""]),
            ("a)b>c", ["abc"]),
            ("  lead  trail  ", ["lead", "trail"]),
            ("x \"a\"b", ["x", "\"a\"", "b"]),
            ("a(x)b", ["a", "b"]),
            ("x\\\"y z", ["x\\\"y", "z"]),
            ("a<b<c", ["a", "<", "b", "<", "c", ">", ">"]),
            ("<a>>b", ["<", "a", ">", "b"]),
            ("a\tb", ["a", "b"]),
            ("\"\" x", ["\"\"", "x"]),
            ("a\\", ["a"]),
            ("(a)(b)c", ["c"]),
            ("a((b)c)d", ["a", "d"]),
            ("a\\(b", ["a\\(b"]),
            ("\"a\\\"b\"", ["\"a\\\"b\""]),
            ("a,,b", ["a", ",", ",", "b"]),
            ("a$b", ["a$b"]),
            ("a@b", ["a", "@", "b"]),
            // sendmail -bt: `.D{auth_author}a\!b` prints as `a ! b`, while `a\.b`, `a\@b` stay one token.
            ("a\\!b c\\.d e\\@f", ["a", "!", "b", "c\\.d", "e\\@f"]),
            ("\"q\\!r\"", ["\"q\\!r\""]),
            // sendmail -bt: `.D{auth_author}x"ab\` prints `x "ab\""` (the backslash escapes the quote added).
            ("x\"ab\\", ["x", "\"ab\\\"\""]),
            // sendmail -bt: `tls_rcpt x<@ \` runs on `x < @ \> >` (the backslash escapes the `>` added first).
            ("x<@ \\", ["x", "<", "@", "\\>", ">"]),
            ("x<<y\\", ["x", "<", "<", "y\\>", ">", ">"]),
            ("[192.0.2.1]", ["[", "192", ".", "0", ".", "2", ".", "1", "]"]),
            ("/C=US/O=Example+20CA/CN=Root", ["/", "C=US", "/", "O=Example", "+", "20CA", "/", "CN=Root"]),
        ]
    )
    func tokenize(input: String, expected: [String]) {
        #expect(Tokenizer.tokenize(input).map(\.text) == expected)
    }

    @Test(
        "text assembly: spaces only between words, quotes removed, white space collapsed",
        arguments: [
            (
                ["454", "\" encryption too weak \"", "56", "\" less than \"", "80"],
                "454 encryption too weak 56 less than 80"
            ),
            (
                ["\"550 do not try TLS with \"", "host", "\" [\"", "192", ".", "0", ".", "2", ".", "1", "\"]\""],
                "550 do not try TLS with host [192.0.2.1]"
            ),
            (["454", "\" CN \"", "a", "\"c  d\"", "e", "<", "f", "g"], "454 CN ac de<f g"),
            (["454", "\" CN \"", "x\\\"y", "z"], "454 CN x\\y z"),
            (["454", "\" CN \"", "\"a\\\"b\""], "454 CN a\\b"),
            (["\"550 \"", "foo", "\" not allowed to act as \""], "550 foo not allowed to act as"),
            (
                ["550", "Connect", ":", "PCT", ".", "Example", "denied", "100", "%", "%", "x", "50", "%"],
                "550 Connect:PCT.Example denied 100%%x 50%"
            ),
        ]
    )
    func assemble(tokens: [String], expected: String) {
        #expect(tokens.map(Token.init).assembledText() == expected)
    }

    @Test(
        "lookup keys: words joined by one space, quotes and backslashes removed",
        arguments: [
            ("a b", "a b"),
            ("a \"b c\" d", "ab cd"),
            ("a.b c.d", "a.b c.d"),
            ("\"a\"b<c", "ab<c>"),
            ("a\\.b\\ c", "a.b c"),
            ("A.B [x]", "A.B[x]"),
        ]
    )
    func keyText(value: String, expected: String) {
        #expect(Tokenizer.tokenize(value).keyText() == expected)
    }

    @Test("keyword comparison ignores ASCII case only")
    func keywordMatching() {
        #expect(Token("ok").matches("OK"))
        #expect(Token("Trusted").matches("TRUSTED"))
        #expect(!Token("OKAY").matches("OK"))
        #expect(Tokenizer.tokenize("MX.Secure.Example.COM").matchesTokens(Tokenizer.tokenize("mx.secure.example.com")))
        #expect(!Tokenizer.tokenize("a.b").matchesTokens(Tokenizer.tokenize("a.b.")))
    }

    // Bytes that are not UTF-8 survive tokenizing and come back unchanged (sendmail -bt prints `.D{x}\xe9l\xe8ve`
    // as `M-ilM-hve`: the bytes were kept).
    @Test(
        "bytes that are not UTF-8 are kept: lossless text and raw bytes round trip",
        arguments: [
            [0xE9, 0x6C, 0xE8], [0x61, 0xC2], [0xC3, 0xA9, 0xFF, 0xFE, 0x20, 0xA0], [0xEF, 0x9E, 0x80], [0xF0, 0x9F],
        ] as [[UInt8]]
    )
    func rawBytesRoundTrip(_ bytes: [UInt8]) {
        let text = Token.losslessText(bytes)
        #expect(Token.rawBytes(of: text) == bytes)
        let words = Tokenizer.tokenize(bytes: bytes).map(\.rawBytes)
        #expect(words == bytes.split(separator: 0x20).map { Array($0) })
    }
}
