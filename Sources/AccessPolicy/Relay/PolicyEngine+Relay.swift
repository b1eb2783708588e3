import AccessMap

extension PolicyEngine {
    /// check_relay: may this client connect at all (`Connect:` entries for `{client_name}`, then
    /// `{client_addr}`)?
    ///
    /// Run once per connection. A rejection does not close the connection: sendmail greets, then refuses every
    /// MAIL/RCPT with the reply. With FEATURE(delay_checks) (``RelaySettings/delayChecks``) this check runs from
    /// ``checkRcpt(_:session:)`` instead and this method always answers ``PolicyDecision/accept``.
    ///
    /// Reads `{client_name}`, `{client_addr}` (`{client_ptr}` with use_client_ptr), `{deliveryMode}`.
    public func checkRelay(_ session: SessionMacros) -> PolicyDecision {
        let input = session.tokens(.clientName) + [Token("$|")] + session.tokens(.clientAddr)
        guard let evaluation = run(.checkRelay, input: input, session: session) else { return .accept }
        return PolicyDecision(evaluation.result)
    }

    /// check_mail: may this envelope sender be used (`From:` entries, sender domain checks, and first the
    /// client's `TLS_Clt:` requirement through tls_client)?
    ///
    /// With FEATURE(delay_checks) this check runs from ``checkRcpt(_:session:)`` (which then needs the sender in
    /// `{mail_from}`) and this method always answers ``PolicyDecision/accept``.
    ///
    /// - Parameters:
    ///   - sender: The MAIL FROM address as the client gave it, with angle brackets (`<joe@example.com>`, `<>`).
    ///   - session: The macros; reads `{client_name}`, `{client_addr}`, `{daemon_flags}`, `{deliveryMode}`, `f`
    ///     (for texts), the TLS macros, and `{verify}`.
    /// - Returns: ``PolicyDecision/accept`` (or ``PolicyDecision/relay`` for a `From:… RELAY` entry, which also
    ///   accepts), a rejection, a quarantine or a discard.
    public func checkMail(_ sender: String, session: SessionMacros) -> PolicyDecision {
        guard let evaluation = run(.checkMail, input: Tokenizer.tokenize(sender), session: session) else {
            return .accept
        }
        return PolicyDecision(evaluation.result)
    }

    /// check_rcpt: may mail be sent to this recipient by this client — is it local, a relay domain, or is the
    /// client allowed to relay?
    ///
    /// ``PolicyDecision/relay`` and ``PolicyDecision/accept`` both accept the recipient; a recipient the client
    /// may not relay to gets ``PolicyDecision/reject(_:)`` (`550 5.7.1 Relaying denied`). The address is
    /// canonicalised as sendmail does first: `user%remote@local`, `remote!user@local`, `"user@remote"@local` and
    /// `@local:user@remote` are all judged as `user@remote`.
    ///
    /// - Parameters:
    ///   - recipient: The RCPT TO address as the client gave it (`<joe@example.com>`).
    ///   - session: The macros; reads `{client_addr}`, `{client_name}`, `{client_resolve}`, `{auth_type}`,
    ///     `{verify}`, `{cert_issuer}`, `{cert_subject}`, `{deliveryMode}`, `f`; with FEATURE(delay_checks) also
    ///     `{mail_from}` (the MAIL address as given) and everything ``checkMail(_:session:)`` and
    ///     ``checkRelay(_:)`` read.
    public func checkRcpt(_ recipient: String, session: SessionMacros) -> PolicyDecision {
        if let decision = checkRcptFastPath.decide(recipient, session: session, in: source) { return decision }
        guard let evaluation = run(.checkRcpt, input: Tokenizer.tokenize(recipient), session: session) else {
            return .accept
        }
        return PolicyDecision(evaluation.result)
    }
}
