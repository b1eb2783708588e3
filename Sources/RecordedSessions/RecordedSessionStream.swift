/// Reads a log and hands out its sessions as they complete: reader → parser → assembler, in bounded memory.
///
/// ```swift
/// var stream = RecordedSessionStream(reader: LogLineReader(fileDescriptor: 0))   // "-": standard input
/// try stream.forEachSession { session in … session.replayCalls() … }
/// print(stream.statistics)
/// ```
public struct RecordedSessionStream {
    private var reader: LogLineReader
    private var parser = LogLineParser()
    private var assembler: SessionAssembler

    /// A stream over a reader, with assembler options.
    public init(reader: LogLineReader, options: SessionAssembler.Options = .init()) {
        self.reader = reader
        self.assembler = SessionAssembler(options: options)
    }

    /// Parser and assembler counts combined.
    public var statistics: ParseStatistics {
        var result = parser.statistics
        let assembled = assembler.statistics
        result.bytesRead = reader.bytesRead
        result.sessionsEmitted = assembled.sessionsEmitted
        result.sessionsEvicted = assembled.sessionsEvicted
        result.sessionsIdleClosed = assembled.sessionsIdleClosed
        result.eventsUnattached = assembled.eventsUnattached
        result.peakOpenSessions = assembled.peakOpenSessions
        return result
    }

    /// Sessions currently open in the assembler.
    public var openSessionCount: Int { assembler.openSessionCount }

    /// Reads to the end, calling `body` for every completed session.
    ///
    /// - Parameters:
    ///   - progressEvery: how many lines between calls of `progress`.
    ///   - progress: called with the statistics so far (e.g. to draw a progress line on a terminal).
    /// - Throws: ``LogReadError`` when reading fails; errors thrown by `body` or `progress`.
    public mutating func forEachSession(
        progressEvery: Int = 100_000,
        progress: ((ParseStatistics) throws -> Void)? = nil,
        _ body: (RecordedSession) throws -> Void
    ) throws {
        var pending: [RecordedSession] = []
        while let raw = try reader.next() {
            parser.feed(raw) { line in
                assembler.consume(line) { pending.append($0) }
            }
            for session in pending { try body(session) }
            pending.removeAll(keepingCapacity: true)
            if let progress, raw.number % progressEvery == 0 { try progress(statistics) }
        }
        parser.finish { line in assembler.consume(line) { pending.append($0) } }
        assembler.finish { pending.append($0) }
        for session in pending { try body(session) }
    }
}

@available(*, unavailable, message: "a stream owns its reader and open sessions")
extension RecordedSessionStream: Sendable {}
