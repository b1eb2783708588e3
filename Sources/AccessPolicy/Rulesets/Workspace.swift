import AccessMap

/// Token-level helpers shared by the rulesets: the `$|` separator, `<…>` groups, sendmail's number parsing.
enum Workspace {
    /// The `$|` operator in a workspace.
    static let separator = Token("$|")
    static let open = Token("<")
    static let close = Token(">")
    static let question = Token("?")
    static let notFoundGroup: [Token] = [open, question, close]
    static let temporaryFailureGroup: [Token] = [open, open, Token("TMPF"), close, close]

    /// Splits at the first `$|`.
    static func splitAtSeparator(_ tokens: [Token]) -> (left: [Token], right: [Token])? {
        guard let index = tokens.firstIndex(of: separator) else { return nil }
        return (Array(tokens[..<index]), Array(tokens[(index + 1)...]))
    }

    /// `<$*>…` (minimum 0) or `<$+>…` (minimum 1) at the start: the content up to the first `>` that leaves at least
    /// `minimum` tokens inside, and what follows.
    static func leadingGroup(
        _ tokens: ArraySlice<Token>,
        minimum: Int = 0
    )
        -> (content: ArraySlice<Token>, rest: ArraySlice<Token>)?
    {
        guard let first = tokens.first, first == open else { return nil }
        var i = tokens.startIndex + 1 + minimum
        while i < tokens.endIndex {
            if tokens[i] == close { return (tokens[(tokens.startIndex + 1)..<i], tokens[(i + 1)...]) }
            i += 1
        }
        return nil
    }

    /// The workspace starts with `<?>` (a search that found nothing and may go on).
    static func startsWithNotFound(_ tokens: [Token]) -> Bool {
        tokens.count >= 3 && tokens[0] == open && tokens[1] == question && tokens[2] == close
    }

    /// The workspace is exactly `< $* < TMPF > >`: a temporary failure as the last thing in one group.
    static func isTemporaryFailureGroup(_ tokens: [Token]) -> Bool {
        let n = tokens.count
        return n >= 5 && tokens[0] == open && tokens[n - 1] == close && tokens[n - 2] == close
            && tokens[n - 3].matches("TMPF") && tokens[n - 4] == open
    }

    /// `< $* < TMPF > > $*`: a group ending in the temporary-failure mark at the start of the workspace.
    static func startsWithTemporaryFailureGroup(_ tokens: [Token]) -> Bool {
        // The first `<` group may contain nested `< TMPF >`; find `< TMPF > >` after the opening `<`.
        guard tokens.first == open else { return false }
        var i = 1
        while i + 3 < tokens.count {
            if tokens[i] == open && tokens[i + 1].matches("TMPF") && tokens[i + 2] == close && tokens[i + 3] == close {
                return true
            }
            i += 1
        }
        return false
    }

    /// A quoted-string token `"text"`.
    static func quoted(_ text: String) -> Token { Token("\"" + text + "\"") }

    /// sendmail's `arith` number reading: C `strtol(text, NULL, 0)` (decimal, `0x` hex, `0` octal, leading
    /// sign, stops at the first bad character, clamps on overflow, 0 when nothing parses).
    static func strtol(_ text: String) -> Int { strtol(bytes: text.utf8) }

    /// ``strtol(_:)`` on bytes (the allocation-free form for the hot path).
    static func strtol<C: Collection<UInt8>>(bytes: C) -> Int {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end && Tokenizer.isSpace(bytes[i]) { i = bytes.index(after: i) }
        var negative = false
        if i < end && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) {
            negative = bytes[i] == UInt8(ascii: "-")
            i = bytes.index(after: i)
        }
        var base = 10
        if i < end && bytes[i] == UInt8(ascii: "0") {
            let x = bytes.index(after: i)
            let digit = x < end ? bytes.index(after: x) : end
            if digit < end && (bytes[x] | 0x20) == UInt8(ascii: "x") && (digitValue(bytes[digit]) ?? 99) < 16 {
                base = 16
                i = digit
            } else {
                base = 8
            }
        }
        var value: Int = 0
        var overflow = false
        while i < end, let digit = digitValue(bytes[i]), digit < base {
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (a, o2) = m.addingReportingOverflow(digit)
            if o1 || o2 { overflow = true }
            value = a
            i = bytes.index(after: i)
        }
        if overflow { return negative ? Int.min : Int.max }
        return negative ? -value : value
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }
}
