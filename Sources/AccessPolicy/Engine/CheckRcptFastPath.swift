import AccessMap

/// The byte-level path of the check_rcpt decision (``PolicyEngine/checkRcpt(_:session:)``), the companion of the
/// TLS paths in ``TLSPeerFastPath``.
///
/// The general engine canonicalises the recipient as sendmail does (ruleset 3, the initial parse), then walks
/// Rcpt_ok and Relay_ok on token lists. For a plain recipient — `user@domain` or `<user@domain>`, the local part
/// made of word characters separated by `.` or `+`, the domain a plain host name (one trailing dot allowed) — all of
/// that leaves the address as it is, and what is left is class tests and key chains. This path does them directly
/// on bytes, in the general engine's order:
///
/// 1. `{deliveryMode}` `d`: accept (deferred). With blocklist_recipients, the recipient's `To:` entries (`REJECT`
///    refuses; `OK`, `RELAY`, `SKIP` and no entry go on; other values: `nil`). `{verify}` `OK`/`TRUSTED`:
///    RelayTLS's `CERTISSUER:` and `CERTSUBJECT:` keys. `{auth_type}` in class `TrustAuthMech`: relay.
/// 2. Rcpt_ok: the domain in class `m` (with relay_entire_domain), local (class `w` or the host name), ending in a
///    class `R` member (or equal to one with relay_hosts_only); then the `To:` keys (with relaytofulladdress the full
///    address first, and after the domain `user@`), each tried tagged then untagged. `RELAY` relays.
/// 3. Relay_ok: no `{client_addr}` or a loopback one, an address starting with a class `R` member, the `Connect:`
///    address keys, `[address]` local, the sender `$f` (relay_local_from: a local domain; relay_mail_from: its
///    `From:` keys, tagged only); then `{client_resolve}` (`TEMP`, `FORGED`, `FAIL`: their refusals), and
///    `{client_name}` (trailing dots dropped, a plain name or a bracketed literal) as the domain in step 2 with
///    `Connect:` keys.
/// 4. Otherwise the relaying denial, built once.
///
/// Keys are built in one stack buffer and folded there; the map lends each value without a copy
/// (``AccessMap/AccessMapSource/visitValue(foldedKey:_:)``) and the value is read in place: `RELAY`, `SKIP`, `OK`,
/// `REJECT`, `SUBJECT`, `?` (not found) and any value without `()"\<>%` (which cannot be one of them) are
/// understood. A refusal other than the `{client_resolve}` ones allocates nothing. A temporary failure, any other
/// value, a configuration with delay_checks, a host name outside ASCII, or an unusual macro, recipient or sender
/// (`$f`, with relay_mail_from or relay_local_from) make ``decide`` return `nil`, and the caller asks the general engine. Both paths are
/// checked against each other on random maps, sessions, recipients and configurations (`CheckRcptFastPathTests`);
/// the general engine is the one checked against sendmail.
struct CheckRcptFastPath: Sendable {
    /// Class `w` and the host name.
    private let localNames: FoldedWordSet
    /// Class `R`.
    private let relayDomains: FoldedWordSet
    /// Class `m` (empty unless relay_entire_domain).
    private let entireDomains: FoldedWordSet
    /// Class `TrustAuthMech`.
    private let trustedMechanisms: FoldedWordSet
    /// Class `TlsVerified`.
    private let verifiedWords: FoldedWords
    private let relayHostsOnly: Bool
    private let relayToFullAddress: Bool
    private let relayLocalFrom: Bool
    private let relayMailFrom: RelaySettings.RelayMailFrom
    /// `localhost` canonicalises to the host name.
    private let hasHostName: Bool
    private let lookupDotDomain: Bool
    private let skip: Bool
    /// The final `550 5.7.1 Relaying denied` (or `confRELAY_MSG`), built once: a refusal allocates nothing.
    let denial: PolicyDecision
    /// FEATURE(blocklist_recipients): `To:` entries `REJECT` recipients first.
    private let blocklist: Bool
    /// `550 5.2.1 Mailbox disabled for this recipient` (or `confRCPTREJ_MSG`), built once.
    let recipientRejection: PolicyDecision
    /// Off outside the configurations this path knows: every decision then takes the general engine.
    let enabled: Bool

    static let toPrefix: StaticString = "to:"
    static let fromPrefix: StaticString = "from:"
    static let certIssuerPrefix: StaticString = "certissuer:"
    static let certSubjectPrefix: StaticString = "certsubject:"
    static let connectPrefix: StaticString = "connect:"

