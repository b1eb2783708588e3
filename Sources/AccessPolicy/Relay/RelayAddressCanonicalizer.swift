import AccessMap

/// sendmail's address canonicalisation as the relay rulesets use it (ruleset 3 followed by the initial parse),
/// over tokens, without DNS.
///
/// The result is either `local < @ domain >` (the "focused" form, domain possibly with a trailing dot), a bare
/// local part, `< @ >` for the null address, or an error triple (`$#error $@ 5.1.3 $: "553 …"`) that callers treat
/// as sendmail's rulesets treat such a workspace.
///
/// What it does, in order:
/// - drops a leading `phrase:` group name and trailing `;`; keeps only what is inside the last `<…>`;
/// - source routes `@a,@b:user@c` lose the route; the first `@` that has text on both sides becomes the focus,
///   later `@`s move it right (`a@b@c` is refused later as an invalid route);
/// - without `@`: `host!user` becomes `user@host.UUCP` (`a.b!user` → `user@a.b`), `user%host` becomes `user@host`
///   (only the last `%` counts);
/// - `localhost` and own address literals (class `w`) become the host name ``RelaySettings/hostName``; other
///   literals stay; names in class `w` get a trailing dot; no other name is changed (sendmail would ask DNS);
/// - an address for a local domain whose local part still holds `%`, `!` or `@` (or is one quoted string that
///   holds them) is canonicalised again without the local domain — so `user%remote@local`,
///   `remote!user@local`, `"user@remote"@local` and `@local:user@remote` all end up as `user@remote`;
/// - `< @ @ host >` (sendmail's own mark for an address literal, which `@!host` also produces) loses one `@`;
/// - a one-token quoted local part goes through the `dequote` map (``dequote(_:)``); when it dequotes to nothing but
///   a comment (`"(x)"`) sendmail gives the ruleset up there and its caller goes on with the workspace as it was
///   (``canonAddrReportingFailure(_:)`` tells delay_checks' check_rcpt, which then runs FullAddr late).
struct RelayAddressCanonicalizer {
    let configuration: PolicyConfiguration

    var settings: RelaySettings { configuration.relay }

    // MARK: - CanonAddr

    /// ruleset 3 then the initial parse (`CanonAddr`).
    func canonAddr(_ tokens: [Token]) -> [Token] { canonAddrReportingFailure(tokens).tokens }

    /// CanonAddr, telling also whether Parse0 gave up on a dequoted value sendmail cannot use (``dequote(_:)``
    /// returned `nil`). The workspace is then Parse0's as it stood, and the ruleset that called CanonAddr skips the
    /// calls to the left of it in the same rule (delay_checks' `$>FullAddr $>CanonAddr`).
    func canonAddrReportingFailure(_ tokens: [Token]) -> (tokens: [Token], failed: Bool) {
        var failed = false
        let tokens = parse0(canonify(tokens), failed: &failed)
        return (tokens, failed)
    }

    // MARK: - class helpers

    func isMember(_ tokens: ArraySlice<Token>, of className: String) -> Bool {
        guard !tokens.isEmpty else { return false }
        return configuration.members(of: className).contains(tokens.map(\.text).joined())
    }

    func isLocal(_ tokens: ArraySlice<Token>) -> Bool {
        if isMember(tokens, of: "w") { return true }
        if let host = settings.hostName, !tokens.isEmpty {
            return tokens.map(\.text).joined().lowercased() == host.lowercased()
        }
        return false
    }

    /// Some suffix of `tokens` (on a token boundary, possibly all of it) is a member of the class.
    func endsWithMember(_ tokens: ArraySlice<Token>, of className: String) -> Bool {
        var start = tokens.endIndex
        while start > tokens.startIndex {
            start -= 1
            if isMember(tokens[start...], of: className) { return true }
        }
        return false
    }

