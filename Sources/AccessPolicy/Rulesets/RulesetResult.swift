public import AccessMap

/// What a sendmail ruleset returns, at token level: a resolved `$#mailer $@ host $: text` triple or a plain
/// workspace (`OK`, `RELAY`, `<OK>`, …).
///
/// This is the exact result `sendmail -bt` shows; the typed decisions (``TLSPolicyDecision``, …) are read from it.
/// An MTA acts only on `$#error` and `$#discard`; any other result means "accept".
public enum RulesetResult: Hashable, Sendable {
    /// `$#mailer $@ host $: text`; `host` and `text` are `nil` when absent.
    case resolved(mailer: [Token], host: [Token]?, text: [Token]?)
    /// A plain returned workspace.
    case workspace([Token])

    /// `$#error $@ host $: text`.
    static func error(host: [Token]?, text: [Token]) -> RulesetResult {
        .resolved(mailer: [Token("error")], host: host, text: text)
    }

    /// `$#error $@ host $: "text"` with a D.S.N host string and one quoted text.
    static func error(status: String, quoted text: String) -> RulesetResult {
        .error(host: Tokenizer.tokenize(status), text: [Token("\"" + text + "\"")])
    }

    /// The plain workspace `OK`.
    static let ok = RulesetResult.workspace([Token("OK")])

    /// The mailer of a resolved result, assembled (`error`, `RELAY`, `V A`, …); `nil` for a workspace.
    public var mailer: String? {
        if case .resolved(let mailer, _, _) = self { return mailer.assembledText() }
        return nil
    }

    /// The host part (`$@`) assembled, e.g. `4.7.0` or `quarantine`.
    public var host: String? {
        if case .resolved(_, let host?, _) = self { return host.assembledText() }
        return nil
    }

    /// The text part (`$:`) assembled, e.g. `454 authentication failed`.
    public var text: String? {
        if case .resolved(_, _, let text?) = self { return text.assembledText() }
        return nil
    }

    /// `$#error …`: the MTA must refuse (or quarantine when the host is `quarantine`).
    public var isError: Bool { mailer.map { Token.asciiCaseInsensitiveEqual($0, "error") } ?? false }

    /// `$#discard …`: accept and throw the message away.
    public var isDiscard: Bool { mailer.map { Token.asciiCaseInsensitiveEqual($0, "discard") } ?? false }

    /// The one-line form of the `-bt` contract: `$#MAILER[ $@ HOST][ $: TEXT]` for a resolved result; for a
    /// workspace, the workspace when it is a single word of ASCII letters only (`OK`, `NO`, `RELAY`,
    /// `identical`), otherwise `OK`.
    public var testModeLine: String {
        switch self {
        case .resolved(let mailer, let host, let text):
            var line = "$#" + mailer.assembledText()
            if let host, !host.isEmpty { line += " $@ " + host.assembledText() }
            if let text, !text.isEmpty { line += " $: " + text.assembledText() }
            return line
        case .workspace(let tokens):
            if tokens.count == 1, let word = tokens.first?.text, !word.isEmpty,
                word.utf8.allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A })
            {
                return word
            }
            return "OK"
        }
    }
}
