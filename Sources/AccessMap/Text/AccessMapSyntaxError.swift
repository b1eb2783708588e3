/// A line of access-map text that cannot become a map entry, with its position.
///
/// ``description`` reads like a compiler diagnostic, `7:1: line starts with white space …`; a caller that
/// knows the file name puts it in front (`access:7:1: …`). The line is 1-based and counts physical lines (every
/// line feed); the column is 1-based and counts UTF-8 bytes.
public struct AccessMapSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why the line was rejected.
    public enum Reason: Hashable, Sendable {
        /// The line starts with a white-space byte (space, tab, vertical tab, form feed, carriage return) and no
        /// separator was set: a key cannot start with white space. makemap: `syntax error (leading space)`.
        case leadingWhiteSpace
        /// The key has no value after it and empty values are not allowed (makemap `-e`).
        /// makemap: `no RHS for LHS <key>`. `key` is the key as it would be stored (already folded).
        case missingValue(key: [UInt8])
        /// The line is longer than ``AccessMapParser/maximumLineLength`` bytes (not counting its line end).
        /// makemap: `line too long (1024 bytes max)`.
        case lineTooLong(length: Int)
        /// The line contains a NUL byte (makemap would silently cut the line there).
        case nulByte
        /// The line starts with the `-t` separator, so the key would be empty.
        case emptyKey
    }

    /// Why the line was rejected.
    public var reason: Reason
    /// The 1-based physical line number.
    public var line: Int
    /// The 1-based column, in bytes, where the problem is.
    public var column: Int

    /// Creates an error at a position.
    public init(reason: Reason, line: Int, column: Int) {
        self.reason = reason
        self.line = line
        self.column = column
    }

    /// The reason in words, without position.
    public var message: String {
        switch reason {
        case .leadingWhiteSpace:
            return "line starts with white space; a key cannot (comments start in column 1)"
        case .missingValue(let key):
            return "key \(AccessMapText.quoted(key)) has no value (-e allows empty values)"
        case .lineTooLong(let length):
            return "line is \(length) bytes long; the limit is \(AccessMapParser.maximumLineLength) bytes"
        case .nulByte:
            return "line contains a NUL byte"
        case .emptyKey:
            return "line starts with the separator, so its key would be empty"
        }
    }

    public var description: String { "\(line):\(column): \(message)" }
}

/// Helpers for showing map bytes in messages.
public enum AccessMapText {
    /// `bytes` as a single-quoted string: printable ASCII as is, everything else (and `'`, `\`) escaped as `\xNN`,
    /// so a message never carries control bytes or invalid UTF-8 to the terminal.
    public static func quoted(_ bytes: some Sequence<UInt8>) -> String {
        "'" + escaped(bytes) + "'"
    }

    /// `bytes` with every byte outside printable ASCII, and `\`, written as `\xNN`.
    public static func escaped(_ bytes: some Sequence<UInt8>) -> String {
        var text = ""
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "'") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return text
    }
}
