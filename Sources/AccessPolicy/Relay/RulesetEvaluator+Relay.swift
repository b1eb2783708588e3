import AccessMap

/// `check_relay`, `check_mail` and `check_rcpt`: accept, reject, discard or relay, decided from the access map,
/// the configuration classes and the session macros exactly as sendmail 8.17.1.9's shipped rulesets decide it
/// (without DNS: dnsbl, relay_based_on_MX and host-name canonicalisation through DNS are not reproduced).
///
/// Make one value per evaluation; it is cheap (the map source is shared).
extension RulesetEvaluator {
    var settings: RelaySettings { configuration.relay }

    var canon: RelayAddressCanonicalizer { RelayAddressCanonicalizer(configuration: configuration) }

    /// `$&{name}` in a relay rule: the value's tokens; a value of only white space or comments makes the rewrite
    /// fail (``RulesetAbort``), as in the TLS rulesets (``expand(_:)``).
    func macro(_ name: MacroName) throws(RulesetAbort) -> [Token] { try expand(name) }

    var deferred: Bool {
        get throws(RulesetAbort) { try macro("deliveryMode").matchesTokens([Token("d")]) }
    }

    // MARK: - values

    /// The reply for a Connect:/From:/blocklist value.
    func reply(
        for value: PolicyValue,
        rejectDSN: String = "5.7.1",
        rejectText: String? = nil
    )
        -> RulesetResult
    {
        switch value {
        case .ok(let word), .relay(let word): return .mailer(name: word, host: [], text: [])
        case .reject:
            if let custom = rejectText { return .error(dsn: rejectDSN, text: custom) }
            if let message = settings.rejectMessage { return .error(text: [Token("\"\(message)\"")]) }
            return .error(dsn: "5.7.1", text: "550 Access denied")
        case .discard: return .discard
        case .quarantine(let reason): return .error(host: [Token("quarantine")], text: reason)
        case .error(let dsn, let text): return .error(host: dsn ?? [], text: text)
        case .skip: return .error(text: [Token("SKIP")])
        case .other(let tokens): return .error(text: tokens)
        case .temporaryFailure: return .mapTemporaryFailure
        }
    }

    /// `QUARANTINE:`, `ERROR:` and `ERROR:D.S.N:` with nothing after the colon, in check_mail and
    /// blocklist_recipients: sendmail's text pattern then runs on into the address left in the workspace after the
    /// value, so the text is `>` followed by that workspace up to its next `>` (`>joe<@example.com`). `nil` for
    /// any other value, or when the workspace holds no `>` (then the value is an unknown one, as in check_relay).
    static func emptyTextReply(_ value: PolicyValue, workspace: [Token]) -> RulesetResult? {
        let host: [Token]?
        switch value {
        case .other(let tokens) where tokens.count == 2 && tokens[1].text == ":":
            if tokens[0].matches("QUARANTINE") {
                host = [Token("quarantine")]
            } else if tokens[0].matches("ERROR") {
                host = nil
            } else {
                return nil
            }
        case .error(dsn: nil, let text)
        where text.count == 6 && text[1].text == "." && text[3].text == "." && text[5].text == ":":
            host = Array(text[0..<5])
        default:
            return nil
        }
        guard let close = workspace.firstIndex(where: { $0.text == ">" }) else { return nil }
        return .error(host: host, text: [Token(">")] + workspace[..<close])
    }

    /// What SearchList hands on for a search result: a value sendmail cannot use stops F, U or D with their own
    /// workspace, and SearchList passes on that routine's key as the value (`From:u@x.example (c)` →
    /// `$#error $: u@x.example`); when the untagged try hit it, the result stays as it is.
    ///
    /// With `untaggedToo`, a value the untagged try hit is passed on the same way: check_mail's rules read the
    /// group after the routine's `<?>` mark (`un.example (c)` → `check_mail <a@un.example>` →
    /// `$#error $: un.example`), where Rcpt_ok's look for `<RELAY>` first and find `<?>`.
    static func searchListAnswer(_ result: AccessLookupResult, untaggedToo: Bool = false) -> AccessLookupResult {
        guard case .found(let found) = result, let unusable = found.unusable, untaggedToo || !unusable.afterNotFound
        else {
            return result
        }
        return .found(AccessMapValue(tokens: unusable.key, key: found.key))
    }