    /// Some prefix of `tokens` (on a token boundary) is a member of the class.
    func startsWithMember(_ tokens: ArraySlice<Token>, of className: String) -> Bool {
        var end = tokens.startIndex
        while end < tokens.endIndex {
            end += 1
            if isMember(tokens[tokens.startIndex..<end], of: className) { return true }
        }
        return false
    }

    /// Class `O`: characters that cannot be part of a local user name.
    static func isNetworkOperator(_ token: Token) -> Bool {
        token.text == "@" || token.text == "%" || token.text == "!"
    }

    var hostNameTokens: [Token] {
        guard let host = settings.hostName, !host.isEmpty else { return [] }
        return Tokenizer.tokenize(host)
    }

    // MARK: - canonify (ruleset 3)

    func canonify(_ input: [Token]) -> [Token] {
        var w = input
        if w.isEmpty { return T.nullAddress }
        // Group syntax `phrase: address` — the leading phrase goes, unless the address is a route, an IPv6
        // literal, a `::` node name or an `:include:`.
        var stripPhrase = true
        if hasAnglePair(w) || w.first?.text == "@" || endsWithIPv6Literal(w) || hasDoubleColon(w)
            || (w.count >= 3 && w[0].text == ":" && w[1].matches("include") && w[2].text == ":")
        {
            stripPhrase = false
            if let colon = w.firstIndex(where: { $0.text == ":" }), w.last?.text == "]",
                w[(colon + 1)..<(w.count - 1)].contains(where: { $0.text == "[" })
            {
                stripPhrase = true
            }
        }
        if stripPhrase, let colon = w.firstIndex(where: { $0.text == ":" }) {
            w = Array(w[(colon + 1)...])
        }
        // sendmail marks the address with a trailing `< @ >` while it looks for a group phrase and removes the mark
        // afterwards; when the mark was already gone, that removal takes a `< @ >` the address itself ends with.
        // The group-phrase rule then reads that `< @ >` as the mark too: with a `:` before it, only what lies between
        // the first `:` and it is kept (`a:<@` → nothing: the list syntax error).
        if !stripPhrase, w.count >= 3, w[w.count - 3].text == "<", w[w.count - 2].text == "@",
            w[w.count - 1].text == ">"
        {
            if let colon = w[..<(w.count - 3)].firstIndex(where: { $0.text == ":" }) {
                w = Array(w[(colon + 1)..<(w.count - 3)])
            } else {
                w.removeLast(3)
            }
        }
        while w.last?.text == ";" { w.removeLast() }
        if let list = listInAngles(w) { return list + [Token(":"), Token(";")] + T.nullAddress }
        while w.count >= 2, w[w.count - 1].text == ">", w[w.count - 2].text == ";",
            w[..<(w.count - 2)].contains(where: { $0.text == "<" })
        {
            w.remove(at: w.count - 2)
        }
        if w.isEmpty { return [Token(":"), Token(";")] + T.nullAddress }
        // Keep what is inside the innermost-rightmost angle brackets.
        w = [Token("<")] + w + [Token(">")]
        while let i = w.indices.dropFirst().first(where: { w[$0].text == "<" }) { w = Array(w[i...]) }
        while let j = w.indices.dropFirst().first(where: { w[$0].text == ">" && $0 < w.count - 1 }) {
            w = Array(w[...j])
        }
        if w.count == 2 { return T.nullAddress }
        w = Array(w[1..<(w.count - 1)])
        // Source routes.
        while w.first?.text == "@",
            let comma = w.indices.dropFirst(2).first(where: { w[$0].text == "," }),
            comma < w.count - 1
        {
            w = Array(w[(comma + 1)...])
        }
        while w.count >= 2, w[0].text == "@", w[1].text == "[",
            let close = w.indices.dropFirst(2).first(where: {
                w[$0].text == "]" && $0 + 1 < w.count - 1 && w[$0 + 1].text == ":"
            })
        {
            w = Array(w[(close + 2)...])
        }
        while w.first?.text == "@",
            let colon = w.indices.dropFirst(2).first(where: { w[$0].text == ":" }),
            colon < w.count - 1
        {
            w = Array(w[(colon + 1)...])
        }
        // List syntax `name: members; @host` and `name: members;`.
        for colon in w.indices.dropFirst() where w[colon].text == ":" {
            if let semi = w.indices.dropFirst(colon + 1).first(where: {
                w[$0].text == ";" && $0 + 2 < w.count && w[$0 + 1].text == "@"
            }) {
                return canonify2(
                    Array(w[...semi]) + [Token("<"), Token("@")] + w[(semi + 2)...] + [Token(">")]
                )
            }
            if w.last?.text == ";" && colon < w.count - 1 { return w }
        }
        // Focus on the domain: the first `@` with text on both sides, then move right past later `@`s.
        if let at = w.indices.dropFirst().first(where: { w[$0].text == "@" && $0 < w.count - 1 }) {
            w = Array(w[..<at]) + [Token("<"), Token("@")] + w[(at + 1)...] + [Token(">")]
            while let moved = moveFocusRight(w) { w = moved }
            if isFocused(w) { return canonify2(w) }
        }
        // UUCP bang paths.
        if w.count >= 3, w[1].text == "!" {
            return canonify2(
                Array(w[2...]) + [Token("<"), Token("@"), w[0], Token("."), Token("UUCP"), Token(">")]
            )
        }
        for dot in w.indices.dropFirst() where w[dot].text == "." {
            if dot + 3 < w.count, w[dot + 2].text == "!" {
                var out = Array(w[(dot + 3)...])
                out += [Token("<"), Token("@")]
                out += w[..<dot]
                out += [Token("."), w[dot + 1], Token(">")]
                return canonify2(out)
            }
        }
        if let bang = w.indices.dropFirst().first(where: { w[$0].text == "!" && $0 < w.count - 1 }) {
            var out = Array(w[(bang + 1)...])
            out += [Token("<"), Token("@")]
            out += w[..<bang]
            out += [Token("."), Token("UUCP"), Token(">")]
            return canonify2(out)
        }
        // Percent hack: every `%` becomes `@`, then all but the last `@` become `%`.
        w = w.map { $0.text == "%" ? Token("@") : $0 }
        var ats = w.indices.filter { w[$0].text == "@" }
        while ats.count >= 2 {
            w[ats.removeFirst()] = Token("%")
        }
        if let at = ats.first {
            return canonify2(Array(w[..<at]) + [Token("<"), Token("@")] + w[(at + 1)...] + [Token(">")])
        }
        return canonify2(w)
    }

