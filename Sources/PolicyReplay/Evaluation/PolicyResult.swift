import AccessMap
public import AccessPolicy

/// What a decision does to the SMTP session, in a closed vocabulary used for summaries, diffs and test files.
public enum DecisionKind: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Accepted (`OK`, a plain workspace, any result that is neither an error nor a discard).
    case accept
    /// Accepted for relaying (`RELAY`, `$# RELAY`).
    case relay
    /// Refused permanently (`$#error` with a 5xx reply).
    case reject
    /// Refused temporarily (`$#error` with a 4xx reply).
    case tempfail
    /// Accepted and thrown away (`$#discard`).
    case discard
    /// Accepted and quarantined (`$#error $@ quarantine $: reason`).
    case quarantine
    /// try_tls said not to issue STARTTLS.
    case skipTLS = "skip-tls"

    /// Whether the MTA goes on with the session (accept, relay, discard, quarantine, skip-tls).
    public var continues: Bool {
        switch self {
        case .reject, .tempfail: return false
        case .accept, .relay, .discard, .quarantine, .skipTLS: return true
        }
    }

    public static func < (lhs: DecisionKind, rhs: DecisionKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The result of one ruleset call, normalised across the TLS and the relay rulesets.
///
/// ``line`` is the exact `sendmail -bt` contract line (`$#error $@ 4.7.0 $: 454 authentication failed`, `OK`);
/// ``summary`` is what a person reads (`454 4.7.0 authentication failed`, `OK`, `RELAY`, `discard`).
public struct PolicyResult: Hashable, Sendable, CustomStringConvertible {
    /// The decision class.
    public var kind: DecisionKind
    /// The `-bt` contract line.
    public var line: String
    /// The SMTP reply for a refusal (reject, tempfail) or the reason of a skip-tls; `nil` otherwise.
    public var reply: SMTPReply?
    /// The quarantine reason.
    public var quarantineReason: String?

    /// Creates a result.
    public init(kind: DecisionKind, line: String, reply: SMTPReply? = nil, quarantineReason: String? = nil) {
        self.kind = kind
        self.line = line
        self.reply = reply
        self.quarantineReason = quarantineReason
    }

    /// Reads a TLS-ruleset result (``AccessPolicy/RulesetResult``).
    ///
    /// - Parameters:
    ///   - result: The ruleset's result.
    ///   - ruleset: The ruleset that produced it (try_tls errors mean "do not issue STARTTLS").
    public init(_ result: RulesetResult, ruleset: PolicyRuleset) {
        let line = result.testModeLine
        switch result {
        case .resolved(let mailer, let host, let text):
            let name = mailer.assembledText()
            let hostText = host?.assembledText()
            let textText = text?.assembledText() ?? ""
            self.init(mailer: name, host: hostText, text: textText, line: line, ruleset: ruleset)
        case .workspace(let tokens):
            self.init(workspace: tokens, line: line)
        }
    }

    private init(mailer: String, host: String?, text: String, line: String, ruleset: PolicyRuleset) {
        if Token.asciiCaseInsensitiveEqual(mailer, "error") {
            if let host, Token.asciiCaseInsensitiveEqual(host, "quarantine") {
                self.init(kind: .quarantine, line: line, quarantineReason: text)
                return
            }
            let reply = SMTPReply(errorHost: host, text: text)
            if ruleset == .tryTLS {
                self.init(kind: .skipTLS, line: line, reply: reply)
            } else {
                self.init(kind: reply.isTemporary ? .tempfail : .reject, line: line, reply: reply)
            }
        } else if Token.asciiCaseInsensitiveEqual(mailer, "discard") {
            self.init(kind: .discard, line: line)
        } else if Token.asciiCaseInsensitiveEqual(mailer, "RELAY") {
            self.init(kind: .relay, line: line)
        } else {
            self.init(kind: .accept, line: line)
        }
    }

    private init(workspace tokens: [Token], line: String) {
        if tokens.count == 1, tokens[0].matches("RELAY") {
            self.init(kind: .relay, line: line)
        } else {
            self.init(kind: .accept, line: line)
        }
    }

    /// What a person reads: the reply for refusals, `OK`/`RELAY`/other words for acceptances,
    /// `discard`, `quarantine: reason`, `no STARTTLS`.
    public var summary: String {
        switch kind {
        case .reject, .tempfail: return reply.map(String.init(describing:)) ?? line
        case .relay: return "RELAY"
        case .accept: return line.hasPrefix("$#") ? line : line
        case .discard: return "discard"
        case .quarantine: return "quarantine: \(quarantineReason ?? "")"
        case .skipTLS: return "no STARTTLS"
        }
    }

    public var description: String { summary }
}
