public import AccessMap

/// What `check_relay`, `check_mail` or `check_rcpt` returns: a mailer triple (`$#error $@ 5.7.1 $: "550 …"`,
/// `$#discard`, `$# RELAY`) or a plain workspace (`OK`, `RELAY`, a canonical address, `deferred`).
///
/// Only `$#error` and `$#discard` act in an SMTP session (``isRejection``, ``isDiscard``); everything else accepts.
public enum RelayResult: Hashable, Sendable {
    /// `$#mailer $@ host $: text` (host and text may be empty: `$# RELAY` has neither).
    case mailer(name: Token, host: [Token], text: [Token])
    /// A plain returned workspace.
    case workspace([Token])

    /// `$#error [$@ host] $: text`.
    static func error(host: [Token] = [], text: [Token]) -> RelayResult {
        .mailer(name: Token("error"), host: host, text: text)
    }

    /// `$#error $@ host $: "quoted text"` from plain strings.
    static func error(dsn: String, text: String) -> RelayResult {
        .mailer(name: Token("error"), host: Tokenizer.tokenize(dsn), text: [Token("\"\(text)\"")])
    }

    /// A one-word plain result (`OK`, `RELAY`, `deferred`).
    static func word(_ word: String) -> RelayResult { .workspace([Token(word)]) }

    /// `$#discard $: discard`.
    static let discard = RelayResult.mailer(
        name: Token("discard"),
        host: [],
        text: [Token("discard")]
    )

    /// The standard temporary-failure reply of a map look-up.
    static let mapTemporaryFailure = RelayResult.error(
        dsn: "4.3.0",
        text: "451 Temporary system failure. Please try again later."
    )

    /// The result rejects (`$#error` other than `$@ quarantine`).
    public var isRejection: Bool {
        guard case .mailer(let name, let host, _) = self, name.matches("error") else { return false }
        return !(host.count == 1 && host[0].matches("quarantine"))
    }

    /// The result discards the message.
    public var isDiscard: Bool {
        guard case .mailer(let name, _, _) = self else { return false }
        return name.matches("discard")
    }

    /// The result is a `$#` triple.
    var isMailer: Bool {
        if case .mailer = self { return true }
        return false
    }

    /// The `bt` line: `$#MAILER[ $@ HOST][ $: TEXT]`, the returned single word of letters, else `OK`.
    public var btLine: String {
        switch self {
        case .mailer(let name, let host, let text):
            var line = "$#\(name.text)"
            if !host.isEmpty { line += " $@ " + host.map(\.text).joined() }
            if !text.isEmpty { line += " $: " + text.assembledText() }
            return line
        case .workspace(let tokens):
            if tokens.count == 1, tokens[0].text.allSatisfy({ $0.isASCII && $0.isLetter }) {
                return tokens[0].text
            }
            return "OK"
        }
    }
}
