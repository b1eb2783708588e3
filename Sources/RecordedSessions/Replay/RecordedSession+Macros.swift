public import AccessPolicy

/// A ruleset the replay runs for a recorded session.
public enum ReplayRuleset: String, Hashable, Sendable, CaseIterable {
    /// Connection time, inbound: argument `{client_name} $| {client_addr}`.
    case checkRelay = "check_relay"
    /// Inbound, after the handshake (second argument `STARTTLS`) and at every MAIL (`MAIL`): `{verify} $| …`.
    case tlsClient = "tls_client"
    /// Inbound MAIL: argument the sender as given (`<a@b>`).
    case checkMail = "check_mail"
    /// Inbound RCPT, once per recipient: argument the recipient as given.
    case checkRcpt = "check_rcpt"
    /// Inside check_rcpt, per recipient, when TLS was established: `CERTISSUER:`/`CERTSUBJECT:` relaying.
    case relayTLS = "RelayTLS"
    /// Outbound, after STARTTLS was tried or skipped: argument `{verify}`.
    case tlsServer = "tls_server"
    /// Outbound, after tls_server, before each RCPT: argument the recipient; `{verify}` and the server and
    /// cipher macros are read as macros.
    case tlsRecipient = "tls_rcpt"
}

/// What the log shows happened at a replayed step, for comparison with the replay's decision.
public enum ObservedOutcome: Hashable, Sendable {
    /// The log records this step's refusal, discard or quarantine.
    case decision(RulesetDecision)
    /// Later lines show the step was passed (`evidence` says which).
    case passed(evidence: String)
    /// Outbound: how the delivery after the TLS step ended (`stat=Sent`, or `stat=Deferred: 454 4.7.0 CN …`).
    case delivery(DeliveryRecord)
    /// The log does not show it.
    case unknown
}

/// One ruleset call to replay: its arguments, the session macros at that point, and what the log shows.
public struct ReplayCall: Hashable, Sendable {
    public var ruleset: ReplayRuleset
    /// The ruleset's arguments in order (`arg1`, `arg2`), as sendmail would pass them. An unknown argument is
    /// `nil` (e.g. a sender that was never logged).
    public var arguments: [String?]
    /// Macros known at this step. Only known facts are set; a known-empty fact is set to `""`.
    public var macros: SessionMacros
    /// Macros the ruleset may read whose value the log does not carry. A replay that depends on one of these
    /// cannot be trusted to reproduce the MTA's decision.
    public var unknownMacros: Set<MacroName>
    /// The transaction (index into ``RecordedSession/transactions``) for MAIL/RCPT steps.
    public var transactionIndex: Int?
    /// The recipient for check_rcpt/RelayTLS/tls_rcpt steps.
    public var recipient: String?
    /// What the log shows.
    public var observed: ObservedOutcome
}

extension MacroName {
    /// `{alg_bits}` is in AccessPolicy; these are the ones only the replay needs.
    static let recordedDaemonName = MacroName("daemon_name")
}

