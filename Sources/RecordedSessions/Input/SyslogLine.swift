/// One syslog line split into header and message.
///
/// Two header forms are understood: RFC 3164 (`May 19 23:09:24 linux sendmail[914]: …`, the form in the seeds)
/// and ISO 8601 (`2024-11-21T10:00:01.123456+01:00 mx sm-mta[4711]: …`, rsyslog's high-precision format). An
/// optional `<PRI>` prefix is skipped. Articles that abridge log lines write the whole header as `[...]`; such a
/// line is an *elided* line: host, program and process are unknown.
public struct SyslogLine: Hashable, Sendable {
    /// The timestamp as written (no year in RFC 3164), `nil` when elided.
    public var timestamp: String?
    /// The host name field, `nil` when elided.
    public var host: String?
    /// The program tag without the process id: `sendmail`, `sm-mta`, `postfix/smtpd`; `nil` when elided or absent.
    public var program: String?
    /// The process id in brackets after the tag, `nil` when absent.
    public var pid: Int?
    /// The message after `tag[pid]: `.
    public var message: String
    /// The header was written as `[...]` (an abridged line from an article).
    public var isElided: Bool

    /// Builds a line from its parts.
    public init(
        timestamp: String?,
        host: String?,
        program: String?,
        pid: Int?,
        message: String,
        isElided: Bool = false
    ) {
        self.timestamp = timestamp
        self.host = host
        self.program = program
        self.pid = pid
        self.message = message
        self.isElided = isElided
    }
}

/// Why a line could not be split into a syslog header and a message.
public enum SyslogSplitFailure: String, Error, Hashable, Sendable, CaseIterable {
    /// Neither an RFC 3164 nor an ISO 8601 timestamp at the start.
    case noTimestamp = "no syslog timestamp"
    /// A timestamp but no host or tag after it (the line was cut).
    case noHeader = "truncated syslog header"
    /// syslogd's own notices (`last message repeated 3 times`, `-- MARK --`): no program.
    case syslogNotice = "syslog notice"
}

extension SyslogLine {
    private static let months: Set<Substring> = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Splits a decoded line.
    ///
    /// - Returns: the parts, or why the line is not a syslog line.
    public static func split(_ text: String) -> Result<SyslogLine, SyslogSplitFailure> {
        var rest = Substring(text)
        if rest.first == "<", let close = rest.prefix(6).firstIndex(of: ">"),
            rest[rest.index(after: rest.startIndex)..<close].allSatisfy(\.isASCIIDigit)
        {
            rest = rest[rest.index(after: close)...]
        }
        if rest.hasPrefix("[...] ") || rest.hasPrefix("[…] ") {
            let message = rest.drop(while: { $0 != " " }).dropFirst()
            return .success(
                SyslogLine(
                    timestamp: nil,
                    host: nil,
                    program: nil,
                    pid: nil,
                    message: String(message),
                    isElided: true
                )
            )
        }
        guard let (timestamp, afterTime) = splitTimestamp(rest) else { return .failure(.noTimestamp) }
        rest = afterTime.drop(while: { $0 == " " })
        guard let hostEnd = rest.firstIndex(of: " ") else { return .failure(.noHeader) }
        let host = rest[..<hostEnd]
        rest = rest[hostEnd...].drop(while: { $0 == " " })
        if rest.isEmpty { return .failure(.noHeader) }
        // Tag: up to ": " (or ":" at the end), with an optional [pid].
        guard let colon = tagEnd(rest) else {
            if rest.hasPrefix("last message repeated") || rest.hasPrefix("-- MARK --") {
                return .failure(.syslogNotice)
            }
            return .failure(.noHeader)
        }
        let tag = rest[..<colon]
        var message = rest[rest.index(after: colon)...]
        if message.first == " " { message = message.dropFirst() }
        var program = tag
        var pid: Int?
        if tag.last == "]", let open = tag.lastIndex(of: "[") {
            program = tag[..<open]
            pid = Int(tag[tag.index(after: open)..<tag.index(before: tag.endIndex)])
            if pid == nil { return .failure(.noHeader) }
        }
        if program.isEmpty || program.contains(" ") {
            if rest.hasPrefix("last message repeated") || rest.hasPrefix("message repeated") {
                return .failure(.syslogNotice)
            }
            return .failure(.noHeader)
        }
        return .success(
            SyslogLine(
                timestamp: String(timestamp),
                host: String(host),
                program: String(program),
                pid: pid,
                message: String(message)
            )
        )
    }

    /// The end of the tag: the first `:` that is followed by a space or ends the line, within 64 characters.
    private static func tagEnd(_ text: Substring) -> Substring.Index? {
        var index = text.startIndex
        var count = 0
        while index < text.endIndex && count < 64 {
            let character = text[index]
            if character == " " { return nil }
            if character == ":" {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " { return index }
            }
            index = text.index(after: index)
            count += 1
        }
        return nil
    }

    private static func splitTimestamp(_ text: Substring) -> (Substring, Substring)? {
        let utf8 = Array(text.utf8.prefix(40))
        // RFC 3164: "Mmm dd hh:mm:ss" (day space-padded or zero-padded).
        if utf8.count >= 15, months.contains(text.prefix(3)), utf8[3] == 0x20,
            utf8[4] == 0x20 || isDigit(utf8[4]), isDigit(utf8[5]), utf8[6] == 0x20,
            isDigit(utf8[7]), isDigit(utf8[8]), utf8[9] == 0x3A, isDigit(utf8[10]), isDigit(utf8[11]),
            utf8[12] == 0x3A, isDigit(utf8[13]), isDigit(utf8[14])
        {
            let end = text.utf8.index(text.startIndex, offsetBy: 15)
            return (text[..<end], text[end...])
        }
        // ISO 8601: YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]
        if utf8.count >= 19, isDigit(utf8[0]), isDigit(utf8[3]), utf8[4] == 0x2D, utf8[7] == 0x2D,
            utf8[10] == 0x54 || utf8[10] == 0x20, utf8[13] == 0x3A, utf8[16] == 0x3A, isDigit(utf8[18])
        {
            var length = 19
            if length < utf8.count && utf8[length] == 0x2E {
                length += 1
                while length < utf8.count && isDigit(utf8[length]) { length += 1 }
            }
            if length < utf8.count && utf8[length] == 0x5A {
                length += 1
            } else if length + 6 <= utf8.count && (utf8[length] == 0x2B || utf8[length] == 0x2D)
                && utf8[length + 3] == 0x3A
            {
                length += 6
            }
            if utf8[10] == 0x20 { return nil }  // "YYYY-MM-DD HH:MM:SS" is not a syslog header
            let end = text.utf8.index(text.startIndex, offsetBy: length)
            return (text[..<end], text[end...])
        }
        return nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