    // MARK: - check_relay

    /// `check_relay name $| address` as one workspace.
    mutating func checkRelay(_ input: [Token]) throws(RulesetAbort) -> RulesetResult {
        guard let bar = input.firstIndex(of: Token("$|")) else { return try checkRelay(name: input, address: []) }
        return try checkRelay(name: Array(input[..<bar]), address: Array(input[(bar + 1)...]))
    }

    /// `check_relay name $| address`.
    mutating func checkRelay(name: [Token], address: [Token]) throws(RulesetAbort) -> RulesetResult {
        if try deferred { return .word("deferred") }
        // Without a client address the shipped ruleset has nothing to match: accept, whatever the name.
        if address.isEmpty { return .word("OK") }
        let clientName = settings.useClientPTR ? try macro("client_ptr") : name
        var result: AccessLookupResult = .notFound
        if !clientName.isEmpty {
            result = lookup.domain(clientName, tag: .connect, mark: .tagThenUntagged)
        }
        if case .notFound = result, !address.isEmpty {
            result = lookup.address(address, tag: .connect, mark: .tagThenUntagged)
        }
        let value: PolicyValue
        switch result {
        case .found(let found) where found.tokens.isEmpty:
            // A value sendmail cannot use ends D or A with their own workspace `<key> <?> <+Connect> <address>`,
            // which check_relay reads as the value `key`; after a not-found look-up of the same key the workspace
            // starts with `<?>` and the search goes on with nothing to find. An empty value matches no rule.
            guard let unusable = found.unusable, !unusable.afterNotFound else { return .word("OK") }
            value = PolicyValue(tokens: unusable.key)
        case .found(let found):
            value = PolicyValue(firstOfTwoGroups: found.tokens)
        case .temporaryFailure:
            value = .temporaryFailure
        case .notFound, .notSearched:
            return .word("OK")
        }
        switch value {
        case .ok(let word), .relay(let word): return .workspace([word])
        default: return reply(for: value)
        }
    }

    // MARK: - check_mail

    /// `check_mail address`.
    mutating func checkMail(_ address: [Token]) throws(RulesetAbort) -> RulesetResult {
        if try deferred { return .word("deferred") }
        if let tls = try tlsClientAtMail() { return tls }
        return try checkMailAfterTLS(address)
    }