extension RecordedSession {
    /// The macros the log establishes for the connection as a whole (TLS, AUTH, peer), and those it leaves
    /// unknown.
    ///
    /// - Inbound: `{client_name}` (the PTR name, or `[addr]` when sendmail said `(may be forged)` or gave no
    ///   name), `{client_addr}` (IPv6 as `IPv6:` + eight groups); outbound: `{server_name}`, `{server_addr}`.
    /// - TLS: ``TLSState/none`` sets `{verify}` to `""` inbound (sendmail's server side never logs
    ///   `verify=NONE`) and to `NONE` outbound; the cipher and certificate macros to `""`. An established
    ///   handshake sets what was logged; `{cn_subject}`/`{cn_issuer}` are never logged and stay unknown.
    ///   Postfix sessions leave `{verify}` unknown (see ``TLSFacts/verify``).
    /// - AUTH: `{auth_type}`, `{auth_authen}` (xtext; Postfix's plain `sasl_username` is encoded here, `=` too),
    ///   `{auth_ssf}`; ``AuthState/none`` sets them to `""`.
    public func connectionMacros() -> (macros: SessionMacros, unknown: Set<MacroName>) {
        var macros = SessionMacros()
        var unknown: Set<MacroName> = []
        func set(_ name: MacroName, _ value: String?) {
            if let value { macros[name] = value } else { unknown.insert(name) }
        }
        let inbound = direction == .inbound
        set(inbound ? .clientName : .serverName, peer?.sendmailHostName)
        set(inbound ? .clientAddr : .serverAddr, peer?.sendmailAddress)
        let tlsMacros: [MacroName] = [
            .verify, .cipher, .cipherBits, .algBits, .tlsVersion, .certSubject, .certIssuer, .cnSubject,
            .cnIssuer,
        ]
        switch tls {
        case .none:
            for name in tlsMacros { macros[name] = "" }
            if !inbound { macros[.verify] = "NONE" }
        case .established(let facts):
            set(.verify, facts.verify)
            set(.cipher, facts.cipher)
            set(.cipherBits, facts.cipherBits.map(String.init))
            set(.algBits, facts.algorithmBits.map(String.init))
            set(.tlsVersion, facts.version)
            set(.certSubject, facts.certificateSubject)
            set(.certIssuer, facts.certificateIssuer)
            unknown.insert(.cnSubject)
            unknown.insert(.cnIssuer)
        case .unknown, .failed:
            unknown.formUnion(tlsMacros)
        }
        let authMacros: [MacroName] = [.authType, .authAuthen, .authSSF]
        switch auth {
        case .none:
            for name in authMacros { macros[name] = "" }
        case .authenticated(let success):
            set(.authType, success.mechanism)
            var authen = success.authenticatedID
            if let id = authen, source == .sendmail, id.count >= 125, id.hasSuffix("...") {
                authen = nil  // sendmail cut the logged authid at 128 characters
            }
            if source == .postfix { authen = authen.map { XText.encode($0).replacingEquals() } }
            set(.authAuthen, authen)
            set(.authSSF, success.securityStrength.map(String.init))
        case .unknown:
            unknown.formUnion(authMacros)
        }
        return (macros, unknown)
    }

