import AccessMap

extension RulesetEvaluator {
    /// Reply code and enhanced status of a requirement: `503 5.7.0` (`PERM+`), `403 4.7.0` (`TEMP+`), else
    /// `454 4.7.0`, or `554 5.7.0` with TLS_PERM_ERR.
    var defaultTLSCodes: (code: String, status: String) {
        configuration.features.tlsPermanentErrors ? ("554", "5.7.0") : ("454", "4.7.0")
    }

    /// TLS_connection: `verify $| <requirement> …`.
    mutating func tlsConnection(verify: [Token], tail: [Token]) -> RulesetResult {
        // Keep only the first group: `$* $| <$*>$*`.
        var requirement: [Token]? = nil
        if let (content, _) = Workspace.leadingGroup(tail[...]) { requirement = Array(content) }

        // Prefix and reply codes.
        var codes: (code: [Token], status: [Token])? = nil
        var body: [Token] = requirement ?? []
        if let r = requirement {
            if r.count >= 3, r[1].text == "+", inClass("Tls", r[2]), r[0].matches("PERM") || r[0].matches("TEMP") {
                codes = r[0].matches("PERM") ? ([Token("503")], Tokenizer.tokenize("5.7.0")) : ([Token("403")], Tokenizer.tokenize("4.7.0"))
                body = Array(r[2...])
            } else if let first = r.first, inClass("Tls", first) {
                let d = defaultTLSCodes
                codes = ([Token(d.code)], Tokenizer.tokenize(d.status))
            }
        }

        // Failures that do not depend on the requirement.
        if verify.count == 1 {
            let messages: [(String, String)] = [
                ("SOFTWARE", "TLS handshake failed."), ("PROTOCOL", "STARTTLS failed."),
                ("DANE_FAIL", "DANE check failed."), ("CONFIG", "STARTTLS temporarily not possible."),
            ]
            for (word, message) in messages where verify[0].matches(word) {
                // `<$-:$+>` on the first group: the codes, or a requirement that happens to look like `x:y…`.
                let group: [Token]? = codes.map { $0.code + [Token(":")] + $0.status } ?? requirement
                if let g = group, g.count >= 3, g[1].text == ":" {
                    return .error(host: Array(g[2...]), text: [g[0], Workspace.quoted(" " + message)])
                }
                let d = defaultTLSCodes
                return .error(status: d.status, quoted: d.code + " " + message)
            }
        }

        guard let (code, status) = codes else { return .ok }

        // The requirement's base and extensions.
        enum Base {
            case verify
            case bits(kind: Token, bits: Token)
        }
        let base: Base
        var extensions: [Token] = []
        let b = body
        if b.count == 1 && b[0].matches("VERIFY") {
            base = .verify
        } else if b.count >= 3 && b[0].matches("VERIFY") && b[1].text == "+" {
            base = .verify
            extensions = Array(b[2...])
        } else if b.count == 3 && inClass("Tls", b[0]) && b[1].text == ":" {
            base = .bits(kind: b[0], bits: b[2])
        } else if b.count >= 5 && inClass("Tls", b[0]) && b[1].text == ":" && b[3].text == "+" {
            base = .bits(kind: b[0], bits: b[2])
            extensions = Array(b[4...])
        } else {
            return .ok
        }

        // Verification and the bits required.
        let verified = isVerified(verify)
        let required: Token
        switch base {
        case .verify:
            guard verified else { return verificationFailure(verify, code: code, status: status, extensions: extensions) }
            if extensions.isEmpty { return .ok }
            required = Token("0")
        case .bits(let kind, let bits) where kind.matches("VERIFY"):
            guard verified else { return verificationFailure(verify, code: code, status: status, extensions: extensions) }
            required = bits
        case .bits(let kind, let bits) where kind.matches("ENCR"):
            required = bits
        case .bits:
            return .workspace([Workspace.open] + code + [Token(":")] + status + [Workspace.close])
        }

        // Bits check: max({cipher_bits}, {auth_ssf}) against the requirement.
        let strength = Self.max(macros.tokens(.cipherBits) + [Token(":")] + macros.tokens(.authSSF))
        if strength.count == 1, Workspace.strtol(strength[0].text) < Workspace.strtol(required.text) {
            return .error(
                host: status,
                text: code + [Workspace.quoted(" encryption too weak ")] + strength + [Workspace.quoted(" less than "), required]
            )
        }

        // Extensions: `++`-separated, checked left to right by TLS_req.
        if extensions.isEmpty { return .ok }
        var groups: [[Token]] = []
        var current: [Token] = []
        var i = 0
        while i < extensions.count {
            // `< $+ ++ $+ >`: a `++` with at least one token before it (anywhere) and one after it.
            if i >= 1, i + 2 < extensions.count, extensions[i].text == "+", extensions[i + 1].text == "+" {
                groups.append(current)
                current = []
                i += 2
                continue
            }
            current.append(extensions[i])
            i += 1
        }
        groups.append(current)
        return tlsRequirementExtensions(groups, code: code, status: status)
    }

