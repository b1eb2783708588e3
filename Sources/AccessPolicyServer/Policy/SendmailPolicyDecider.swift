public import AccessMap
public import AccessPolicy

/// Decides Postfix policy requests with sendmail's rulesets: the stage's checks run on the session macros
/// derived from the request (``PostfixPolicyRequest/sessionMacros(assumeCertificateRequested:)``), and the
/// first rejection wins.
///
/// | `protocol_state` | rulesets | answer |
/// | --- | --- | --- |
/// | `CONNECT`, `EHLO`, `HELO` | check_relay | reject/defer/discard/hold, else `DUNNO` |
/// | `MAIL` | check_relay, check_mail (which runs tls_client `MAIL` first) | same |
/// | `RCPT` | check_relay, check_mail, check_rcpt (Rcpt_ok, RelayTLS, Relay_ok) | rejection as above; relaying permitted → `OK`; otherwise `DUNNO` |
/// | others (`DATA`, `END-OF-MESSAGE`, `VRFY`, `ETRN`) | none | `DUNNO` |
///
/// Running the connection and sender checks again at RCPT is what makes the policy hold whichever
/// `smtpd_*_restrictions` list the service is called from (Postfix's `smtpd_delay_reject` moves rejections
/// to RCPT anyway). With FEATURE(delay_checks) configured, check_rcpt runs them itself.
///
/// An `OK` answer skips the Postfix restrictions after `check_policy_service`: place it before
/// `reject_unauth_destination` so that relaying granted by the map (client certificate issuer, `Connect:`
/// RELAY) is honoured, and relaying not granted is refused by the `DUNNO` → `reject_unauth_destination` path
/// or by this service's own `550 5.7.1 Relaying denied`.
public struct SendmailPolicyDecider: PolicyDecider {
    /// Classes, features and texts for the relay rulesets.
    public var settings: RelaySettings
    /// access_db options.
    public var lookupOptions: AccessLookupOptions
    /// access_db `relaytofulladdress`.
    public var relayToFullAddress: Bool
    /// Whether Postfix asks clients for a certificate (`smtpd_tls_ask_ccert = yes`).
    public var assumeCertificateRequested: Bool
    /// The map.
    public let source: any AccessMapSource
    /// `tls_client {verify} $| MAIL`, called by check_mail; `nil` means no TLS requirements are enforced
    /// (see ``tlsClient`` providers such as the engine's TLS rulesets).
    public var tlsClient: (@Sendable (SessionMacros) -> RelayResult)?
    /// Issuer distinguished names declared by the administrator, by issuer common name: Postfix sends only the
    /// issuer's CN (`ccert_issuer`, and only for a certificate it trusts), while sendmail's `CERTISSUER:` and
    /// `CI:` checks compare the full DN. When the certificate verified (`{verify}` = `OK`) and its issuer CN is
    /// listed here, `{cert_issuer}` is set to the listed DN (xtext, as in the access map); otherwise it stays
    /// empty and every DN-based check fails closed.
    public var issuerDistinguishedNames: [String: String]

    /// Creates a decider.
    public init(
        source: any AccessMapSource,
        settings: RelaySettings = RelaySettings(),
        lookupOptions: AccessLookupOptions = [],
        relayToFullAddress: Bool = false,
        assumeCertificateRequested: Bool = true,
        issuerDistinguishedNames: [String: String] = [:],
        tlsClient: (@Sendable (SessionMacros) -> RelayResult)?
    ) {
        self.issuerDistinguishedNames = issuerDistinguishedNames
        self.source = source
        self.settings = settings
        self.lookupOptions = lookupOptions
        self.relayToFullAddress = relayToFullAddress
        self.assumeCertificateRequested = assumeCertificateRequested
        self.tlsClient = tlsClient
    }

    public func decide(_ request: PostfixPolicyRequest) -> PolicyAction {
        var macros = request.sessionMacros(assumeCertificateRequested: assumeCertificateRequested)
        if macros.value(.verify) == "OK", let dn = issuerDistinguishedNames[request.certificateIssuerName] {
            macros[.certIssuer] = dn
        }
        // One snapshot of the map for the whole decision, so it cannot straddle a reload.
        let pinned: any AccessMapSource = (source as? ReloadingAccessMapSource)?.pinned() ?? source
        var rulesets = RelayRulesets(
            settings: settings,
            macros: macros,
            lookup: AccessLookup(source: pinned, options: lookupOptions),
            relayToFullAddress: relayToFullAddress,
            tlsClient: tlsClient
        )
        let state = request.protocolState
        let checksClient = ["CONNECT", "EHLO", "HELO", "MAIL", "RCPT"].contains(state)
        let checksSender = ["MAIL", "RCPT"].contains(state)
        if !settings.delayChecks {
            if checksClient {
                let result = rulesets.checkRelay(
                    name: Tokenizer.tokenize(macros.value(.clientName)),
                    address: Tokenizer.tokenize(macros.value(.clientAddr))
                )
                if let action = Self.stopping(result) { return action }
            }
            if checksSender {
                let result = rulesets.checkMail(Tokenizer.tokenize("<\(request["sender"] ?? "")>"))
                if let action = Self.stopping(result) { return action }
            }
        }
        guard state == "RCPT" else { return .dunno }
        let result = rulesets.checkRcpt(Tokenizer.tokenize("<\(request["recipient"] ?? "")>"))
        if let action = Self.stopping(result) { return action }
        return Self.relays(result) ? .ok : .dunno
    }

    /// The Postfix action for a result that stops the session (`$#error`, `$#discard`, quarantine).
    static func stopping(_ result: RelayResult) -> PolicyAction? {
        guard case .mailer(let name, let host, let text) = result else { return nil }
        if name.matches("discard") { return .discard(text: "") }
        guard name.matches("error") else { return nil }
        let textString = text.assembledText()
        if host.count == 1, host[0].matches("quarantine") { return .hold(reason: textString) }
        let dsn = host.map(\.text).joined()
        let reply = SMTPReply(text: textString, status: dsn.isEmpty ? nil : dsn)
        return reply.code >= 500
            ? .reject(code: reply.code, status: reply.status, text: reply.text)
            : .defer(code: reply.code, status: reply.status, text: reply.text)
    }

    /// check_rcpt accepted because relaying (or local delivery) is permitted: `RELAY`, `$# RELAY`, `$# OK`.
    static func relays(_ result: RelayResult) -> Bool {
        switch result {
        case .mailer(let name, _, _): return name.matches("RELAY") || name.matches("OK")
        case .workspace(let tokens): return tokens.count == 1 && (tokens[0].matches("RELAY") || tokens[0].matches("OK"))
        }
    }
}