    /// The longest recipient or `{client_name}` read.
    static let maximumText = 255
    /// The longest `{client_addr}` read: `[address]` must fit the 64-byte literal area.
    static let maximumAddress = 62

    init(configuration: PolicyConfiguration) {
        let relay = configuration.relay
        var local = configuration.members(of: "w").words
        var hostNameIsASCII = true
        if let host = relay.hostName, !host.isEmpty {
            // isLocal compares with String.lowercased(): the same as ASCII folding only for ASCII names.
            hostNameIsASCII = host.utf8.allSatisfy { $0 < 0x80 }
            local.append(host)
        }
        hasHostName = !(relay.hostName ?? "").isEmpty
        localNames = FoldedWordSet(local)
        relayDomains = FoldedWordSet(configuration.members(of: "R").words)
        entireDomains = FoldedWordSet(relay.relayEntireDomain ? configuration.members(of: "m").words : [])
        trustedMechanisms = FoldedWordSet(configuration.members(of: "TrustAuthMech").words)
        verifiedWords = FoldedWords(configuration.members(of: "TlsVerified").words)
        relayHostsOnly = relay.relayHostsOnly
        relayToFullAddress = relay.relayToFullAddress
        relayLocalFrom = relay.relayLocalFrom
        relayMailFrom = relay.relayMailFrom
        lookupDotDomain = configuration.features.accessLookup.contains(.lookupDotDomain)
        skip = configuration.features.accessLookup.contains(.skip)
        denial = PolicyDecision(.error(dsn: "5.7.1", text: relay.effectiveRelayMessage))
        blocklist = relay.blocklistRecipients
        recipientRejection = PolicyDecision(
            .mailer(
                name: Token("error"),
                host: Tokenizer.tokenize("5.2.1"),
                text: [Token("\"\(relay.effectiveRecipientRejectMessage)\"")]
            )
        )
        enabled =
            !relay.delayChecks && hostNameIsASCII && localNames.isComplete && relayDomains.isComplete
            && entireDomains.isComplete
            && trustedMechanisms.isComplete && verifiedWords.isComplete
    }

    /// The decision on the map's version in service (``AccessMap/AccessMapSource/withPinnedSource(_:)``), or `nil`
    /// when the general engine must answer.
    func decide(_ recipient: String, session: SessionMacros, in source: any AccessMapSource) -> PolicyDecision? {
        guard enabled, recipient.utf8.count <= Self.maximumText else { return nil }
        var decision: PolicyDecision? = nil
        source.withPinnedSource { pinned in decision = decide(recipient, session: session, source: pinned) }
        return decision
    }

