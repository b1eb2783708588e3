/// A line decoded leniently to text, with what had to be repaired.
public struct DecodedLogLine: Hashable, Sendable {
    /// The text; invalid UTF-8 sequences are replaced by U+FFFD, NUL bytes removed.
    public var text: String
    /// The bytes were not valid UTF-8 (repaired with U+FFFD).
    public var hadInvalidUTF8: Bool
    /// Number of NUL bytes removed (log files truncated in place by `copytruncate` start with runs of NULs).
    public var removedNULs: Int
    /// Most of the line is control characters or undecodable bytes: binary garbage, not a log line.
    public var isBinaryGarbage: Bool
}

/// Turns raw line bytes into text without ever failing.
public enum LogLineDecoder {
    /// Decodes one line: drops NUL bytes, repairs invalid UTF-8, and flags lines that are mostly binary.
    ///
    /// A line is binary garbage when more than a quarter of its bytes are C0 controls (other than tab) or
    /// DEL, or when more than a quarter of its characters are replacement characters.
    public static func decode(_ bytes: [UInt8]) -> DecodedLogLine {
        var nuls = 0
        var controls = 0
        for byte in bytes {
            if byte == 0 {
                nuls += 1
            } else if (byte < 0x20 && byte != 0x09) || byte == 0x7F {
                controls += 1
            }
        }
        let kept = nuls == 0 ? bytes : bytes.filter { $0 != 0 }
        var text: String
        var invalid = false
        if let valid = String(validating: kept, as: UTF8.self) {
            text = valid
        } else {
            text = String(decoding: kept, as: UTF8.self)
            invalid = true
        }
        var replacements = 0
        if invalid {
            for scalar in text.unicodeScalars where scalar == "\u{FFFD}" { replacements += 1 }
        }
        let length = max(kept.count, 1)
        let binary = controls * 4 > length || replacements * 4 > max(text.unicodeScalars.count, 1)
        if controls > 0 && !binary {
            // Keep the line readable: a stray control character becomes a space.
            text = String(
                String.UnicodeScalarView(
                    text.unicodeScalars.map { scalar in
                        (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F ? " " : scalar
                    }
                )
            )
        }
        return DecodedLogLine(
            text: text,
            hadInvalidUTF8: invalid,
            removedNULs: nuls,
            isBinaryGarbage: binary
        )
    }
}