    /// The ruleset calls a replay runs for this session, in the order the MTA runs them, each with its macros
    /// and the outcome the log records.
    ///
    /// Inbound: check_relay; tls_client (`STARTTLS`) when a handshake completed; per transaction tls_client
    /// (`MAIL`) and check_mail, then check_rcpt for each recipient the log names (with RelayTLS when TLS was
    /// established). Outbound: tls_server, then tls_rcpt for each recipient the log names (its outcome is
    /// recorded only from a `ruleset=tls_rcpt` line naming that recipient). A check_mail rejection whose reply carries `4.7.0`/`5.7.0` is also
    /// attributed to tls_client (`MAIL`): sendmail logs a tls_client refusal at MAIL under `ruleset=check_mail`.
    public func replayCalls() -> [ReplayCall] {
        let (base, baseUnknown) = connectionMacros()
        var calls: [ReplayCall] = []
        let verify = base[.verify]
        let verifyArgument: String? = baseUnknown.contains(.verify) ? nil : (verify ?? "")
        func call(
            _ ruleset: ReplayRuleset,
            _ arguments: [String?],
            macros: SessionMacros = base,
            unknown: Set<MacroName> = baseUnknown,
            transaction: Int? = nil,
            recipient: String? = nil,
            observed: ObservedOutcome
        ) {
            calls.append(
                ReplayCall(
                    ruleset: ruleset,
                    arguments: arguments,
                    macros: macros,
                    unknownMacros: unknown,
                    transactionIndex: transaction,
                    recipient: recipient,
                    observed: observed
                )
            )
        }

        guard direction == .inbound else {
            let tlsDecision = allDecisions.first { $0.ruleset == "tls_server" }
            let firstDelivery = transactions.lazy.flatMap(\.recipients).compactMap(\.deliveries.first)
                .first
            let observed: ObservedOutcome =
                tlsDecision.map(ObservedOutcome.decision) ?? firstDelivery.map(ObservedOutcome.delivery)
                ?? .unknown
            call(.tlsServer, [verifyArgument], observed: observed)
            for (index, transaction) in transactions.enumerated() {
                var macros = base
                var unknown = baseUnknown
                if let sender = transaction.sender {
                    macros[.sender] = Self.stripAngles(sender)
                    macros[.mailFrom] = sender
                } else {
                    unknown.insert(.sender)
                    unknown.insert(.mailFrom)
                }
                for recipient in transaction.recipients {
                    // Only a logged tls_rcpt refusal naming this recipient is attributed; a deferral alone could
                    // come from tls_server or the remote server.
                    let bare = Self.stripAngles(recipient.address).lowercased()
                    let decision = allDecisions.first {
                        $0.ruleset == "tls_rcpt"
                            && $0.arg1.map { Self.stripAngles($0).lowercased() == bare } == true
                    }
                    call(
                        .tlsRecipient,
                        [recipient.address],
                        macros: macros,
                        unknown: unknown,
                        transaction: index,
                        recipient: recipient.address,
                        observed: decision.map(ObservedOutcome.decision) ?? .unknown
                    )
                }
            }
            return calls
        }

        let continued = !transactions.isEmpty
        let relayDecision = connectionDecisions.first {
            $0.ruleset == "check_relay" || $0.ruleset == "postfix:CONNECT"
        }
        call(
            .checkRelay,
            [base[.clientName], base[.clientAddr]],
            observed: relayDecision.map(ObservedOutcome.decision)
                ?? (continued ? .passed(evidence: "mail commands were logged") : .unknown)
        )
        if tls.facts != nil {
            let decision = connectionDecisions.first { $0.ruleset == "tls_client" }
            call(
                .tlsClient,
                [verifyArgument, "STARTTLS"],
                observed: decision.map(ObservedOutcome.decision)
                    ?? (continued ? .passed(evidence: "mail commands were logged") : .unknown)
            )
        }
        for (index, transaction) in transactions.enumerated() {
            var macros = base
            var unknown = baseUnknown
            if let sender = transaction.sender {
                macros[.sender] = Self.stripAngles(sender)
                macros[.mailFrom] = sender
            } else {
                unknown.insert(.sender)
                unknown.insert(.mailFrom)
            }
            let mailDecision = transaction.decisions.first {
                $0.ruleset == "check_mail" || $0.ruleset == "postfix:MAIL"
            }
            let accepted =
                transaction.senderRecord != nil
                ? "from= line"
                : transaction.recipients.contains(where: { !$0.deliveries.isEmpty || $0.refusal != nil })
                    ? "RCPT was logged" : nil
            let mailObserved: ObservedOutcome =
                mailDecision.map(ObservedOutcome.decision) ?? accepted.map { .passed(evidence: $0) }
                ?? .unknown
            let tlsAtMail: ObservedOutcome
            if let mailDecision, case .reject(let reply) = mailDecision.action,
                reply.contains("4.7.0") || reply.contains("5.7.0")
            {
                tlsAtMail = .decision(mailDecision)
            } else if case .decision = mailObserved {
                tlsAtMail = .unknown
            } else {
                tlsAtMail = mailObserved
            }
            call(
                .tlsClient,
                [verifyArgument, "MAIL"],
                macros: macros,
                unknown: unknown,
                transaction: index,
                observed: tlsAtMail
            )
            call(
                .checkMail,
                [transaction.sender],
                macros: macros,
                unknown: unknown,
                transaction: index,
                observed: mailObserved
            )
            for recipient in transaction.recipients {
                let observed: ObservedOutcome
                if let refusal = recipient.refusal {
                    observed = .decision(refusal)
                } else if let delivery = recipient.deliveries.last {
                    observed = .passed(evidence: "delivery attempted: \(delivery.status.rawValue)")
                } else {
                    observed = .unknown
                }
                call(
                    .checkRcpt,
                    [recipient.address],
                    macros: macros,
                    unknown: unknown,
                    transaction: index,
                    recipient: recipient.address,
                    observed: observed
                )
                if tls.facts != nil {
                    call(
                        .relayTLS,
                        [],
                        macros: macros,
                        unknown: unknown,
                        transaction: index,
                        recipient: recipient.address,
                        observed: .unknown
                    )
                }
            }
        }
        return calls
    }

    static func stripAngles(_ address: String) -> String {
        if address.hasPrefix("<") && address.hasSuffix(">") && address.count >= 2 {
            return String(address.dropFirst().dropLast())
        }
        return address
    }
}

extension String {
    /// `{auth_authen}` also encodes `=`.
    func replacingEquals() -> String {
        var out = ""
        for character in self { out += character == "=" ? "+3D" : String(character) }
        return out
    }
}
