import AccessMap

/// Runs the policy rulesets on token workspaces, reproducing sendmail 8.17.1.9's results token for token.
///
/// One evaluator serves one call (or one `-bt` script): it owns the look-up scratch buffers and a copy of the
/// session macros, which rulesets may change (`{TLS_Name}`), as sendmail's do.
/// A rewrite failure (status 65 in `sendmail -bt`): the ruleset stops and the caller sees the last completed
/// call's result.
struct RulesetAbort: Error {}

struct RulesetEvaluator {
    let configuration: PolicyConfiguration
    var lookup: AccessLookup
    var macros: SessionMacros
    /// What the last completed ruleset call returned (`sendmail -bt` shows it when a later rule fails).
    var lastReturn: [Token] = []

    init(configuration: PolicyConfiguration, source: any AccessMapSource, macros: SessionMacros, tracing: Bool) {
        self.configuration = configuration
        self.lookup = AccessLookup(source: source, options: configuration.features.accessLookup, tracing: tracing)
        self.macros = macros
    }

    // MARK: - Look-up phases as workspaces

    /// The workspace sendmail's D routine leaves (`<value> <>`, `<?> <>`, `<<TMPF>> <>`, or the malformed
    /// five-group form for an empty key).
    mutating func domainGroup(_ key: [Token], tag: AccessTag) -> [Token] {
        let result = lookup.domain(key, tag: tag, mark: .tagOnly)
        if let stopped = Self.stoppedRoutine(result, tag: tag) { return stopped }
        if key.isEmpty {
            // sendmail cannot normalise this result: the raw answer stays in the workspace.
            let raw: [Token]
            switch result {
            case .notFound, .notSearched: raw = [Workspace.question]
            case .found, .temporaryFailure: raw = lookup.lastAnswerTokens
            }
            return [Workspace.open] + raw + [Workspace.close, Workspace.open, Workspace.close] + Self.malformedTail(tag)
        }
        return Self.group(result) + [Workspace.open, Workspace.close]
    }

    /// The workspace sendmail's A routine leaves (`<> <?> <! Tag> <>` for an empty key).
    mutating func addressGroup(_ key: [Token], tag: AccessTag) -> [Token] {
        let result = lookup.address(key, tag: tag, mark: .tagOnly)
        if let stopped = Self.stoppedRoutine(result, tag: tag) { return stopped }
        if case .notSearched = result { return [Workspace.open, Workspace.close] + Self.malformedTail(tag) }
        return Self.group(result) + [Workspace.open, Workspace.close]
    }

    /// `<value>`, `<?>` or `<<TMPF>>` of a bare-tag look-up.
    mutating func bareTagGroup(_ tag: AccessTag) -> [Token] { Self.group(lookup.bareTag(tag)) }

    /// D on a name macro, then A on an address macro, then the bare tag, each only while the previous found
    /// nothing (`<?>`), as tls_client, tls_server, try_tls, srv_features and clt_features do.
    mutating func hostSearch(name: MacroName, address: MacroName, tag: AccessTag) throws(RulesetAbort) -> [Token] {
        var tail = domainGroup(try expand(name), tag: tag)
        lastReturn = tail
        if Workspace.startsWithNotFound(tail) {
            tail = addressGroup(try expand(address), tag: tag)
            lastReturn = tail
        }
        if Workspace.startsWithNotFound(tail) { tail = bareTagGroup(tag) }
        return tail
    }

    /// `$&{name}` as a rule sees it: the value's tokens. A value that is not empty but yields no tokens (only
    /// white space or comments) makes sendmail's rewrite fail: the ruleset stops (``RulesetAbort``).
    func expand(_ name: MacroName) throws(RulesetAbort) -> [Token] {
        guard let value = macros[name], !value.isEmpty else { return [] }
        let tokens = Tokenizer.tokenize(value)
        if tokens.isEmpty { throw RulesetAbort() }
        return tokens
    }

    /// Stores tokens as a macro value (sendmail's `$(macro {name} $@ tokens $)`).
    mutating func define(_ name: MacroName, _ tokens: [Token]) {
        var text = ""
        var previousWasWord = false
        for token in tokens {
            if previousWasWord && token.isWord { text += " " }
            text += token.text
            previousWasWord = token.isWord
        }
        macros[name] = text
    }

    static func group(_ result: AccessLookupResult) -> [Token] {
        switch result {
        case .found(let value): return [Workspace.open] + value.tokens + [Workspace.close]
        case .notFound, .notSearched: return Workspace.notFoundGroup
        case .temporaryFailure: return Workspace.temporaryFailureGroup
        }
    }

    /// The workspace D or A (called `<key> <?> <! Tag> <>`) are left with when they meet a value sendmail cannot use
    /// (``AccessMapValue/unusable``): their own, at the key they had reached. `nil` for any other result.
    static func stoppedRoutine(_ result: AccessLookupResult, tag: AccessTag) -> [Token]? {
        guard case .found(let value) = result, let unusable = value.unusable else { return nil }
        let mark = unusable.afterNotFound ? Workspace.notFoundGroup : []
        return mark + [Workspace.open] + unusable.key + [Workspace.close] + malformedTail(tag)
    }

    static func malformedTail(_ tag: AccessTag) -> [Token] {
        [
            Workspace.open, Workspace.question, Workspace.close, Workspace.open, Token("!"),
            Token("\"" + tag.rawValue + "\""), Workspace.close, Workspace.open, Workspace.close,
        ]
    }

    // MARK: - Classes

    func inClass(_ name: String, _ token: Token) -> Bool { configuration.members(of: name).contains(token.text) }

    func isVerified(_ verify: [Token]) -> Bool { verify.count == 1 && inClass("TlsVerified", verify[0]) }
}