    /// `$1 < $2 @ $3 >` → `$1 $2 < @ $3 >` (each part at least one token).
    private func moveFocusRight(_ w: [Token]) -> [Token]? {
        guard w.last?.text == ">" else { return nil }
        for open in w.indices.dropFirst() where w[open].text == "<" {
            for at in (open + 2)..<max(open + 2, w.count - 2) where w[at].text == "@" {
                var out = Array(w[..<open])
                out += w[(open + 1)..<at]
                out += [Token("<"), Token("@")]
                out += w[(at + 1)..<(w.count - 1)]
                out.append(Token(">"))
                return out
            }
        }
        return nil
    }

    /// `$+ < @ $+ >`.
    func isFocused(_ w: [Token]) -> Bool {
        guard w.count >= 5, w.last?.text == ">" else { return false }
        for i in 1..<(w.count - 3) where w[i].text == "<" && w[i + 1].text == "@" { return true }
        return false
    }

    private func hasAnglePair(_ w: [Token]) -> Bool {
        guard let open = w.firstIndex(where: { $0.text == "<" }) else { return false }
        return w[(open + 1)...].contains { $0.text == ">" }
    }

    private func endsWithIPv6Literal(_ w: [Token]) -> Bool {
        guard w.last?.text == "]", w.count >= 5 else { return false }
        for i in 0..<(w.count - 4)
        where w[i].text == "[" && w[i + 1].matches("IPv6") && w[i + 2].text == ":" {
            return true
        }
        return false
    }

