import AccessMap

// The one place that maps ruleset names to implementations (for PolicyEngine.run and the -bt test mode).
// Relay decisions (check_relay, check_mail, check_rcpt, …) are added here as further cases.
extension RulesetEvaluator {
    /// Runs a ruleset by name on an input workspace; `nil` when the name is not a known ruleset.
    mutating func run(_ ruleset: PolicyRuleset, input: [Token]) -> RulesetResult? {
        switch ruleset {
        case .tlsClient: return tlsClient(input)
        case .tlsServer: return tlsServer(input)
        case .tlsRecipient: return tlsRecipient(input)
        case .tlsConnection:
            guard let (verify, tail) = Workspace.splitAtSeparator(input) else { return .workspace(input) }
            return tlsConnection(verify: verify, tail: tail)
        case .max: return .workspace(Self.max(input))
        case .tryTLS: return tryTLS(input)
        case .serverFeatures: return features(.serverFeatures)
        case .clientFeatures: return features(.clientFeatures)
        case .relayTLS: return relayTLS()
        case .trustAuth: return trustAuth(input)
        default: return nil
        }
    }
}
