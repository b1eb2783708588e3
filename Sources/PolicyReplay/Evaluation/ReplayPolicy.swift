public import AccessMap
public import AccessPolicy

/// The policy a replay evaluates: one shared ``AccessPolicy/PolicyEngine`` (TLS and relay rulesets, the access
/// map, the configuration).
///
/// Immutable and `Sendable`: build it once and share it. Each ``evaluate(_:explain:)`` call makes its own
/// look-up state, so calls may run on any thread.
public struct ReplayPolicy: Sendable {
    /// The policy engine (also holds the access map source and the configuration).
    public let engine: PolicyEngine
    /// Which tags of the map have address keys; `nil` when not known (then an unknown address always counts as
    /// decisive).
    public var addressKeys: AddressKeyIndex?

    /// Creates a policy from an engine.
    public init(engine: PolicyEngine, addressKeys: AddressKeyIndex? = nil) {
        self.engine = engine
        self.addressKeys = addressKeys
    }

    /// Creates a policy from a configuration file's contents and a map source.
    public init(configuration file: ConfigFile, source: any AccessMapSource) {
        self.init(engine: PolicyEngine(configuration: file.policy, source: source))
    }

    /// The relay rulesets' settings.
    public var relaySettings: RelaySettings { engine.configuration.relay }

    /// One evaluated step.
    public struct Evaluation: Hashable, Sendable {
        /// The result (under the stated assumption when ``determination`` is undetermined).
        public var result: PolicyResult
        /// Whether the log's facts are enough to decide this call.
        public var determination: Determination
        /// Look-ups and rule, when asked for.
        public var explanation: PolicyExplanation?
    }

    /// Evaluates one step.
    ///
    /// Unknown macros are taken as empty for the evaluation; when a macro the decision depends on is unknown
    /// the evaluation says so (``Determination/undetermined(missing:assumption:)``), never hiding the guess.
    ///
    /// - Parameters:
    ///   - step: The call.
    ///   - explain: Record the look-ups and the rule.
    public func evaluate(_ step: PolicyStep, explain: Bool = false) -> Evaluation {
        let macros = step.evaluatedMacros
        let arguments = step.evaluatedArguments
        func argument(_ index: Int) -> [Token] {
            index < arguments.count ? Tokenizer.tokenize(arguments[index]) : []
        }
        let input: [Token]
        switch step.ruleset {
        case .tlsClient:
            let phase = step.arguments.count > 1 ? (step.arguments[1] ?? "MAIL") : "MAIL"
            input = argument(0) + [Token("$|"), Token(phase)]
        case .checkRelay:
            input = argument(0) + [Token("$|")] + argument(1)
        case .tryTLS, .relayTLS, .serverFeatures, .clientFeatures:
            input = [Token("x")]
        default:
            input = argument(0)
        }
        let result: PolicyResult
        var lookups: [AccessLookupTraceEntry] = []
        if let evaluation = engine.run(step.ruleset, input: input, session: macros, tracing: true) {
            lookups = evaluation.trace ?? []
            result = PolicyResult(evaluation.result, ruleset: step.ruleset)
        } else {
            // FEATURE(delay_checks) has no check_relay/check_mail rulesets: nothing is decided there.
            result = PolicyResult(kind: .accept, line: "Undefined ruleset \(step.ruleset.rawValue)")
        }
        let requirement = Self.requirement(in: lookups, ruleset: step.ruleset).map {
            TLSRequirement($0, tlsClass: engine.configuration.members(of: "Tls"))
        }
        let determination = Determination.of(
            step: step,
            result: result,
            requirement: requirement,
            configuration: engine.configuration,
            addressKeys: addressKeys
        )
        let explanation =
            explain
            ? RuleDescriber(step: step, macros: macros, result: result, requirement: requirement, lookups: lookups)
                .explanation() : nil
        return Evaluation(result: result, determination: determination, explanation: explanation)
    }

    /// The TLS requirement a call found: the first `TLS_Clt:`/`TLS_Srv:`/`TLS_Rcpt:` entry in its trace.
    static func requirement(in trace: [AccessLookupTraceEntry], ruleset: PolicyRuleset) -> String? {
        let tags = ["tls_clt:", "tls_srv:", "tls_rcpt:"]
        for entry in trace {
            guard case .found(let value) = entry.outcome else { continue }
            let key = entry.key.lowercased()
            if tags.contains(where: { key.hasPrefix($0) }) { return value }
        }
        return nil
    }
}