    private func hasDoubleColon(_ w: [Token]) -> Bool {
        w.indices.dropLast().contains { w[$0].text == ":" && w[$0 + 1].text == ":" }
    }

    /// `$* < $+ : ; > $*` → the `$+` part.
    private func listInAngles(_ w: [Token]) -> [Token]? {
        for open in w.indices where w[open].text == "<" {
            var k = open + 2
            while k + 2 < w.count {
                if w[k].text == ":" && w[k + 1].text == ";" && w[k + 2].text == ">" {
                    return Array(w[(open + 1)..<k])
                }
                k += 1
            }
        }
        return nil
    }

    // MARK: - Canonify2

    /// The focused domain: (index of `<`, domain range) of the first `< @ … >`.
    func focus(_ w: [Token]) -> (open: Int, domain: Range<Int>)? {
        guard w.count >= 3 else { return nil }
        for i in 0..<(w.count - 2) where w[i].text == "<" && w[i + 1].text == "@" {
            if let close = w.indices.dropFirst(i + 2).first(where: { w[$0].text == ">" }) {
                return (i, (i + 2)..<close)
            }
            return nil
        }
        return nil
    }

    func canonify2(_ input: [Token]) -> [Token] {
        var w = input
        guard var f = focus(w) else { return w }
        func replaceDomain(_ tokens: [Token]) {
            w.replaceSubrange(f.domain, with: tokens)
            f = (f.open, f.domain.lowerBound..<(f.domain.lowerBound + tokens.count))
        }
        let domain = Array(w[f.domain])
        let own = hostNameTokens
        let ownDotted = own.isEmpty ? [] : own + [Token(".")]
        if domain.matchesTokens([Token("localhost")])
            || (!own.isEmpty && domain.count > 2 && domain[0].matches("localhost")
                && domain[1].text == "."
                && Array(domain[2...]).matchesTokens(mDomainTokens))
            || domain.matchesTokens([Token("localhost"), Token("."), Token("UUCP")])
        {
            if !ownDotted.isEmpty { replaceDomain(ownDotted) }
        }
        // `< @ @ host >` is how sendmail marks an address literal on its way through, and an address can arrive
        // written that way (`@!x` → `x < @ @ . UUCP >`): a local host becomes this host's name, any other loses
        // one `@` and canonicalisation ends there.
        let marked = Array(w[f.domain])
        if marked.count >= 2, marked[0].text == "@" {
            if isLocal(marked[1...]) && !ownDotted.isEmpty {
                replaceDomain(ownDotted)
            } else {
                replaceDomain(Array(marked[1...]))
                return w
            }
        }
        let current = Array(w[f.domain])
        if current.count >= 3, current.first?.text == "[", current.last?.text == "]" {
            // Address literal: ours becomes the host name, any other stays as it is.
            if isLocal(current[...]) && !ownDotted.isEmpty {
                replaceDomain(ownDotted)
            } else {
                return w
            }
        }
        let d = Array(w[f.domain])
        if d.count >= 3, d.last!.matches("UUCP"), d[d.count - 2].text == "." {
            // `$[ host $]` would ask DNS: without it the host stays, and the domain ends in `.UUCP.`.
            replaceDomain(d + [Token(".")])
            // A host that itself ended in a dot (`a..UUCP`) leaves `host .` and canonicalisation ends there.
            let u = Array(w[f.domain])
            if u.count >= 5, u[u.count - 3].text == ".", u[u.count - 4].text == "." {
                replaceDomain(Array(u[..<(u.count - 3)]))
                return w
            }
        }
        let e = Array(w[f.domain])
        if let last = e.last,
            isMember([last], of: "P") || (last.text == "." && configuration.members(of: "P").contains("."))
        {
            replaceDomain(e + [Token(".")])
        }
        if isLocal(w[f.domain]) || isMember(w[f.domain], of: "M") {
            replaceDomain(Array(w[f.domain]) + [Token(".")])
        }
        while f.domain.count >= 2, w[f.domain.upperBound - 1].text == ".",
            w[f.domain.upperBound - 2].text == "."
        {
            replaceDomain(Array(w[f.domain].dropLast()))
        }
        return w
    }