    mutating func checkMailAfterTLS(_ address: [Token]) throws(RulesetAbort) -> RulesetResult {
        if address.matchesTokens([Token("<"), Token(">")]) {
            return .workspace([Token("<"), Token("OK"), Token(">")])
        }
        var addr = address
        let flags = try macro("daemon_flags")
        if !settings.acceptUnqualifiedSenders, !address.isEmpty {
            var inner = address
            if inner.count >= 3, inner.first?.text == "<", inner.last?.text == ">" {
                inner = Array(inner.dropFirst().dropLast())
            }
            var checkClient = false
            var skipLocalhost = false
            if flags.contains(where: { $0.matches("f") }), inner.count >= 2,
                inner[inner.count - 2].text == "@"
            {
                checkClient = true
            } else if flags.contains(where: { $0.matches("u") }) {
                skipLocalhost = true
            }
            if !checkClient && !skipLocalhost
                && Self.isLocalhostSender(inner, mDomain: canon.mDomainTokens)
            {
                checkClient = true
            }
            if checkClient {
                let client = try macro("client_name")
                if !client.isEmpty && !canon.isLocal(client[...]) {
                    return .error(dsn: "5.5.4", text: "553 Real domain name required for sender address")
                }
            }
            addr = [Token("<")] + inner + [Token(">")]
        }
        var w = canon.canonAddr(addr)
        // Canonicalisation gave up (nesting limit): the unexpanded `$> Parse0 …` left in the workspace runs as
        // ruleset calls in the later rules and leaves a workspace that is neither a triple nor a word.
        if w.first?.text == "$>" { return .workspace([Token("@")] + Workspace.notFoundGroup) }
        enum Mark {
            case unknown, resolved, perm, temp
            case value(PolicyValue)
        }
        var mark = Mark.unknown
        if let f = canon.focus(w), f.domain.upperBound == w.count - 1 {
            while w.count >= 2, let g = canon.focus(w), g.domain.count >= 2, w[w.count - 2].text == "." {
                w.remove(at: w.count - 2)
            }
            let g = canon.focus(w)!
            let domain = w[g.domain]
            if let last = domain.last,
                canon.isMember([last], of: "P") || (domain.isEmpty == false && false)
            {
                mark = .resolved
            } else if !canon.hostNameTokens.isEmpty, Array(domain).matchesTokens(canon.hostNameTokens) {
                mark = .resolved
            } else if !domain.isEmpty {
                if settings.acceptUnresolvableDomains
                    || settings.resolvableDomains.contains(domain.map(\.text).joined().lowercased())
                {
                    mark = .resolved
                } else {
                    mark = .perm
                }
            }
        }
        // From: look-ups.
        var lookupResult: AccessLookupResult = .notFound
        if let f = canon.focus(w), f.domain.upperBound == w.count - 1, f.open >= 1 {
            let local = Array(w[..<f.open])
            let domain = Array(w[f.domain])
            lookupResult = lookup.searchList(
                [
                    .fullAddress(local + [Token("@")] + domain), .localPart(local + [Token("@")]),
                    .domain(domain),
                ],
                tag: .from,
                mark: .tagThenUntagged
            )
        } else if !w.isEmpty {
            lookupResult = lookup.searchList(
                [.localPart(w + [Token("@")])],
                tag: .from,
                mark: .tagThenUntagged
            )
        }
        // SearchList has returned (`<?>` or `<value>`).
        lastReturn = Workspace.notFoundGroup
        if let value = PolicyValue(firstGroupOf: Self.searchListAnswer(lookupResult, untaggedToo: true)) {
            // The marks themselves may be written as values: `TEMP`, `PERM`, `OKR` (resolved), `?` (no entry).
            if case .other(let tokens) = value, tokens.count == 1 {
                if tokens[0].matches("TEMP") {
                    mark = .temp
                } else if tokens[0].matches("PERM") {
                    mark = .perm
                } else if tokens[0].matches("OKR") {
                    mark = .resolved
                } else if tokens[0].text != "?" {
                    mark = .value(value)
                }
            } else {
                mark = .value(value)
            }
        }
        if case .unknown = mark, !settings.acceptUnqualifiedSenders {
            if flags.contains(where: { $0.matches("u") }) {
                mark = .resolved
            } else if try macro("client_addr").isEmpty {
                return .workspace([Token("<"), Token("OKR"), Token(">")])
            } else {
                return .error(
                    host: Tokenizer.tokenize("5.5.4"),
                    text: [Token("\"553 Domain name required for sender address \"")] + (try macro("f"))
                )
            }
        }
        switch mark {
        case .unknown, .resolved: return .workspace([Token("@")] + w)
        case .temp:
            return .error(
                host: Tokenizer.tokenize("4.1.8"),
                text: [Token("\"451 Domain of sender address \"")] + (try macro("f")) + [Token("\" does not resolve\"")]
            )
        case .perm:
            return .error(
                host: Tokenizer.tokenize("5.1.8"),
                text: [Token("\"553 Domain of sender address \"")] + (try macro("f")) + [
                    Token("\" does not exist\"")
                ]
            )
        case .value(let value): return Self.emptyTextReply(value, workspace: w) ?? reply(for: value)
        }
    }

    /// `user@localhost`, `user@[127.0.0.1]`, `user@[IPv6:::1]`, … (the sender must then come from a local client).
    static func isLocalhostSender(_ inner: [Token], mDomain: [Token]) -> Bool {
        guard let at = inner.lastIndex(where: { $0.text == "@" }) else { return false }
        let domain = Array(inner[(at + 1)...])
        let forms: [[Token]] = [
            Tokenizer.tokenize("localhost"), Tokenizer.tokenize("[127.0.0.1]"),
            Tokenizer.tokenize("[IPv6:0:0:0:0:0:0:0:1]"), Tokenizer.tokenize("[IPv6:::1]"),
            Tokenizer.tokenize("localhost.UUCP"),
        ]
        if forms.contains(where: { domain.matchesTokens($0) }) {
            // The pattern needs the domain to follow the *first* `@` that leaves it exactly.
            return true
        }
        if !mDomain.isEmpty, domain.matchesTokens(Tokenizer.tokenize("localhost.") + mDomain) {
            return true
        }
        return false
    }

