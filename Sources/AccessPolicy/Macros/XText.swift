/// Text in xtext encoding (RFC 3461), as sendmail stores certificate names and AUTH identities.
///
/// A byte is written as `+` and two upper-case hex digits when it is below `!` (controls, space), above `~`,
/// or one of `+ \ ( ) < > "`; ``encode(_:alsoEncoding:)`` can add more (sendmail also encodes `=` in
/// `{auth_authen}`). Everything else, including `/`, `=`, `@`, `,`, `.`, `:`, is kept. So the DN
/// `/C=US/O=Example CA/CN=Root` is stored as `/C=US/O=Example+20CA/CN=Root`, and access-map keys and
/// `CN:`/`CS:`/`CI:` values must be written in this encoded form.
public struct XText: Hashable, Sendable, CustomStringConvertible {
    /// The encoded text, exactly as in the macro.
    public var encoded: String

    /// Wraps already-encoded text.
    public init(encoded: String) { self.encoded = encoded }

    /// Encodes plain text (UTF-8 bytes).
    public init(plain: String) { self.encoded = XText.encode(plain) }

    /// The decoded text (lossy for bytes that are not UTF-8); `nil` if the encoding is malformed.
    public var decoded: String? {
        guard let bytes = try? XText.decode(encoded) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    public var description: String { encoded }

    /// Encodes bytes of `text`.
    ///
    /// - Parameters:
    ///   - text: Plain text.
    ///   - extra: Further ASCII characters to encode (`"="` for `{auth_authen}`).
    /// - Returns: The xtext form.
    public static func encode(_ text: String, alsoEncoding extra: String = "") -> String {
        let extraBytes = Set(extra.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            if byte < 0x21 || byte > 0x7E || specials.contains(byte) || extraBytes.contains(byte) {
                out.append(UInt8(ascii: "+"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes xtext to bytes.
    ///
    /// - Throws: ``XTextError`` when a `+` is not followed by two hex digits (either case accepted).
    public static func decode(_ text: String) throws(XTextError) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "+") {
                guard i + 2 < bytes.count, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2])
                else { throw XTextError(offset: i + 1) }
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static let specials: Set<UInt8> = Set("+\\()<>\"".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}

/// Malformed xtext: a `+` not followed by two hex digits.
public struct XTextError: Error, Hashable, Sendable, CustomStringConvertible {
    /// 1-based byte offset of the bad `+`.
    public var offset: Int
    /// Creates an error.
    public init(offset: Int) { self.offset = offset }
    public var description: String { "\(offset): '+' must be followed by two hex digits" }
}
