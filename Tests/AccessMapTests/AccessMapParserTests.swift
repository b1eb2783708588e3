import AccessMap
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One line of input and what the grammar makes of it.
struct LineCase: CustomStringConvertible, Sendable {
    var input: String
    var syntax = AccessMapSyntax()
    /// Expected key and value, or nil when the line is skipped or rejected.
    var entry: (key: String, value: String)?
    var error: AccessMapSyntaxError.Reason?
    var description: String { input.debugDescription }
}

@Suite("Access-map text grammar")
struct AccessMapParserTests {
    static let lineCases: [LineCase] = [
        LineCase(input: "Connect:10.2\tOK", entry: ("connect:10.2", "OK")),
        LineCase(input: "CONNECT:Mixed.Example   RELAY", entry: ("connect:mixed.example", "RELAY")),
        // The value keeps internal and trailing white space verbatim.
        LineCase(input: "k\tv1\tv2  v3   ", entry: ("k", "v1\tv2  v3   ")),
        // A '#' after the key is data, not a comment.
        LineCase(input: "To:Foo  RELAY  # trailing", entry: ("to:foo", "RELAY  # trailing")),
        LineCase(input: "# comment"),
        LineCase(input: ""),
        LineCase(input: " Connect:x OK", error: .leadingWhiteSpace),
        LineCase(input: "\tConnect:x OK", error: .leadingWhiteSpace),
        LineCase(input: "\u{0B}x OK", error: .leadingWhiteSpace),
        LineCase(input: "\u{0C}x OK", error: .leadingWhiteSpace),
        LineCase(input: "Connect:novalue", error: .missingValue(key: Array("connect:novalue".utf8))),
        LineCase(input: "Connect:Trailing   ", error: .missingValue(key: Array("connect:trailing".utf8))),
        // -e: empty values allowed.
        LineCase(input: "Key", syntax: AccessMapSyntax(allowEmptyValues: true), entry: ("key", "")),
        // -f: no folding.
        LineCase(input: "Connect:UP OK", syntax: AccessMapSyntax(foldKeys: false), entry: ("Connect:UP", "OK")),
        // Only ASCII is folded: bytes >= 0x80 stay.
        LineCase(input: "Connect:BLÅBÆR.example OK", entry: ("connect:blÅbÆr.example", "OK")),
        // -t: key ends at the separator, the run of separators is skipped, white space belongs to the key/value.
        LineCase(
            input: "my Key::v:w ",
            syntax: AccessMapSyntax(separator: UInt8(ascii: ":")),
            entry: ("my key", "v:w ")
        ),
        LineCase(input: "  x:y", syntax: AccessMapSyntax(separator: UInt8(ascii: ":")), entry: ("  x", "y")),
        LineCase(input: ":y", syntax: AccessMapSyntax(separator: UInt8(ascii: ":")), error: .emptyKey),
        LineCase(
            input: "novalue",
            syntax: AccessMapSyntax(separator: UInt8(ascii: ":")),
            error: .missingValue(key: Array("novalue".utf8))
        ),
        // -D: another comment character; '#' is then data.
        LineCase(input: "% comment", syntax: AccessMapSyntax(commentCharacter: UInt8(ascii: "%"))),
        LineCase(input: "#k v", syntax: AccessMapSyntax(commentCharacter: UInt8(ascii: "%")), entry: ("#k", "v")),
        // -D '': no comment lines at all.
        LineCase(input: "#k v", syntax: AccessMapSyntax(commentCharacter: nil), entry: ("#k", "v")),
        LineCase(input: "Connect:a\u{0}b OK", error: .nulByte),
    ]

    @Test("each line is split, folded, skipped or rejected as makemap does", arguments: lineCases)
    func line(_ testCase: LineCase) {
        let parser = AccessMapParser(syntax: testCase.syntax)
        let (entries, errors) = parser.entries(in: Array(testCase.input.utf8))
        if let expected = testCase.entry {
            #expect(errors.isEmpty)
            #expect(entries.count == 1)
            #expect(entries.first?.key == Array(expected.key.utf8))
            #expect(entries.first?.value == Array(expected.value.utf8))
        } else {
            #expect(entries.isEmpty)
        }
        if let reason = testCase.error {
            #expect(errors.map(\.reason) == [reason])
            #expect(errors.first?.line == 1)
        } else {
            #expect(errors.isEmpty)
        }
    }

