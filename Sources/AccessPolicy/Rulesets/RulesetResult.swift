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
        switch self.printedAsTestMode {
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

    /// How `sendmail -bt` shows the bytes it uses internally as metasymbols (recorded by printing each byte).
    private static let metaSymbolSpelling: [UInt8: String] = [
        0x81: "$", 0x82: "$&", 0x85: "$(", 0x86: "$)", 0x90: "$*", 0x91: "$+", 0x92: "$-", 0x93: "$=", 0x94: "$~",
        0x95: "$", 0x96: "$#", 0x97: "$@", 0x98: "$:", 0x99: "$>", 0x9A: "$?", 0x9B: "$|", 0x9C: "$.", 0x9D: "$[",
        0x9E: "$]",
    ]

    /// The tokens as `sendmail -bt` prints them: metasymbol bytes as `$@`, `$|`, …; any other byte from 0x80 up
    /// as `M-` and the character of its low seven bits (`\t`, `\n`, `\r` for those controls, nothing for other
    /// controls); 0xFF is not shown. A control character below 0x80 (possible inside a quoted string) prints the
    /// same way without the `M-`: a TAB as `\t`, 0x01 not at all.
    var printedAsTestMode: RulesetResult {
        func escape(_ tokens: [Token]) -> [Token] {
            tokens.map { token in
                let bytes = token.rawBytes
                guard bytes.contains(where: { $0 >= 0x80 || $0 < 0x20 || $0 == 0x7F }) else { return token }
                var out: [UInt8] = []
                for byte in bytes {
                    guard byte >= 0x80 else {
                        // Control characters (inside quoted strings): `\t`, `\n`, `\r`, others not shown.
                        switch byte {
                        case 0x09: out += Array("\\t".utf8)
                        case 0x0A: out += Array("\\n".utf8)
                        case 0x0D: out += Array("\\r".utf8)
                        case 0x00..<0x20, 0x7F: break
                        default: out.append(byte)
                        }
                        continue
                    }
                    if byte == 0xFF { continue }
                    if let meta = Self.metaSymbolSpelling[byte] {
                        out += Array(meta.utf8)
                        continue
                    }
                    out += Array("M-".utf8)
                    let low = byte & 0x7F
                    switch low {
                    case 0x09: out += Array("\\t".utf8)
                    case 0x0A: out += Array("\\n".utf8)
                    case 0x0D: out += Array("\\r".utf8)
                    case 0x20...0x7E: out.append(low)
                    default: break
                    }
                }
                return Token(String(decoding: out, as: UTF8.self))
            }
        }
        switch self {
        case .resolved(let mailer, let host, let text):
            return .resolved(mailer: escape(mailer), host: host.map(escape), text: text.map(escape))
        case .workspace(let tokens):
            return .workspace(escape(tokens))
        }
    }
}

extension RulesetResult {
    /// The result as a workspace again: `$# mailer $@ host $: text` (absent parts left out), or the plain workspace.
    /// ``init(resolvedWorkspace:)`` reads it back.
    var workspaceTokens: [Token] {
        switch self {
        case .resolved(let mailer, let host, let text):
            var w = [Token("$#")] + mailer
            if let host { w += [Token("$@")] + host }
            if let text { w += [Token("$:")] + text }
            return w
        case .workspace(let tokens):
            return tokens
        }
    }

    /// A workspace that starts with `$#`, read as sendmail's caller reads it: the mailer is the tokens up to the
    /// first `$@` or `$:`, the host the tokens after that `$@` up to the next `$:`, the text everything after that
    /// `$:` (later metasymbols included, as in a malformed workspace). Any other workspace stays a workspace.
    init(resolvedWorkspace w: [Token]) {
        guard w.first == Token("$#") else {
            self = .workspace(w)
            return
        }
        let host = Token("$@")
        let text = Token("$:")
        var i = 1
        while i < w.count && w[i] != host && w[i] != text { i += 1 }
        let mailer = Array(w[1..<i])
        var hostPart: [Token]?
        if i < w.count && w[i] == host {
            var j = i + 1
            while j < w.count && w[j] != text { j += 1 }
            hostPart = Array(w[(i + 1)..<j])
            i = j
        }
        var textPart: [Token]?
        if i < w.count && w[i] == text { textPart = Array(w[(i + 1)...]) }
        self = .resolved(mailer: mailer, host: hostPart, text: textPart)
    }
}