    /// `$m`: the domain part of the host name.
    var mDomainTokens: [Token] {
        let own = hostNameTokens
        guard let dot = own.firstIndex(where: { $0.text == "." }) else { return [] }
        return Array(own[(dot + 1)...])
    }

    /// The `$#error $@ D.S.N $: "text"` a canonicalisation ended in, as a ruleset result; `nil` for an address.
    static func parseError(_ w: [Token]) -> RulesetResult? {
        guard w.count >= 6, w[0].text == "$#", w[1].matches("error"), w[2].text == "$@",
            let colon = w.firstIndex(where: { $0.text == "$:" })
        else { return nil }
        return .error(host: Array(w[3..<colon]), text: Array(w[(colon + 1)...]))
    }

    // MARK: - FullAddr

    /// FullAddr (delay_checks): a workspace that ends in `< @ domain . >` loses that dot; one that ends in `< @ … >`
    /// is complete; anything else that is not empty gets `< @ $j >` (this host's name) appended. The rules are
    /// anchored at the end of the workspace: a `< @ … >` earlier on does not count.
    func fullAddr(_ input: [Token]) -> [Token] {
        var w = input
        /// Whether some `< @` starts at or before `index`.
        func openFocus(atOrBefore index: Int) -> Bool {
            index >= 0 && (0...index).contains { w[$0].text == "<" && $0 + 1 < w.count && w[$0 + 1].text == "@" }
        }
        while w.count >= 5, w[w.count - 1].text == ">", w[w.count - 2].text == ".", openFocus(atOrBefore: w.count - 5) {
            w.remove(at: w.count - 2)
        }
        if w.count >= 3, w[w.count - 1].text == ">", openFocus(atOrBefore: w.count - 3) { return w }
        if w.isEmpty { return w }
        return w + [Token("<"), Token("@")] + hostNameTokens + [Token(">")]
    }

    // MARK: - Parse0

    /// How deep Parse0 → canonify → Parse0 may nest before the workspace is given up.
    static let maximumNesting = 24