    @Test("line numbers count physical lines, including skipped ones")
    func lineNumbers() {
        let text = "# c\n\nk1 v\n bad\nk2 v\nnovalue\n"
        let (entries, errors) = AccessMapParser().entries(in: Array(text.utf8))
        #expect(entries.map(\.line) == [3, 5])
        #expect(errors.map(\.line) == [4, 6])
        #expect(
            errors.map(\.description) == [
                "4:1: line starts with white space; a key cannot (comments start in column 1)",
                "6:8: key 'novalue' has no value (-e allows empty values)",
            ]
        )
    }

    @Test("CRLF line ends: the CR is dropped, a CRLF-only line is empty")
    func crlf() throws {
        let (entries, errors) = AccessMapParser().entries(in: try Fixture.bytes("maps/malformed/crlf.txt"))
        #expect(errors.isEmpty)
        #expect(entries.map { String(decoding: $0.value, as: UTF8.self) } == ["OK", "VERIFY", "REJECT"])
        #expect(entries.map(\.line) == [1, 2, 5])
    }

    @Test("a line with a NUL byte is rejected with its column; the lines around it are kept")
    func nulByte() throws {
        let (entries, errors) = AccessMapParser().entries(in: try Fixture.bytes("maps/malformed/nul-byte.txt"))
        #expect(entries.map(\.line) == [1, 3])
        #expect(errors == [AccessMapSyntaxError(reason: .nulByte, line: 2, column: 12)])
    }

    @Test("invalid UTF-8 is stored byte for byte")
    func invalidUTF8() throws {
        let (entries, errors) = AccessMapParser().entries(in: try Fixture.bytes("maps/malformed/invalid-utf8.txt"))
        #expect(errors.isEmpty)
        #expect(entries.count == 3)
        #expect(entries[0].key == Array("connect:caf".utf8) + [0xE9] + Array(".example".utf8))
        #expect(entries[1].key == Array("connect:".utf8) + [0xFF, 0xFE])
        #expect(entries[2].value == Array("RELAY ".utf8) + [0xC3, 0x28])
    }

    @Test("the last line needs no line feed")
    func noFinalNewline() throws {
        let (entries, errors) = AccessMapParser().entries(in: try Fixture.bytes("maps/malformed/no-final-newline.txt"))
        #expect(errors.isEmpty)
        #expect(entries.last?.key == Array("connect:last.example".utf8))
        #expect(entries.last?.value == Array("REJECT".utf8))
        #expect(entries.last?.line == 2)
    }

    @Test("lines over 1022 bytes are reported once, skipped whole; 1022 bytes is accepted")
    func overLong() throws {
        let (entries, errors) = AccessMapParser().entries(in: try Fixture.bytes("maps/malformed/over-long.txt"))
        #expect(errors == [AccessMapSyntaxError(reason: .lineTooLong(length: 1123), line: 2, column: 1023)])
        #expect(entries.map(\.line) == [1, 3, 4])
        #expect(entries.last?.key.count == 1020)
        #expect(AccessMapParser.maximumLineLength == 1022)
    }

    @Test("exactly at the limit, with CRLF, and one byte over", arguments: [1022, 1023])
    func limitBoundary(length: Int) {
        let line = String(repeating: "k", count: length - 2) + " v"
        for ending in ["\n", "\r\n", ""] {
            // With no line end the long line is the last one.
            let next = ending.isEmpty ? "" : "next v\n"
            let (entries, errors) = AccessMapParser().entries(in: Array((line + ending + next).utf8))
            if length <= AccessMapParser.maximumLineLength {
                #expect(errors.isEmpty)
                #expect(entries.count == (ending.isEmpty ? 1 : 2))
            } else {
                #expect(errors.map(\.reason) == [.lineTooLong(length: length)])
                #expect(entries.map(\.line) == (ending.isEmpty ? [] : [2]))
            }
        }
    }

    @Test("lines that straddle the 1 MiB read buffer are read whole, over-long ones too")
    func bufferBoundaries() {
        var text: [UInt8] = []
        var expected = 0
        var line = 0
        // Lines of varying length so that many of them cross a buffer boundary somewhere.
        while text.count < 3 << 20 {
            line += 1
            if line % 997 == 0 {
                text += Array(repeating: UInt8(ascii: "x"), count: 5000) + [0x0A]
            } else {
                text += Array("Connect:host\(line).example\tvalue-\(line)-".utf8)
                text += Array(repeating: UInt8(ascii: "v"), count: line % 300) + [0x0A]
                expected += 1
            }
        }
        let (entries, errors) = AccessMapParser().entries(in: text)
        #expect(entries.count == expected)
        #expect(errors.count == line / 997)
        #expect(errors.allSatisfy { $0.reason == .lineTooLong(length: 5000) && $0.line % 997 == 0 })
        let sample = entries[entries.count / 2]
        #expect(sample.key == Array("connect:host\(sample.line).example".utf8))
        #expect(sample.value.count == "value-\(sample.line)-".utf8.count + sample.line % 300)
    }

    @Test("the parser reads a file descriptor in chunks (a pipe)")
    func fileDescriptor() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let text = Array("k1 v1\nK2 v2\n".utf8)
        _ = text.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        var keys: [String] = []
        try AccessMapParser().parse(
            fileDescriptor: fds[0],
            entry: { key, _, _ in keys.append(String(decoding: key, as: UTF8.self)) },
            rejected: { _ in }
        )
        close(fds[0])
        #expect(keys == ["k1", "k2"])
    }

    @Test("messages escape control bytes and invalid UTF-8")
    func quoting() {
        #expect(AccessMapText.quoted([0x61, 0x0D, 0xFF, 0x27]) == "'a\\x0D\\xFF\\x27'")
    }

    @Test("ASCII folding leaves bytes >= 0x80 alone")
    func folding() {
        #expect(
            AccessMapKey.foldedASCII(Array("AZaz@[`{".utf8) + [0xC3, 0x85]) == Array("azaz@[`{".utf8) + [0xC3, 0x85]
        )
    }
}
