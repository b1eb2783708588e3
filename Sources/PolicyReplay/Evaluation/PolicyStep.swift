public import AccessPolicy
public import RecordedSessions

/// One ruleset call to evaluate: the ruleset, its arguments, the session macros at that point, which macros the
/// log does not carry, and what the log shows happened.
///
/// Built from a recorded session's ``RecordedSessions/ReplayCall``s (``steps(for:)``), or by hand for policy tests.
public struct PolicyStep: Hashable, Sendable {
    /// The ruleset (`check_relay`, `tls_client`, `check_mail`, `check_rcpt`, `RelayTLS`, `try_tls`, `tls_server`,
    /// `tls_rcpt`).
    public var ruleset: PolicyRuleset
    /// The arguments in order (`arg1`, `arg2`); `nil` = not known.
    public var arguments: [String?]
    /// The macros known at this step.
    public var macros: SessionMacros
    /// Macros the ruleset may read whose value is not known.
    public var unknownMacros: Set<MacroName>
    /// The transaction (0-based) for MAIL/RCPT steps.
    public var transactionIndex: Int?
    /// The recipient for check_rcpt/RelayTLS/tls_rcpt steps.
    public var recipient: String?
    /// What the log shows.
    public var observed: ObservedOutcome

    /// Creates a step.
    public init(
        ruleset: PolicyRuleset,
        arguments: [String?],
        macros: SessionMacros,
        unknownMacros: Set<MacroName> = [],
        transactionIndex: Int? = nil,
        recipient: String? = nil,
        observed: ObservedOutcome = .unknown
    ) {
        self.ruleset = ruleset
        self.arguments = arguments
        self.macros = macros
        self.unknownMacros = unknownMacros
        self.transactionIndex = transactionIndex
        self.recipient = recipient
        self.observed = observed
    }

    /// A step from a recorded session's replay call.
    public init(_ call: ReplayCall) {
        self.init(
            ruleset: PolicyRuleset(rawValue: call.ruleset.rawValue),
            arguments: call.arguments,
            macros: call.macros,
            unknownMacros: call.unknownMacros,
            transactionIndex: call.transactionIndex,
            recipient: call.recipient,
            observed: call.observed
        )
    }

    /// The steps for a recorded session, in MTA order: its ``RecordedSessions/RecordedSession/replayCalls()``,
    /// with `try_tls` added before `tls_server` for outbound sessions (the client asks it before issuing
    /// STARTTLS; a `STARTTLS=client` line shows it was issued).
    public static func steps(for session: RecordedSession) -> [PolicyStep] {
        var steps: [PolicyStep] = []
        for call in session.replayCalls() {
            if call.ruleset == .tlsServer {
                let (macros, unknown) = session.connectionMacros()
                let observed: ObservedOutcome
                switch session.tls {
                case .established, .failed:
                    observed = .passed(evidence: "STARTTLS was issued (STARTTLS=client logged)")
                case .none, .unknown:
                    observed = .unknown
                }
                steps.append(
                    PolicyStep(
                        ruleset: .tryTLS,
                        arguments: [macros[.serverName]],
                        macros: macros,
                        unknownMacros: unknown,
                        observed: observed
                    )
                )
            }
            steps.append(PolicyStep(call))
        }
        return steps
    }

    /// The macros the call is evaluated with: ``macros`` plus every unknown macro under
    /// ``Determination/emptyAssumption`` (empty; an unknown client or server address as
    /// ``Determination/unknownAddress``).
    public var evaluatedMacros: SessionMacros {
        var result = macros
        for name in unknownMacros where result[name] == nil {
            result[name] = (name == .clientAddr || name == .serverAddr) ? Determination.unknownAddress : ""
        }
        return result
    }

    /// The arguments the call is evaluated with: an unknown argument takes its macro's evaluated value
    /// (`{client_addr}` for check_relay's second argument, …), else empty.
    public var evaluatedArguments: [String] {
        let evaluated = evaluatedMacros
        return arguments.enumerated().map { index, argument in
            argument ?? evaluated[Determination.argumentMacro(ruleset, index)] ?? ""
        }
    }

    /// The call as a `-bt` line (`tls_client FAIL $| STARTTLS`), unknown arguments shown as `?`.
    public var callText: String {
        let args = arguments.map { $0 ?? "?" }
        switch ruleset {
        case .tlsClient, .checkRelay:
            return "\(ruleset.rawValue) \(args.joined(separator: " $| "))"
        case .relayTLS: return ruleset.rawValue
        default: return ([ruleset.rawValue] + args).joined(separator: " ")
        }
    }
}
