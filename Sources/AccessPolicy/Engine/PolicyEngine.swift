public import AccessMap

/// sendmail's STARTTLS and access policy, as a value an MTA asks at each SMTP step.
///
/// The engine is immutable and `Sendable`: build it once from a ``PolicyConfiguration`` and an
/// `AccessMapSource` and share it across all sessions and threads. Each question takes the
/// session's macros (``SessionMacros``) and returns a typed decision; nothing is thrown — a map that cannot be
/// read is a decision too (for most rulesets a `451 4.3.0` temporary failure, exactly as sendmail answers).
///
/// ```swift
/// let engine = PolicyEngine(source: GDBMAccessMapSource.open(path: "/etc/mail/access.db", optional: true))
/// var session = SessionMacros()
/// session.clientName = "mx.partner.example"
/// session.clientAddress = .ipv4("192.0.2.7")
/// session.verify = .fail
/// switch engine.tlsClient(session, phase: .startTLS) {
/// case .accept: break
/// case .reject(let reply): send(reply)  // 454 4.7.0 authentication failed
/// }
/// ```
public struct PolicyEngine: Sendable {
    /// Classes and feature switches.
    public let configuration: PolicyConfiguration
    /// The access map.
    public private(set) var source: any AccessMapSource

    /// The byte-level path of tls_client and tls_server for plain sessions and values (``TLSPeerFastPath``).
    let tlsPeerFastPath: TLSPeerFastPath
    /// The byte-level path of check_rcpt for plain recipients and sessions (``CheckRcptFastPath``).
    let checkRcptFastPath: CheckRcptFastPath

    /// Creates an engine.
    public init(configuration: PolicyConfiguration = PolicyConfiguration(), source: any AccessMapSource) {
        self.configuration = configuration
        self.source = source
        self.tlsPeerFastPath = TLSPeerFastPath(configuration: configuration)
        self.checkRcptFastPath = CheckRcptFastPath(configuration: configuration)
    }

    /// The same engine on the map version in service now (``AccessMap/AccessMapSource/pinned()``): for an MTA step
    /// that asks several rulesets and must not straddle a reload. Shares everything computed from the
    /// configuration.
    public func pinned() -> PolicyEngine {
        var engine = self
        engine.source = source.pinned()
        return engine
    }

    /// When tls_client runs.
    public enum TLSClientPhase: String, Hashable, Sendable {
        /// Right after the STARTTLS handshake.
        case startTLS = "STARTTLS"
        /// At each MAIL command (also without STARTTLS: then `{verify}` is empty).
        case mail = "MAIL"
    }

    /// tls_client: does the SMTP client's TLS state meet the `TLS_Clt:` requirement for `{client_name}` /
    /// `{client_addr}`?
    ///
    /// Reads `{verify}`, `{client_name}`, `{client_addr}`, `{cipher_bits}`, `{auth_ssf}`, `{cn_subject}`,
    /// `{cert_subject}`, `{cert_issuer}`.
    public func tlsClient(_ session: SessionMacros, phase: TLSClientPhase = .mail) -> TLSPolicyDecision {
        if let decision = tlsPeerFastPath.decide(session, peer: TLSPeerFastPath.client, in: source) {
            return decision
        }
        let input = session.tokens(.verify) + [Token("$|"), Token(phase.rawValue)]
        return TLSPolicyDecision(evaluate(.tlsClient, input: input, session: session).result)
    }

    /// tls_server: does the server we connected to meet the `TLS_Srv:` requirement for `{server_name}` /
    /// `{server_addr}`?
    public func tlsServer(_ session: SessionMacros) -> TLSPolicyDecision {
        if let decision = tlsPeerFastPath.decide(session, peer: TLSPeerFastPath.server, in: source) {
            return decision
        }
        return TLSPolicyDecision(evaluate(.tlsServer, input: session.tokens(.verify), session: session).result)
    }

