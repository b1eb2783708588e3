public import AccessMap

/// Everything the policy rulesets take from sendmail.cf besides the access map: classes and feature switches.
///
/// A plain value with defaults equal to the reference configuration (see ``reference``); set fields to describe
/// another sendmail.cf. Class names are case-sensitive like sendmail's (`w`, `R`, `TrustAuthMech`); class
/// members are compared ASCII case-insensitively.
public struct PolicyConfiguration: Hashable, Sendable {
    /// Classes by name (`$=w`, `$={TrustAuthMech}`, …).
    public var classes: [String: ClassSet]
    /// Feature switches and options.
    public var features: PolicyFeatures
    /// FEATUREs, `$j` and texts of check_relay, check_mail and check_rcpt.
    public var relay: RelaySettings

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - classes: Classes by name; ``ClassSet/builtIn`` classes (`Tls`, `TlsVerified`, `w` = `localhost`,
    ///     `P` = `.`) are added when missing (a `w` given here should list `localhost` too).
    ///   - features: Feature switches.
    ///   - relay: Settings of the relay rulesets (check_relay, check_mail, check_rcpt).
    public init(
        classes: [String: ClassSet] = [:],
        features: PolicyFeatures = PolicyFeatures(),
        relay: RelaySettings = RelaySettings()
    ) {
        var all = ClassSet.builtIn
        for (name, set) in classes { all[name] = set }
        self.classes = all
        self.features = features
        self.relay = relay
    }

    /// The members of a class (empty when the class is not defined).
    public func members(of name: String) -> ClassSet { classes[name] ?? ClassSet() }

    /// Adds words to a class (as `C{name}word …` in sendmail.cf or `.C{name}` in `-bt`).
    public mutating func add(_ words: [String], to name: String) {
        classes[name, default: ClassSet()].insert(contentsOf: words)
    }

    /// The configuration of the reference sendmail.cf the behaviour was recorded with: `TRUST_AUTH_MECH(PLAIN
    /// LOGIN)`, `RELAY_DOMAIN(relaydomain.example 10.77 IPv6:2001:db8:77)`, class w as on the reference host
    /// (`localhost [192.0.2.2] [127.0.0.1] vm.localdomain local.example`), no TLS_PERM_ERR, no access_db options.
    public static var reference: PolicyConfiguration {
        PolicyConfiguration(classes: [
            "w": ClassSet(["localhost", "[192.0.2.2]", "[127.0.0.1]", "vm.localdomain", "local.example"]),
            "R": ClassSet(["relaydomain.example", "10.77", "IPv6:2001:db8:77"]),
            "TrustAuthMech": ClassSet(["PLAIN", "LOGIN"]),
        ])
    }
}

/// Feature switches of the policy rulesets (m4 `define`s and FEATURE options of sendmail.cf).
public struct PolicyFeatures: Hashable, Sendable {
    /// `define(TLS_PERM_ERR)`: TLS requirement failures without `PERM+`/`TEMP+` answer `554 5.7.0` instead of
    /// `454 4.7.0`.
    public var tlsPermanentErrors: Bool
    /// access_db options `skip` and `lookupdotdomain` (the third, `relaytofulladdress`, is
    /// ``RelaySettings/relayToFullAddress``).
    public var accessLookup: AccessLookupOptions

    /// Creates feature switches (all off by default).
    public init(tlsPermanentErrors: Bool = false, accessLookup: AccessLookupOptions = []) {
        self.tlsPermanentErrors = tlsPermanentErrors
        self.accessLookup = accessLookup
    }
}

/// The words of a sendmail class, compared ASCII case-insensitively.
public struct ClassSet: Hashable, Sendable, ExpressibleByArrayLiteral {
    private var folded: Set<String>
    /// The words as added (first spelling kept).
    public private(set) var words: [String]

    /// An empty class.
    public init() {
        folded = []
        words = []
    }

    /// A class with these words.
    public init(_ words: [String]) {
        self.init()
        insert(contentsOf: words)
    }

    /// A class from a literal list.
    public init(arrayLiteral elements: String...) { self.init(elements) }

    /// Adds words (duplicates ignoring case are skipped).
    public mutating func insert(contentsOf words: [String]) {
        for word in words where !word.isEmpty {
            if folded.insert(Self.fold(word)).inserted { self.words.append(word) }
        }
    }

    /// Whether `word` is a member, ignoring ASCII case.
    public func contains(_ word: String) -> Bool {
        // Most words checked on the hot path (`OK`, `VERIFY`) are already folded or need folding: fold only
        // when there is an upper-case byte, so the common lower-case case allocates nothing.
        word.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A })
            ? folded.contains(Self.fold(word)) : folded.contains(word)
    }

    /// Whether the tokens, joined as a key, are a member (how `$=X` matches a single member such as
    /// `vm.localdomain` against `vm . localdomain`).
    public func contains(tokens: some Sequence<Token>) -> Bool { contains(tokens.keyText()) }

    /// The built-in classes of every sendmail.cf: `Tls` (`VERIFY ENCR`), `TlsVerified` (`OK TRUSTED`), `w`
    /// (`localhost`; sendmail adds the host's own names at start-up, the engine never does) and `P` (`.`, the
    /// canonical-name suffix).
    public static let builtIn: [String: ClassSet] = [
        "Tls": ["VERIFY", "ENCR"],
        "TlsVerified": ["OK", "TRUSTED"],
        "w": ["localhost"],
        "P": ["."],
    ]

    private static func fold(_ word: String) -> String {
        String(decoding: word.utf8.map(Token.asciiLowercased), as: UTF8.self)
    }
}
