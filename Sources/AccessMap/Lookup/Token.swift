/// One token of a sendmail workspace: a word, an operator character, or a quoted string.
///
/// sendmail splits every address, macro value and map value into tokens before its rulesets look at it
/// (``Tokenizer``). The token keeps the bytes sendmail keeps: a quoted string includes its double quotes,
/// a word may contain backslash escapes (`h\i`, `a\.b`). Comparisons against keywords (`OK`, `VERIFY`, `RELAY`)
/// are ASCII case-insensitive, as sendmail's rule matching is (``matches(_:)``).
public struct Token: Hashable, Sendable, CustomStringConvertible {
    /// The token's text exactly as sendmail holds it (quotes and backslashes included).
    public var text: String

    /// Creates a token from its text.
    public init(_ text: String) { self.text = text }

    public var description: String { text }

    /// The token is a quoted string (`"…"`, quotes included).
    public var isQuoted: Bool { text.utf8.first == UInt8(ascii: "\"") }

    /// The token is a single operator character (`. : % @ ! ^ / [ ] + ( ) < > , ; \ "`).
    ///
    /// This is the classification sendmail's text assembly uses: no space is put next to an operator.
    public var isOperator: Bool {
        let utf8 = text.utf8
        guard utf8.count == 1, let byte = utf8.first else { return false }
        return Token.isRenderOperator(byte)
    }

    /// Whether a byte is in ``renderOperatorBytes`` (a switch, not a set look-up: this runs for every token of
    /// every key built on the hot path).
    @inline(__always)
    static func isRenderOperator(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "!"),
            UInt8(ascii: "^"), UInt8(ascii: "/"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "+"),
            UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ","),
            UInt8(ascii: ";"), UInt8(ascii: "\\"), UInt8(ascii: "\""):
            return true
        default:
            return false
        }
    }

    /// The token is a word for text assembly: neither an operator nor a quoted string.
    public var isWord: Bool { !isOperator && !isQuoted && !text.isEmpty }

    /// Compares the token with a keyword, ignoring ASCII case (`ok` matches `OK`).
    public func matches(_ keyword: String) -> Bool { Token.asciiCaseInsensitiveEqual(text, keyword) }

    /// Operator characters as seen by text assembly.
    static let renderOperatorBytes: Set<UInt8> = Set(".:%@!^/[]+()<>,;\\\"".utf8)

    /// ASCII case-insensitive equality of two strings (bytes ≥ 0x80 compared exactly).
    public static func asciiCaseInsensitiveEqual(_ a: String, _ b: String) -> Bool {
        let x = a.utf8
        let y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q {
            if asciiLower(p) != asciiLower(q) { return false }
        }
        return true
    }

    /// Folds one ASCII upper-case byte to lower case (other bytes unchanged), as the access map folds keys.
    public static func asciiLowercased(_ byte: UInt8) -> UInt8 { asciiLower(byte) }

    @inline(__always)
    static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    // Frequently used tokens.
    static let lessThan = Token("<")
    static let greaterThan = Token(">")
    static let colon = Token(":")
    static let dot = Token(".")
    static let at = Token("@")
    static let plus = Token("+")
    static let openBracket = Token("[")
    static let closeBracket = Token("]")
}

extension Sequence where Element == Token {
    /// Token-wise, ASCII case-insensitive equality (how sendmail compares a pattern with a workspace).
    public func matchesTokens(_ other: some Sequence<Token>) -> Bool {
        var a = makeIterator()
        var b = other.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return true
            case (let x?, let y?): if !Token.asciiCaseInsensitiveEqual(x.text, y.text) { return false }
            default: return false
            }
        }
    }
}
