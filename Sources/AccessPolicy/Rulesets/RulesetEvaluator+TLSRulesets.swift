import AccessMap

extension RulesetEvaluator {
    static let temporaryFailureStatus = "4.3.0"
    static let temporaryFailureText = "451 Temporary system failure. Please try again later."

    /// tls_client: `{verify} $| MAIL|STARTTLS`; requirement from `TLS_Clt:` entries for `{client_name}`,
    /// `{client_addr}`, then the bare tag.
    mutating func tlsClient(_ input: [Token]) throws(RulesetAbort) -> RulesetResult {
        define(.tlsName, try expand(.clientName))
        guard let (verify, _) = Workspace.splitAtSeparator(input) else { return .workspace(input) }
        return try tlsPeer(verify: verify, name: .clientName, address: .clientAddr, tag: .tlsClient)
    }

    /// tls_server: `{verify}`; requirement from `TLS_Srv:` entries for `{server_name}`, `{server_addr}`, then the
    /// bare tag.
    mutating func tlsServer(_ input: [Token]) throws(RulesetAbort) -> RulesetResult {
        define(.tlsName, try expand(.serverName))
        return try tlsPeer(verify: input, name: .serverName, address: .serverAddr, tag: .tlsServer)
    }

    private mutating func tlsPeer(
        verify: [Token],
        name: MacroName,
        address: MacroName,
        tag: AccessTag
    )
        throws(RulesetAbort) -> RulesetResult
    {
        let tail = try hostSearch(name: name, address: address, tag: tag)
        // Only a failure that ends the group is caught: D/A results carry a trailing `<>` and fail open.
        if Workspace.isTemporaryFailureGroup(tail) {
            return .error(status: Self.temporaryFailureStatus, quoted: Self.temporaryFailureText)
        }
        return try tlsConnection(verify: verify, tail: tail)
    }

    /// tls_rcpt: recipient address; requirement from `TLS_Rcpt:` entries (`user@domain`, `user@`, domain and its
    /// parents, bare tag); `{verify}` is read from the macro.
    ///
    /// The address goes through the same canonicalisation as check_rcpt's (``RelayAddressCanonicalizer``, ruleset 3
    /// and the initial parse). When that ends in an error triple, the error becomes the "address": the ruleset
    /// builds `$#error … $| <U:$#error …@> <E:>` and stops there, because the workspace now starts with `$#`.
    mutating func tlsRecipient(_ input: [Token]) throws(RulesetAbort) -> RulesetResult {
        define(.tlsName, try expand(.serverName))
        guard !input.isEmpty else { return .workspace(input) }
        var w = canon.canonAddr(input)
        // `$+ < @ $+ . >` loses the trailing dots of the focused domain.
        while let split = Self.focusSplit(w), split.domain.count >= 2, w[w.count - 2] == Token.fullStop {
            w.remove(at: w.count - 2)
        }
        let items: [AccessLookup.SearchItem]
        if let split = Self.focusSplit(w) {
            let local = Array(w[..<split.open])
            let domain = Array(w[split.domain])
            items = [
                .fullAddress(local + [Token.atSign] + domain), .localPart(local + [Token.atSign]),
                .domain(domain), .exact([]),
            ]
        } else {
            if w.first == Token("$#") {
                let userItem = [Workspace.separator, Workspace.open, Token("U"), Token(":")] + w + [Token.atSign]
                let exactItem = [Workspace.close, Workspace.open, Token("E"), Token(":"), Workspace.close]
                return RulesetResult(resolvedWorkspace: w + userItem + exactItem)
            }
            if w.isEmpty { return .workspace(w) }
            items = [.localPart(w + [Token.atSign]), .exact([])]
        }
        // A value sendmail cannot use stops F, U or D, and SearchList passes on the key they reached as the value.
        let found = Self.searchListAnswer(lookup.searchList(items, tag: .tlsRecipient, mark: .tagOnly))
        lastReturn = Self.group(found)
        switch found {
        case .notFound, .notSearched:
            return .ok
        case .temporaryFailure:
            return .error(status: Self.temporaryFailureStatus, quoted: Self.temporaryFailureText)
        case .found(let value):
            let tail = [Workspace.open] + value.tokens + [Workspace.close]
            return try tlsConnection(verify: try expand(.verify), tail: tail)
        }
    }