    // MARK: - check_rcpt

    /// `check_rcpt address` (with FEATURE(delay_checks) also the sender and client checks).
    mutating func checkRcpt(_ address: [Token]) throws(RulesetAbort) -> RulesetResult {
        guard settings.delayChecks else { return try basicCheckRcpt(address) }
        let first = try basicCheckRcpt(address)
        if case .resolved(let name, _, _) = first {
            if first.isError || first.isDiscard { return first }
            // Delay_TLS_Clt runs tls_client on `$&{verify}`; when that cannot be expanded Delay_TLS_Clt stops and
            // hands back what it was given, the mailer without its `$#` (`RELAY`), which check_rcpt returns.
            lastReturn = [Token("$#")] + name
            do {
                if let tls = try tlsClientAtMail() { return tls }
            } catch {
                return .workspace(name)
            }
            return .resolved(mailer: name, host: nil, text: nil)
        }
        // `<?> $>FullAddr $>CanonAddr address`. When CanonAddr fails (a dequoted local part sendmail cannot use),
        // FullAddr is left unexpanded and runs with the next rule's call to checkmail, over `address $| result`.
        let canonical = canon.canonAddrReportingFailure(address)
        let w = canonical.failed ? canonical.tokens : canon.fullAddr(canonical.tokens)
        if settings.spamPolicy != .none {
            var result: AccessLookupResult = .notFound
            if let f = canon.focus(w), f.open >= 1 {
                let local = Array(w[..<f.open])
                let domain = Array(w[f.domain])
                var items: [AccessLookup.SearchItem] = [
                    .fullAddress(local + [Token("@")] + domain), .domain(domain),
                ]
                if canon.isLocal(domain[...]) { items.append(.localPart(local + [Token("@")])) }
                result = lookup.searchList(items, tag: .spam, mark: .tagOnly)
            }
            let value = result.value
            switch settings.spamPolicy {
            case .friend where value?.isKeyword("FRIEND") == true:
                return try delayTLS(.word("SPAMFRIEND"))
            case .hater where value?.isKeyword("HATER") != true:
                return try delayTLS(.word("NOSPAMHATER"))
            default: break
            }
        }
        // check_rcpt's own workspace at this point is not one word: a failing `$&{mail_from}` leaves `OK`.
        lastReturn = Workspace.notFoundGroup
        let sender = try macro("mail_from")
        // checkmail is called here: when Basic_check_mail stops (a `{verify}` that cannot be expanded), checkmail
        // hands back a plain workspace and check_rcpt goes on to checkrelay.
        let mail = (try? checkMailAfterTLSForDelay(sender)) ?? .workspace(sender)
        if mail.isMailer {
            guard canonical.failed else { return mail }
            // The left-over FullAddr: `address $| $# …` gets `< @ $j >` at its end, which lands in the reply text.
            let full = canon.fullAddr(w + [Token("$|")] + mail.workspaceTokens)
            return RulesetResult(resolvedWorkspace: Array(full[(w.count + 1)...]))
        }
        let relay = try checkRelay(name: macro("client_name"), address: macro("client_addr"))
        if relay.isMailer { return relay }
        return .workspace(w)
    }

    mutating func checkMailAfterTLSForDelay(_ sender: [Token]) throws(RulesetAbort) -> RulesetResult {
        lastReturn = Workspace.notFoundGroup
        if try deferred { return .word("deferred") }
        if let tls = try tlsClientAtMail() { return tls }
        return try checkMailAfterTLS(sender)
    }

    mutating func delayTLS(_ result: RulesetResult) throws(RulesetAbort) -> RulesetResult {
        if case .workspace(let tokens) = result { lastReturn = tokens }
        // Delay_TLS_Clt2 stops on an unexpandable `$&{verify}` and hands back its input (`SPAMFRIEND`).
        do {
            return try tlsClientAtMail() ?? result
        } catch {
            return result
        }
    }

