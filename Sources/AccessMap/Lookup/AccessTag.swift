/// The tag in front of an access-map key (`Connect` in `Connect:example.net`).
///
/// Tags are compared case-insensitively by the map (keys are folded). The constants are spelled as in the
/// shipped sendmail.cf.
public struct AccessTag: Hashable, Sendable, RawRepresentable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The tag text without the colon.
    public var rawValue: String

    /// Creates a tag from its text (no colon).
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Creates a tag from its text (no colon).
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// Creates a tag from a literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    /// `Connect:` — client host name or address (check_relay, Relay_ok).
    public static let connect: AccessTag = "Connect"
    /// `From:` — envelope sender (check_mail).
    public static let from: AccessTag = "From"
    /// `To:` — recipient (relaying, blocklist_recipients).
    public static let to: AccessTag = "To"
    /// `Spam:` — delay_checks friend/hater.
    public static let spam: AccessTag = "Spam"
    /// `TLS_Clt:` — TLS requirement for SMTP clients (tls_client).
    public static let tlsClient: AccessTag = "TLS_Clt"
    /// `TLS_Srv:` — TLS requirement for servers we connect to (tls_server).
    public static let tlsServer: AccessTag = "TLS_Srv"
    /// `TLS_Rcpt:` — TLS requirement per recipient (tls_rcpt).
    public static let tlsRecipient: AccessTag = "TLS_Rcpt"
    /// `Try_TLS:` — whether to try STARTTLS with a server (try_tls).
    public static let tryTLS: AccessTag = "Try_TLS"
    /// `Srv_Features:` — per-client server features (srv_features).
    public static let serverFeatures: AccessTag = "Srv_Features"
    /// `Clt_Features:` — client features (clt_features).
    public static let clientFeatures: AccessTag = "Clt_Features"
    /// `AuthInfo:` — client AUTH credentials.
    public static let authInfo: AccessTag = "AuthInfo"
    /// `GreetPause:` — greet_pause.
    public static let greetPause: AccessTag = "GreetPause"
    /// `ClientRate:` — ratecontrol.
    public static let clientRate: AccessTag = "ClientRate"
    /// `ClientConn:` — conncontrol.
    public static let clientConnections: AccessTag = "ClientConn"
    /// `CERTISSUER:` — relaying by certificate issuer (RelayTLS).
    public static let certIssuer: AccessTag = "CERTISSUER"
    /// `CERTSUBJECT:` — relaying by certificate subject (RelayTLS).
    public static let certSubject: AccessTag = "CERTSUBJECT"
}

/// How a search treats untagged entries: sendmail's `<! Tag>` and `<+ Tag>` marks.
public enum AccessLookupMark: Hashable, Sendable {
    /// `!`: only `Tag:key` is tried.
    case tagOnly
    /// `+`: for each candidate key, `Tag:key` and then the untagged `key` (non-empty keys only).
    case tagThenUntagged
}

/// access_db feature options that change the D and A searches.
public struct AccessLookupOptions: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `skip`: a value of `SKIP` ends a D/A search as "not found" (without it, `SKIP` is an ordinary value).
    public static let skip = AccessLookupOptions(rawValue: 1 << 0)
    /// `lookupdotdomain`: D also tries `Tag:.parent` (and `.parent` with `+`) before moving to the parent.
    public static let lookupDotDomain = AccessLookupOptions(rawValue: 1 << 1)
}
