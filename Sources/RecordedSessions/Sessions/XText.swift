/// xtext as sendmail applies it to certificate names in `{cert_subject}`/`{cert_issuer}`.
enum XText {
    /// Encodes plain text (e.g. the DN of a `TLS cert verify:` line): bytes below `!` or above `~`, and `+`,
    /// `\`, `(`, `)`, `<`, `>`, `"`, become `+` and two upper-case hex digits; everything else is kept.
    ///
    /// The plain-text DN of the verify line is OpenSSL's one-line form, so UTF-8 bytes there already appear as
    /// `\xC3\xBC` and become `+5CxC3+5CxBC`, matching `cert-subject=`.
    static func encode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if byte < 0x21 || byte > 0x7E || byte == 0x2B || byte == 0x5C || byte == 0x28 || byte == 0x29
                || byte == 0x3C || byte == 0x3E || byte == 0x22
            {
                out += "+" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    /// Decodes `+XX` sequences (for display only; macros keep the encoded form).
    static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == 0x2B, index + 2 < utf8.count,
                let value = UInt8(
                    String(decoding: utf8[(index + 1)...(index + 2)], as: UTF8.self),
                    radix: 16
                )
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
