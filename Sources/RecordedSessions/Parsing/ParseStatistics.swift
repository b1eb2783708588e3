/// Counts of what a run did with its input. Nothing is dropped silently: every line read is in exactly one of
/// ``linesParsed``, ``linesIgnored``, ``linesUnparseable`` or ``continuationLinesJoined``.
public struct ParseStatistics: Hashable, Sendable, CustomStringConvertible {
    /// Physical lines read.
    public var linesRead = 0
    /// Bytes read.
    public var bytesRead = 0
    /// Lines that produced an event.
    public var linesParsed = 0
    /// Well-formed lines set aside, by reason.
    public var linesIgnored: [IgnoredReason: Int] = [:]
    /// Lines that could not be parsed, by reason.
    public var linesUnparseable: [UnparseableReason: Int] = [:]
    /// A few sanitised examples per unparseable reason (credentials redacted, control characters escaped).
    public var examples: [UnparseableReason: [UnparseableExample]] = [:]
    /// Header-less lines joined to the previous line (a line wrapped by an article's layout).
    public var continuationLinesJoined = 0
    /// Lines that ended in CR LF.
    public var linesWithCRLF = 0
    /// Lines with invalid UTF-8 (repaired).
    public var linesWithInvalidUTF8 = 0
    /// Lines from which NUL bytes were removed.
    public var linesWithNUL = 0
    /// Lines longer than the reader's limit (cut).
    public var linesCut = 0
    /// The input did not end with a line feed.
    public var lastLineUnterminated = false
    /// Sessions handed out.
    public var sessionsEmitted = 0
    /// Sessions pushed out because the open-session cap was reached.
    public var sessionsEvicted = 0
    /// Sessions closed because no line touched them within the idle window.
    public var sessionsIdleClosed = 0
    /// Parsed events that belonged to no open session (e.g. a delivery for a message whose session was already
    /// handed out, a local submission, a failed outbound connect).
    public var eventsUnattached = 0
    /// The largest number of sessions open at once.
    public var peakOpenSessions = 0

    /// Lines ignored, all reasons.
    public var totalIgnored: Int { linesIgnored.values.reduce(0, +) }
    /// Lines unparseable, all reasons.
    public var totalUnparseable: Int { linesUnparseable.values.reduce(0, +) }

    /// How many examples are kept per reason.
    public static let examplesPerReason = 3

    mutating func recordUnparseable(_ reason: UnparseableReason, line: Int, text: String) {
        linesUnparseable[reason, default: 0] += 1
        if examples[reason, default: []].count < Self.examplesPerReason {
            examples[reason, default: []].append(
                UnparseableExample(line: line, text: LogRedaction.sanitize(text))
            )
        }
    }

    public var description: String {
        var lines = [
            "lines read: \(linesRead)", "lines parsed: \(linesParsed)",
            "lines ignored: \(totalIgnored)",
        ]
        for reason in IgnoredReason.allCases {
            if let n = linesIgnored[reason] { lines.append("  \(reason.rawValue): \(n)") }
        }
        lines.append("lines unparseable: \(totalUnparseable)")
        for reason in UnparseableReason.allCases {
            guard let n = linesUnparseable[reason] else { continue }
            lines.append("  \(reason.rawValue): \(n)")
            for example in examples[reason] ?? [] {
                lines.append("    line \(example.line): \(example.text)")
            }
        }
        if continuationLinesJoined > 0 {
            lines.append("continuation lines joined: \(continuationLinesJoined)")
        }
        if linesWithCRLF > 0 { lines.append("lines with CR LF: \(linesWithCRLF)") }
        if linesWithInvalidUTF8 > 0 {
            lines.append("lines with invalid UTF-8 (repaired): \(linesWithInvalidUTF8)")
        }
        if linesWithNUL > 0 { lines.append("lines with NUL bytes (removed): \(linesWithNUL)") }
        if linesCut > 0 { lines.append("overlong lines cut: \(linesCut)") }
        if lastLineUnterminated { lines.append("last line has no line feed") }
        lines.append(
            "sessions emitted: \(sessionsEmitted) (idle-closed \(sessionsIdleClosed), evicted \(sessionsEvicted))"
        )
        lines.append("events outside any open session: \(eventsUnattached)")
        lines.append("peak open sessions: \(peakOpenSessions)")
        return lines.joined(separator: "\n")
    }
}

/// One kept example of an unparseable line.
public struct UnparseableExample: Hashable, Sendable {
    /// 1-based line number.
    public var line: Int
    /// The line, sanitised by ``LogRedaction/sanitize(_:)``.
    public var text: String
}

/// Keeps credentials and control characters out of anything we print.
public enum LogRedaction {
    /// Longest example kept, in characters.
    public static let maximumLength = 200

    /// Redacts SMTP AUTH payloads (`AUTH PLAIN <base64>`, and everything after an echoed `<-- ` command other
    /// than its verb), escapes control characters as `\xNN`, and cuts the text to ``maximumLength``.
    public static func sanitize(_ text: String) -> String {
        var result = Substring(text)
        var redacted = ""
        if let echo = result.firstRange(of: "<--") {
            let after = result[echo.upperBound...].drop { $0 == " " }
            let verb = after.prefix { $0 != " " }
            let safe: Set<String> = [
                "EHLO", "HELO", "MAIL", "RCPT", "DATA", "QUIT", "RSET", "NOOP", "STARTTLS",
            ]
            if safe.contains(verb.uppercased()) {
                // keep as is
            } else {
                let keep = verb.uppercased() == "AUTH" ? after.prefix { $0 != " " } : ""
                redacted =
                    String(result[..<echo.upperBound]) + " " + keep + (keep.isEmpty ? "" : " ") + "[redacted]"
                result = Substring(redacted)
            }
        }
        if let auth = result.firstRange(of: "AUTH ") {
            let rest = result[auth.upperBound...]
            let mech = rest.prefix { $0 != " " }
            let afterMech = rest.dropFirst(mech.count)
            if ["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "XOAUTH2", "OAUTHBEARER"].contains(
                mech.uppercased()
            ),
                afterMech.first == " ", afterMech.dropFirst().first != "["
            {
                result = result[..<afterMech.startIndex] + " [redacted]"
            }
        }
        var out = ""
        for scalar in result.unicodeScalars {
            if out.unicodeScalars.count >= maximumLength {
                out += "…"
                break
            }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPadded(2)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
