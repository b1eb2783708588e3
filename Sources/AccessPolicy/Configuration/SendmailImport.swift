/// Translates a sendmail m4 configuration (`sendmail.mc`) or a generated `sendmail.cf` into a ``ConfigFile``.
///
/// Only what changes `check_relay`, `check_mail` and `check_rcpt` (and the TLS rulesets' error codes) is
/// translated. Every other line is named in ``notes`` with the reason it was not translated, so an administrator
/// can see what the engine does not reproduce (for example `FEATURE(dnsbl)` or `FEATURE(greet_pause)`).
///
/// Class files that the configuration names (`FEATURE(use_cw_file)`'s local-host-names, the relay-domains file
/// read by every cf, `RELAY_DOMAIN_FILE`) are read through the `readFile` closure, as sendmail reads them at
/// start-up; a missing file is skipped silently when sendmail would skip it (`-o`).
public struct SendmailImport: Sendable {
    /// One line of the source and what the importer did with it.
    public struct Note: Hashable, Sendable, CustomStringConvertible {
        /// What happened to a line.
        public enum Kind: String, Hashable, Sendable {
            /// Turned into configuration.
            case translated
            /// Understood, and without effect on the access rulesets.
            case ignored
            /// Not understood, or understood but not reproduced by the engine: decisions may differ.
            case notTranslated = "not translated"
        }
        /// 1-based line number in the file the line came from.
        public var line: Int
        /// The line (or macro call) as written.
        public var text: String
        /// What the importer did.
        public var kind: Kind
        /// Why, in a few words.
        public var reason: String

        public var description: String { "line \(line): \(kind.rawValue): \(text) — \(reason)" }
    }

    /// The resulting configuration.
    public var configuration: ConfigFile
    /// What happened to each non-comment line.
    public var notes: [Note]
    /// The access map source named by `FEATURE(access_db)` (a makemap text file path without `.db`), if any.
    public var accessMapSource: String?

    /// Lines that were not translated (the ones decisions may depend on).
    public var notTranslated: [Note] { notes.filter { $0.kind == .notTranslated } }
}
