import AccessMap
public import AccessPolicy

/// Decides Postfix policy requests with sendmail's rulesets (the engine's ``PolicyEngine``): the stage's checks
/// run on the session macros derived from the request
/// (``PostfixPolicyRequest/sessionMacros(assumeCertificateRequested:)``), and the first rejection wins.
///
/// | `protocol_state` | rulesets | answer |
/// | --- | --- | --- |
/// | `CONNECT`, `EHLO`, `HELO` | check_relay | reject/defer/discard/hold, else `DUNNO` |
/// | `MAIL` | check_relay, check_mail (which runs tls_client `MAIL` first: `TLS_Clt:` requirements) | same |
/// | `RCPT` | check_relay, check_mail, check_rcpt (Rcpt_ok, RelayTLS, Relay_ok) | rejection as above; relaying (or local delivery) permitted → `OK`; otherwise `DUNNO` |
/// | others (`DATA`, `END-OF-MESSAGE`, `VRFY`, `ETRN`) | none | `DUNNO` |
///
/// Running the connection and sender checks again at RCPT is what makes the policy hold whichever
/// `smtpd_*_restrictions` list the service is called from (Postfix's `smtpd_delay_reject` moves rejections
/// to RCPT anyway). With FEATURE(delay_checks) configured, check_rcpt runs them itself.
///
/// An `OK` answer skips the Postfix restrictions after `check_policy_service`: place it before
/// `reject_unauth_destination` so that relaying granted by the map (client certificate issuer, `Connect:`
/// RELAY) is honoured; relaying not granted gets this service's own `550 5.7.1 Relaying denied`.
public struct SendmailPolicyDecider: PolicyDecider {
    /// The engine (configuration and map) every decision runs on.
    public let engine: PolicyEngine
    /// Whether Postfix asks clients for a certificate (`smtpd_tls_ask_ccert = yes`).
    public var assumeCertificateRequested: Bool
    /// Issuer distinguished names declared by the administrator, by issuer common name: Postfix sends only the
    /// issuer's CN (`ccert_issuer`, and only for a certificate it trusts), while sendmail's `CERTISSUER:` and
    /// `CI:` checks compare the full DN. When the certificate verified (`{verify}` = `OK`) and its issuer CN is
    /// listed here, `{cert_issuer}` is set to the listed DN (xtext, as in the access map); otherwise it stays
    /// empty and every DN-based check fails closed.
    public var issuerDistinguishedNames: [String: String]

    /// Creates a decider.
    ///
    /// - Parameters:
    ///   - engine: Configuration and map; give it an ``AccessMap/AutoReloadingAccessMapSource`` to follow map
    ///     reloads (each decision then reads one version of the map, see ``AccessMap/AccessMapSource/pinned()``).
    ///   - assumeCertificateRequested: `smtpd_tls_ask_ccert = yes` on the Postfix side.
    ///   - issuerDistinguishedNames: Issuer DNs by CN, see ``issuerDistinguishedNames``.
    public init(
        engine: PolicyEngine,
        assumeCertificateRequested: Bool = true,
        issuerDistinguishedNames: [String: String] = [:]
    ) {
        self.engine = engine
        self.assumeCertificateRequested = assumeCertificateRequested
        self.issuerDistinguishedNames = issuerDistinguishedNames
    }

    public func decide(_ request: PostfixPolicyRequest) -> PolicyAction {
        var macros = request.sessionMacros(assumeCertificateRequested: assumeCertificateRequested)
        if macros.value(.verify) == "OK", let dn = issuerDistinguishedNames[request.certificateIssuerName] {
            macros[.certIssuer] = dn
        }
        // One version of the map for the whole decision, so it cannot straddle a reload.
        let engine = self.engine.pinned()
        let state = request.protocolState
        if !engine.configuration.relay.delayChecks {
            if ["CONNECT", "EHLO", "HELO", "MAIL", "RCPT"].contains(state),
                let action = Self.stopping(engine.checkRelay(macros))
            {
                return action
            }
            if ["MAIL", "RCPT"].contains(state),
                let action = Self.stopping(engine.checkMail("<\(request["sender"] ?? "")>", session: macros))
            {
                return action
            }
        }
        guard state == "RCPT" else { return .dunno }
        let decision = engine.checkRcpt("<\(request["recipient"] ?? "")>", session: macros)
        if let action = Self.stopping(decision) { return action }
        return .ok
    }

    /// The Postfix action for a decision that stops the session (rejection, discard, quarantine); `nil` for
    /// accept and relay.
    static func stopping(_ decision: PolicyDecision) -> PolicyAction? {
        switch decision {
        case .accept, .relay: return nil
        case .discard: return .discard(text: "")
        case .quarantine(let reason): return .hold(reason: reason)
        case .reject(let reply):
            return reply.code >= 500
                ? .reject(code: reply.code, status: reply.enhancedStatus, text: reply.text)
                : .defer(code: reply.code, status: reply.enhancedStatus, text: reply.text)
        }
    }
}