    /// The decision on a pinned source, or `nil` when the general engine must answer.
    private func decide(_ recipient: String, session: SessionMacros, source: any AccessMapSource) -> PolicyDecision? {
        // 1 KiB: stack memory (withUnsafeTemporaryAllocation allocates on the stack up to this size).
        withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 8) { buffer in
            let keyArea = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<384])
            let recipientArea = UnsafeMutableRawBufferPointer(rebasing: buffer[384..<640])
            let nameArea = UnsafeMutableRawBufferPointer(rebasing: buffer[640..<896])
            let addressArea = UnsafeMutableRawBufferPointer(rebasing: buffer[896..<960])
            let literalArea = UnsafeMutableRawBufferPointer(rebasing: buffer[960..<1024])
            guard let address = TLSPeerFastPath.copy(recipient, into: recipientArea),
                let (local, domain) = Self.plainAddress(address, hasHostName: hasHostName)
            else { return nil }

            // Basic_check_rcpt: a deferred delivery mode accepts.
            switch Self.word(session.hot.deliveryMode) {
            case .none: return nil
            case .some(.some(let mode)) where Self.equalFolded(mode, "d"): return .accept
            default: break
            }
            var key = RelayKeyBuilder(area: keyArea)
            // Rcpt_ok: with blocklist_recipients, `To:` entries for the recipient first.
            if blocklist {
                switch blocklistSearch(&key, local: local, domain: domain, source: source) {
                case .notFound, .okValue, .relay: break
                case .skipValue where skip: break
                case .rejectValue: return recipientRejection
                default: return nil  // other values have their own replies: the general engine words them
                }
            }
            // RelayTLS looks certificates up only when `{verify}` is OK or TRUSTED.
            switch Self.word(session.hot.verify) {
            case .none: return nil
            case .some(.some(let verify)) where Self.withBytes(verify, verifiedWords.contains):
                switch certificateRelays(&key, session: session, area: nameArea, source: source) {
                case .relay: return .relay
                case .giveUp: return nil
                default: break
                }
            default: break
            }
            switch Self.word(session.hot.authType) {
            case .none: return nil
            case .some(.some(let mechanism)) where Self.withBytes(mechanism, trustedMechanisms.contains): return .relay
            default: break
            }
            switch recipientRelays(&key, local: local, domain: domain, source: source) {
            case .relay: return .relay
            case .giveUp: return nil
            default: break
            }
            return clientRelays(
                &key,
                session: session,
                nameArea: nameArea,
                addressArea: addressArea,
                literalArea: literalArea,
                source: source
            )
        }
    }

    /// `user@domain` or `<user@domain>`: the local part made of word characters separated by `.` or `+`, the domain
    /// a plain host name (one trailing dot dropped) that the canonicalisation keeps as it is.
    static func plainAddress(
        _ text: UnsafeRawBufferPointer,
        hasHostName: Bool
    ) -> (local: UnsafeRawBufferPointer, domain: UnsafeRawBufferPointer)? {
        var address = text
        // `<…>` around the address.
        if address.count >= 2 && address[0] == UInt8(ascii: "<") && address[address.count - 1] == UInt8(ascii: ">") {
            address = UnsafeRawBufferPointer(rebasing: address[1..<(address.count - 1)])
        }
        guard let at = ByteLanes.firstIndex(of: UInt8(ascii: "@"), in: address), at > 0 else { return nil }
        var end = address.count
        if end > at + 2 && address[end - 1] == UInt8(ascii: ".") { end -= 1 }  // one trailing dot
        let local = UnsafeRawBufferPointer(rebasing: address[0..<at])
        let domain = UnsafeRawBufferPointer(rebasing: address[(at + 1)..<end])
        guard TLSPeerFastPath.isPlainLocalPart(local), TLSPeerFastPath.isDottedLabels(domain),
            !isSpecialDomain(domain, hasHostName: hasHostName)
        else { return nil }
        return (local, domain)
    }

    // MARK: - Rcpt_ok and Relay_ok

    /// Rcpt_ok for `local@domain`: relay, give up, or anything else (not relayed).
    private func recipientRelays(
        _ key: inout RelayKeyBuilder,
        local: UnsafeRawBufferPointer,
        domain: UnsafeRawBufferPointer,
        source: any AccessMapSource
    ) -> Lookup {
        if entireDomains.containsSuffix(of: domain) || localNames.contains(domain) { return .relay }
        let none = TLSPeerFastPath.empty
        let atSign = Self.atSign
        if relayHostsOnly {
            if relayDomains.contains(domain) { return .relay }
            var result = Lookup.notFound
            if relayToFullAddress {
                result = key.lookup(Self.toPrefix, tagged: true, local, atSign, domain, source)
            }
            if case .notFound = result { result = candidate(&key, Self.toPrefix, domain, none, none, source) }
            return result
        }
        if relayDomains.containsSuffix(of: domain) { return .relay }
        if relayToFullAddress {
            // SearchList <F:user@domain> <D:domain> <F:user@>: the first answer that is not "not found".
            var result = fullAddress(&key, local: local, domain: domain, source: source)
            if case .notFound = result { result = domainSearch(&key, Self.toPrefix, domain, .plain, source) }
            if case .notFound = result { result = candidate(&key, Self.toPrefix, local, atSign, none, source) }
            return result
        }
        return domainSearch(&key, Self.toPrefix, domain, .plain, source)
    }

    /// Relay_ok: the client's address, then its name.
    private func clientRelays(
        _ key: inout RelayKeyBuilder,
        session: SessionMacros,
        nameArea: UnsafeMutableRawBufferPointer,
        addressArea: UnsafeMutableRawBufferPointer,
        literalArea: UnsafeMutableRawBufferPointer,
        source: any AccessMapSource
    ) -> PolicyDecision? {
        // Read in place (no string is made unless a refusal names the client).
        guard let address = TLSPeerFastPath.copy(session.hot, .clientAddr, into: addressArea) else { return nil }
        if address.isEmpty { return .relay }
        guard address.count <= Self.maximumAddress else { return nil }
        if Self.isLoopback(address) { return .relay }
        guard Self.isAddressText(address) else { return nil }
        if relayDomains.containsPrefix(of: address) { return .relay }
        switch addressSearch(&key, address, source) {
        case .relay: return .relay
        case .giveUp: return nil
        default: break
        }
        // `[address]` in class w.
        literalArea[0] = UInt8(ascii: "[")
        literalArea.baseAddress!.advanced(by: 1).copyMemory(from: address.baseAddress!, byteCount: address.count)
        literalArea[address.count + 1] = UInt8(ascii: "]")
        if localNames.contains(UnsafeRawBufferPointer(rebasing: literalArea[0..<(address.count + 2)])) {
            return .relay
        }
        // relay_local_from, relay_mail_from: the envelope sender `$f`.
        if relayLocalFrom || relayMailFrom != .off {
            switch senderRelays(&key, session: session, area: nameArea, source: source) {
            case .relay: return .relay
            case .giveUp: return nil
            default: break
            }
        }
        // `{client_resolve}` TEMP, FORGED and FAIL have their own replies (built as the general engine builds them:
        // they name the client).
        switch Self.word(session.hot.clientResolve) {
        case .none: return nil
        case .some(.some(let resolve)):
            let kind: ResolveFailure
            if Self.equalFolded(resolve, "temp") {
                kind = .temporary
            } else if Self.equalFolded(resolve, "forged") {
                kind = .forged
            } else if Self.equalFolded(resolve, "fail") {
                kind = .failed
            } else {
                break
            }
            return kind.decision(name: session.hot.clientName ?? "", address: session.hot.clientAddr ?? "")
        case .some(.none): break
        }
        guard var name = TLSPeerFastPath.copy(session.hot, .clientName, into: nameArea) else { return nil }
        if name.isEmpty { return denial }
        guard name.count <= Self.maximumText else { return nil }
        var end = name.count
        while end > 0 && name[end - 1] == UInt8(ascii: ".") { end -= 1 }  // trailing dots go
        if end == 0 { return denial }
        name = UnsafeRawBufferPointer(rebasing: name[0..<end])
        let shape: TLSPeerFastPath.HostShape
        if TLSPeerFastPath.isDottedLabels(name) {
            shape = .plain
        } else if name.count >= 3 && name[0] == UInt8(ascii: "[") && name[name.count - 1] == UInt8(ascii: "]")
            && Self.isAddressText(UnsafeRawBufferPointer(rebasing: name[1..<(name.count - 1)]))
        {
            shape = .bracketed
        } else {
            return nil
        }
        if entireDomains.containsSuffix(of: name) || localNames.contains(name) { return .relay }
        let result: Lookup
        if relayHostsOnly {
            if relayDomains.contains(name) { return .relay }
            let none = TLSPeerFastPath.empty
            result = candidate(&key, Self.connectPrefix, name, none, none, source)
        } else {
            if relayDomains.containsSuffix(of: name) { return .relay }
            result = domainSearch(&key, Self.connectPrefix, name, shape, source)
        }
        switch result {
        case .relay: return .relay
        case .giveUp: return nil
        default: return denial
        }
    }

    /// blocklist_recipients' SearchList: `<F:user@domain> <U:user@> <D:domain>` for a local domain, else
    /// `<F:user@domain> <D:domain>`, each key tagged `To:` then untagged.
    private func blocklistSearch(
        _ key: inout RelayKeyBuilder,
        local: UnsafeRawBufferPointer,
        domain: UnsafeRawBufferPointer,
        source: any AccessMapSource
    ) -> Lookup {
        let none = TLSPeerFastPath.empty
        var result = fullAddress(&key, local: local, domain: domain, source: source)
        if case .notFound = result, localNames.contains(domain) {
            // U: user+detail@, then user+*@ and user@.
            result = candidate(&key, Self.toPrefix, local, Self.atSign, none, source)
            if case .notFound = result, let plus = ByteLanes.firstIndex(of: UInt8(ascii: "+"), in: local) {
                let user = UnsafeRawBufferPointer(rebasing: local[0..<plus])
                result = candidate(&key, Self.toPrefix, user, Self.plusStarAt, none, source)
                if case .notFound = result { result = candidate(&key, Self.toPrefix, user, Self.atSign, none, source) }
            }
        }
        if case .notFound = result { result = domainSearch(&key, Self.toPrefix, domain, .plain, source) }
        return result
    }

    /// RelayTLS with `{verify}` OK or TRUSTED: `CERTISSUER:{cert_issuer}` `RELAY` relays, `SUBJECT` defers to
    /// `CERTSUBJECT:{cert_subject}` `RELAY`; anything else (also no entry) does not relay. The names are
    /// xtext-encoded DNs: only those whose key is their own bytes (no white space, quotes, comments, escapes, angle
    /// brackets, commas or semicolons) are read here.
    private func certificateRelays(
        _ key: inout RelayKeyBuilder,
        session: SessionMacros,
        area: UnsafeMutableRawBufferPointer,
        source: any AccessMapSource
    ) -> Lookup {
        let none = TLSPeerFastPath.empty
        let issuerText = session[.certIssuer] ?? ""
        if issuerText.isEmpty { return .notFound }
        guard let issuer = TLSPeerFastPath.copy(issuerText, into: area), Self.isPlainName(issuer) else {
            return .giveUp
        }
        switch key.lookup(Self.certIssuerPrefix, tagged: true, issuer, none, none, source) {
        case .relay: return .relay
        case .giveUp: return .giveUp
        case .subjectValue: break
        default: return .notFound
        }
        let subjectText = session[.certSubject] ?? ""
        if subjectText.isEmpty { return .notFound }
        guard let subject = TLSPeerFastPath.copy(subjectText, into: area), Self.isPlainName(subject) else {
            return .giveUp
        }
        switch key.lookup(Self.certSubjectPrefix, tagged: true, subject, none, none, source) {
        case .relay: return .relay
        case .giveUp: return .giveUp
        default: return .notFound
        }
    }

    /// Printable ASCII other than white space, `"`, `(`, `)`, `\`, `<`, `>`, `,` and `;`: its tokens are runs
    /// of word characters and one-byte operators, so the key sendmail builds from them is these bytes.
    static func isPlainName(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty else { return false }
        for byte in bytes {
            switch byte {
            case 0x21...0x7E:
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"), UInt8(ascii: "<"),
                    UInt8(ascii: ">"), UInt8(ascii: ","), UInt8(ascii: ";"):
                    return false
                default: continue
                }
            default: return false
            }
        }
        return true
    }

    /// relay_local_from (a sender in a local domain relays) and relay_mail_from (`From:` `RELAY` for the sender's
    /// full address, with `domain` also for its domain and parents — only the domain with relay_hosts_only), tagged
    /// keys only. No `$f` or one without a domain: not relayed.
    private func senderRelays(
        _ key: inout RelayKeyBuilder,
        session: SessionMacros,
        area: UnsafeMutableRawBufferPointer,
        source: any AccessMapSource
    ) -> Lookup {
        let text = session[.sender] ?? ""
        if text.isEmpty { return .notFound }
        guard let bytes = TLSPeerFastPath.copy(text, into: area),
            let (local, domain) = Self.plainAddress(bytes, hasHostName: hasHostName)
        else { return .giveUp }
        if relayLocalFrom && localNames.contains(domain) { return .relay }
        guard relayMailFrom != .off else { return .notFound }
        key.untagged = false
        defer { key.untagged = true }
        var result = fullAddress(&key, Self.fromPrefix, local: local, domain: domain, source: source)
        guard case .notFound = result, relayMailFrom == .domain else { return result }
        if relayHostsOnly {
            let none = TLSPeerFastPath.empty
            result = candidate(&key, Self.fromPrefix, domain, none, none, source)
        } else {
            result = domainSearch(&key, Self.fromPrefix, domain, .plain, source)
        }
        return result
    }

    /// Relay_ok's replies for a client whose name did not resolve (`{client_resolve}`).
    enum ResolveFailure {
        /// TEMP: `450 4.4.0 Relaying temporarily denied. Cannot resolve PTR record for {client_addr}`.
        case temporary
        /// FORGED: `550 5.7.1 Relaying denied. IP name possibly forged {client_name}`.
        case forged
        /// FAIL: `550 5.7.1 Relaying denied. IP name lookup failed {client_name}`.
        case failed

        /// The refusal, or `nil` when `{client_name}` holds no token (Relay_ok then fails and the general engine
        /// answers).
        func decision(name: String, address: String) -> PolicyDecision? {
            let nameTokens = Tokenizer.tokenize(name)
            guard name.isEmpty || !nameTokens.isEmpty else { return nil }
            let status: String
            let text: String
            let client: [Token]
            switch self {
            case .temporary:
                (status, text, client) = (
                    "4.4.0", "450 Relaying temporarily denied. Cannot resolve PTR record for ",
                    Tokenizer.tokenize(address)
                )
            case .forged:
                (status, text, client) = ("5.7.1", "550 Relaying denied. IP name possibly forged ", nameTokens)
            case .failed: (status, text, client) = ("5.7.1", "550 Relaying denied. IP name lookup failed ", nameTokens)
            }
            return PolicyDecision(
                .error(host: Tokenizer.tokenize(status), text: [Token("\"" + text + "\"")] + client)
            )
        }
    }

    // MARK: - Key chains

    /// The answer of one look-up or one search.
    enum Lookup {
        /// The value `RELAY`.
        case relay
        /// The value `SKIP`.
        case skipValue
        /// The value `SUBJECT` (of a `CERTISSUER:` entry).
        case subjectValue
        /// The value `OK`.
        case okValue
        /// The value `REJECT`.
        case rejectValue
        /// Any other value this path understands (it does not relay).
        case other
        case notFound
        /// Not for this path (a temporary failure, a value not understood, a key too long).
        case giveUp
    }

    /// One key, tagged then (when not found, the key is not empty and the search allows it) untagged.
    private func candidate(
        _ key: inout RelayKeyBuilder,
        _ prefix: StaticString,
        _ a: UnsafeRawBufferPointer,
        _ b: UnsafeRawBufferPointer,
        _ c: UnsafeRawBufferPointer,
        _ source: any AccessMapSource
    ) -> Lookup {
        let tagged = key.lookup(prefix, tagged: true, a, b, c, source)
        guard case .notFound = tagged, key.untagged, a.count + b.count + c.count > 0 else { return tagged }
        return key.lookup(prefix, tagged: false, a, b, c, source)
    }

    /// D: the name and its parents (a bracketed literal loses its last part inside the brackets), each followed by
    /// `.parent` with `lookupdotdomain`; a `SKIP` hit with `skip` ends the search as not found.
    private func domainSearch(
        _ key: inout RelayKeyBuilder,
        _ prefix: StaticString,
        _ name: UnsafeRawBufferPointer,
        _ shape: TLSPeerFastPath.HostShape,
        _ source: any AccessMapSource
    ) -> Lookup {
        let none = TLSPeerFastPath.empty
        let close = Self.closeBracket
        var end = name.count - 1  // bracketed: the key is name[0..<end] + `]`
        var start = 0  // plain: the key is name[start...]
        while true {
            var result: Lookup
            switch shape {
            case .plain:
                result = candidate(&key, prefix, UnsafeRawBufferPointer(rebasing: name[start...]), none, none, source)
            case .bracketed:
                result = candidate(&key, prefix, UnsafeRawBufferPointer(rebasing: name[0..<end]), close, none, source)
            }
            if case .notFound = result, lookupDotDomain {
                // `.parent`: from the first dot of this key (one with something on both sides).
                switch shape {
                case .plain:
                    if let dot = TLSPeerFastPath.firstDot(name, start..<name.count) {
                        result = candidate(
                            &key,
                            prefix,
                            UnsafeRawBufferPointer(rebasing: name[dot...]),
                            none,
                            none,
                            source
                        )
                    }
                case .bracketed:
                    if let dot = TLSPeerFastPath.firstDot(name, 1..<end) {
                        result = candidate(
                            &key,
                            prefix,
                            UnsafeRawBufferPointer(rebasing: name[dot..<end]),
                            close,
                            none,
                            source
                        )
                    }
                }
            }
            switch result {
            case .skipValue where skip: return .notFound
            case .notFound: break
            default: return result
            }
            switch shape {
            case .plain:
                guard let dot = TLSPeerFastPath.firstDot(name, start..<name.count) else { return .notFound }
                start = dot + 1
            case .bracketed:
                // `[a.b.c]` → `[a.b]`, `[IPv6:a:b]` → `[IPv6:a]`, `[IPv6:a::b]` → `[IPv6:a]`; one word: done.
                guard let cut = Self.cutLastPart(name, 1..<end) else { return .notFound }
                end = cut
            }
        }
    }

    /// A: `Connect:` and the address, then its shorter prefixes (cut at the last `.` or `:`).
    private func addressSearch(
        _ key: inout RelayKeyBuilder,
        _ address: UnsafeRawBufferPointer,
        _ source: any AccessMapSource
    ) -> Lookup {
        let none = TLSPeerFastPath.empty
        var end = address.count
        while true {
            let part = UnsafeRawBufferPointer(rebasing: address[0..<end])
            switch candidate(&key, Self.connectPrefix, part, none, none, source) {
            case .skipValue where skip: return .notFound
            case .notFound: break
            case let result: return result
            }
            guard let cut = Self.cutLastPart(address, 0..<end) else { return .notFound }
            end = cut
        }
    }

    /// F on `user+detail@domain`: the address, then `user+*@domain` and `user@domain` when the local part has a
    /// `+` (user: before the first `+`).
    private func fullAddress(
        _ key: inout RelayKeyBuilder,
        _ prefix: StaticString = toPrefix,
        local: UnsafeRawBufferPointer,
        domain: UnsafeRawBufferPointer,
        source: any AccessMapSource
    ) -> Lookup {
        let result = candidate(&key, prefix, local, Self.atSign, domain, source)
        guard case .notFound = result, let plus = ByteLanes.firstIndex(of: UInt8(ascii: "+"), in: local) else {
            return result
        }
        let user = UnsafeRawBufferPointer(rebasing: local[0..<plus])
        let star = candidate(&key, prefix, user, Self.plusStarAt, domain, source)
        guard case .notFound = star else { return star }
        return candidate(&key, prefix, user, Self.atSign, domain, source)
    }

    // MARK: - Bytes

    static var atSign: UnsafeRawBufferPointer { staticBytes("@") }
    static var plusStarAt: UnsafeRawBufferPointer { staticBytes("+*@") }
    static var closeBracket: UnsafeRawBufferPointer { staticBytes("]") }

    @inline(__always)
    static func staticBytes(_ text: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// `0`, `127.0.0.1`, `IPv6:0:0:0:0:0:0:0:1` or `IPv6:::1`.
    static func isLoopback(_ address: UnsafeRawBufferPointer) -> Bool {
        TLSPeerFastPath.equalFolded(address, "0") || TLSPeerFastPath.equalFolded(address, "127.0.0.1")
            || TLSPeerFastPath.equalFolded(address, "ipv6:0:0:0:0:0:0:0:1")
            || TLSPeerFastPath.equalFolded(address, "ipv6:::1")
    }

    /// Runs of word characters separated by `.`, `:` or `::`, neither first nor last: a dotted IPv4 address, an
    /// `IPv6:` address (with at most one `::` per gap), or their bracketed contents.
    static func isAddressText(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var separators = 1  // separators since the last word character; 1 at the start refuses a leading one
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") {
                // A second separator only as the second colon of `::` after a word.
                guard separators == 0 || (separators == 1 && previous == UInt8(ascii: ":") && byte == previous)
                else { return false }
                separators += 1
            } else if TLSPeerFastPath.isWordByte(byte) {
                separators = 0
            } else {
                return false
            }
            previous = byte
        }
        return separators == 0 && !bytes.isEmpty
    }

    /// The end of `bytes[range]` without its last token and the separator before it (`: :` together), as
    /// sendmail's address and literal searches shorten a key; `nil` when the range is one word. `bytes[range]`
    /// satisfies ``isAddressText(_:)``.
    static func cutLastPart(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        var j = range.upperBound
        while j > range.lowerBound && TLSPeerFastPath.isWordByte(bytes[j - 1]) { j -= 1 }
        guard j > range.lowerBound else { return nil }
        let separator = j - 1
        if bytes[separator] == UInt8(ascii: ":") && separator - 1 > range.lowerBound
            && bytes[separator - 1] == UInt8(ascii: ":")
        {
            return separator - 1
        }
        return separator
    }

    /// Domains the canonicalisation changes: `localhost` and `localhost.…` (with a host name, they become it),
    /// and `….UUCP`.
    static func isSpecialDomain(_ domain: UnsafeRawBufferPointer, hasHostName: Bool) -> Bool {
        let firstEnd = TLSPeerFastPath.firstDot(domain, 0..<domain.count) ?? domain.count
        let lastStart = (TLSPeerFastPath.lastDot(domain, 0..<domain.count) ?? -1) + 1
        if hasHostName
            && TLSPeerFastPath.equalFolded(UnsafeRawBufferPointer(rebasing: domain[0..<firstEnd]), "localhost")
        {
            return true
        }
        return TLSPeerFastPath.equalFolded(UnsafeRawBufferPointer(rebasing: domain[lastStart...]), "uucp")
    }

    /// A macro that must be empty or one plain word: `.some(nil)` when empty, `.some(word)` for a word, `nil`
    /// otherwise (white space, operators, quotes…: the general engine reads it).
    static func word(_ text: String?) -> String?? {
        guard let text, !text.isEmpty else { return .some(nil) }
        guard text.utf8.count <= 64, text.utf8.allSatisfy(TLSPeerFastPath.isWordByte) else { return nil }
        return .some(text)
    }

    /// A test on the bytes of a word, without copying them (a native string lends its storage).
    static func withBytes(_ word: String, _ test: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        var copy = word
        return copy.withUTF8 { test(UnsafeRawBufferPointer($0)) }
    }

    static func equalFolded(_ word: String, _ keyword: StaticString) -> Bool {
        guard word.utf8.count == keyword.utf8CodeUnitCount else { return false }
        var i = 0
        for byte in word.utf8 {
            if Token.asciiLowercased(byte) != keyword.utf8Start[i] { return false }
            i += 1
        }
        return true
    }
}

