/// `key=value` fields of a sendmail/Postfix message: `relay=a [1.2.3.4], version=TLSv1.3, verify=OK`.
///
/// Fields are separated by `, ` followed by a key and `=`; a `, ` inside a value that is not followed by a key
/// stays in the value. Keys listed as *greedy* take the rest of the line (reply texts such as `reject=` and
/// `stat=`). Abridged lines (an article's `[...]`) skip the elision marks and also split at ` key=` for known keys,
/// because the author's abridging dropped separators (`authid=[DN of the cert] mech=EXTERNAL`).
struct LogFields {
    private(set) var fields: [(key: Substring, value: Substring?)] = []

    init(_ text: Substring, greedy: Set<Substring> = [], elided: Bool = false) {
        var rest = text
        while !rest.isEmpty {
            rest = Self.skipElisions(rest)
            if rest.isEmpty { break }
            // key
            var keyEnd = rest.startIndex
            while keyEnd < rest.endIndex, Self.isKeyCharacter(rest[keyEnd]) {
                keyEnd = rest.index(after: keyEnd)
            }
            guard keyEnd > rest.startIndex, keyEnd < rest.endIndex, rest[keyEnd] == "=" else {
                // A bare word (e.g. `discard`) up to the next separator.
                let end = Self.nextSeparator(in: rest, from: rest.startIndex, elided: elided)
                fields.append((rest[..<end.valueEnd], nil))
                rest = rest[end.next...]
                continue
            }
            let key = rest[..<keyEnd]
            let valueStart = rest.index(after: keyEnd)
            if greedy.contains(key) {
                fields.append((key, rest[valueStart...]))
                break
            }
            let end = Self.nextSeparator(in: rest, from: valueStart, elided: elided)
            fields.append((key, rest[valueStart..<end.valueEnd]))
            rest = rest[end.next...]
        }
    }

    /// The first value for `key`; `nil` when absent.
    subscript(key: String) -> Substring? {
        for field in fields where field.key == key { return field.value ?? "" }
        return nil
    }

    /// A bare word is present (`discard`).
    func hasWord(_ word: String) -> Bool { fields.contains { $0.key == word && $0.value == nil } }

    static let knownKeys: Set<Substring> = [
        "relay", "version", "verify", "cipher", "bits", "authid", "mech", "from", "to", "size", "class",
        "nrcpts",
        "msgid", "proto", "daemon", "delay", "xdelay", "mailer", "pri", "dsn", "stat", "ctladdr",
        "arg1", "arg2",
        "reject", "ruleset", "cert-subject", "cert-issuer", "verifymsg",
    ]

    private static func isKeyCharacter(_ character: Character) -> Bool {
        character.isASCII
            && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }

    private static func skipElisions(_ text: Substring) -> Substring {
        var rest = text
        while true {
            while rest.first == " " || rest.first == "," { rest = rest.dropFirst() }
            if rest.hasPrefix("[...]") {
                rest = rest.dropFirst(5)
            } else if rest.hasPrefix("[…]") {
                rest = rest.dropFirst(3)
            } else {
                return rest
            }
        }
    }

    /// Finds where the value starting at `from` ends: at `, key=` (or, in abridged lines, ` knownkey=`,
    /// ` [...]`).
    private static func nextSeparator(
        in text: Substring,
        from: Substring.Index,
        elided: Bool
    ) -> (valueEnd: Substring.Index, next: Substring.Index) {
        var index = from
        while index < text.endIndex {
            let character = text[index]
            if character == "," || (elided && character == " ") {
                var probe = text.index(after: index)
                if character == "," {
                    guard probe < text.endIndex, text[probe] == " " else {
                        index = text.index(after: index)
                        continue
                    }
                    probe = text.index(after: probe)
                }
                if startsField(text[probe...], elided: elided, afterComma: character == ",") {
                    return (index, probe)
                }
            }
            index = text.index(after: index)
        }
        return (text.endIndex, text.endIndex)
    }

    private static func startsField(_ text: Substring, elided: Bool, afterComma: Bool) -> Bool {
        if elided && (text.hasPrefix("[...]") || text.hasPrefix("[…]")) { return true }
        var end = text.startIndex
        while end < text.endIndex, isKeyCharacter(text[end]) { end = text.index(after: end) }
        guard end > text.startIndex else { return false }
        if end < text.endIndex, text[end] == "=" {
            return afterComma || knownKeys.contains(text[..<end])
        }
        // A bare word at the end of the line or before another separator (`discard`).
        return afterComma && (end == text.endIndex || text[end] == ",") && text[..<end] == "discard"
    }
}
