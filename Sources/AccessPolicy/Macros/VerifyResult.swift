import AccessMap

/// The value of `{verify}`: what became of certificate verification and STARTTLS in this session.
///
/// Every value sendmail 8.17.1.9 sets has a case; anything else is kept verbatim in ``other(_:)``. The rulesets
/// compare these words ASCII case-insensitively (`ok` is ``ok``), and so does ``init(macroValue:)``; the
/// original spelling stays available through ``macroValue`` only for ``other(_:)``.
public enum VerifyResult: Hashable, Sendable, CustomStringConvertible {
    /// `OK`: certificate presented and verified.
    case ok
    /// `TRUSTED`: DANE verification succeeded (client side).
    case trusted
    /// `NO`: no certificate presented although one was requested.
    case no
    /// `NOT`: no certificate requested.
    case notRequested
    /// `FAIL`: certificate presented but not verifiable (e.g. self-signed).
    case fail
    /// `NONE`: STARTTLS not performed (client side).
    case none
    /// `CLEAR`: retrying in clear after a failed handshake.
    case clear
    /// `TEMP`: temporary error in STARTTLS.
    case temporary
    /// `PROTOCOL`: SMTP-level STARTTLS error.
    case protocolError
    /// `SOFTWARE`: handshake failed.
    case software
    /// `CONFIG`: bad TLS configuration from tls_*_features.
    case configuration
    /// `DANE_FAIL`: DANE check failed.
    case daneFailure
    /// `FAILURE`: any other STARTTLS error (client side).
    case failure
    /// Any other text, verbatim.
    case other(String)

    private static let table: [(VerifyResult, String)] = [
        (.ok, "OK"), (.trusted, "TRUSTED"), (.no, "NO"), (.notRequested, "NOT"), (.fail, "FAIL"), (.none, "NONE"),
        (.clear, "CLEAR"), (.temporary, "TEMP"), (.protocolError, "PROTOCOL"), (.software, "SOFTWARE"),
        (.configuration, "CONFIG"), (.daneFailure, "DANE_FAIL"), (.failure, "FAILURE"),
    ]

    /// Reads a `{verify}` value (ASCII case-insensitive for the known words).
    public init(macroValue: String) {
        for (result, word) in Self.table where Token.asciiCaseInsensitiveEqual(word, macroValue) {
            self = result
            return
        }
        self = .other(macroValue)
    }

    /// The word sendmail stores (`OK`, `DANE_FAIL`, …), or the verbatim text of ``other(_:)``.
    public var macroValue: String {
        if case .other(let text) = self { return text }
        return Self.table.first { $0.0 == self }!.1
    }

    /// `OK` or `TRUSTED`: the peer's certificate was verified (what `VERIFY` requirements and RelayTLS ask for).
    public var isVerified: Bool { self == .ok || self == .trusted }

    public var description: String { macroValue }
}
