public import AccessMap

/// A TLS requirement from the right-hand side of a `TLS_Clt:`, `TLS_Srv:` or `TLS_Rcpt:` entry, parsed the way
/// sendmail's rulesets read it.
///
/// Grammar (tokens, keywords case-insensitive): `[PERM+|TEMP+](VERIFY[:bits]|ENCR:bits)[+ext{++ext}]` with
/// extensions `CN`, `CN:name`, `CS:subject`, `CI:issuer`, `CITag:tag`. Everything else is kept, not rejected:
/// sendmail treats a value it cannot read as no requirement (``isEnforced`` is `false`), an unknown extension as
/// passing, and `ENCR:abc` as `ENCR:0`. The raw text and tokens are kept so these quirks reproduce exactly.
public struct TLSRequirement: Hashable, Sendable {
    /// Which reply a failure gets.
    public enum Severity: Hashable, Sendable {
        /// `PERM+`: `503 5.7.0`.
        case permanent
        /// `TEMP+`: `403 4.7.0`.
        case temporary
        /// No prefix: `454 4.7.0`, or `554 5.7.0` with TLS_PERM_ERR.
        case standard
    }

    /// What must hold before the extensions are checked.
    public enum Base: Hashable, Sendable {
        /// `VERIFY` / `VERIFY:bits`: `{verify}` OK or TRUSTED (and, with bits, enough key length).
        case verify(bits: String?)
        /// `ENCR:bits`: enough key length (`max({cipher_bits}, {auth_ssf})`), `{verify}` ignored.
        case encryption(bits: String)
        /// `X:bits` for another member of class `Tls` (only if a configuration adds one): never satisfied or
        /// refused, i.e. accepted.
        case other(kind: String, bits: String)
    }

    /// One `+`-separated check after the base.
    public enum Extension: Hashable, Sendable {
        /// `CN` (name `nil`: the peer's host name) or `CN:name`: `{cn_subject}` must equal it.
        case commonName(String?)
        /// `CS:dn`: `{cert_subject}` must equal it.
        case certificateSubject(String)
        /// `CI:dn`: `{cert_issuer}` must equal it.
        case certificateIssuer(String)
        /// `CITag:tag`: `tag:{cert_issuer}` must be `OK` in the access map.
        case issuerTag(String)
        /// Anything else: checking stops here and the requirement passes.
        case unrecognized(String)
    }

    /// The value's text as stored.
    public var rawValue: String
    /// The value's tokens.
    public var tokens: [Token]
    /// The failure reply class; `nil` when the value is not a requirement at all.
    public var severity: Severity?
    /// The base check; `nil` when the value is not (or no longer, after the prefix) a requirement sendmail
    /// understands — it then accepts.
    public var base: Base?
    /// The extension tokens after the base's `+` (what sendmail's `authentication failure` text shows).
    public var extensionTokens: [Token]
    /// The extension checks, in order.
    public var extensions: [Extension]

    /// sendmail enforces this requirement (a ``severity`` and a ``base`` were recognised).
    public var isEnforced: Bool { severity != nil && base != nil }

    /// Parses a stored value.
    ///
    /// - Parameters:
    ///   - text: The right-hand side text.
    ///   - tlsClass: Class `Tls` (`VERIFY ENCR` in every sendmail.cf).
    public init(_ text: String, tlsClass: ClassSet = ClassSet.builtIn["Tls"]!) {
        self.init(tokens: Tokenizer.tokenize(text), rawValue: text, tlsClass: tlsClass)
    }

    /// Parses value tokens (the part sendmail keeps: up to the first `>`).
    public init(tokens: [Token], rawValue: String? = nil, tlsClass: ClassSet = ClassSet.builtIn["Tls"]!) {
        self.rawValue = rawValue ?? tokens.assembledText()
        self.tokens = tokens
        self.severity = nil
        self.base = nil
        self.extensionTokens = []
        self.extensions = []

        let r = tokens
        var body = r
        if r.count >= 3, r[1].text == "+", tlsClass.contains(r[2].text), r[0].matches("PERM") || r[0].matches("TEMP") {
            severity = r[0].matches("PERM") ? .permanent : .temporary
            body = Array(r[2...])
        } else if let first = r.first, tlsClass.contains(first.text) {
            severity = .standard
        } else {
            return
        }
        let b = body
        if b.count == 1 && b[0].matches("VERIFY") {
            base = .verify(bits: nil)
        } else if b.count >= 3 && b[0].matches("VERIFY") && b[1].text == "+" {
            base = .verify(bits: nil)
            extensionTokens = Array(b[2...])
        } else if b.count == 3 && tlsClass.contains(b[0].text) && b[1].text == ":" {
            base = Self.bitsBase(kind: b[0], bits: b[2])
        } else if b.count >= 5 && tlsClass.contains(b[0].text) && b[1].text == ":" && b[3].text == "+" {
            base = Self.bitsBase(kind: b[0], bits: b[2])
            extensionTokens = Array(b[4...])
        } else {
            return
        }
        extensions = Self.splitExtensions(extensionTokens).map(Self.classify)
    }

    private static func bitsBase(kind: Token, bits: Token) -> Base {
        if kind.matches("VERIFY") { return .verify(bits: bits.text) }
        if kind.matches("ENCR") { return .encryption(bits: bits.text) }
        return .other(kind: kind.text, bits: bits.text)
    }

    /// Splits extension tokens at `++` (a pair of `+` tokens with something on both sides).
    static func splitExtensions(_ tokens: [Token]) -> [[Token]] {
        guard !tokens.isEmpty else { return [] }
        var groups: [[Token]] = []
        var current: [Token] = []
        var i = 0
        while i < tokens.count {
            if i >= 1, i + 2 < tokens.count, tokens[i].text == "+", tokens[i + 1].text == "+" {
                groups.append(current)
                current = []
                i += 2
                continue
            }
            current.append(tokens[i])
            i += 1
        }
        groups.append(current)
        return groups
    }

    private static func classify(_ group: [Token]) -> Extension {
        let text = group.assembledText()
        if group.count == 1 && group[0].matches("CN") { return .commonName(nil) }
        guard group.count >= 3, group[1].text == ":" else { return .unrecognized(text) }
        let argument = Array(group[2...]).assembledText()
        if group[0].matches("CN") { return .commonName(argument) }
        if group[0].matches("CS") { return .certificateSubject(argument) }
        if group[0].matches("CI") { return .certificateIssuer(argument) }
        if group[0].matches("CITag") && group.count == 3 { return .issuerTag(argument) }
        return .unrecognized(text)
    }
}
