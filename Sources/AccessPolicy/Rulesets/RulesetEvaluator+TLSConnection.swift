import AccessMap

extension RulesetEvaluator {
    /// Reply code and enhanced status of a requirement: `503 5.7.0` (`PERM+`), `403 4.7.0` (`TEMP+`), else
    /// `454 4.7.0`, or `554 5.7.0` with TLS_PERM_ERR.
    var defaultTLSCodes: (code: String, status: String) {
        configuration.features.tlsPermanentErrors ? ("554", "5.7.0") : ("454", "4.7.0")
    }

    /// TLS_connection: `verify $| <requirement> …`.
    mutating func tlsConnection(verify: [Token], tail: [Token]) throws(RulesetAbort) -> RulesetResult {
        // Keep only the first group: `$* $| <$*>$*`.
        var requirement: [Token]? = nil
        if let (content, _) = Workspace.leadingGroup(tail[...]) { requirement = Array(content) }

        // Prefix and reply codes.
        let parsed = requirement.map { TLSRequirement(tokens: $0, tlsClass: configuration.members(of: "Tls")) }
        var codes: (code: [Token], status: [Token])? = nil
        switch parsed?.severity {
        case .permanent?: codes = ([Token("503")], Self.status570)
        case .temporary?: codes = ([Token("403")], Self.status470)
        case .standard?:
            let d = defaultTLSCodes
            codes = ([Token(d.code)], d.status == "5.7.0" ? Self.status570 : Self.status470)
        case nil: break
        }

        // Failures that do not depend on the requirement.
        if verify.count == 1 {
            for (word, message) in Self.handshakeFailureMessages where verify[0].matches(word) {
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
        guard let parsed, let parsedBase = parsed.base else { return .ok }
        let extensions = parsed.extensionTokens

        // Verification and the bits required.
        let verified = isVerified(verify)
        let required: Token
        switch parsedBase {
        case .verify(nil):
            guard verified else {
                return verificationFailure(verify, code: code, status: status, extensions: extensions)
            }
            if extensions.isEmpty { return .ok }
            required = Token("0")
        case .verify(let bits?):
            guard verified else {
                return verificationFailure(verify, code: code, status: status, extensions: extensions)
            }
            required = Token(bits)
        case .encryption(let bits):
            required = Token(bits)
        case .other:
            return .workspace([Workspace.open] + code + [Token(":")] + status + [Workspace.close])
        }

        // Bits check: max({cipher_bits}, {auth_ssf}) against the requirement.
        let strength = Self.max((try expand(.cipherBits)) + [Token(":")] + (try expand(.authSSF)))
        if strength.count == 1, Workspace.strtol(strength[0].text) < Workspace.strtol(required.text) {
            return .error(
                host: status,
                text: code + [Workspace.quoted(" encryption too weak ")] + strength + [
                    Workspace.quoted(" less than "), required,
                ]
            )
        }

        // Extensions: `++`-separated, checked left to right by TLS_req.
        if extensions.isEmpty { return .ok }
        return try tlsRequirementExtensions(TLSRequirement.splitExtensions(extensions), code: code, status: status)
    }

    /// The reply for a `VERIFY` requirement when `{verify}` is not OK/TRUSTED.
    ///
    /// sendmail's patterns let the extension group reach over a `{verify}` that ends in `>`: such a value reads as
    /// empty ("authentication required"), and `<x> FAIL` reads as `FAIL`.
    func verificationFailure(_ verify: [Token], code: [Token], status: [Token], extensions: [Token]) -> RulesetResult {
        let reason: String
        let n = verify.count
        if n == 0 || verify[n - 1] == Workspace.close {
            reason = Self.verificationRequired
        } else if n == 1 || verify[n - 2] == Workspace.close,
            let word = Self.verifyFailureWords.first(where: { verify[n - 1].matches($0.0) })
        {
            reason = word.1
        } else {
            // sendmail's text shows the requirement's extension list here, not the {verify} value.
            return .error(host: status, text: code + [Workspace.quoted(" authentication failure ")] + extensions)
        }
        return .error(host: status, text: code + [Workspace.quoted(" " + reason)])
    }

    /// `{verify}` values that fail regardless of the requirement, and their reply texts.
    static let handshakeFailureMessages: [(String, String)] = [
        ("SOFTWARE", "TLS handshake failed."), ("PROTOCOL", "STARTTLS failed."),
        ("DANE_FAIL", "DANE check failed."), ("CONFIG", "STARTTLS temporarily not possible."),
    ]
    /// The enhanced status codes as tokens, tokenized once (hot path).
    static let status570 = Tokenizer.tokenize("5.7.0")
    static let status470 = Tokenizer.tokenize("4.7.0")

    /// `{verify}` words that fail a `VERIFY` requirement, and their reply texts (literals: a reply made from one
    /// allocates nothing).
    static let verifyFailureWords: [(String, String)] = [
        ("FAIL", "authentication failed"), ("NO", "not authenticated"), ("NOT", "no authentication requested"),
        ("NONE", "other side does not support STARTTLS"), ("CLEAR", "STARTTLS disabled locally"),
    ]
    /// The reply text for a `VERIFY` requirement and an empty `{verify}`.
    static let verificationRequired = "authentication required"

    /// TLS_req on the flattened workspace `<ext1> <ext2> …`: each group in turn; the first failure is the result.
    ///
    /// The groups are kept as one token list because sendmail's patterns can reach across them: an empty
    /// `CN:`/`CS:`/`CI:` argument followed by another group compares against `> <` and that group's text.
    mutating func tlsRequirementExtensions(
        _ groups: [[Token]],
        code: [Token],
        status: [Token]
    ) throws(RulesetAbort)
        -> RulesetResult
    {
        var ws: [Token] = []
        for group in groups { ws += [Workspace.open] + group + [Workspace.close] }
        let colon = Token(":")
        func startsWith(_ keyword: String, colonFollows: Bool) -> Bool {
            ws.count >= (colonFollows ? 3 : 2) && ws[0] == Workspace.open && ws[1].matches(keyword)
                && (!colonFollows || ws[2] == colon)
        }
        /// `<KEYWORD:` followed by `tokens` and `>`.
        func startsWithArgument(_ keyword: String, _ tokens: [Token]) -> Bool {
            guard startsWith(keyword, colonFollows: true), ws.count >= 4 + tokens.count else { return false }
            return ws[3..<(3 + tokens.count)].matchesTokens(tokens) && ws[3 + tokens.count] == Workspace.close
        }
        /// `<KEYWORD:$+>`: the argument up to the first `>` that leaves at least one token.
        func argument(_ keyword: String) -> [Token]? {
            guard startsWith(keyword, colonFollows: true), ws.count >= 5 else { return nil }
            guard let close = ws[4...].firstIndex(of: Workspace.close) else { return nil }
            return Array(ws[3..<close])
        }
        func failure(_ what: String, _ actual: [Token], _ tail: String, _ expected: [Token]) -> RulesetResult {
            .error(host: status, text: code + [Workspace.quoted(what)] + actual + [Workspace.quoted(tail)] + expected)
        }
        func notAcceptable() throws(RulesetAbort) -> RulesetResult {
            .error(
                host: status,
                text: code + [Workspace.quoted(" Cert Issuer ")] + (try expand(.certIssuer))
                    + [Workspace.quoted(" not acceptable")]
            )
        }

        pass: while true {
            if ws.isEmpty { return .ok }
            lastReturn = ws + [Workspace.separator, Workspace.open] + code + [colon] + status + [Workspace.close]
            if ws.count >= 3 && ws[0] == Workspace.open && ws[1].matches("CN") && ws[2] == Workspace.close {
                ws = [Workspace.open, ws[1], colon] + (try expand(.tlsName)) + Array(ws[2...])
            }
            let checks: [(String, MacroName, String)] = [
                ("CN", .cnSubject, " CN "), ("CS", .certSubject, " Cert Subject "),
                ("CI", .certIssuer, " Cert Issuer "),
            ]
            for (keyword, macro, label) in checks {
                guard startsWith(keyword, colonFollows: true) else { continue }
                let actual = try expand(macro)
                if startsWithArgument(keyword, actual) {
                    ws.removeFirst(4 + actual.count)
                    continue pass
                }
                if let expected = argument(keyword) {
                    return failure(label, actual, " does not match ", expected)
                }
            }
            if startsWith("CITag", colonFollows: true), ws.count >= 5, ws[4] == Workspace.close {
                let tag = ws[3]
                let group: [Token]
                switch lookup.exactKey(tag: AccessTag(tag.keyTextOfSingle), try expand(.certIssuer)) {
                case .notFound, .notSearched: group = [Workspace.question]
                case .temporaryFailure: group = [Workspace.open, Token("TMPF"), Workspace.close]
                case .found(let value): group = value.tokens
                }
                ws = [Workspace.open] + group + [Workspace.close] + Array(ws[5...])
            }
            if ws.count >= 3 && ws[0] == Workspace.open && ws[2] == Workspace.close {
                if ws[1] == Workspace.question { return try notAcceptable() }
                if ws[1].matches("OK") {
                    ws.removeFirst(3)
                    continue pass
                }
            }
            return .workspace(ws + [Workspace.separator, Workspace.open] + code + [colon] + status + [Workspace.close])
        }
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
