import AccessPolicy
public import RecordedSessions

/// Counts over a whole replay, in memory that does not grow with the log (counters and a few examples).
public struct ReplayReport: Hashable, Sendable {
    /// Sessions replayed.
    public var sessions = 0
    /// Sessions with at least one decision that disagrees with the log.
    public var sessionsDisagreeing = 0
    /// Ruleset calls evaluated.
    public var decisions = 0
    /// Decisions by kind.
    public var byKind: [DecisionKind: Int] = [:]
    /// Decisions by ruleset name and kind.
    public var byRuleset: [String: [DecisionKind: Int]] = [:]
    /// Decisions by agreement with the log.
    public var byAgreement: [Agreement.Kind: Int] = [:]
    /// Undetermined decisions by the missing macro (a decision may count under several).
    public var undeterminedByMacro: [String: Int] = [:]
    /// Undetermined decisions.
    public var undetermined = 0
    /// The first disagreements (at most ``maximumExamples``).
    public var disagreementExamples: [ReplayDecision] = []
    /// Each log's parse counts, once it has been read (malformed, truncated, foreign and binary lines are counted
    /// here), in the order the logs were read.
    public var logs: [LogSummary] = []

    /// One log's name and parse counts.
    public struct LogSummary: Hashable, Sendable {
        /// The path as given (`-` for standard input).
        public var name: String
        /// Its parse counts.
        public var statistics: ParseStatistics
    }

    /// How many disagreement examples are kept.
    public static let maximumExamples = 10

    /// Creates an empty report.
    public init() {}

    /// Adds one session's decisions.
    public mutating func add(_ result: ReplaySessionResult) {
        sessions += 1
        var disagreed = false
        for decision in result.decisions {
            decisions += 1
            byKind[decision.result.kind, default: 0] += 1
            byRuleset[decision.step.ruleset.rawValue, default: [:]][decision.result.kind, default: 0] += 1
            byAgreement[decision.agreement.kind, default: 0] += 1
            if case .undetermined(let missing, _) = decision.determination {
                undetermined += 1
                for name in missing { undeterminedByMacro[name.description, default: 0] += 1 }
            }
            if decision.agreement.kind == .disagrees {
                disagreed = true
                if disagreementExamples.count < Self.maximumExamples { disagreementExamples.append(decision) }
            }
        }
        if disagreed { sessionsDisagreeing += 1 }
    }
}
