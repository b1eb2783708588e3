extension SessionMacros {
    /// `{verify}` as a ``VerifyResult``; `nil` when unset or empty (a server session without STARTTLS).
    public var verify: VerifyResult? {
        get { self[.verify].flatMap { $0.isEmpty ? nil : VerifyResult(macroValue: $0) } }
        set { self[.verify] = newValue?.macroValue }
    }

    /// `{cipher_bits}` as a number; `nil` when unset or not a plain decimal number.
    public var cipherBits: Int? {
        get { self[.cipherBits].flatMap { Int($0) } }
        set { self[.cipherBits] = newValue.map(String.init) }
    }

    /// `{auth_ssf}` as a number; `nil` when unset or not a plain decimal number.
    public var authSSF: Int? {
        get { self[.authSSF].flatMap { Int($0) } }
        set { self[.authSSF] = newValue.map(String.init) }
    }

    /// `{cipher}`, e.g. `TLS_AES_256_GCM_SHA384`.
    public var cipher: String? {
        get { self[.cipher] }
        set { self[.cipher] = newValue }
    }

    /// `{tls_version}`, e.g. `TLSv1.3`.
    public var tlsVersion: String? {
        get { self[.tlsVersion] }
        set { self[.tlsVersion] = newValue }
    }

    /// `{cert_subject}`, xtext-encoded as sendmail stores it (see ``XText``).
    public var certSubject: XText? {
        get { self[.certSubject].map(XText.init(encoded:)) }
        set { self[.certSubject] = newValue?.encoded }
    }

    /// `{cert_issuer}`, xtext-encoded as sendmail stores it (see ``XText``).
    public var certIssuer: XText? {
        get { self[.certIssuer].map(XText.init(encoded:)) }
        set { self[.certIssuer] = newValue?.encoded }
    }

    /// `{cn_subject}`, xtext-encoded.
    public var cnSubject: XText? {
        get { self[.cnSubject].map(XText.init(encoded:)) }
        set { self[.cnSubject] = newValue?.encoded }
    }

    /// `{cn_issuer}`, xtext-encoded.
    public var cnIssuer: XText? {
        get { self[.cnIssuer].map(XText.init(encoded:)) }
        set { self[.cnIssuer] = newValue?.encoded }
    }

    /// `{cert_fp}`: upper-case hex bytes joined by `:`.
    public var certFingerprint: String? {
        get { self[.certFingerprint] }
        set { self[.certFingerprint] = newValue }
    }

    /// `{auth_type}`: the SASL mechanism, e.g. `PLAIN`.
    public var authType: String? {
        get { self[.authType] }
        set { self[.authType] = newValue }
    }

    /// `{auth_authen}`: the authenticated identity (xtext, with `=` also encoded).
    public var authAuthen: String? {
        get { self[.authAuthen] }
        set { self[.authAuthen] = newValue }
    }

    /// `{auth_author}`: the `AUTH=` parameter as sent.
    public var authAuthor: String? {
        get { self[.authAuthor] }
        set { self[.authAuthor] = newValue }
    }

    /// `{client_name}`: host name, or a bracketed literal such as `[192.0.2.1]`.
    public var clientName: String? {
        get { self[.clientName] }
        set { self[.clientName] = newValue }
    }

    /// `{client_addr}` as a ``HostAddress``.
    public var clientAddress: HostAddress? {
        get { self[.clientAddr].map(HostAddress.init(macroValue:)) }
        set { self[.clientAddr] = newValue?.macroValue }
    }

    /// `{server_name}`.
    public var serverName: String? {
        get { self[.serverName] }
        set { self[.serverName] = newValue }
    }

    /// `{server_addr}` as a ``HostAddress``.
    public var serverAddress: HostAddress? {
        get { self[.serverAddr].map(HostAddress.init(macroValue:)) }
        set { self[.serverAddr] = newValue?.macroValue }
    }
}

/// A host address as sendmail writes it in `{client_addr}` / `{server_addr}`.
public enum HostAddress: Hashable, Sendable, CustomStringConvertible {
    /// Dotted quad, `192.0.2.1`.
    case ipv4(String)
    /// IPv6 groups without the prefix; the macro holds `IPv6:` + this text (`0:0:0:0:0:0:0:1`).
    case ipv6(String)
    /// Anything else, kept verbatim.
    case other(String)

    /// Reads a macro value: `IPv6:…` (prefix matched case-insensitively) is IPv6, four dot-separated decimal numbers
    /// IPv4, anything else is kept as is.
    public init(macroValue: String) {
        if macroValue.utf8.count > 5, macroValue.prefix(5).lowercased() == "ipv6:" {
            self = .ipv6(String(macroValue.dropFirst(5)))
        } else if HostAddress.isDottedQuad(macroValue) {
            self = .ipv4(macroValue)
        } else {
            self = .other(macroValue)
        }
    }

    /// The macro text: `192.0.2.1`, `IPv6:0:0:0:0:0:0:0:1`.
    public var macroValue: String {
        switch self {
        case .ipv4(let text): return text
        case .ipv6(let text): return "IPv6:" + text
        case .other(let text): return text
        }
    }

    /// The bracketed literal sendmail uses as `{client_name}` when there is no PTR name: `[192.0.2.1]`,
    /// `[IPv6:0:0:0:0:0:0:0:1]`.
    public var literal: String { "[" + macroValue + "]" }

    public var description: String { macroValue }

    private static func isDottedQuad(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
