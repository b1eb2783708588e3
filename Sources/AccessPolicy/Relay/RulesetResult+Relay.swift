import AccessMap

// Constructors and tests of ruleset results used by check_relay, check_mail and check_rcpt.
extension RulesetResult {
    /// `$#name $@ host $: text`; an empty host or text is left out.
    static func mailer(name: Token, host: [Token], text: [Token]) -> RulesetResult {
        .resolved(mailer: [name], host: host.isEmpty ? nil : host, text: text.isEmpty ? nil : text)
    }

    /// `$#error $: text` (no `$@`).
    static func error(text: [Token]) -> RulesetResult { .error(host: nil, text: text) }

    /// `$#error $@ D.S.N $: "text"`.
    static func error(dsn: String, text: String) -> RulesetResult { .error(status: dsn, quoted: text) }

    /// A one-word plain result (`OK`, `RELAY`, `deferred`).
    static func word(_ word: String) -> RulesetResult { .workspace([Token(word)]) }

    /// `$#discard $: discard`.
    static let discard = RulesetResult.resolved(mailer: [Token("discard")], host: nil, text: [Token("discard")])

    /// The standard temporary-failure reply of a map look-up (`451 4.3.0`).
    static let mapTemporaryFailure = RulesetResult.error(
        dsn: "4.3.0",
        text: "451 Temporary system failure. Please try again later."
    )

    /// The result is a `$#` triple (which ends a ruleset that calls another).
    var isMailer: Bool {
        if case .resolved = self { return true }
        return false
    }
}
