/// A value found in the access map, after sendmail's value processing.
///
/// `%0` in the stored value is replaced by the key as sent (original case), `%1`…`%9` by nothing and `%%` by `%`;
/// the result is re-tokenized (``Tokenizer``): comments vanish, white space collapses, quotes group.
public struct AccessMapValue: Hashable, Sendable {
    /// The value's tokens, as the rulesets see them.
    public var tokens: [Token]
    /// The key that matched, as sent (original case, e.g. `TLS_Clt:mx.example.com`).
    public var key: String

    /// Set when the stored value is not empty but yields no tokens (`(c)`, `(x`, `)`): sendmail cannot use such a
    /// value and gives up the search routine (D, A) at that look-up; its caller goes on with the routine's workspace
    /// as it stood. ``tokens`` is then empty. Callers that model the routine's workspace use this; the others see an
    /// empty value.
    public var unusable: UnusableValue?

    /// Creates a value.
    public init(tokens: [Token], key: String, unusable: UnusableValue? = nil) {
        self.tokens = tokens
        self.key = key
        self.unusable = unusable
    }

    /// The value's text as sendmail would assemble it (`assembledText()`).
    public var text: String { tokens.assembledText() }

    /// The value is the single keyword `word` (ASCII case-insensitive): `OK`, `RELAY`, `REJECT`, …
    public func isKeyword(_ word: String) -> Bool { tokens.count == 1 && tokens[0].matches(word) }
}

/// Where a search routine stood when it met a value it cannot use (``AccessMapValue/unusable``).
public struct UnusableValue: Hashable, Sendable {
    /// The routine's key at that moment (without the tag): the host name or address as far as it was shortened.
    public var key: [Token]
    /// A look-up of the same key came first and found nothing (the untagged or `.domain` try failed, not the first
    /// tagged one): the routine's workspace then starts with its `<?>` mark.
    public var afterNotFound: Bool

    /// Creates the record.
    public init(key: [Token], afterNotFound: Bool) {
        self.key = key
        self.afterNotFound = afterNotFound
    }
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
