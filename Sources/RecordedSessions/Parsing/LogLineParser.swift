/// A log line that produced an event.
public struct ParsedLogLine: Hashable, Sendable {
    /// 1-based line number (of the first physical line when lines were joined).
    public var number: Int
    /// Which MTA wrote it.
    public var source: RecordedSession.Source
    /// The syslog header and message.
    public var syslog: SyslogLine
    /// The parsed message.
    public var event: LogEvent
}

/// Turns raw lines into events: decoding, syslog splitting, program dispatch, counting.
///
/// Lines an article wrapped (a header-less line after a line whose message ends in `,` or `:`) are joined to the
/// previous line; this needs one line of look-ahead, so call ``finish(_:)`` at the end of the input.
public struct LogLineParser {
    /// What has been counted so far.
    public private(set) var statistics = ParseStatistics()
    private var held: (number: Int, line: SyslogLine)?

    /// A parser with empty statistics.
    public init() {}

    /// Feeds one raw line; calls `body` for each line that produced an event.
    public mutating func feed(_ raw: RawLogLine, _ body: (ParsedLogLine) -> Void) {
        statistics.linesRead += 1
        if raw.hadCarriageReturn { statistics.linesWithCRLF += 1 }
        if raw.wasCut { statistics.linesCut += 1 }
        if raw.lacksLineFeed { statistics.lastLineUnterminated = true }
        let decoded = LogLineDecoder.decode(raw.bytes)
        if decoded.hadInvalidUTF8 { statistics.linesWithInvalidUTF8 += 1 }
        if decoded.removedNULs > 0 { statistics.linesWithNUL += 1 }
        if decoded.isBinaryGarbage {
            releaseHeld(body)
            statistics.recordUnparseable(.binaryGarbage, line: raw.number, text: decoded.text)
            return
        }
        let text = decoded.text
        if text.allSatisfy({ $0 == " " || $0 == "\t" }) {
            releaseHeld(body)
            statistics.linesIgnored[.empty, default: 0] += 1
            return
        }
        switch SyslogLine.split(text) {
        case .success(let line):
            releaseHeld(body)
            let trimmed = line.message.last.map { $0 == "," || $0 == ":" } ?? false
            if trimmed && !line.isElided {
                held = (raw.number, line)
            } else {
                classify(line, number: raw.number, body)
            }
        case .failure(let failure):
            if failure == .noTimestamp, var previous = held {
                // A wrapped continuation of the held line.
                previous.line.message += " " + text.drop { $0 == " " || $0 == "\t" }
                statistics.continuationLinesJoined += 1
                held = nil
                classify(previous.line, number: previous.number, body)
                return
            }
            releaseHeld(body)
            switch failure {
            case .noTimestamp: statistics.recordUnparseable(.noSyslogHeader, line: raw.number, text: text)
            case .noHeader: statistics.recordUnparseable(.truncatedHeader, line: raw.number, text: text)
            case .syslogNotice: statistics.linesIgnored[.syslogNotice, default: 0] += 1
            }
        }
    }

    /// Processes a line held for look-ahead. Call once at the end of the input.
    public mutating func finish(_ body: (ParsedLogLine) -> Void) {
        releaseHeld(body)
    }

    /// Records the bytes read so far (for the report).
    public mutating func noteBytesRead(_ count: Int) { statistics.bytesRead = count }

    private mutating func releaseHeld(_ body: (ParsedLogLine) -> Void) {
        if let previous = held {
            held = nil
            classify(previous.line, number: previous.number, body)
        }
    }

    private mutating func classify(_ line: SyslogLine, number: Int, _ body: (ParsedLogLine) -> Void) {
        let (source, result) = Self.classify(line)
        switch result {
        case .event(let event):
            statistics.linesParsed += 1
            if let source {
                body(ParsedLogLine(number: number, source: source, syslog: line, event: event))
            }
        case .ignored(let reason):
            statistics.linesIgnored[reason, default: 0] += 1
        case .unparseable(let reason):
            statistics.recordUnparseable(reason, line: number, text: Self.reconstruct(line))
        }
    }

    /// Classifies a split line by program.
    public static func classify(_ line: SyslogLine) -> (RecordedSession.Source?, LineClassification) {
        guard let program = line.program else {
            if line.isElided {
                return (.sendmail, SendmailMessageParser.parse(line.message, elided: true))
            }
            return (nil, .ignored(.otherProgram))
        }
        if program == "sendmail" || program == "sm-mta" || program == "sm-msp-queue"
            || program.hasPrefix("sendmail")
        {
            return (.sendmail, SendmailMessageParser.parse(line.message))
        }
        if program.hasPrefix("postfix"), let slash = program.lastIndex(of: "/") {
            let name = String(program[program.index(after: slash)...])
            return (.postfix, PostfixMessageParser.parse(line.message, program: name))
        }
        return (nil, .ignored(.otherProgram))
    }

    private static func reconstruct(_ line: SyslogLine) -> String {
        var head = [line.timestamp, line.host].compactMap { $0 }.joined(separator: " ")
        if let program = line.program {
            head += " " + program + (line.pid.map { "[\($0)]" } ?? "") + ":"
        }
        if line.isElided { head = "[...]" }
        return head + " " + line.message
    }
}
