/// The name of a sendmail macro, without braces: `verify` for `{verify}`, `f` for `$f`.
public struct MacroName: Hashable, Sendable, RawRepresentable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    /// `{name}` for long names, `$x` for single-character ones.
    public var description: String { rawValue.count == 1 ? "$\(rawValue)" : "{\(rawValue)}" }

    public static let verify: MacroName = "verify"
    public static let cipherBits: MacroName = "cipher_bits"
    public static let algBits: MacroName = "alg_bits"
    public static let authSSF: MacroName = "auth_ssf"
    public static let cipher: MacroName = "cipher"
    public static let tlsVersion: MacroName = "tls_version"
    public static let certSubject: MacroName = "cert_subject"
    public static let certIssuer: MacroName = "cert_issuer"
    public static let cnSubject: MacroName = "cn_subject"
    public static let cnIssuer: MacroName = "cn_issuer"
    public static let certFingerprint: MacroName = "cert_fp"
    public static let authType: MacroName = "auth_type"
    public static let authAuthen: MacroName = "auth_authen"
    public static let authAuthor: MacroName = "auth_author"
    public static let clientName: MacroName = "client_name"
    public static let clientAddr: MacroName = "client_addr"
    public static let clientResolve: MacroName = "client_resolve"
    public static let serverName: MacroName = "server_name"
    public static let serverAddr: MacroName = "server_addr"
    public static let mailFrom: MacroName = "mail_from"
    public static let sender: MacroName = "f"
}

/// What an SMTP session knows, as sendmail's macros: `{verify}`, `{cipher_bits}`, `{client_addr}`, …
///
/// Values are the exact strings sendmail would hold (certificate names stay xtext-encoded, see ``XText``).
/// A macro that is not set and a macro set to the empty string behave the same in the rulesets.
/// Typed accessors cover the macros the rulesets read; any other macro is carried by name with the subscript.
public struct SessionMacros: Hashable, Sendable {
    private var values: [MacroName: String]

    /// An empty session: no macro set.
    public init() { values = [:] }

    /// A session from name/value pairs.
    public init(_ values: [MacroName: String]) { self.values = values }

    /// Any macro by name; `nil` when unset. Setting `nil` clears it.
    public subscript(name: MacroName) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// The value of a macro, or the empty string when unset (what a ruleset sees).
    public func value(_ name: MacroName) -> String { values[name] ?? "" }

    /// All set macros.
    public var all: [MacroName: String] { values }
}
