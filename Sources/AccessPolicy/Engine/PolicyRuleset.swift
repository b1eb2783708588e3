/// The rulesets the engine runs, by their sendmail.cf names.
public struct PolicyRuleset: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    /// The ruleset name as in sendmail.cf (`tls_client`).
    public var rawValue: String
    /// Creates a name.
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// `tls_client`: `{verify} $| MAIL|STARTTLS`.
    public static let tlsClient = PolicyRuleset(rawValue: "tls_client")
    /// `tls_server`: `{verify}`.
    public static let tlsServer = PolicyRuleset(rawValue: "tls_server")
    /// `tls_rcpt`: recipient address.
    public static let tlsRecipient = PolicyRuleset(rawValue: "tls_rcpt")
    /// `TLS_connection`: `{verify} $| <requirement>`.
    public static let tlsConnection = PolicyRuleset(rawValue: "TLS_connection")
    /// `max`: `a : b`.
    public static let max = PolicyRuleset(rawValue: "max")
    /// `try_tls`.
    public static let tryTLS = PolicyRuleset(rawValue: "try_tls")
    /// `srv_features`.
    public static let serverFeatures = PolicyRuleset(rawValue: "srv_features")
    /// `clt_features`.
    public static let clientFeatures = PolicyRuleset(rawValue: "clt_features")
    /// `RelayTLS`.
    public static let relayTLS = PolicyRuleset(rawValue: "RelayTLS")
    /// `trust_auth`: the `AUTH=` parameter.
    public static let trustAuth = PolicyRuleset(rawValue: "trust_auth")
    /// `check_relay`: `{client_name} $| {client_addr}` (not defined with FEATURE(delay_checks)).
    public static let checkRelay = PolicyRuleset(rawValue: "check_relay")
    /// `check_mail`: the MAIL address as given (not defined with FEATURE(delay_checks)).
    public static let checkMail = PolicyRuleset(rawValue: "check_mail")
    /// `check_rcpt`: the RCPT address as given.
    public static let checkRcpt = PolicyRuleset(rawValue: "check_rcpt")
}
