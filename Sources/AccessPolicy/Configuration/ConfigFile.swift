import AccessMap

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
    /// configuration file's directory. `nil`: no map named (`accesspolicy bt --map` gives one; without any map every
    /// lookup finds nothing).
    public var accessMapPath: String?
    /// Like makemap's `-o` in the K line: an access map that cannot be opened behaves as empty. When `false`, every
    /// lookup in an unopenable map is a temporary failure.
    public var accessMapOptional: Bool
    /// Classes, features and relay settings: what ``PolicyEngine`` takes.
    public var policy: PolicyConfiguration

    /// The baseline: no map, no options, ``PolicyConfiguration/init(classes:features:relay:)`` defaults.
    public init() {
        accessMapPath = nil
        accessMapOptional = true
        policy = PolicyConfiguration()
    }

    /// Settings of the relay rulesets (``PolicyConfiguration/relay``).
    public var relay: RelaySettings {
        get { policy.relay }
        set { policy.relay = newValue }
    }

    /// `define(TLS_PERM_ERR)`: TLS requirement failures are permanent (`554 5.7.0`).
    public var tlsPermanentErrors: Bool {
        get { policy.features.tlsPermanentErrors }
        set { policy.features.tlsPermanentErrors = newValue }
    }

    /// access_db options, stored as the lookup options (`skip`, `lookupdotdomain`) and
    /// ``RelaySettings/relayToFullAddress``.
    public var accessOptions: Set<AccessOption> {
        get {
            var options: Set<AccessOption> = []
            if policy.features.accessLookup.contains(.skip) { options.insert(.skip) }
            if policy.features.accessLookup.contains(.lookupDotDomain) { options.insert(.lookupDotDomain) }
            if policy.relay.relayToFullAddress { options.insert(.relayToFullAddress) }
            return options
        }
        set {
            policy.features.accessLookup = []
            if newValue.contains(.skip) { policy.features.accessLookup.insert(.skip) }
            if newValue.contains(.lookupDotDomain) { policy.features.accessLookup.insert(.lookupDotDomain) }
            policy.relay.relayToFullAddress = newValue.contains(.relayToFullAddress)
        }
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
