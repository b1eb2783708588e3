/// The policy configuration file: one YAML document that says where the access map is, what the configuration
/// classes hold and which FEATUREs are on. Every key is documented in `docs/configuration.md`.
///
/// ```yaml
/// access_map:
///   path: /etc/mail/access.db
///   optional: true
///   options: [skip, lookupdotdomain]
/// host:
///   name: mail.example.com
///   addresses: [192.0.2.25]
/// classes:
///   w: [example.com]
///   R: [partner.example, 10.77]
///   TrustAuthMech: [PLAIN, LOGIN]
/// features:
///   delay_checks: friend
///   blocklist_recipients: true
/// ```
///
/// Unknown keys are errors (a misspelt security setting must not be ignored silently).
public struct ConfigFile: Hashable, Sendable {
    /// An access_db option (the third argument of `FEATURE(access_db)`).
    public enum AccessOption: String, Hashable, Sendable, CaseIterable {
        /// `SKIP` ends a search with the default (not found).
        case skip
        /// `.domain` keys match strict subdomains.
        case lookupDotDomain = "lookupdotdomain"
        /// `To:user@domain` keys are consulted when deciding relaying.
        case relayToFullAddress = "relaytofulladdress"
    }

    /// Path of the access map (a GDBM file built by `accesspolicy makemap`); relative paths are resolved against the
    /// configuration file's directory. `nil`: no map (every lookup finds nothing).
    public var accessMapPath: String?
    /// Like makemap's `-o` in the K line: an access map that cannot be opened behaves as empty. When `false`, every
    /// lookup in an unopenable map is a temporary failure.
    public var accessMapOptional: Bool
    /// access_db options.
    public var accessOptions: Set<AccessOption>
    /// `define(TLS_PERM_ERR)`: TLS requirement failures are permanent (`554 5.7.0`).
    public var tlsPermanentErrors: Bool
    /// Classes, features and texts of the relay rulesets.
    public var relay: RelaySettings

    /// The baseline: no map, no options, ``RelaySettings/init()``.
    public init() {
        accessMapPath = nil
        accessMapOptional = true
        accessOptions = []
        tlsPermanentErrors = false
        relay = RelaySettings()
    }
}

/// A configuration file that cannot be used; `line`/`column` are 1-based (0 when unknown).
public struct ConfigFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var reason: String
    /// 1-based line, 0 when not known.
    public var line: Int
    /// 1-based column, 0 when not known.
    public var column: Int

    /// An error at a position.
    public init(_ reason: String, line: Int = 0, column: Int = 0) {
        self.reason = reason
        self.line = line
        self.column = column
    }

    public var description: String { line > 0 ? "\(line):\(column): \(reason)" : reason }
}