/// Builds `tag:` + parts (or the parts alone, untagged) in a scratch area, folded, and asks the map.
struct RelayKeyBuilder {
    let area: UnsafeMutableRawBufferPointer
    /// Each key is also tried without its tag (`<+ To>`); off for `<! From>` searches.
    var untagged = true

    init(area: UnsafeMutableRawBufferPointer) { self.area = area }

    /// One key through the map; the value is read in place.
    func lookup(
        _ prefix: StaticString,
        tagged: Bool,
        _ a: UnsafeRawBufferPointer,
        _ b: UnsafeRawBufferPointer,
        _ c: UnsafeRawBufferPointer,
        _ source: any AccessMapSource
    ) -> CheckRcptFastPath.Lookup {
        let prefixLength = tagged ? prefix.utf8CodeUnitCount : 0
        let total = prefixLength + a.count + b.count + c.count
        guard total <= area.count else { return .giveUp }
        let base = area.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if tagged { base.update(from: prefix.utf8Start, count: prefixLength) }
        var out = base + prefixLength
        Self.copyFolded(a, to: &out)
        Self.copyFolded(b, to: &out)
        Self.copyFolded(c, to: &out)
        var value = RelayValue.other
        let status = source.visitValue(foldedKey: UnsafeRawBufferPointer(start: base, count: total)) { bytes in
            value = RelayValue(bytes)
        }
        switch status {
        case .notFound: return .notFound
        case .temporaryFailure: return .giveUp
        case .found:
            switch value {
            case .relay: return .relay
            case .skip: return .skipValue
            case .subject: return .subjectValue
            case .ok: return .okValue
            case .reject: return .rejectValue
            case .other: return .other
            case .question: return .notFound  // `?` reads as "not found"
            case .complex: return .giveUp
            }
        }
    }
}