    /// `tls_client {verify} $| MAIL`, as check_mail (and delay_checks' check_rcpt) run it first: its `$#…` result,
    /// or `nil` to go on.
    mutating func tlsClientAtMail() throws(RulesetAbort) -> RulesetResult? {
        // tls_client is a called ruleset here: when it fails, the caller goes on (accept).
        // `$&{verify}` is expanded by the caller: a white-space-only value makes the caller fail.
        let verify = try macro("verify")
        guard let result = try? tlsClient(verify + [Token("$|"), Token("MAIL")]) else {
            lastReturn = [Token("OK")]
            return nil
        }
        if case .workspace(let tokens) = result { lastReturn = tokens }
        return result.isMailer ? result : nil
    }

    /// Basic_check_rcpt.
    mutating func basicCheckRcpt(_ address: [Token]) throws(RulesetAbort) -> RulesetResult {
        if address.isEmpty || address.matchesTokens([Token("<"), Token(">")]) {
            return .error(host: [Token("nouser")], text: [Token("\"553 User address required\"")])
        }
        if try deferred { return .word("deferred") }
        // An address the initial parse refuses (`u@a@b`, `<@.x>`, …) is refused whoever the client is.
        if let refused = RelayAddressCanonicalizer.parseError(canon.canonAddr(address)) { return refused }
        // Rcpt_ok and Relay_ok are called rulesets: when one fails, Basic_check_rcpt goes on with what it handed
        // back (never RELAY or a `$#` triple).
        let recipient = (try? rcptOK(address)) ?? .notRelay
        var temporary: RulesetResult?
        switch recipient {
        case .temporary(let result): temporary = result
        case .final(let result): return result
        case .relay: return .word("RELAY")
        case .notRelay: break
        }
        // Rcpt_ok has returned (a workspace that is not one word).
        lastReturn = Workspace.notFoundGroup
        switch (try? relayOK()) ?? .notRelay {
        case .temporary(let result): return result
        case .final(let result): return result
        case .relay: return .word("RELAY")
        case .notRelay:
            if let temporary { return temporary }
            return .error(dsn: "5.7.1", text: settings.effectiveRelayMessage)
        }
    }

    enum Decision {
        case relay
        case notRelay
        /// `$#TEMP …` (reported as `$#error …` when nothing else relays).
        case temporary(RulesetResult)
        /// Any other `$#…`: the answer.
        case final(RulesetResult)
    }

    // MARK: - ParseRecipient

    mutating func parseRecipient(_ address: [Token]) -> [Token] {
        var w = canon.canonAddr(address)
        // A `$#` answer from CanonAddr (the initial parse refusing `u%` once `u%@relayed.domain` is unwrapped) is
        // ParseRecipient's answer, and Rcpt_ok's.
        if RelayAddressCanonicalizer.parseError(w) != nil { return w }
        while let f = canon.focus(w), f.domain.count >= 2, f.domain.upperBound == w.count - 1,
            w[w.count - 2].text == "."
        {
            w.remove(at: w.count - 2)
        }
        if w.count >= 4, w[1].text == "<", w[2].text == "@", w.last?.text == ">" {
            // A value sendmail cannot use abandons ParseRecipient here: its caller gets the workspace with the
            // `<?>` mark ParseRecipient had put in front.
            guard let local = canon.dequote(w[0]) else { return [Token("<"), Token("?"), Token(">")] + w }
            w = local + w[1...]
        }
        guard let f = canon.focus(w), f.domain.upperBound == w.count - 1,
            w[..<f.open].contains(where: RelayAddressCanonicalizer.isNetworkOperator)
        else { return w }
        let local = Array(w[..<f.open])
        let domain = Array(w[f.domain])
        var relay = false
        if settings.relayEntireDomain, canon.endsWithMember(domain[...], of: "m") { relay = true }
        if !relay {
            if settings.relayHostsOnly {
                if canon.isMember(domain[...], of: "R") {
                    relay = true
                } else if !domain.isEmpty {
                    relay =
                        PolicyValue(lookup.exact(domain, tag: .to, mark: .tagThenUntagged))?.isRelay == true
                }
            } else if canon.endsWithMember(domain[...], of: "R") {
                relay = true
            } else if !domain.isEmpty {
                let result = lookup.domain(domain, tag: .to, mark: .tagThenUntagged)
                if let stopped = Self.stoppedRelayCheck(result, local: local, domain: domain) {
                    return stopped.relay ? parseRecipient(stopped.workspace) : stopped.workspace
                }
                relay = PolicyValue(result)?.isRelay == true
            }
        }
        return relay ? parseRecipient(local) : w
    }

