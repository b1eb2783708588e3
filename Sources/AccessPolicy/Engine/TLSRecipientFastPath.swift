import AccessMap

/// The byte-level path of the typed tls_rcpt decision (``PolicyEngine/tlsRecipient(_:session:)``), the companion
/// of the tls_client/tls_server path in ``TLSPeerFastPath``.
///
/// A plain recipient — `user@domain` or `<user@domain>`, the local part made of word characters separated by `.`
/// or `+`, the domain a plain host name (one trailing dot allowed) or a bracketed literal — goes through sendmail's
/// SearchList for `TLS_Rcpt:` directly on bytes: F (`user+detail@domain`, `user+*@domain`, `user@domain`),
/// U (`user+detail@`, `user+*@`, `user@`), D (the domain and its parents, with `lookupdotdomain` and `skip`), then
/// the bare tag. Anything else answers `nil` and the general engine decides.
extension TLSPeerFastPath {
    /// The decision for one recipient on the map's version in service, or `nil` when the general engine must
    /// answer.
    func decideRecipient(
        _ recipient: String,
        session: SessionMacros,
        in source: any AccessMapSource
    )
        -> TLSPolicyDecision?
    {
        guard enabled else { return nil }
        // {TLS_Name} is {server_name}: a value that yields no token stops sendmail's ruleset.
        guard session.hot.withBytes(.serverName, { $0.isEmpty || HostShape($0) != nil }) else { return nil }
        guard recipient.utf8.count <= 255 else { return nil }
        var decision: TLSPolicyDecision? = nil
        source.withPinnedSource { pinned in
            decision = withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 8) { buffer in
                let keyArea = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<640])
                let recipientArea = UnsafeMutableRawBufferPointer(rebasing: buffer[640..<896])
                let verifyArea = UnsafeMutableRawBufferPointer(rebasing: buffer[896..<960])
                let constants = UnsafeMutableRawBufferPointer(rebasing: buffer[960..<964])
                let domainDots = UnsafeMutableRawBufferPointer(rebasing: buffer[964..<1024])
                // Copied as given; the local part and the domain are folded in place while they are checked.
                guard var address = Self.copy(recipient, into: recipientArea),
                    let verifyBytes = Self.copy(session.hot, .verify, into: verifyArea), verifyBytes.count <= 63,
                    verifyBytes.allSatisfy(Self.isWordByte)
                else { return nil }
                // `<…>` around the address.
                if address.count >= 2 && address[0] == UInt8(ascii: "<")
                    && address[address.count - 1] == UInt8(ascii: ">")
                {
                    address = UnsafeRawBufferPointer(rebasing: address[1..<(address.count - 1)])
                }
                guard let at = ByteLanes.firstIndex(of: UInt8(ascii: "@"), in: address), at > 0 else { return nil }
                var end = address.count
                if end > at + 2 && address[end - 1] == UInt8(ascii: ".") { end -= 1 }  // one trailing dot
                let local = UnsafeRawBufferPointer(rebasing: address[0..<at])
                // The domain is scanned in place, for its shape and dots.
                let domainBytes = UnsafeRawBufferPointer(rebasing: address[(at + 1)..<end])
                guard Self.foldPlainLocalPart(local),
                    let domain = Self.scanHost(
                        domainBytes,
                        to: UnsafeMutableRawBufferPointer(mutating: domainBytes),
                        offsets: domainDots
                    )
                else { return nil }
                // "+*@" and "@" for the keys with a wildcard detail.
                constants.copyBytes(from: "+*@".utf8)
                let star = UnsafeRawBufferPointer(rebasing: constants[0..<3])
                let atSign = UnsafeRawBufferPointer(rebasing: constants[2..<3])
                let plus = ByteLanes.firstIndex(of: UInt8(ascii: "+"), in: local)
                var key = KeyBuilder(area: keyArea, prefix: Self.recipientPrefix)
                let outcome = recipientSearch(
                    &key,
                    address: address,
                    at: at,
                    end: end,
                    plus: plus,
                    domain: domain,
                    star: star,
                    atSign: atSign,
                    source: pinned
                )
                switch outcome {
                case .giveUp: return nil
                case .notFound: return .accept
                case .found(let value):
                    let verifyWord: UnsafeRawBufferPointer? = verifyBytes.isEmpty ? nil : verifyBytes
                    // A handshake failure refuses whatever the requirement: its text comes from the general engine.
                    if let word = verifyWord, handshakeFailureWords.contains(word) { return nil }
                    return judge(value, verify: verifyWord, session: session, peerName: .serverName)
                }
            }
        }
        return decision
    }

    /// SearchList `<F:user@domain> <U:user@> <D:domain> <E:>` on the bytes of `user@domain` (`address[0..<end]`,
    /// `@` at `at`, the first `+` of the local part at `plus`).
    private func recipientSearch(
        _ key: inout KeyBuilder,
        address: UnsafeRawBufferPointer,
        at: Int,
        end: Int,
        plus: Int?,
        domain host: Scanned,
        star: UnsafeRawBufferPointer,
        atSign: UnsafeRawBufferPointer,
        source: any AccessMapSource
    ) -> Lookup {
        func ask(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer) -> Lookup {
            guard let folded = key.build(a, b, c) else { return .giveUp }
            return lookup(folded: folded, source)
        }
        let none = Self.empty
        let local = UnsafeRawBufferPointer(rebasing: address[0..<at])
        let domain = UnsafeRawBufferPointer(rebasing: address[(at + 1)..<end])
        let user = plus.map { UnsafeRawBufferPointer(rebasing: address[0..<$0]) }
        // F: user+detail@domain, then user+*@domain and user@domain.
        var result = ask(UnsafeRawBufferPointer(rebasing: address[0..<end]), none, none)
        if case .notFound = result, let user {
            result = ask(user, star, domain)
            if case .notFound = result { result = ask(user, atSign, domain) }
        }
        guard case .notFound = result else { return result }
        // U: user+detail@, then user+*@ and user@.
        result = ask(local, atSign, none)
        if case .notFound = result, let user {
            result = ask(user, star, none)
            if case .notFound = result { result = ask(user, atSign, none) }
        }
        guard case .notFound = result else { return result }
        // D: the domain and its parents.
        result = domainSearch(&key, host: host, source: source)
        guard case .notFound = result else { return result }
        // E: the bare tag.
        return ask(none, none, none)
    }

    /// ``isPlainLocalPart(_:)``, folding the bytes to lower case in place (they are scratch memory).
    static func foldPlainLocalPart(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let output = UnsafeMutableRawPointer(mutating: base)
        return ByteLanes.scan(base, count: bytes.count, into: output, separators: [.dot, .plus]) != nil
    }

    /// Word characters in pieces separated by single `.` or `+`, neither first nor last.
    static func isPlainLocalPart(_ bytes: UnsafeRawBufferPointer) -> Bool {
        isSeparatedWords(bytes, separators: [.dot, .plus])
    }
}
