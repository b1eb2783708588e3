/// Splits text into sendmail tokens, the way sendmail scans macro values and map values.
///
/// Rules (each checked against sendmail 8.17.1.9 `-bt`):
/// - white space (space, TAB, CR, LF, VT, FF) separates tokens;
/// - each operator character is a token of its own: the configuration's `OperatorChars` (`.:%@!^/[]+` in the
///   shipped cf) and the built-in `<`, `>`, `,`, `;`;
/// - `"…"` is one token, quotes included; a missing closing quote is added; a quote always starts a new token
///   and the closing quote ends it (`x "a"b` is `x`, `"a"`, `b`);
/// - `\` keeps itself and escapes the next character into the current word (`a\.b` is one word); a trailing `\`
///   is dropped; inside quotes it protects a `"`; `\!` outside quotes is the exception: the backslash is dropped
///   and `!` is an operator token (`a\!b` is `a`, `!`, `b`);
/// - `(…)` is a comment, nested, removed, and separates tokens; an unbalanced `(` drops the rest of the text;
///   an unbalanced `)` or `>` is dropped without separating (`a)b>c` is the word `abc`);
/// - every `<` still open at the end gets a closing `>` token; a trailing `\` then escapes the first `>` added into
///   its word (`x<@ \` is `x`, `<`, `@`, `\>`, `>`).
public enum Tokenizer {
    /// The operator characters of the shipped sendmail.cf (`O OperatorChars=.:%@!^/[]+`).
    public static let defaultOperatorCharacters = ".:%@!^/[]+"

    /// Tokenizes UTF-8 text with the default operator characters.
    ///
    /// - Parameters:
    ///   - text: The text.
    ///   - parenthesesAreComments: `true` (macro and map values) removes `(…)` comments; `false` (an address
    ///   typed into `sendmail -bt`) makes `(` and `)` operator tokens like the others.
    public static func tokenize(_ text: String, parenthesesAreComments: Bool = true) -> [Token] {
        // Fast path: text without raw-byte stand-ins (no 0xEF byte) is tokenized from its UTF-8 view in place.
        if !text.utf8.contains(0xEF) {
            return tokenize(bytes: text.utf8, parenthesesAreComments: parenthesesAreComments)
        }
        return tokenize(bytes: Token.rawBytes(of: text), parenthesesAreComments: parenthesesAreComments)
    }

    /// Tokenizes bytes with the default operator characters (see ``tokenize(_:parenthesesAreComments:)``).
    public static func tokenize(bytes: some Collection<UInt8>, parenthesesAreComments: Bool = true) -> [Token] {
        var scanner = Scanner()
        scanner.commentsEnabled = parenthesesAreComments
        // One allocation each instead of repeated growth: a token list is rarely longer than the text / 2.
        let count = bytes.count
        scanner.tokens.reserveCapacity(min(count, 64))
        scanner.current.reserveCapacity(min(count, 64))
        for byte in bytes { scanner.feed(byte) }
        return scanner.finish()
    }

    private static let operatorTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in (defaultOperatorCharacters + "<>,;").utf8 { table[Int(byte)] = true }
        return table
    }()

    /// Whether a byte is white space for sendmail's scanner (space, TAB, LF, VT, FF, CR).
    @inline(__always)
    public static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    private struct Scanner {
        var tokens: [Token] = []
        var current: [UInt8] = []
        var inQuote = false
        var escaped = false
        var commentDepth = 0
        var angleDepth = 0
        var commentsEnabled = true

        mutating func flush() {
            guard !current.isEmpty else { return }
            tokens.append(Token(Token.losslessText(current)))
            current.removeAll(keepingCapacity: true)
        }

        mutating func feed(_ byte: UInt8) {
            if commentDepth > 0 {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "(") {
                    commentDepth += 1
                } else if byte == UInt8(ascii: ")") {
                    commentDepth -= 1
                }
                return
            }
            if escaped {
                escaped = false
                if byte == UInt8(ascii: "!") && !inQuote && current.last == UInt8(ascii: "\\") {
                    // `\!` is the one escape sendmail undoes: the backslash goes and `!` is an operator again.
                    current.removeLast()
                    flush()
                    current.append(byte)
                    flush()
                    return
                }
                current.append(byte)
                return
            }
            if inQuote {
                current.append(byte)
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inQuote = false
                    flush()
                }
                return
            }
            if !commentsEnabled && (byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")) {
                flush()
                current.append(byte)
                flush()
                return
            }
            switch byte {
            case UInt8(ascii: "\\"):
                current.append(byte)
                escaped = true
            case UInt8(ascii: "\""):
                flush()
                current.append(byte)
                inQuote = true
            case UInt8(ascii: "("):
                flush()
                commentDepth = 1
            case UInt8(ascii: ")"):
                break  // unbalanced: dropped, no separation
            case UInt8(ascii: ">") where angleDepth == 0:
                break  // unbalanced: dropped, no separation
            case _ where Tokenizer.isSpace(byte):
                flush()
            case _ where Tokenizer.operatorTable[Int(byte)]:
                flush()
                if byte == UInt8(ascii: "<") { angleDepth += 1 }
                if byte == UInt8(ascii: ">") { angleDepth -= 1 }
                current.append(byte)
                flush()
            default:
                current.append(byte)
            }
        }

        mutating func finish() -> [Token] {
            if escaped && !inQuote && commentDepth == 0, current.last == UInt8(ascii: "\\") {
                if angleDepth > 0 {
                    // sendmail closes an open `<` by adding `>` to the text: a trailing backslash escapes that first
                    // `>` into the word (`x<@ \` is `x`, `<`, `@`, `\>`, `>`), and one more closes the bracket.
                    current.append(UInt8(ascii: ">"))
                    escaped = false
                } else {
                    current.removeLast()  // a trailing backslash escapes nothing
                }
            }
            if inQuote {
                // sendmail closes an open quote; a trailing backslash escapes that added quote, so one more closes
                // the string (`x"ab\` is `x`, `"ab\""`).
                if escaped, current.last == UInt8(ascii: "\\") { current.append(UInt8(ascii: "\"")) }
                current.append(UInt8(ascii: "\""))
            }
            flush()
            for _ in 0..<max(angleDepth, 0) { tokens.append(Token.greaterThan) }
            return tokens
        }
    }
}