    /// tls_rcpt: may this recipient be sent over the current connection (`TLS_Rcpt:` entries)?
    public func tlsRecipient(_ recipient: String, session: SessionMacros) -> TLSPolicyDecision {
        if let decision = tlsPeerFastPath.decideRecipient(recipient, session: session, in: source) {
            return decision
        }
        return TLSPolicyDecision(
            evaluate(.tlsRecipient, input: Tokenizer.tokenize(recipient), session: session).result
        )
    }

    /// try_tls: should the client issue STARTTLS to `{server_name}` / `{server_addr}`?
    public func tryTLS(_ session: SessionMacros) -> TryTLSDecision {
        TryTLSDecision(evaluate(.tryTLS, input: [Token("x")], session: session).result)
    }

    /// srv_features: feature changes for the connecting client (`Srv_Features:`).
    public func serverFeatures(_ session: SessionMacros) -> FeaturesDecision {
        FeaturesDecision(evaluate(.serverFeatures, input: [Token("x")], session: session).result)
    }

    /// clt_features: client-side feature changes (`Clt_Features:`; keyed on `{client_name}`/`{client_addr}`,
    /// as the shipped ruleset does).
    public func clientFeatures(_ session: SessionMacros) -> FeaturesDecision {
        FeaturesDecision(evaluate(.clientFeatures, input: [Token("x")], session: session).result)
    }

    /// RelayTLS: does a verified client certificate allow relaying (`CERTISSUER:` / `CERTSUBJECT:`)?
    ///
    /// Never relays unless `{verify}` is `OK` or `TRUSTED`: a self-signed certificate that copies a trusted
    /// CA's subject and issuer has `{verify}` = `FAIL` and gets ``RelayTLSDecision/noRelay``.
    public func relayTLS(_ session: SessionMacros) -> RelayTLSDecision {
        RelayTLSDecision(evaluate(.relayTLS, input: [Token("x")], session: session).result)
    }

    /// trust_auth: may `{auth_authen}` submit for the `AUTH=` identity given on MAIL?
    public func trustAuth(_ authorization: String, session: SessionMacros) -> TrustAuthDecision {
        TrustAuthDecision(evaluate(.trustAuth, input: Tokenizer.tokenize(authorization), session: session).result)
    }

    /// One ruleset run at token level: its result, the macros after it, and (when asked) every key looked up.
    public struct Evaluation: Hashable, Sendable {
        /// The ruleset's result.
        public var result: RulesetResult
        /// The session macros after the run (rulesets may set `{TLS_Name}`).
        public var macros: SessionMacros
        /// Every access-map key looked up, in order, when tracing was requested.
        public var trace: [AccessLookupTraceEntry]?
    }

    /// Runs a ruleset on a token workspace, as `sendmail -bt` would; `nil` for an unknown ruleset.
    ///
    /// - Parameters:
    ///   - ruleset: Which ruleset.
    ///   - input: The input tokens (`Tokenizer`; `$|` as the token `$|`).
    ///   - session: The macros.
    ///   - tracing: Record every key looked up.
    public func run(
        _ ruleset: PolicyRuleset,
        input: [Token],
        session: SessionMacros,
        tracing: Bool = false
    )
        -> Evaluation?
    {
        var evaluator = RulesetEvaluator(
            configuration: configuration,
            source: source.pinned(),  // one map version per decision (AutoReloadingAccessMapSource)
            macros: session,
            tracing: tracing
        )
        guard let result = evaluator.run(ruleset, input: input) else { return nil }
        return Evaluation(result: result, macros: evaluator.macros, trace: evaluator.lookup.trace)
    }

    /// Whether ``run(_:input:session:tracing:)`` knows this ruleset.
    public func knows(_ ruleset: PolicyRuleset) -> Bool {
        var evaluator = RulesetEvaluator(
            configuration: configuration,
            source: EmptyAccessMapSource(),
            macros: SessionMacros(),
            tracing: false
        )
        return evaluator.run(ruleset, input: [Token("x")]) != nil
    }

    private func evaluate(_ ruleset: PolicyRuleset, input: [Token], session: SessionMacros) -> Evaluation {
        guard let evaluation = run(ruleset, input: input, session: session) else {
            preconditionFailure("built-in ruleset \(ruleset) is not dispatched")
        }
        return evaluation
    }
}