    /// ParseRecipient's relay check when D meets a value sendmail cannot use (``AccessMapValue/unusable``): D
    /// hands back its own workspace, `<key> <NO> <+ To> <local < @ domain >>` (`<?>` in front when the untagged
    /// try hit it), which `<$+> <$+>` turns into `<key> NO > < + To > < local < @ domain >`. A key that is the word
    /// `RELAY` then sends `NO > < + To > < local` (up to the first `< @`) through ParseRecipient again; anything
    /// else is returned without its first group. `nil` for any other result.
    static func stoppedRelayCheck(
        _ result: AccessLookupResult,
        local: [Token],
        domain: [Token]
    ) -> (relay: Bool, workspace: [Token])? {
        guard case .found(let found) = result, let unusable = found.unusable else { return nil }
        let rest = Self.stopTail(Token("NO")) + local + [Workspace.open, Token.atSign] + domain + [Workspace.close]
        // `<?> key > < NO > …`: the first group is `<?>`, not RELAY; `<$+> $*` returns the rest.
        if unusable.afterNotFound { return (false, unusable.key + rest) }
        // `<key> NO > …`: `<$+> $*` drops `<key>`, `<RELAY> $* < @ $* >` takes `NO > …` up to the first `< @`.
        let w = Array(rest.dropFirst(2))
        guard unusable.key.count == 1, unusable.key[0].matches("RELAY") else { return (false, w) }
        var cut = w.count
        for i in 0..<(w.count - 1) where w[i] == Workspace.open && w[i + 1] == Token.atSign {
            cut = i
            break
        }
        return (true, Array(w[..<cut]))
    }

    // MARK: - Rcpt_ok

    /// What follows the key in the workspace a `To:` search leaves when D or U stopped at a value sendmail cannot
    /// use (``AccessMapValue/unusable``), once the caller's rules have cut its groups apart: `> < mark > < + To > <`
    /// (`?` in Rcpt_ok's blocklist search, `NO` in ParseRecipient's relay check).
    static func stopTail(_ mark: Token) -> [Token] {
        [
            Workspace.close, Workspace.open, mark, Workspace.close, Workspace.open, Token("+"), Token("To"),
            Workspace.close, Workspace.open,
        ]
    }

