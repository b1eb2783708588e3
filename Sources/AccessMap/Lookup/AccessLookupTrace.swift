/// One key looked up during a search, in order, and what the map answered.
public struct AccessLookupTraceEntry: Hashable, Sendable, CustomStringConvertible {
    /// What the map answered for one key.
    public enum Outcome: Hashable, Sendable {
        /// The key matched; the stored value as text (before `%` substitution).
        case found(String)
        /// The key is not in the map.
        case notFound
        /// The look-up failed temporarily.
        case temporaryFailure
    }

    /// The key as sent (original case; the map folds it).
    public var key: String
    /// The answer.
    public var outcome: Outcome

    /// Creates an entry.
    public init(key: String, outcome: Outcome) {
        self.key = key
        self.outcome = outcome
    }

    /// `KEY => VALUE`, `KEY => NOT FOUND` or `KEY => TEMPFAIL`, as `sendmail -d60.1` lists look-ups.
    public var description: String {
        switch outcome {
        case .found(let value): return "\(key) => \(value)"
        case .notFound: return "\(key) => NOT FOUND"
        case .temporaryFailure: return "\(key) => TEMPFAIL"
        }
    }
}
