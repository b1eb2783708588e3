import AccessMap
import AccessPolicy

/// Puts into words which rule produced a result, from the look-up trace, the requirement found and the macros
/// (the engine reports the look-ups; the rule is read from them and the ruleset's documented procedure).
struct RuleDescriber {
    let step: PolicyStep
    let macros: SessionMacros
    let result: PolicyResult
    let requirement: TLSRequirement?
    let lookups: [AccessLookupTraceEntry]

    func explanation() -> PolicyExplanation {
        var decisive: Int?
        for (index, entry) in lookups.enumerated() {
            if case .found = entry.outcome { decisive = index }
            if case .temporaryFailure = entry.outcome { decisive = index }
        }
        return PolicyExplanation(lookups: lookups, decisiveLookup: decisive, rule: rule(decisive: decisive))
    }

    private func value(_ name: MacroName) -> String {
        let text = macros.value(name)
        return step.unknownMacros.contains(name) ? "unknown (taken as empty)" : (text.isEmpty ? "empty" : text)
    }

    private func rule(decisive: Int?) -> String {
        let outcome = "→ \(result.summary)"
        if let decisive, case .temporaryFailure = lookups[decisive].outcome {
            return "the map failed temporarily for \(lookups[decisive].key) \(outcome)"
        }
        switch step.ruleset {
        case .tlsClient, .tlsServer, .tlsRecipient:
            return tlsRule(outcome)
        case .checkMail where requirement != nil && !result.kind.continues:
            return "check_mail runs tls_client first: " + tlsRule(outcome)
        case .tryTLS:
            guard let decisive, case .found(let text) = lookups[decisive].outcome else {
                return "no Try_TLS: entry for the server: issue STARTTLS \(outcome)"
            }
            return "Try_TLS: entry \(lookups[decisive].key) = \(text) \(outcome)"
        case .relayTLS:
            let verify = value(.verify)
            if !(verify == "OK" || verify == "TRUSTED") {
                return "RelayTLS relays only for a verified certificate; {verify} is \(verify) \(outcome)"
            }
            guard let decisive, case .found(let text) = lookups[decisive].outcome else {
                return "{verify} is \(verify) but neither CERTISSUER: nor CERTSUBJECT: lists the certificate \(outcome)"
            }
            return "{verify} is \(verify) and \(lookups[decisive].key) = \(text) \(outcome)"
        default:
            guard let decisive, case .found(let text) = lookups[decisive].outcome else {
                return "no entry decided: the ruleset's default \(outcome)"
            }
            return "entry \(lookups[decisive].key) = \(text) \(outcome)"
        }
    }

    private func tlsRule(_ outcome: String) -> String {
        // tls_client and tls_server read {verify} from their first argument.
        var verify = value(.verify)
        if step.ruleset == .tlsClient || step.ruleset == .tlsServer, let first = step.arguments.first, let first {
            verify = first.isEmpty ? "empty" : first
        }
        let tag = step.ruleset == .tlsServer ? "TLS_Srv:" : (step.ruleset == .tlsRecipient ? "TLS_Rcpt:" : "TLS_Clt:")
        if ["SOFTWARE", "PROTOCOL", "DANE_FAIL", "CONFIG"].contains(verify.uppercased()) {
            return "TLS_connection: {verify} \(verify) fails whatever the requirement \(outcome)"
        }
        guard let requirement else {
            return "no \(tag) entry: only {verify} (\(verify)) is checked \(outcome)"
        }
        guard requirement.isEnforced, let base = requirement.base else {
            return "\(tag) value '\(requirement.rawValue)' is not a requirement sendmail enforces \(outcome)"
        }
        var text = "TLS_connection with requirement \(requirement.rawValue): "
        func bits(_ needed: String) -> String {
            "max({cipher_bits} \(value(.cipherBits)), {auth_ssf} \(value(.authSSF))) against \(needed) bits"
        }
        switch base {
        case .verify(let needed):
            if !(verify.uppercased() == "OK" || verify.uppercased() == "TRUSTED") {
                return text + "VERIFY needs {verify} OK or TRUSTED; {verify} is \(verify) \(outcome)"
            }
            text += "{verify} \(verify) passes VERIFY"
            if let needed { text += "; " + bits(needed) }
        case .encryption(let needed):
            text += "ENCR ignores {verify}; " + bits(needed)
        case .other(let kind, _):
            text += "\(kind) is neither VERIFY nor ENCR"
        }
        if !requirement.extensions.isEmpty {
            text += "; then the extensions \(requirement.extensionTokens.assembledText())"
        }
        return text + " \(outcome)"
    }
}