    func parse0(_ input: [Token], depth: Int = 0, failed: inout Bool) -> [Token] {
        // Some workspaces (`!`, `a!`) canonify to themselves and Parse0 hands them to canonify again forever;
        // sendmail gives up after its nesting limit ("excessive recursion") and leaves the unexpanded call
        // `$> Parse0 …` in the workspace.
        if depth >= Self.maximumNesting { return [Token("$>"), Token("Parse0")] + input }
        var w = input
        let n = w.count
        func text(_ i: Int) -> String { i >= 0 && i < w.count ? w[i].text : "" }
        if w.matchesTokens(T.nullAddress) { return w }
        if n >= 5, w.suffix(3).matchesTokens(T.nullAddress), text(n - 4) == ";",
            w[..<(n - 4)].contains(where: { $0.text == ":" })
        {
            return T.error("5.1.3", "553 List:; syntax illegal for recipient addresses")
        }
        if w.count >= 4, text(0) == "@", text(1) == "<", text(2) == "@", w.last?.text == ">" {
            w.removeFirst()
        }
        if w.count >= 4, text(0) == "<", text(1) == "@", w.last?.text == ">" {
            return T.error("5.1.3", "553 User address required")
        }
        if w.count >= 4, w.suffix(3).matchesTokens(T.nullAddress) {
            return T.error("5.1.3", "553 Hostname required")
        }
        if let error = literalAndColonCheck(w) { return error }
        if hasSequence(w, ["<", "@", "."], thenLater: ">") {
            return T.error("5.1.2", "553 Invalid host name")
        }
        if hasDoubleDotInFocus(w) { return T.error("5.1.2", "553 Invalid host name") }
        if hasFocusEndingInAt(w) { return T.error("5.1.2", "553 Invalid route address") }
        if hasAtBeforeFocus(w) { return T.error("5.1.3", "553 Invalid route address") }
        if w.indices.dropLast().contains(where: {
            w[$0].text == "," && !Self.isNetworkOperator(w[$0 + 1])
        }) {
            return T.error("5.1.3", "553 Invalid route address")
        }
        if let open = w.indices.dropLast(2).first(where: {
            w[$0].text == "<" && w[$0 + 1].text == "@" && w[$0 + 2].text == ">"
        }) {
            return parse0(canonify(Array(w[..<open])), depth: depth + 1, failed: &failed)
        }
        // `@here:rest` → rest
        if text(0) == "<", text(1) == "@", let close = w.firstIndex(where: { $0.text == ">" }),
            close + 1 < w.count,
            w[close + 1].text == ":", isLocalDotted(w[2..<close])
        {
            return parse0(canonify(Array(w[(close + 2)...])), depth: depth + 1, failed: &failed)
        }
        if w.count >= 5, text(1) == "<", text(2) == "@", w.last?.text == ">",
            isLocalDotted(w[3..<(w.count - 1)])
        {
            // A value sendmail cannot use abandons Parse0 here, with the workspace as it is.
            guard let local = dequote(w[0]) else {
                failed = true
                return w
            }
            w = local + w[1...]
        }
        if w.count >= 4, text(0) == "<", text(1) == "@", w.last?.text == ">" {
            return T.error("5.1.3", "553 User address required")
        }
        if let open = focusAtEnd(w), isLocalDotted(w[(open + 2)..<(w.count - 1)]),
            w[..<open].contains(where: Self.isNetworkOperator)
        {
            return parse0(canonify(Array(w[..<open])), depth: depth + 1, failed: &failed)
        }
        if w.count == 1 {
            guard let local = dequote(w[0]) else {
                failed = true
                return w
            }
            if local.isEmpty { return T.error("5.1.3", "553 User address required") }
            if local.contains(where: Self.isNetworkOperator) {
                return parse0(canonify(local), depth: depth + 1, failed: &failed)
            }
            return local
        }
        return w
    }

    /// The domain is a local name followed by the dot canonify adds.
    private func isLocalDotted(_ d: ArraySlice<Token>) -> Bool {
        d.count >= 2 && d.last?.text == "." && isLocal(d.dropLast())
    }

    /// Index of the `<` of a `< @ … >` that ends the workspace (nothing after the `>`), at position ≥ 1.
    private func focusAtEnd(_ w: [Token]) -> Int? {
        guard w.last?.text == ">", w.count >= 4 else { return nil }
        return w.indices.dropFirst().first {
            $0 + 1 < w.count && w[$0].text == "<" && w[$0 + 1].text == "@"
        }
    }

    private func hasSequence(_ w: [Token], _ seq: [String], thenLater: String) -> Bool {
        guard w.count > seq.count else { return false }
        for i in 0...(w.count - seq.count) where zip(w[i...], seq).allSatisfy({ $0.text == $1 }) {
            if w[(i + seq.count)...].contains(where: { $0.text == thenLater }) { return true }
        }
        return false
    }

    private func hasDoubleDotInFocus(_ w: [Token]) -> Bool {
        for i in w.indices.dropLast() where w[i].text == "<" && w[i + 1].text == "@" {
            var k = i + 2
            while k + 1 < w.count {
                if w[k].text == "." && w[k + 1].text == "."
                    && w[(k + 2)...].contains(where: { $0.text == ">" })
                {
                    return true
                }
                k += 1
            }
        }
        return false
    }

    private func hasFocusEndingInAt(_ w: [Token]) -> Bool {
        for i in w.indices.dropLast() where w[i].text == "<" && w[i + 1].text == "@" {
            var k = i + 2
            while k + 1 < w.count {
                if w[k].text == "@" && w[k + 1].text == ">" { return true }
                k += 1
            }
        }
        return false
    }