    /// The reply for a `VERIFY` requirement when `{verify}` is not OK/TRUSTED.
    func verificationFailure(_ verify: [Token], code: [Token], status: [Token], extensions: [Token]) -> RulesetResult {
        let reason: String
        if verify.isEmpty {
            reason = " authentication required"
        } else if verify.count == 1, let word = Self.verifyFailureWords.first(where: { verify[0].matches($0.0) }) {
            reason = word.1
        } else {
            // sendmail's text shows the requirement's extension list here, not the {verify} value.
            return .error(host: status, text: code + [Workspace.quoted(" authentication failure ")] + extensions)
        }
        return .error(host: status, text: code + [Workspace.quoted(reason)])
    }

    static let verifyFailureWords: [(String, String)] = [
        ("FAIL", " authentication failed"), ("NO", " not authenticated"), ("NOT", " no authentication requested"),
        ("NONE", " other side does not support STARTTLS"), ("CLEAR", " STARTTLS disabled locally"),
    ]

    /// TLS_req: each extension group in turn; the first failure is the result.
    mutating func tlsRequirementExtensions(_ groups: [[Token]], code: [Token], status: [Token]) -> RulesetResult {
        let colon = Token(":")
        for var group in groups {
            if group.count == 1 && group[0].matches("CN") { group = [group[0], colon] + macros.tokens(.tlsName) }
            let hasColon = group.count >= 2 && group[1] == colon
            let argument = hasColon ? Array(group[2...]) : []
            if group.count == 1 && group[0] == Workspace.question {
                let issuer = macros.tokens(.certIssuer)
                return .error(
                    host: status,
                    text: code + [Workspace.quoted(" Cert Issuer ")] + issuer + [Workspace.quoted(" not acceptable")]
                )
            }
            if group.count == 1 && group[0].matches("OK") { continue }
            if hasColon && group[0].matches("CN") {
                if argument.matchesTokens(macros.tokens(.cnSubject)) { continue }
                guard !argument.isEmpty else { return unresolvedRequirement(groups, from: group) }
                return .error(
                    host: status,
                    text: code + [Workspace.quoted(" CN ")] + macros.tokens(.cnSubject)
                        + [Workspace.quoted(" does not match ")] + argument
                )
            }
            if hasColon && (group[0].matches("CS") || group[0].matches("CI")) {
                let isSubject = group[0].matches("CS")
                let actual = macros.tokens(isSubject ? .certSubject : .certIssuer)
                if argument.matchesTokens(actual) { continue }
                guard !argument.isEmpty else { return unresolvedRequirement(groups, from: group) }
                return .error(
                    host: status,
                    text: code + [Workspace.quoted(isSubject ? " Cert Subject " : " Cert Issuer ")] + actual
                        + [Workspace.quoted(" does not match ")] + argument
                )
            }
            if hasColon && group[0].matches("CITag") && argument.count == 1 {
                let issuer = macros.tokens(.certIssuer)
                switch lookup.exactKey(tag: AccessTag(argument[0].keyTextOfSingle), issuer) {
                case .notFound, .notSearched:
                    return .error(
                        host: status,
                        text: code + [Workspace.quoted(" Cert Issuer ")] + issuer + [Workspace.quoted(" not acceptable")]
                    )
                case .found(let value) where value.isKeyword("OK"):
                    continue
                default:
                    return unresolvedRequirement(groups, from: group)
                }
            }
            return unresolvedRequirement(groups, from: group)
        }
        return .ok
    }

    /// A requirement TLS_req cannot judge: sendmail returns its workspace unchanged, which means accept.
    func unresolvedRequirement(_ groups: [[Token]], from group: [Token]) -> RulesetResult {
        .workspace([Workspace.open] + group + [Workspace.close, Workspace.separator])
    }

    /// The `max` ruleset on `a : b`: the larger of two single-token numbers (sendmail's `arith l`), the other one
    /// when a side is empty, `0` when both are; anything else is returned unchanged.
    static func max(_ input: [Token]) -> [Token] {
        var ws = input
        let colon = Token(":")
        if ws == [colon] { ws = [Token("0")] }
        if ws.count == 2 && ws[0] == colon { ws = [ws[1]] }
        if ws.count == 2 && ws[1] == colon { ws = [ws[0]] }
        if ws.count == 3 && ws[1] == colon {
            let less = Workspace.strtol(ws[0].text) < Workspace.strtol(ws[2].text)
            ws = [Token(less ? "TRUE" : "FALSE"), colon, ws[0], colon, ws[2]]
        }
        if ws.count == 5 && ws[0].matches("TRUE") && ws[1] == colon && ws[3] == colon { ws = [ws[4]] }
        if ws.count == 5 && ws[1] == colon && ws[3] == colon { ws = [ws[2]] }
        return ws
    }
}

extension Token {
    /// The key text of this one token (quotes and escapes removed).
    var keyTextOfSingle: String { [self].keyText() }
}