    /// `$+ < @ $+ >` over the whole workspace: the `<` of the first `< @` after at least one token that leaves at
    /// least one token before the final `>`, and the domain range.
    static func focusSplit(_ w: [Token]) -> (open: Int, domain: Range<Int>)? {
        let n = w.count
        guard n >= 5, w[n - 1] == Workspace.close else { return nil }
        var i = 1
        while i + 3 < n {
            if w[i] == Workspace.open && w[i + 1] == Token.atSign { return (i, (i + 2)..<(n - 1)) }
            i += 1
        }
        return nil
    }

    /// try_tls: `Try_TLS:` entries for `{server_name}`, `{server_addr}`, bare tag; `NO` refuses STARTTLS.
    mutating func tryTLS(_ input: [Token]) throws(RulesetAbort) -> RulesetResult {
        let tail = try hostSearch(name: .serverName, address: .serverAddr, tag: .tryTLS)
        if Workspace.startsWithNotFound(tail) { return .ok }
        if Workspace.startsWithTemporaryFailureGroup(tail) {
            return .error(status: Self.temporaryFailureStatus, quoted: Self.temporaryFailureText)
        }
        if tail.count >= 3, tail[0] == Workspace.open, tail[1].matches("NO"), tail[2] == Workspace.close {
            return .error(
                host: Tokenizer.tokenize("5.7.1"),
                text: [Workspace.quoted("550 do not try TLS with ")] + (try expand(.serverName))
                    + [Workspace.quoted(" [")] + (try expand(.serverAddr)) + [Workspace.quoted("]")]
            )
        }
        return .workspace(tail)
    }

    /// srv_features / clt_features: `Srv_Features:` / `Clt_Features:` entries for `{client_name}`,
    /// `{client_addr}`, bare tag; a value `v` gives `$# v`.
    mutating func features(_ tag: AccessTag) throws(RulesetAbort) -> RulesetResult {
        let tail = try hostSearch(name: .clientName, address: .clientAddr, tag: tag)
        if Workspace.startsWithNotFound(tail) { return .ok }
        if Workspace.startsWithTemporaryFailureGroup(tail) {
            return .resolved(mailer: [Token("temp")], host: nil, text: nil)
        }
        if let (content, _) = Workspace.leadingGroup(tail[...], minimum: 1) {
            return .resolved(mailer: Array(content), host: nil, text: nil)
        }
        return .workspace(tail)
    }

    /// RelayTLS: with `{verify}` OK/TRUSTED, `CERTISSUER:{cert_issuer}` = `RELAY` relays; = `SUBJECT` defers to
    /// `CERTSUBJECT:{cert_subject}` = `RELAY`. Otherwise `NO`.
    mutating func relayTLS() throws(RulesetAbort) -> RulesetResult {
        let no = RulesetResult.workspace([Token("NO")])
        guard isVerified(try expand(.verify)) else { return no }
        let issuer = try expand(.certIssuer)
        guard !issuer.isEmpty else { return no }
        guard case .found(let value) = lookup.exactKey(tag: .certIssuer, issuer) else { return no }
        // A value sendmail cannot use stops RelayTLS at that look-up.
        if value.unusable != nil { throw RulesetAbort() }
        if value.isKeyword("RELAY") { return .resolved(mailer: [Token("RELAY")], host: nil, text: nil) }
        guard value.isKeyword("SUBJECT") else { return no }
        let subject = try expand(.certSubject)
        guard !subject.isEmpty, case .found(let subjectValue) = lookup.exactKey(tag: .certSubject, subject) else {
            return no
        }
        if subjectValue.unusable != nil { throw RulesetAbort() }
        guard subjectValue.isKeyword("RELAY") else { return no }
        return .resolved(mailer: [Token("RELAY")], host: nil, text: nil)
    }

    /// trust_auth: may the authenticated user (`{auth_authen}`) act for the `AUTH=` identity given?
    mutating func trustAuth(_ input: [Token]) throws(RulesetAbort) -> RulesetResult {
        if try expand(.authType).isEmpty {
            return .error(status: "5.7.1", quoted: "550 not authenticated")
        }
        let authen = try expand(.authAuthen)
        if input.matchesTokens(authen) || input.matchesTokens([Workspace.open] + authen + [Workspace.close]) {
            return .workspace([Token("identical")])
        }
        return .error(
            host: Tokenizer.tokenize("5.7.1"),
            text: [Workspace.quoted("550 ")] + authen + [Workspace.quoted(" not allowed to act as ")]
                + (try expand(.authAuthor))
        )
    }
}

extension Token {
    static let atSign = Token("@")
    static let fullStop = Token(".")
}
