import Testing

@testable import AccessPolicy

/// The word-at-a-time reading of plain requirements (`TLSPeerFastPath.Found.readPlain`) against the piece-by-piece
/// reading it short-cuts: wherever the first answers, both must say the same.
@Suite("Plain map values")
struct PlainValueTests {
    static let words = [
        "VERIFY", "verify", "Verify", "ENCR", "encr", "PERM", "perm", "TEMP", "Temp", "SKIP", "skip", "CN", "cn", "Cn",
        "128", "0", "0128", "0x80", "abc", "-1", "x_y", "VERIFYX", "VERIF", "ENCRYPT", "CS", "CI", "a",
        "special-word-16c", "special-word-16cx", "SPECIAL-WORD-16C", "OK", "RELAY", "12345678901234567890",
    ]
    static let separators = ["+", ":", "++", "::", "+:", " ", "\t", "?", "<", "\u{e9}"]

    typealias Found = TLSPeerFastPath.Found

    static func read(_ value: String, _ words: FoldedWords) -> (plain: Found?, pieces: Found) {
        Array(value.utf8).withUnsafeBytes { bytes in
            let plain = bytes.baseAddress.flatMap {
                TLSPeerFastPath.Found.readPlain($0, count: bytes.count, tlsWords: words)
            }
            return (plain, TLSPeerFastPath.Found(readingPieces: bytes, tlsWords: words))
        }
    }

    @Test("agrees with the piece-by-piece reading on random values, for several Tls classes")
    func agreesWithPieces() {
        var random = TLSFastPathTests.Random(seed: 23)
        let classes: [[String]] = [
            ["VERIFY", "ENCR"], ["verify", "encr", "special-word-16c"], ["ENCR"], [], ["Skip", "CN", "verify", "x_y"],
        ]
        var plain = 0
        var total = 0
        for words in classes.map(FoldedWords.init) {
            for _ in 0..<20_000 {
                var value = random.pick(Self.words)
                for _ in 0..<random.below(5) {
                    value += random.chance(85) ? random.pick(["+", ":"]) : random.pick(Self.separators)
                    value += random.chance(95) ? random.pick(Self.words) : ""
                }
                if random.chance(5) { value = random.pick([" ", ""]) + value + random.pick([" ", "+", ":"]) }
                let (fast, slow) = Self.read(value, words)
                total += 1
                guard let fast else { continue }
                plain += 1
                #expect(fast == slow, "\(value)")
            }
        }
        // Most values are plain: the comparison is not vacuous.
        #expect(plain > total / 3)
    }

    @Test("reads the usual requirements")
    func usualRequirements() {
        let words = FoldedWords(["VERIFY", "ENCR"])
        let cases: [(String, TLSPeerFastPath.Found.Severity?, TLSPeerFastPath.Found.Base?, Bool, Bool)] = [
            ("VERIFY", .standard, .verify, false, false),
            ("verify:128", .standard, .verifyBits(128), false, false),
            ("ENCR:0x80", .standard, .encryption(128), false, false),
            ("PERM+ENCR:112", .permanent, .encryption(112), false, false),
            ("TEMP+VERIFY+CN", .temporary, .verify, true, false),
            ("VERIFY:64+cn", .standard, .verifyBits(64), true, false),
            ("VERIFY+CS", .standard, .verify, false, true),
            ("ENCR:1+CN+CN", .standard, .encryption(1), false, true),
            ("RELAY", nil, nil, false, false),
        ]
        for (value, severity, base, commonName, complex) in cases {
            let (fast, _) = Self.read(value, words)
            #expect(fast?.severity == severity, "\(value)")
            #expect(fast?.base == base, "\(value)")
            #expect(fast?.commonNameExtension == commonName, "\(value)")
            #expect(fast?.isComplex == complex, "\(value)")
        }
        #expect(Self.read("SKIP", words).plain?.isSkip == true)
        for value in ["?", " VERIFY", "VERIFY+", "VERIFY++CN", "A+B+C+D+E", String(repeating: "x", count: 33), ""] {
            #expect(Self.read(value, words).plain == nil, "\(value)")
        }
    }

    @Test("packed words compare by all their bytes and their length")
    func packedWords() {
        let a = Array("special-word-16c".utf8)
        let padded = a + [UInt8](repeating: 0x2B, count: 16)
        padded.withUnsafeBytes { p in
            for length in 1...16 {
                let packed = PackedWord(padded: p.baseAddress!, length: length)
                #expect(packed == PackedWord(UnsafeRawBufferPointer(rebasing: p[0..<length])), "\(length)")
                #expect(packed != PackedWord(UnsafeRawBufferPointer(rebasing: p[0..<(length + 1)])), "\(length)")
            }
        }
        #expect(PackedWord("verify") != PackedWord("verifx"))
        #expect(FoldedWords(["Special-Word-16C"]).contains(PackedWord("special-word-16c")))
        #expect(!FoldedWords(["Special-Word-16C"]).contains(PackedWord("special-word-16")))
        #expect(!FoldedWords([]).contains(PackedWord("verify")))
    }
}
