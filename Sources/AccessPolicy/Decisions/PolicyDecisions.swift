import AccessMap

/// What an MTA does after a TLS requirement check (tls_client, tls_server, tls_rcpt).
public enum TLSPolicyDecision: Hashable, Sendable {
    /// Go on.
    case accept
    /// Refuse with this reply (for tls_client at STARTTLS: refuse every later command but NOOP/QUIT; at MAIL:
    /// refuse MAIL; tls_server: QUIT and defer (4xx) or bounce (5xx); tls_rcpt: skip that recipient).
    case reject(SMTPReply)

    /// Reads a ruleset result: only `$#error` rejects.
    public init(_ result: RulesetResult) {
        if result.isError {
            self = .reject(SMTPReply(errorHost: result.host, text: result.text ?? ""))
        } else {
            self = .accept
        }
    }
}

/// Whether the client should issue STARTTLS to a server (try_tls).
public enum TryTLSDecision: Hashable, Sendable {
    /// Issue STARTTLS.
    case tryTLS
    /// Do not issue STARTTLS (continue in clear; `{verify}` becomes `NONE`): an entry said `NO`, or the map
    /// failed temporarily (`451 4.3.0`).
    case skipTLS(SMTPReply)

    /// Reads a ruleset result.
    public init(_ result: RulesetResult) {
        if result.isError {
            self = .skipTLS(SMTPReply(errorHost: result.host, text: result.text ?? ""))
        } else {
            self = .tryTLS
        }
    }
}

/// Per-connection feature changes from srv_features / clt_features.
public enum FeaturesDecision: Hashable, Sendable {
    /// No entry: keep the defaults.
    case unchanged
    /// Feature letters (only the first character of each word counts; upper case turns a feature off, lower
    /// case on — `A` no AUTH, `S` no STARTTLS, `V` no client certificate request, …).
    case features([Character])
    /// The map failed temporarily: a server answers every command `450 4.3.0`; a client skips the host.
    case temporaryFailure

    /// Reads a ruleset result.
    public init(_ result: RulesetResult) {
        guard let mailer = result.mailer else {
            self = .unchanged
            return
        }
        let words = mailer.split(whereSeparator: { $0 == " " })
        if let first = words.first, first.lowercased().hasPrefix("temp") {
            self = .temporaryFailure
            return
        }
        self = .features(words.compactMap(\.first))
    }
}

/// Whether a verified client certificate allows relaying (RelayTLS).
public enum RelayTLSDecision: Hashable, Sendable {
    /// `CERTISSUER:`/`CERTSUBJECT:` entries allow relaying.
    case relay
    /// No relaying by certificate (not verified, no entry, or another value).
    case noRelay

    /// Reads a ruleset result.
    public init(_ result: RulesetResult) {
        self = result.mailer.map { Token.asciiCaseInsensitiveEqual($0, "RELAY") } == true ? .relay : .noRelay
    }
}

/// Whether the authenticated user may submit for the `AUTH=` identity of MAIL (trust_auth).
public enum TrustAuthDecision: Hashable, Sendable {
    /// The identities are the same: keep the `AUTH=` parameter.
    case trusted
    /// Not allowed: the MTA replaces `AUTH=` with `<>` and logs this reply (MAIL itself still succeeds).
    case rejected(SMTPReply)

    /// Reads a ruleset result.
    public init(_ result: RulesetResult) {
        if result.isError {
            self = .rejected(SMTPReply(errorHost: result.host, text: result.text ?? ""))
        } else {
            self = .trusted
        }
    }
}

/// A general reading of any policy ruleset's result, for rulesets without a more specific decision type.
public enum PolicyDecision: Hashable, Sendable {
    /// Accept (any result other than the ones below).
    case accept
    /// `RELAY` or `$#RELAY`.
    case relay
    /// `$#error` with a reply.
    case reject(SMTPReply)
    /// `$#error $@ quarantine $: reason`: accept and quarantine.
    case quarantine(reason: String)
    /// `$#discard`: accept and discard.
    case discard

    /// Reads a ruleset result.
    public init(_ result: RulesetResult) {
        switch result {
        case .workspace(let tokens):
            self = tokens.count == 1 && tokens[0].matches("RELAY") ? .relay : .accept
        case .resolved:
            if result.isDiscard {
                self = .discard
            } else if result.isError {
                if let host = result.host, Token.asciiCaseInsensitiveEqual(host, "quarantine") {
                    self = .quarantine(reason: result.text ?? "")
                } else {
                    self = .reject(SMTPReply(errorHost: result.host, text: result.text ?? ""))
                }
            } else if let mailer = result.mailer, Token.asciiCaseInsensitiveEqual(mailer, "RELAY") {
                self = .relay
            } else {
                self = .accept
            }
        }
    }
}