    mutating func rcptOK(_ address: [Token]) throws(RulesetAbort) -> Decision {
        var w: [Token]
        if settings.looseRelayCheck {
            w = canon.canonAddr(address)
            while let f = canon.focus(w), f.domain.count >= 2, w[w.count - 2].text == "." {
                w.remove(at: w.count - 2)
            }
        } else {
            w = parseRecipient(address)
            if let refused = RelayAddressCanonicalizer.parseError(w) { return .final(refused) }
        }
        var f = canon.focus(w)
        var focusedAtEnd = f.map { $0.domain.upperBound == w.count - 1 && $0.open >= 1 } ?? false
        if settings.blocklistRecipients {
            var result: AccessLookupResult = .notFound
            if let f, focusedAtEnd || f.open >= 1 {
                let local = Array(w[..<f.open])
                let domain = Array(w[f.domain])
                if canon.isLocal(domain[...]) && focusedAtEnd {
                    result = lookup.searchList(
                        [
                            .fullAddress(local + [Token("@")] + domain), .localPart(local + [Token("@")]),
                            .domain(domain),
                        ],
                        tag: .to,
                        mark: .tagThenUntagged
                    )
                } else {
                    result = lookup.searchList(
                        [.fullAddress(local + [Token("@")] + domain), .domain(domain)],
                        tag: .to,
                        mark: .tagThenUntagged
                    )
                }
            } else if !w.isEmpty {
                result = lookup.searchList([.localPart(w + [Token("@")])], tag: .to, mark: .tagThenUntagged)
            }
            if case .found(let found) = result, let unusable = found.unusable, unusable.afterNotFound {
                // The untagged try hit a value sendmail cannot use: SearchList hands back `<?> <key> <?> <+ To>`,
                // which the rules mark as no match, leaving `key > < ? > < + To > <` in front of the address.
                w = unusable.key + Self.stopTail(Workspace.question) + w
                f = canon.focus(w)
                focusedAtEnd = f.map { $0.domain.upperBound == w.count - 1 && $0.open >= 1 } ?? false
            } else if let value = PolicyValue(firstGroupOf: Self.searchListAnswer(result)) {
                switch value {
                case .ok, .relay: break
                case .skip where lookup.options.contains(.skip): break
                // FEATURE(delay_checks) without an argument keeps 8.10's `Spam:`-less friends and haters: a
                // `SPAMFRIEND` or `SPAMHATER` recipient entry is no match here.
                case .other(let tokens)
                where settings.delayChecks && settings.spamPolicy == .none && tokens.count == 1
                    && (tokens[0].matches("SPAMFRIEND") || tokens[0].matches("SPAMHATER")):
                    break
                case .reject:
                    return .final(
                        .mailer(
                            name: Token("error"),
                            host: Tokenizer.tokenize("5.2.1"),
                            text: [Token("\"\(settings.effectiveRecipientRejectMessage)\"")]
                        )
                    )
                default:
                    return .final(
                        Self.emptyTextReply(value, workspace: [Token("<")] + w + [Token(">")]) ?? reply(for: value)
                    )
                }
            }
        }
        // A called ruleset that fails (white-space-only macro) hands back the workspace it was given (here empty):
        // its caller goes on as if it had said NO.
        let relayTLSResult = (try? relayTLS()) ?? .workspace([Token("NO")])
        if case .resolved = relayTLSResult { return .final(.mailer(name: Token("RELAY"), host: [], text: [])) }
        if case .workspace(let tokens) = relayTLSResult { lastReturn = tokens }
        let auth = try macro("auth_type")
        if !auth.isEmpty, canon.isMember(auth[...], of: "TrustAuthMech") {
            return .final(.mailer(name: Token("RELAY"), host: [], text: []))
        }
        if let f, focusedAtEnd {
            let local = Array(w[..<f.open])
            let domain = Array(w[f.domain])
            if settings.relayEntireDomain, canon.endsWithMember(domain[...], of: "m") { return .relay }
            if canon.isLocal(domain[...]) { return .relay }
            var result: AccessLookupResult = .notFound
            if settings.relayHostsOnly {
                if canon.isMember(domain[...], of: "R") { return .relay }
                if settings.relayToFullAddress {
                    result = lookup.exactKey(tag: .to, local + [Token("@")] + domain)
                }
                if case .notFound = result {
                    result = lookup.exact(domain, tag: .to, mark: .tagThenUntagged)
                }
            } else {
                if canon.endsWithMember(domain[...], of: "R") { return .relay }
                if settings.relayToFullAddress {
                    result = lookup.searchList(
                        [
                            .fullAddress(local + [Token("@")] + domain), .domain(domain),
                            .fullAddress(local + [Token("@")]),
                        ],
                        tag: .to,
                        mark: .tagThenUntagged
                    )
                } else {
                    result = lookup.domain(domain, tag: .to, mark: .tagThenUntagged)
                }
                // A value sendmail cannot use stops D (or F) at its key, which the next rule reads as the value
                // (`To:relay (x` relays to `u@relay`).
                result = Self.searchListAnswer(result)
            }
            switch PolicyValue(result) {
            case .relay?: return .relay
            case .temporaryFailure?: return .temporary(.mapTemporaryFailure)
            default: break
            }
            return .notRelay
        }
        // A local user (no `< @ domain >` ending the workspace, e.g. the null address `< @ >`) is fine.
        if !Self.endsWithQualifiedFocus(w) && !w.isEmpty { return .relay }
        return .notRelay
    }

