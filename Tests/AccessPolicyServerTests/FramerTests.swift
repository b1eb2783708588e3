import NIOCore
import Testing

@testable import AccessPolicyServer

@Suite("Netstring framing")
struct NetstringFramerTests {
    func frames(_ input: String, limit: Int = 100) throws(FramingError) -> [String] {
        var framer = NetstringFramer(maximumPayloadBytes: limit)
        var buffer = ByteBuffer(string: input)
        var out: [String] = []
        while let frame = try framer.nextFrame(from: &buffer) { out.append(String(decoding: frame, as: UTF8.self)) }
        return out
    }

    @Test(
        "complete netstrings are cut out, partial ones wait",
        arguments: [
            ("10:access foo,", ["access foo"]),
            ("0:,", [""]),
            ("3:abc,3:def,", ["abc", "def"]),
            ("3:abc,3:de", ["abc"]),
            ("3:ab", []),
            ("12", []),
            ("", []),
            ("5:a,b:c,", ["a,b:c"]),
        ]
    )
    func valid(input: String, expected: [String]) throws {
        #expect(try frames(input) == expected)
    }

    @Test(
        "malformed netstrings are errors",
        arguments: [
            ("x:abc,", FramingError.Reason.nonDigitLength),
            ("3x", .nonDigitLength),
            ("-1:", .nonDigitLength),
            (" 3:abc,", .nonDigitLength),
            (":abc,", .emptyLength),
            ("03:abc,", .leadingZero),
            ("3:abcd", .missingComma),
            ("3:abc;", .missingComma),
            ("101:", .tooLarge(limit: 100)),
            ("99999999999999999999999", .tooLarge(limit: 100)),
            ("1000", .tooLarge(limit: 100)),
        ]
    )
    func invalid(input: String, reason: FramingError.Reason) {
        #expect {
            _ = try frames(input)
        } throws: { error in
            (error as? FramingError)?.reason == reason
        }
    }

    @Test("an oversized length is refused before its payload arrives")
    func oversizedEarly() {
        var framer = NetstringFramer(maximumPayloadBytes: 1000)
        var buffer = ByteBuffer(string: "1001")
        #expect(throws: FramingError.self) { try framer.nextFrame(from: &buffer) }
    }

    @Test("encoding round-trips")
    func encode() throws {
        #expect(String(decoding: NetstringFramer.encode(Array("OK x".utf8)), as: UTF8.self) == "4:OK x,")
        #expect(String(decoding: NetstringFramer.encode([]), as: UTF8.self) == "0:,")
    }
}

@Suite("Policy attribute framing")
struct AttributeBlockFramerTests {
    func frames(_ input: String, bytes: Int = 200, attributes: Int = 5) throws(FramingError) -> [[String]] {
        var framer = AttributeBlockFramer(maximumRequestBytes: bytes, maximumAttributes: attributes)
        var buffer = ByteBuffer(string: input)
        var out: [[String]] = []
        while let frame = try framer.nextFrame(from: &buffer) { out.append(frame.map { "\($0.name)=\($0.value)" }) }
        return out
    }

    @Test("requests end at an empty line; values keep '=' and spaces")
    func valid() throws {
        #expect(
            try frames("request=smtpd_access_policy\nsender=a@b\n\n") == [
                ["request=smtpd_access_policy", "sender=a@b"]
            ]
        )
        #expect(try frames("a=1\n\nb=x=y z\n\n") == [["a=1"], ["b=x=y z"]])
        #expect(try frames("a=1\r\nb=\r\n\r\n") == [["a=1", "b="]])
        #expect(try frames("a=1\nb=2\n") == [])
        #expect(try frames("\n") == [[]])
    }

    @Test("a request split over many reads is assembled")
    func incremental() throws {
        var framer = AttributeBlockFramer(maximumRequestBytes: 200, maximumAttributes: 5)
        var buffer = ByteBuffer()
        var got: [(name: String, value: String)]?
        for byte in "a=1\nb=2\n\n".utf8 {
            buffer.writeInteger(byte)
            if let frame = try framer.nextFrame(from: &buffer) { got = frame }
        }
        #expect(got?.map(\.name) == ["a", "b"])
    }

    @Test("lines without '=', too many attributes, and oversized requests are errors")
    func invalid() {
        #expect(throws: FramingError(.lineWithoutEquals, offset: 4)) { try frames("a=1\nnoequals\n\n") }
        #expect(throws: FramingError(.tooManyAttributes(limit: 2), offset: 8)) {
            try frames("a=1\nb=2\nc=3\n\n", attributes: 2)
        }
        #expect(throws: FramingError.self) { try frames(String(repeating: "x", count: 300), bytes: 200) }
    }
}
