import AccessPolicy

/// A policy test file: an access map, an optional configuration, and sessions with the decision expected from
/// each ruleset. The YAML form is documented in `docs/policy-tests.md`; the same values can be built in Swift.
///
/// ```swift
/// let file = PolicyTestFile(
///     map: .text("TLS_Clt:desktop.example.net VERIFY:80\n"),
///     sessions: [
///         PolicyTestSession(
///             name: "unverified desktop",
///             macros: ["client_name": "desktop.example.net", "client_addr": "192.0.2.10", "verify": "NO"],
///             expectations: [PolicyExpectation("tls_client STARTTLS", "454 4.7.0 not authenticated")]
///         )
///     ]
/// )
/// for result in try PolicyTestRunner().run(file) { #expect(result.passed, "\(result)") }
/// ```
public struct PolicyTestFile: Hashable, Sendable {
    /// Where the access map comes from.
    public enum MapSource: Hashable, Sendable {
        /// makemap text held in the file (built in memory).
        case text(String)
        /// A file: makemap text, or a GDBM map when the name ends in `.db`; relative to ``directory``.
        case path(String)
    }

    /// Where the configuration comes from.
    public enum ConfigSource: Hashable, Sendable {
        /// The baseline configuration.
        case baseline
        /// A configuration file (`docs/configuration.md`), relative to ``directory``.
        case path(String)
        /// Configuration YAML held in the test file.
        case yaml(String)
    }

    /// The file's path (for messages); `nil` when built in Swift.
    public var path: String?
    /// The directory relative paths are resolved against (`nil`: the current directory).
    public var directory: String?
    /// A sentence about what the file shows.
    public var description: String?
    /// The access map.
    public var map: MapSource
    /// The configuration.
    public var config: ConfigSource
    /// The sessions.
    public var sessions: [PolicyTestSession]

    /// Creates a test file in Swift.
    public init(
        map: MapSource,
        config: ConfigSource = .baseline,
        description: String? = nil,
        sessions: [PolicyTestSession],
        directory: String? = nil
    ) {
        self.map = map
        self.config = config
        self.description = description
        self.sessions = sessions
        self.directory = directory
    }

    /// Resolves a path against ``directory``.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let directory, !directory.isEmpty else { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}

/// One session to test: macros (a hand-written session) or sessions read from a log, and the expectations.
public struct PolicyTestSession: Hashable, Sendable {
    /// Where the session's facts come from.
    public enum Source: Hashable, Sendable {
        /// Macros given in the test; the calls are built from them (see ``PolicyExpectation``).
        case macros([String: String])
        /// Sessions rebuilt from a log (relative to the file's directory); `session` selects one by its
        /// sequence number, `nil` = every session in the log.
        case log(path: String, session: Int?)
    }

    /// The test's name.
    public var name: String
    /// Where the facts come from.
    public var source: Source
    /// Facts the log lacks, supplied as stated assumptions (macro → value); applied to every call.
    public var assume: [String: String]
    /// The expected decisions.
    public var expectations: [PolicyExpectation]

    /// A session from macros.
    public init(name: String, macros: [String: String], expectations: [PolicyExpectation]) {
        self.name = name
        self.source = .macros(macros)
        self.assume = [:]
        self.expectations = expectations
    }

    /// Sessions from a log.
    public init(
        name: String,
        log path: String,
        session: Int? = nil,
        assume: [String: String] = [:],
        expectations: [PolicyExpectation]
    ) {
        self.name = name
        self.source = .log(path: path, session: session)
        self.assume = assume
        self.expectations = expectations
    }
}

/// One expected decision: which call (`RULESET [ARGUMENT]`) and what it must decide.
///
/// The call: `tls_client STARTTLS` / `tls_client MAIL` (phase; default MAIL), `check_relay` (from
/// `{client_name}`/`{client_addr}`) or `check_relay NAME $| ADDR`, `check_mail <a@b>`, `check_rcpt <a@b>`,
/// `tls_rcpt <a@b>`, `tls_server`, `try_tls`, `RelayTLS`. For sessions from a log, `RULESET` alone means every
/// such call of the session, and an argument selects the calls with that argument (recipient, sender, phase).
///
/// The decision: `OK`/`accept`, `RELAY`/`relay`, `reject`, `tempfail`, `refuse` (reject or tempfail),
/// `discard`, `quarantine`, `skip-tls`; a reply (`454 4.7.0 not authenticated`, compared whole); or a `-bt` line
/// (`$#error $@ 4.7.0 $: 454 not authenticated`).
public struct PolicyExpectation: Hashable, Sendable {
    /// The call, as written (`tls_client STARTTLS`).
    public var call: String
    /// The expected decision, as written.
    public var expected: String

    /// Creates an expectation.
    public init(_ call: String, _ expected: String) {
        self.call = call
        self.expected = expected
    }

    /// The ruleset name (first word of ``call``).
    public var ruleset: String { String(call.split(separator: " ", maxSplits: 1).first ?? "") }

    /// The argument text after the ruleset name, if any.
    public var argument: String? {
        let parts = call.split(separator: " ", maxSplits: 1)
        return parts.count > 1 ? String(parts[1]).trimmingSpaces() : nil
    }

    /// Whether a result satisfies the expectation.
    public func matches(_ result: PolicyResult) -> Bool {
        let e = expected.trimmingSpaces()
        if e.hasPrefix("$#") { return result.line == e }
        switch e.lowercased() {
        case "ok", "accept": return result.kind == .accept
        case "relay": return result.kind == .relay
        case "reject": return result.kind == .reject
        case "tempfail": return result.kind == .tempfail
        case "refuse": return result.kind == .reject || result.kind == .tempfail
        case "discard": return result.kind == .discard
        case "quarantine": return result.kind == .quarantine
        case "skip-tls": return result.kind == .skipTLS
        default: break
        }
        if let reply = result.reply, !result.kind.continues || result.kind == .skipTLS {
            return reply.description == e
        }
        return result.summary == e || result.line == e
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// A policy test file that cannot be read; `line`/`column` 1-based, 0 when unknown.
public struct PolicyTestFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// Position.
    public var line: Int
    public var column: Int
    /// What is wrong.
    public var reason: String

    /// Creates an error.
    public init(path: String, line: Int = 0, column: Int = 0, reason: String) {
        self.path = path
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `FILE:LINE:COLUMN: reason`.
    public var description: String { line > 0 ? "\(path):\(line):\(column): \(reason)" : "\(path): \(reason)" }
}
