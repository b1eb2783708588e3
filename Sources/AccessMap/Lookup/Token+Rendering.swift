extension Sequence where Element == Token {
    /// The text sendmail assembles from tokens, as an SMTP reply text or host would read.
    ///
    /// One space goes between two adjacent word tokens, none next to an operator or a quoted string; double
    /// quotes are then removed, runs of white space collapse to one space and the ends are trimmed. For example
    /// the tokens `454` `" encryption too weak "` `56` give `454 encryption too weak 56`, and
    /// `"550 do not try TLS with "` `host` `" ["` `192` `.` `0` `.` `2` `.` `1` `"]"` give
    /// `550 do not try TLS with host [192.0.2.1]`.
    ///
    /// The tokens are first printed space-separated (as `sendmail -bt` shows a workspace) and that line is read
    /// back the way the `-bt` contract reads it, so odd tokens (a word containing `"`, a quoted string with an
    /// escaped quote) render exactly as in recorded sendmail output.
    public func assembledText() -> String {
        var printed: [UInt8] = []
        var first = true
        for token in self {
            if !first { printed.append(0x20) }
            first = false
            printed.append(contentsOf: token.text.utf8)
        }
        return TextAssembly.assemble(printed: printed)
    }

    /// The lookup key sendmail builds from tokens: words separated by one space where two words meet, nothing
    /// next to operators or quoted strings, then double quotes and backslash escapes removed.
    ///
    /// `desktop . example . net` gives `desktop.example.net`; `a "b c" d` gives `ab cd`; `a\.b` gives `a.b`.
    /// Case is kept (the map folds it when looking up).
    public func keyText() -> String {
        var bytes: [UInt8] = []
        appendKeyBytes(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the key bytes of ``keyText()`` to a buffer (no intermediate strings).
    public func appendKeyBytes(to buffer: inout [UInt8]) {
        var previousWasWord = false
        for token in self {
            let word = token.isWord
            if previousWasWord && word { buffer.append(0x20) }
            previousWasWord = word
            var escaped = false
            for byte in token.rawBytes {
                if escaped {
                    buffer.append(byte)
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte != UInt8(ascii: "\"") {
                    buffer.append(byte)
                }
            }
        }
    }
}

/// Reads a printed token line back as the `-bt` contract does and assembles its text.
enum TextAssembly {
    static func assemble(printed: [UInt8]) -> String {
        // Re-split the printed line: a piece starting with `"` runs to the next unescaped `"` (or the end); other
        // pieces run to the next space.
        var out: [UInt8] = []
        var previousWasAtom = false
        var i = 0
        let n = printed.count
        while i < n {
            if printed[i] == 0x20 {
                i += 1
                continue
            }
            let start = i
            let atom: Bool
            if printed[i] == UInt8(ascii: "\"") {
                // A backslash inside the quoted piece takes the next byte with it (`"a\" b"` is one piece).
                var j = i + 1
                while j < n && printed[j] != UInt8(ascii: "\"") { j += printed[j] == UInt8(ascii: "\\") ? 2 : 1 }
                i = j < n ? j + 1 : n
                atom = false
            } else {
                var j = i
                while j < n && printed[j] != 0x20 { j += 1 }
                i = j
                let length = j - start
                // Operators and the metasymbols `$#`, `$@`, `$:`, `$|` (seen inside malformed workspaces) are not
                // words: no space next to them.
                atom =
                    !(length == 1 && Token.renderOperatorBytes.contains(printed[start]))
                    && !(length == 2 && printed[start] == UInt8(ascii: "$")
                        && [UInt8(ascii: "#"), UInt8(ascii: "@"), UInt8(ascii: ":"), UInt8(ascii: "|")].contains(
                            printed[start + 1]
                        ))
            }
            if previousWasAtom && atom { out.append(0x20) }
            out.append(contentsOf: printed[start..<i])
            previousWasAtom = atom
        }
        // Remove quotes, collapse white space, trim.
        var result: [UInt8] = []
        result.reserveCapacity(out.count)
        var pendingSpace = false
        for byte in out where byte != UInt8(ascii: "\"") {
            if Tokenizer.isSpace(byte) {
                pendingSpace = !result.isEmpty
                continue
            }
            if pendingSpace { result.append(0x20) }
            pendingSpace = false
            result.append(byte)
        }
        return String(decoding: result, as: UTF8.self)
    }
}
