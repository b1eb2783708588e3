import AccessMap

// The one place that maps ruleset names to implementations (for PolicyEngine.run and the -bt test mode).
// Relay decisions (check_relay, check_mail, check_rcpt) are in Relay/RulesetEvaluator+Relay.swift.
extension RulesetEvaluator {
    /// Runs a ruleset by name on an input workspace; `nil` when the name is not a known ruleset.
    mutating func run(_ ruleset: PolicyRuleset, input: [Token]) -> RulesetResult? {
        lastReturn = input
        do throws(RulesetAbort) {
            switch ruleset {
            case .tlsClient: return try tlsClient(input)
            case .tlsServer: return try tlsServer(input)
            case .tlsRecipient: return try tlsRecipient(input)
            case .tlsConnection:
                guard let (verify, tail) = Workspace.splitAtSeparator(input) else { return .workspace(input) }
                return try tlsConnection(verify: verify, tail: tail)
            case .max: return .workspace(Self.max(input))
            case .tryTLS: return try tryTLS(input)
            case .serverFeatures: return try features(.serverFeatures)
            case .clientFeatures: return try features(.clientFeatures)
            case .relayTLS: return try relayTLS()
            case .trustAuth: return try trustAuth(input)
            // FEATURE(delay_checks) renames check_relay and check_mail: they are not rulesets there.
            case .checkRelay: return configuration.relay.delayChecks ? nil : try checkRelay(input)
            case .checkMail: return configuration.relay.delayChecks ? nil : try checkMail(input)
            case .checkRcpt: return try checkRcpt(input)
            default: return nil
            }
        } catch {
            // A rewrite failure: sendmail stops and the last completed call's result stands (accept).
            return .workspace(lastReturn)
        }
    }
}
