import AccessPolicy
public import RecordedSessions

/// Compares two policies (typically two versions of an access map) on the same recorded sessions: which
/// decisions change, grouped by change.
///
/// Streams like ``Replayer``; memory holds only the groups (at most ``PolicyDiffReport/maximumGroups``, the
/// rest counted together) and a few examples per group.
public struct PolicyDiff: Sendable {
    /// The policy before the change.
    public let old: ReplayPolicy
    /// The policy after the change.
    public let new: ReplayPolicy
    /// Session assembly options.
    public var assemblerOptions: SessionAssembler.Options

    /// Creates a comparison.
    public init(old: ReplayPolicy, new: ReplayPolicy, assemblerOptions: SessionAssembler.Options = .init()) {
        self.old = old
        self.new = new
        self.assemblerOptions = assemblerOptions
    }

    /// The calls of one session whose result differs between the two policies.
    public func changes(in session: RecordedSession) -> [PolicyChange] {
        let info = ReplaySessionInfo(session)
        var changes: [PolicyChange] = []
        for (index, step) in PolicyStep.steps(for: session).enumerated() {
            let before = old.evaluate(step)
            let after = new.evaluate(step)
            guard before.result != after.result else { continue }
            changes.append(
                PolicyChange(
                    session: info,
                    stepIndex: index,
                    step: step,
                    old: before.result,
                    new: after.result,
                    determined: before.determination.isDetermined && after.determination.isDetermined
                )
            )
        }
        return changes
    }

    /// Reads a log and adds its sessions' changes to `report`.
    ///
    /// - Parameters:
    ///   - reader: The log.
    ///   - name: Its name (`-` for standard input).
    ///   - report: The report to add to.
    ///   - progressEvery: Lines between `progress` calls.
    ///   - progress: Called with the parse counts so far.
    ///   - body: Called with each session's changes (only sessions with changes).
    /// - Throws: ``RecordedSessions/LogReadError``; what the callbacks throw.
    public func run(
        reader: LogLineReader,
        name: String = "-",
        into report: inout PolicyDiffReport,
        progressEvery: Int = 100_000,
        progress: ((ParseStatistics, PolicyDiffReport) throws -> Void)? = nil,
        _ body: ([PolicyChange]) throws -> Void = { _ in }
    ) throws {
        var stream = RecordedSessionStream(reader: reader, options: assemblerOptions)
        var current = report
        defer { report = current }
        try stream.forEachSession(
            progressEvery: progressEvery,
            progress: progress.map { callback in { statistics in try callback(statistics, current) } }
        ) { session in
            let changes = changes(in: session)
            current.add(changes)
            if !changes.isEmpty { try body(changes) }
        }
        current.logs.append(ReplayReport.LogSummary(name: name, statistics: stream.statistics))
    }
}

/// One call whose result differs between two policies.
public struct PolicyChange: Hashable, Sendable {
    /// The session.
    public var session: ReplaySessionInfo
    /// The step's index in the session.
    public var stepIndex: Int
    /// The call.
    public var step: PolicyStep
    /// The result under the old policy.
    public var old: PolicyResult
    /// The result under the new policy.
    public var new: PolicyResult
    /// Both results are determined by the log's facts (otherwise computed under
    /// ``Determination/emptyAssumption``).
    public var determined: Bool

    /// `ruleset: OLD → NEW`, the key changes are grouped by.
    public var groupKey: PolicyChangeGroup.Key {
        PolicyChangeGroup.Key(ruleset: step.ruleset.rawValue, old: old.summary, new: new.summary)
    }
}

/// The changes that share a ruleset, an old and a new result.
public struct PolicyChangeGroup: Hashable, Sendable {
    /// What changed.
    public struct Key: Hashable, Sendable, Comparable, CustomStringConvertible {
        /// The ruleset.
        public var ruleset: String
        /// Old and new result summaries.
        public var old: String
        public var new: String

        public static func < (a: Key, b: Key) -> Bool { (a.ruleset, a.old, a.new) < (b.ruleset, b.old, b.new) }

        /// `tls_server: OK → 454 4.7.0 encryption too weak 56 less than 112`.
        public var description: String { "\(ruleset): \(old) → \(new)" }
    }

    /// What changed.
    public var key: Key
    /// Sessions with at least one such change.
    public var sessions: Int
    /// Calls with this change.
    public var calls: Int
    /// Calls among them whose result depends on facts the log lacks.
    public var undeterminedCalls: Int
    /// The first few changes.
    public var examples: [PolicyChange]
}

/// The result of a ``PolicyDiff`` run.
public struct PolicyDiffReport: Hashable, Sendable {
    /// Sessions compared.
    public var sessions = 0
    /// Sessions with at least one change.
    public var sessionsChanged = 0
    /// Calls compared… only changed calls are counted per group; this is every call.
    public var callsChanged = 0
    /// Groups by key.
    public var groups: [PolicyChangeGroup.Key: PolicyChangeGroup] = [:]
    /// Changes that did not fit in ``maximumGroups`` groups.
    public var overflowCalls = 0
    /// Each log's parse counts.
    public var logs: [ReplayReport.LogSummary] = []

    /// How many distinct groups are kept.
    public static let maximumGroups = 1_000
    /// Examples kept per group.
    public static let examplesPerGroup = 3

    /// An empty report.
    public init() {}

    /// Adds one session's changes.
    public mutating func add(_ changes: [PolicyChange]) {
        sessions += 1
        guard !changes.isEmpty else { return }
        sessionsChanged += 1
        var seen: Set<PolicyChangeGroup.Key> = []
        for change in changes {
            callsChanged += 1
            let key = change.groupKey
            if groups[key] == nil {
                guard groups.count < Self.maximumGroups else {
                    overflowCalls += 1
                    continue
                }
                groups[key] = PolicyChangeGroup(key: key, sessions: 0, calls: 0, undeterminedCalls: 0, examples: [])
            }
            groups[key]!.calls += 1
            if !change.determined { groups[key]!.undeterminedCalls += 1 }
            if seen.insert(key).inserted {
                groups[key]!.sessions += 1
                if groups[key]!.examples.count < Self.examplesPerGroup { groups[key]!.examples.append(change) }
            }
        }
    }

    /// Groups, most sessions first.
    public var sortedGroups: [PolicyChangeGroup] {
        groups.values.sorted { ($0.sessions, $1.key) > ($1.sessions, $0.key) }
    }

    /// The report as text: one line per group (`tls_server: OK → 454 …: 37 sessions (41 calls)`) with examples.
    public var text: String {
        var lines: [String] = []
        for group in sortedGroups {
            var line = "\(group.key): \(group.sessions) session\(group.sessions == 1 ? "" : "s")"
            line += " (\(group.calls) call\(group.calls == 1 ? "" : "s")"
            if group.undeterminedCalls > 0 { line += ", \(group.undeterminedCalls) depending on facts the log lacks" }
            line += ")"
            lines.append(line)
            for example in group.examples {
                let s = example.session
                lines.append(
                    "    e.g. session \(s.sequenceNumber) (lines \(s.firstLine)–\(s.lastLine), peer \(s.peer ?? "unknown")): "
                        + example.step.callText
                )
            }
        }
        if overflowCalls > 0 { lines.append("(\(overflowCalls) more changed calls in further groups)") }
        lines.append(
            "== \(sessionsChanged) of \(sessions) sessions change (\(callsChanged) calls in \(groups.count) group\(groups.count == 1 ? "" : "s"))"
        )
        return lines.joined(separator: "\n")
    }
}