extension RelayKeyBuilder {
    @inline(__always)
    fileprivate static func copyFolded(_ part: UnsafeRawBufferPointer, to out: inout UnsafeMutablePointer<UInt8>) {
        guard part.count > 0 else { return }
        let input = part.baseAddress!.assumingMemoryBound(to: UInt8.self)
        for i in 0..<part.count {
            let byte = input[i]
            out[i] = byte &- 0x41 < 26 ? byte | 0x20 : byte
        }
        out += part.count
    }
}

/// What a map value means to the relay rulesets, read in place.
enum RelayValue {
    /// One token `RELAY`.
    case relay
    /// One token `SKIP`.
    case skip
    /// One token `SUBJECT`.
    case subject
    /// One token `OK`.
    case ok
    /// One token `REJECT`.
    case reject
    /// A lone `?`: not found.
    case question
    /// A value that is none of the above nor a temporary-failure mark.
    case other
    /// A value with a comment, a quote, an escape, angle brackets or `%` (whose tokens need the tokenizer).
    case complex

    init(_ value: UnsafeRawBufferPointer) {
        var lower = 0
        var upper = value.count
        while lower < upper && Tokenizer.isSpace(value[lower]) { lower += 1 }
        while upper > lower && Tokenizer.isSpace(value[upper - 1]) { upper -= 1 }
        let trimmed = UnsafeRawBufferPointer(rebasing: value[lower..<upper])
        if trimmed.count == 1 && trimmed[0] == UInt8(ascii: "?") {
            self = .question
            return
        }
        for byte in trimmed {
            switch byte {
            case 0, UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "<"),
                UInt8(ascii: ">"), UInt8(ascii: "%"):
                self = .complex
                return
            default: continue
            }
        }
        // Without those bytes the tokens are the runs between white space and operators: one token `RELAY` is the
        // trimmed value itself.
        if TLSPeerFastPath.equalFolded(trimmed, "relay") {
            self = .relay
        } else if TLSPeerFastPath.equalFolded(trimmed, "skip") {
            self = .skip
        } else if TLSPeerFastPath.equalFolded(trimmed, "subject") {
            self = .subject
        } else if TLSPeerFastPath.equalFolded(trimmed, "ok") {
            self = .ok
        } else if TLSPeerFastPath.equalFolded(trimmed, "reject") {
            self = .reject
        } else {
            self = .other
        }
    }
}
