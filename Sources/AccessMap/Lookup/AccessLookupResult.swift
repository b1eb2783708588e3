/// A value found in the access map, after sendmail's value processing.
///
/// `%0` in the stored value is replaced by the key as sent (original case), `%1`…`%9` by nothing and `%%` by `%`;
/// the result is re-tokenized (``Tokenizer``): comments vanish, white space collapses, quotes group.
public struct AccessMapValue: Hashable, Sendable {
    /// The value's tokens, as the rulesets see them.
    public var tokens: [Token]
    /// The key that matched, as sent (original case, e.g. `TLS_Clt:mx.example.com`).
    public var key: String

    /// Creates a value.
    public init(tokens: [Token], key: String) {
        self.tokens = tokens
        self.key = key
    }

    /// The value's text as sendmail would assemble it (`assembledText()`).
    public var text: String { tokens.assembledText() }

    /// The value is the single keyword `word` (ASCII case-insensitive): `OK`, `RELAY`, `REJECT`, …
    public func isKeyword(_ word: String) -> Bool { tokens.count == 1 && tokens[0].matches(word) }
}

/// The outcome of one access-map search (D, A, E, F, U, SearchList or a bare-tag look-up).
public enum AccessLookupResult: Hashable, Sendable {
    /// An entry matched.
    case found(AccessMapValue)
    /// No entry matched (including a `SKIP` hit with the `skip` option).
    case notFound
    /// A look-up failed temporarily (`<TMPF>`): the map could not be read, or the stored value itself ends
    /// in the tokens `<TMPF>`, which sendmail cannot tell apart.
    case temporaryFailure
    /// The search could not run: sendmail's A routine given an empty key does no look-up and leaves a workspace
    /// that neither "found" nor "not found" rules match. Callers reproduce what their ruleset does with that.
    case notSearched

    /// The found value, if any.
    public var value: AccessMapValue? {
        if case .found(let value) = self { return value }
        return nil
    }
}
