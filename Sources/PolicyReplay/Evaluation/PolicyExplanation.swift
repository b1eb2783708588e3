public import AccessMap

/// Why a ruleset call decided what it did: every access-map key looked up, in order, which ones matched, and the
/// rule that produced the result.
public struct PolicyExplanation: Hashable, Sendable {
    /// Every key looked up, in the order the ruleset looked them up, with the map's answer.
    public var lookups: [AccessLookupTraceEntry]
    /// The index in ``lookups`` of the entry the result came from (the last key that was found), if any.
    public var decisiveLookup: Int?
    /// The rule that produced the result, in words (e.g. `TLS_connection: VERIFY:80 needs {verify} OK or TRUSTED;
    /// {verify} is NO`).
    public var rule: String

    /// Creates an explanation.
    public init(lookups: [AccessLookupTraceEntry], decisiveLookup: Int?, rule: String) {
        self.lookups = lookups
        self.decisiveLookup = decisiveLookup
        self.rule = rule
    }

    /// The explanation as indented lines: one per look-up (`KEY => VALUE`, the decisive one marked `<= match`),
    /// then `rule: …`.
    public func lines(indent: String = "    ") -> [String] {
        var out: [String] = []
        if lookups.isEmpty { out.append(indent + "(no access-map look-ups)") }
        for (index, entry) in lookups.enumerated() {
            var text = indent + "lookup \(entry)"
            if index == decisiveLookup {
                text += "   <= match"
            } else if case .found = entry.outcome {
                text += "   (found)"
            }
            out.append(text)
        }
        out.append(indent + "rule: " + rule)
        return out
    }
}
