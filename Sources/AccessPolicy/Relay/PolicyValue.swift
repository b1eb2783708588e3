public import AccessMap

/// The right-hand side of a `Connect:`, `From:`, `To:` (blocklist) or untagged access-map entry, as the relay
/// rulesets read it.
///
/// sendmail re-tokenizes the stored value and matches it against its keywords case-insensitively; anything it
/// does not recognise becomes an error reply whose text is the value itself (the legacy `550 text` form and
/// untagged `ERROR`-less texts).
public enum PolicyValue: Hashable, Sendable {
    /// `OK`: accept (keeps the token as written, sendmail returns it as `$# ok` when written in lower case).
    case ok(Token)
    /// `RELAY`: accept and, for `To:`/`Connect:`, allow relaying.
    case relay(Token)
    /// `REJECT`: `550 5.7.1 Access denied` (or `confREJECT_MSG`).
    case reject
    /// `DISCARD`: accept and throw the message away.
    case discard
    /// `SKIP` (only meaningful with the access_db `skip` option, where the lookup layer already stops the search;
    /// otherwise it is a generic error text like any other word).
    case skip
    /// `QUARANTINE:reason`: accept and hold the message.
    case quarantine(reason: [Token])
    /// `ERROR:D.S.N:text` (`dsn` set) or `ERROR:text` (`dsn` nil); text may be a quoted string.
    case error(dsn: [Token]?, text: [Token])
    /// Any other value, e.g. the legacy `550 text` form: sendmail answers with the value as the text.
    case other([Token])
    /// The look-up failed temporarily (`<TMPF>`).
    case temporaryFailure

    /// Classifies a value's tokens the way the rulesets do.
    public init(tokens: [Token]) {
        if tokens.count == 1 {
            let word = tokens[0]
            if word.matches("OK") {
                self = .ok(word)
                return
            }
            if word.matches("RELAY") {
                self = .relay(word)
                return
            }
        }
        if tokens.count == 1, tokens[0].matches("REJECT") {
            self = .reject
            return
        }
        if tokens.count == 1, tokens[0].matches("DISCARD") {
            self = .discard
            return
        }
        if tokens.count >= 3, tokens[0].matches("QUARANTINE"), tokens[1].text == ":" {
            self = .quarantine(reason: Array(tokens[2...]))
            return
        }
        if tokens.count >= 3, tokens[0].matches("ERROR"), tokens[1].text == ":" {
            // ERROR : x . y . z : text  (x, y, z single tokens, text at least one token)
            if tokens.count >= 10, tokens[3].text == ".", tokens[5].text == ".", tokens[7].text == ":" {
                self = .error(dsn: Array(tokens[2...6]), text: Array(tokens[8...]))
                return
            }
            self = .error(dsn: nil, text: Array(tokens[2...]))
            return
        }
        if tokens.count == 1, tokens[0].matches("SKIP") {
            self = .skip
            return
        }
        self = .other(tokens)
    }

    /// Classifies a value as check_mail and Rcpt_ok read it, with patterns like `<REJECT> $*` and `<$+> $*` over
    /// `<value> <rest>`: a `>` in the value (from its second token on) ends it there, so
    /// `ERROR:550 see <x@y> first` answers `550 see <x@y`, and a value whose `<` the tokenizer closed loses that
    /// `>`. (check_relay's patterns, `<$+> <$*>`, read up to the first `> <`: ``init(firstOfTwoGroups:)``.)
    public init(firstGroupOf tokens: [Token]) {
        self.init(tokens: Self.prefix(of: tokens) { token, _ in token.text == ">" })
    }

    /// The value of a look-up result; `nil` when nothing was found.
    public init?(_ result: AccessLookupResult) {
        switch result {
        case .found(let value): self.init(tokens: value.tokens)
        case .temporaryFailure: self = .temporaryFailure
        case .notFound, .notSearched: return nil
        }
    }

    /// Classifies a value as check_relay reads it, with patterns like `<REJECT> <$*>` and `<$+> <$*>` over
    /// `<value> <address>`: the value ends where `> <` first follows one of its tokens, so
    /// `? TEMP<TMPF><x>` answers `? TEMP<TMPF`, while `550 see <x@y> first` stays whole.
    public init(firstOfTwoGroups tokens: [Token]) {
        self.init(tokens: Self.prefix(of: tokens) { token, next in token.text == ">" && next?.text == "<" })
    }

    /// The tokens before the first one, from the second on, that `ends` (given it and the token after it, if any).
    private static func prefix(of tokens: [Token], endingAt ends: (Token, Token?) -> Bool) -> [Token] {
        guard
            let end = tokens.indices.dropFirst().first(where: {
                ends(tokens[$0], $0 + 1 < tokens.count ? tokens[$0 + 1] : nil)
            })
        else { return tokens }
        return Array(tokens[..<end])
    }

    /// The value of a look-up result read as check_mail and Rcpt_ok read it (see `init(firstGroupOf:)` on tokens);
    /// `nil` when nothing was found.
    public init?(firstGroupOf result: AccessLookupResult) {
        switch result {
        case .found(let value): self.init(firstGroupOf: value.tokens)
        case .temporaryFailure: self = .temporaryFailure
        case .notFound, .notSearched: return nil
        }
    }

    /// `RELAY` (what the relay decisions look for; every other value is ignored there).
    public var isRelay: Bool {
        if case .relay = self { return true }
        return false
    }
}
