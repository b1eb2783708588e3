public import AccessMap
public import AccessPolicy

/// The policy a replay evaluates: one shared ``AccessPolicy/PolicyEngine`` (TLS rulesets) plus the relay
/// settings for `check_relay`, `check_mail` and `check_rcpt`.
///
/// Immutable and `Sendable`: build it once and share it. Each ``evaluate(_:explain:)`` call makes its own
/// look-up state, so calls may run on any thread.
public struct ReplayPolicy: Sendable {
    /// The TLS policy engine (also holds the access map source).
    public let engine: PolicyEngine
    /// Classes, features and texts of the relay rulesets.
    public let relaySettings: RelaySettings
    /// access_db option `relaytofulladdress`.
    public let relayToFullAddress: Bool
    /// Which tags of the map have address keys; `nil` when not known (then an unknown address always counts as
    /// decisive).
    public var addressKeys: AddressKeyIndex?

    /// Creates a policy from an engine and relay settings.
    public init(engine: PolicyEngine, relaySettings: RelaySettings = RelaySettings(), relayToFullAddress: Bool = false) {
        self.engine = engine
        self.relaySettings = relaySettings
        self.relayToFullAddress = relayToFullAddress
    }

    /// Creates a policy from a configuration file's contents and a map source; the TLS engine gets the same
    /// classes and access_db options as the relay rulesets.
    public init(configuration file: ConfigFile, source: any AccessMapSource) {
        self.init(
            engine: PolicyEngine(configuration: file.replayEngineConfiguration, source: source),
            relaySettings: file.relay,
            relayToFullAddress: file.accessOptions.contains(.relayToFullAddress)
        )
    }

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
        var lookups: [AccessLookupTraceEntry] = []
        let result: PolicyResult
        var requirement: TLSRequirement?

        func runTLS(_ ruleset: PolicyRuleset, _ input: [Token]) -> PolicyResult {
            let evaluation = engine.run(ruleset, input: input, session: macros, tracing: true)!
            let trace = evaluation.trace ?? []
            if requirement == nil, let found = Self.firstFound(trace) {
                requirement = TLSRequirement(found, tlsClass: engine.configuration.members(of: "Tls"))
            }
            lookups += trace
            return PolicyResult(evaluation.result, ruleset: ruleset)
        }
        func relayRules(_ withTLS: Bool) -> RelayRulesets {
            let engine = self.engine
            let tlsClient: @Sendable (SessionMacros) -> RelayResult = { session in
                let input = ReplayPolicy.tlsClientInput(session)
                guard let evaluation = engine.run(.tlsClient, input: input, session: session) else {
                    return RelayResult.workspace([Token("OK")])
                }
                return RelayResult(evaluation.result)
            }
            // The relay rulesets' look-ups are traced only to explain (the determination does not read them).
            let lookup = AccessLookup(
                source: engine.source,
                options: engine.configuration.features.accessLookup,
                tracing: explain
            )
            return RelayRulesets(
                settings: relaySettings,
                macros: macros,
                lookup: lookup,
                relayToFullAddress: relayToFullAddress,
                tlsClient: withTLS ? tlsClient : nil
            )
        }

        switch step.ruleset {
        case .tlsClient:
            let phase = step.arguments.count > 1 ? (step.arguments[1] ?? "MAIL") : "MAIL"
            result = runTLS(.tlsClient, Tokenizer.tokenize(arguments.first ?? "") + [Token("$|"), Token(phase)])
        case .tlsServer:
            result = runTLS(.tlsServer, Tokenizer.tokenize(arguments.first ?? ""))
        case .tryTLS:
            result = runTLS(.tryTLS, [Token("x")])
        case .relayTLS:
            result = runTLS(.relayTLS, [Token("x")])
        case .tlsRecipient:
            result = runTLS(.tlsRecipient, Tokenizer.tokenize(arguments.first ?? ""))
        case RelayRulesetName.checkRelay:
            var rules = relayRules(false)
            let relay = rules.checkRelay(
                name: Tokenizer.tokenize(arguments.first ?? ""),
                address: Tokenizer.tokenize(arguments.count > 1 ? arguments[1] : "")
            )
            lookups += rules.lookup.trace ?? []
            result = PolicyResult(relay, ruleset: step.ruleset)
        case RelayRulesetName.checkMail:
            // check_mail runs tls_client (MAIL) first; a resolved result there is the answer.
            let tls = runTLS(.tlsClient, Self.tlsClientInput(macros))
            if tls.line.hasPrefix("$#") {
                result = tls
            } else {
                lookups.removeAll()
                requirement = nil
                var rules = relayRules(false)
                let relay = rules.checkMail(Tokenizer.tokenize(arguments.first ?? ""))
                lookups += rules.lookup.trace ?? []
                result = PolicyResult(relay, ruleset: step.ruleset)
            }
        case RelayRulesetName.checkRcpt:
            var rules = relayRules(relaySettings.delayChecks)
            let relay = rules.checkRcpt(Tokenizer.tokenize(arguments.first ?? ""))
            lookups += rules.lookup.trace ?? []
            result = PolicyResult(relay, ruleset: step.ruleset)
        default:
            let input = Tokenizer.tokenize(arguments.compactMap { $0 }.joined(separator: " $| "))
            if let evaluation = engine.run(step.ruleset, input: input, session: macros, tracing: true) {
                lookups += evaluation.trace ?? []
                result = PolicyResult(evaluation.result, ruleset: step.ruleset)
            } else {
                result = PolicyResult(kind: .accept, line: "Undefined ruleset \(step.ruleset.rawValue)")
            }
        }

        let determination = Determination.of(
            step: step,
            result: result,
            requirement: requirement,
            settings: relaySettings,
            addressKeys: addressKeys
        )
        let explanation =
            explain
            ? RuleDescriber(step: step, macros: macros, result: result, requirement: requirement, lookups: lookups)
                .explanation() : nil
        return Evaluation(result: result, determination: determination, explanation: explanation)
    }

    static func tlsClientInput(_ macros: SessionMacros) -> [Token] {
        macros.tokens(.verify) + [Token("$|"), Token("MAIL")]
    }

    static func firstFound(_ trace: [AccessLookupTraceEntry]) -> String? {
        for entry in trace { if case .found(let value) = entry.outcome { return value } }
        return nil
    }
}

extension RelayResult {
    /// The relay rulesets' view of a TLS ruleset result (check_mail and delay_checks call tls_client).
    init(_ result: RulesetResult) {
        switch result {
        case .resolved(let mailer, let host, let text):
            self = .mailer(name: mailer.first ?? Token("error"), host: host ?? [], text: text ?? [])
        case .workspace(let tokens):
            self = .workspace(tokens)
        }
    }
}

extension ConfigFile {
    /// The TLS engine's configuration for this file: the same classes and access_db options as the relay
    /// rulesets, and `TLS_PERM_ERR`.
    /// (Named for the replay to stay clear of an equivalent the engine may add.)
    var replayEngineConfiguration: PolicyConfiguration {
        var classes: [String: ClassSet] = [:]
        for (name, words) in relay.classes { classes[name] = ClassSet(words.sorted()) }
        var options: AccessLookupOptions = []
        if accessOptions.contains(.skip) { options.insert(.skip) }
        if accessOptions.contains(.lookupDotDomain) { options.insert(.lookupDotDomain) }
        return PolicyConfiguration(
            classes: classes,
            features: PolicyFeatures(tlsPermanentErrors: tlsPermanentErrors, accessLookup: options)
        )
    }
}