    /// `$* < @ $+ >`: the workspace ends with a focused, non-empty domain.
    static func endsWithQualifiedFocus(_ w: [Token]) -> Bool {
        let n = w.count
        guard n >= 4, w[n - 1].text == ">" else { return false }
        for i in 0...(n - 4) where w[i].text == "<" && w[i + 1].text == "@" { return true }
        return false
    }

    // MARK: - Relay_ok

    mutating func relayOK() throws(RulesetAbort) -> Decision {
        let address = try macro("client_addr")
        let localForms = ["0", "127.0.0.1", "IPv6:0:0:0:0:0:0:0:1", "IPv6:::1"].map {
            Tokenizer.tokenize($0)
        }
        if address.isEmpty || localForms.contains(where: { address.matchesTokens($0) }) {
            return .relay
        }
        if canon.startsWithMember(address[...], of: "R") { return .relay }
        switch PolicyValue(lookup.address(address, tag: .connect, mark: .tagThenUntagged)) {
        case .relay?: return .relay
        case .temporaryFailure?: return .temporary(.mapTemporaryFailure)
        default: break
        }
        if canon.isLocal(([Token("[")] + address + [Token("]")])[...]) { return .relay }
        if settings.relayMailFrom != .off || settings.relayLocalFrom {
            var sender = canon.canonAddr(try macro("f"))
            while let f = canon.focus(sender), f.domain.count >= 2, sender.count >= 2,
                sender[sender.count - 2].text == "."
            {
                sender.remove(at: sender.count - 2)
            }
            if let f = canon.focus(sender), f.open >= 1, f.domain.upperBound == sender.count - 1,
                !f.domain.isEmpty
            {
                let local = Array(sender[..<f.open])
                let domain = Array(sender[f.domain])
                if settings.relayLocalFrom, canon.isLocal(domain[...]) { return .relay }
                if settings.relayMailFrom != .off {
                    var items: [AccessLookup.SearchItem] = [.fullAddress(local + [Token("@")] + domain)]
                    if settings.relayMailFrom == .domain {
                        items.append(settings.relayHostsOnly ? .exact(domain) : .domain(domain))
                    }
                    switch PolicyValue(lookup.searchList(items, tag: .from, mark: .tagOnly)) {
                    case .relay?: return .relay
                    case .temporaryFailure?: return .temporary(.mapTemporaryFailure)
                    default: break
                    }
                }
            }
        }
        let resolve = try macro("client_resolve")
        if resolve.matchesTokens([Token("TEMP")]) {
            return .temporary(
                .error(
                    host: Tokenizer.tokenize("4.4.0"),
                    text: [Token("\"450 Relaying temporarily denied. Cannot resolve PTR record for \"")]
                        + address
                )
            )
        }
        // Expanded only now: a `{client_name}` that cannot be expanded (blank) stops the rules after TEMP.
        let clientName = try macro("client_name")
        if resolve.matchesTokens([Token("FORGED")]) {
            return .final(
                .error(
                    host: Tokenizer.tokenize("5.7.1"),
                    text: [Token("\"550 Relaying denied. IP name possibly forged \"")] + clientName
                )
            )
        }
        if resolve.matchesTokens([Token("FAIL")]) {
            return .final(
                .error(
                    host: Tokenizer.tokenize("5.7.1"),
                    text: [Token("\"550 Relaying denied. IP name lookup failed \"")] + clientName
                )
            )
        }
        var name = clientName
        guard !name.isEmpty else { return .notRelay }
        while name.last?.text == "." { name.removeLast() }
        guard !name.isEmpty else { return .notRelay }
        if settings.relayEntireDomain, canon.endsWithMember(name[...], of: "m") { return .relay }
        if canon.isLocal(name[...]) { return .relay }
        var result: AccessLookupResult
        if settings.relayHostsOnly {
            if canon.isMember(name[...], of: "R") { return .relay }
            result = lookup.exact(name, tag: .connect, mark: .tagThenUntagged)
        } else {
            if canon.endsWithMember(name[...], of: "R") { return .relay }
            result = lookup.domain(name, tag: .connect, mark: .tagThenUntagged)
        }
        switch PolicyValue(result) {
        case .relay?: return .relay
        case .temporaryFailure?: return .temporary(.mapTemporaryFailure)
        default: return .notRelay
        }
    }
}
