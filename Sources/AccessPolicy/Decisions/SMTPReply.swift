/// An SMTP reply as the MTA sends it: `454 4.7.0 encryption too weak 56 less than 112`.
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    /// Three-digit reply code (`454`).
    public var code: Int
    /// Enhanced status code (`4.7.0`).
    public var enhancedStatus: String
    /// Human-readable text.
    public var text: String

    /// Creates a reply.
    public init(code: Int, enhancedStatus: String, text: String) {
        self.code = code
        self.enhancedStatus = enhancedStatus
        self.text = text
    }

    /// A 4xx reply: try again later.
    public var isTemporary: Bool { code / 100 == 4 }
    /// A 5xx reply: permanent failure.
    public var isPermanent: Bool { code / 100 == 5 }

    /// `CODE D.S.N TEXT`.
    public var description: String { text.isEmpty ? "\(code) \(enhancedStatus)" : "\(code) \(enhancedStatus) \(text)" }

    /// Builds the reply sendmail sends for `$#error $@ host $: text`.
    ///
    /// The code is the text's leading three digits; the enhanced status is one that leads the rest of the text,
    /// else the `$@` host when that is a D.S.N, else `<first digit>.0.0`. A text without a code gives
    /// `553 5.3.0` and the whole text (the host is ignored).
    public init(errorHost host: String?, text: String) {
        let bytes = Array(text.utf8)
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        guard isDigit(0), isDigit(1), isDigit(2), bytes.count == 3 || bytes[3] == 0x20 || bytes[3] == 0x2D else {
            self.init(code: 553, enhancedStatus: "5.3.0", text: text)
            return
        }
        let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)) ?? 553
        var rest = bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : ""
        var status: String
        if let leading = SMTPReply.leadingStatus(rest) {
            status = leading
            rest = String(rest.dropFirst(leading.count)).trimmingLeadingSpaces()
        } else if let host, SMTPReply.isStatus(host) {
            status = host
        } else {
            status = "\(code / 100).0.0"
        }
        self.init(code: code, enhancedStatus: status, text: rest)
    }

    static func isStatus(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    static func leadingStatus(_ text: String) -> String? {
        let word = text.prefix { $0 != " " }
        guard isStatus(String(word)) else { return nil }
        return String(word)
    }
}

extension String {
    fileprivate func trimmingLeadingSpaces() -> String { String(drop { $0 == " " }) }
}
