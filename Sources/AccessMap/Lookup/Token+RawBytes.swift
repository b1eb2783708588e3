/// Byte-faithful text: sendmail handles addresses, macro and map values as bytes, so text that is not valid
/// UTF-8 (a Latin-1 `é`, a stray 0xC2) must survive the engine unchanged.
///
/// A ``Token`` holds a `String`. Valid UTF-8 is kept as it is; each byte of an invalid sequence is stored as the
/// private-use scalar U+F700 + byte (U+F780…U+F7FF), which ``rawBytes(of:)`` turns back into that byte when a key
/// is built or a result printed.
extension Token {
    /// The text for bytes, keeping every byte (see the discussion of this extension).
    public static func losslessText(_ bytes: some Collection<UInt8>) -> String {
        if let valid = String(validating: bytes, as: UTF8.self),
            !valid.utf8.contains(0xEF) || !containsEscapeRange(valid)
        {
            return valid
        }
        let input = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < input.count {
            var length = validSequenceLength(input, i)
            // A real U+F780…U+F7FF in the input is kept as its three bytes, each escaped, so it reads back the same.
            if length == 3, input[i] == 0xEF, input[i + 1] == 0x9E || input[i + 1] == 0x9F { length = 0 }
            if length == 0 {
                scalars.append(Unicode.Scalar(0xF700 + UInt32(input[i]))!)
                i += 1
            } else {
                scalars.append(contentsOf: String(decoding: input[i..<(i + length)], as: UTF8.self).unicodeScalars)
                i += length
            }
        }
        return String(scalars)
    }

    /// The bytes a text stands for: its UTF-8, except that U+F780…U+F7FF are the single bytes 0x80…0xFF.
    public static func rawBytes(of text: String) -> [UInt8] {
        // U+F780…U+F7FF are EF 9E xx / EF 9F xx in UTF-8: without an 0xEF byte there is nothing to map.
        guard text.utf8.contains(0xEF) else { return Array(text.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar.value >= 0xF780 && scalar.value <= 0xF7FF {
                out.append(UInt8(scalar.value - 0xF700))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    private static func containsEscapeRange(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value >= 0xF780 && $0.value <= 0xF7FF }
    }

    /// The token's bytes as sendmail holds them (``rawBytes(of:)`` of ``text``).
    public var rawBytes: [UInt8] { Token.rawBytes(of: text) }

    /// Length of the valid UTF-8 sequence starting at `i`, 0 if the byte there does not start one.
    private static func validSequenceLength(_ b: [UInt8], _ i: Int) -> Int {
        let lead = b[i]
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            i + k < b.count && range.contains(b[i + k])
        }
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return continuation(1) ? 2 : 0
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xE1...0xEF: return continuation(1) && continuation(2) ? 3 : 0
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default: return 0
        }
    }
}
