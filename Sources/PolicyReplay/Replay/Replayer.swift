public import RecordedSessions

/// Replays recorded sessions against a policy: streams a log through the session assembler and evaluates every
/// applicable ruleset call of every session with one shared ``ReplayPolicy``.
///
/// Memory is bounded: sessions are handed out as the assembler completes them, evaluated and dropped; only the
/// ``ReplayReport`` counters (and at most ``ReplayReport/maximumExamples`` examples) are kept.
///
/// ```swift
/// let replayer = Replayer(policy: policy)
/// var reader = LogLineReader(fileDescriptor: fd)
/// let report = try replayer.replay(reader: reader) { session in
///     for decision in session.decisions { print(decision.result) }
/// }
/// ```
public struct Replayer: Sendable {
    /// The policy every session is evaluated against.
    public let policy: ReplayPolicy
    /// Record look-ups and rules for every decision.
    public var explain: Bool
    /// Session assembly options.
    public var assemblerOptions: SessionAssembler.Options

    /// Creates a replayer.
    public init(policy: ReplayPolicy, explain: Bool = false, assemblerOptions: SessionAssembler.Options = .init()) {
        self.policy = policy
        self.explain = explain
        self.assemblerOptions = assemblerOptions
    }

    /// Evaluates one recorded session.
    public func replay(_ session: RecordedSession) -> ReplaySessionResult {
        let info = ReplaySessionInfo(session)
        var decisions: [ReplayDecision] = []
        for (index, step) in PolicyStep.steps(for: session).enumerated() {
            let evaluation = policy.evaluate(step, explain: explain)
            decisions.append(
                ReplayDecision(
                    session: info,
                    stepIndex: index,
                    step: step,
                    result: evaluation.result,
                    determination: evaluation.determination,
                    agreement: Agreement.classify(
                        result: evaluation.result,
                        determination: evaluation.determination,
                        observed: step.observed,
                        source: session.source
                    ),
                    explanation: evaluation.explanation
                )
            )
        }
        return ReplaySessionResult(session: info, decisions: decisions)
    }

    /// Reads a log to its end and replays every session, adding to `report`.
    ///
    /// - Parameters:
    ///   - reader: The log.
    ///   - name: The log's name for the report (`-` for standard input).
    ///   - report: The report to add to (several logs add to one report).
    ///   - progressEvery: Lines between `progress` calls.
    ///   - progress: Called with the parse counts and the report so far (draw a progress line with it).
    ///   - body: Called with each session's decisions, in the order sessions complete.
    /// - Throws: ``RecordedSessions/LogReadError`` when reading fails; what `body` or `progress` throw.
    public func replay(
        reader: LogLineReader,
        name: String = "-",
        into report: inout ReplayReport,
        progressEvery: Int = 100_000,
        progress: ((ParseStatistics, ReplayReport) throws -> Void)? = nil,
        _ body: (ReplaySessionResult) throws -> Void = { _ in }
    ) throws {
        var stream = RecordedSessionStream(reader: reader, options: assemblerOptions)
        var current = report
        defer { report = current }
        try stream.forEachSession(
            progressEvery: progressEvery,
            progress: progress.map { callback in { statistics in try callback(statistics, current) } }
        ) { session in
            let result = replay(session)
            current.add(result)
            try body(result)
        }
        current.logs.append(ReplayReport.LogSummary(name: name, statistics: stream.statistics))
    }

    /// Reads one log and returns a new report. See ``replay(reader:name:into:progressEvery:progress:_:)``.
    public func replay(
        reader: LogLineReader,
        name: String = "-",
        _ body: (ReplaySessionResult) throws -> Void = { _ in }
    ) throws -> ReplayReport {
        var report = ReplayReport()
        try replay(reader: reader, name: name, into: &report, body)
        return report
    }
}