    private func hasAtBeforeFocus(_ w: [Token]) -> Bool {
        guard let firstAt = w.firstIndex(where: { $0.text == "@" }) else { return false }
        for i in w.indices.dropLast() where i > firstAt && w[i].text == "<" && w[i + 1].text == "@" {
            if w[(i + 2)...].contains(where: { $0.text == ">" }) { return true }
        }
        return false
    }

    /// Address-literal and colon checks of the initial parse; an error triple or `nil`.
    private func literalAndColonCheck(_ w: [Token]) -> [Token]? {
        let n = w.count
        var sawInvalid = false
        var sawPlain = false
        for i in w.indices
        where i + 2 < n && w[i].text == "<" && w[i + 1].text == "@" && w[i + 2].text == "[" {
            for c in (i + 3)..<n where w[c].text == "]" {
                if c + 1 < n, w[c + 1].text == ":" || w[c + 1].text == ",",
                    w.indices.contains(where: { $0 >= c + 3 && w[$0].text == ">" })
                {
                    return nil
                }
                if w.indices.contains(where: { $0 >= c + 2 && w[$0].text == ">" }) { sawInvalid = true }
                if c >= i + 4, c + 1 < n, w[c + 1].text == ">" { sawPlain = true }
            }
        }
        if sawInvalid { return T.error("5.1.2", "553 Invalid address") }
        if sawPlain { return nil }
        for i in w.indices where w[i].text == "<" {
            if let colon = w.indices.first(where: { $0 > i && w[$0].text == ":" }),
                w.indices.contains(where: { $0 > colon && w[$0].text == ">" })
            {
                return T.error("5.1.3", "553 Colon illegal in host name part")
            }
        }
        return nil
    }

    /// The `dequote` map. Its key is one token's text: outside comments the double quotes go and the rest is tokenized
    /// again. A backslash stays and takes the next character literally; inside a comment quotes and angle brackets
    /// are plain text. The map finds nothing — the rule keeps the token as it was — when the text holds no quote at
    /// all, a blank, a `)` or `>` that closes nothing, or ends inside a quote, a comment, an angle bracket or after a
    /// backslash.
    ///
    /// `nil`: the unquoted text is not empty but tokenizes to nothing (it was only comments, as in `"(x)"`).
    /// sendmail cannot use such a value; it abandons the calling ruleset there (status 65), and the caller goes on
    /// with that ruleset's workspace as it stood before the rule.
    func dequote(_ token: Token) -> [Token]? {
        var out = ""
        var angles = 0
        var comments = 0
        var quotes = 0
        var quoted = false
        var escaped = false
        for c in token.text {
            if escaped {
                out.append(c)
                escaped = false
                continue
            }
            switch c {
            case "\\": escaped = true
            case "(": comments += 1
            case ")":
                guard comments > 0 else { return [token] }
                comments -= 1
            case " ", "\t": return [token]
            default: break
            }
            if comments > 0 {
                out.append(c)
                continue
            }
            switch c {
            case "\"":
                quoted.toggle()
                quotes += 1
                continue
            case "<": angles += 1
            case ">":
                guard angles > 0 else { return [token] }
                angles -= 1
            default: break
            }
            out.append(c)
        }
        guard quotes > 0, !quoted, angles == 0, comments == 0, !escaped else { return [token] }
        // `""` dequotes to an empty value, which is no tokens; text that tokenizes to nothing is the failure.
        let tokens = Tokenizer.tokenize(out)
        return tokens.isEmpty && !out.isEmpty ? nil : tokens
    }
}

/// Common token sequences.
enum T {
    static let nullAddress: [Token] = [Token("<"), Token("@"), Token(">")]

    static func error(_ dsn: String, _ text: String) -> [Token] {
        [Token("$#"), Token("error"), Token("$@")] + Tokenizer.tokenize(dsn) + [
            Token("$:"), Token("\"\(text)\""),
        ]
    }
}
