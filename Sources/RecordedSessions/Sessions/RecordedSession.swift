/// One SMTP connection rebuilt from a log: who the peer was, what TLS and AUTH gave, the envelopes, and what the
/// MTA was seen to do.
///
/// **Unknown is explicit.** Every fact the log does not carry is `nil` (or ``TLSState/unknown``,
/// ``AuthState/unknown``) and is never filled with a default. Where the log's silence is itself a fact it is
/// recorded as such: a sendmail server session (LogLevel ≥ 9) without a `STARTTLS=server` line had no TLS
/// (``TLSState/none``, i.e. `{verify}` empty), one without `AUTH=server` had no AUTH. Postfix never logs
/// sendmail's `{verify}`, so a Postfix TLS session has `verify == nil` (see ``TLSFacts/verify``).
public struct RecordedSession: Hashable, Sendable {
    /// Which MTA wrote the lines.
    public enum Source: String, Hashable, Sendable {
        case sendmail
        case postfix
    }

    /// The local MTA's role.
    public enum Direction: String, Hashable, Sendable {
        /// The local MTA received the connection (server side: tls_client, check_* rulesets apply).
        case inbound
        /// The local MTA delivered to another host (client side: tls_server applies).
        case outbound
    }

    /// Why the assembler handed the session out.
    public enum Completion: String, Hashable, Sendable {
        /// The log says the connection ended (Postfix `disconnect`, sendmail `did not issue`, `lost input`, a
        /// refusal at connection time).
        case closed
        /// No line touched the session within the idle window.
        case idle
        /// Pushed out because too many sessions were open (counted in ``ParseStatistics/sessionsEvicted``).
        case evicted
        /// A new connection started on the same process.
        case superseded
        /// The input ended.
        case endOfInput
    }

    /// Sessions are numbered in the order they were opened (0-based).
    public var sequenceNumber: Int
    public var source: Source
    public var direction: Direction
    /// The syslog host, `nil` for abridged lines.
    public var host: String?
    /// The process id that handled the connection.
    public var pid: Int?
    /// First and last log line (1-based) that contributed.
    public var firstLine: Int
    public var lastLine: Int
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    /// The client (inbound) or the server (outbound); `nil` when no line named it.
    public var peer: Relay?
    public var tls: TLSState
    public var auth: AuthState
    /// AUTH attempts that failed (mechanism when logged).
    public var authFailures: [String?]
    /// Decisions logged for the connection as a whole (check_relay, tls_client at STARTTLS, postfix:CONNECT, …).
    public var connectionDecisions: [RulesetDecision]
    /// Mail transactions in order (a connection may carry several).
    public var transactions: [MailTransaction]
    /// How the log says the connection ended, when it does.
    public var end: ConnectionEndRecord?
    public var completion: Completion
    /// Some lines were abridged by hand (an article's `[...]`): some values are placeholders such as
    /// `[local address]`.
    public var isAbridged: Bool

    init(
        sequenceNumber: Int,
        source: Source,
        direction: Direction,
        host: String?,
        pid: Int?,
        line: Int
    ) {
        self.sequenceNumber = sequenceNumber
        self.source = source
        self.direction = direction
        self.host = host
        self.pid = pid
        self.firstLine = line
        self.lastLine = line
        self.tls = .unknown
        self.auth = .unknown
        self.authFailures = []
        self.connectionDecisions = []
        self.transactions = []
        self.completion = .endOfInput
        self.isAbridged = false
    }

    /// All logged decisions: connection-level first, then each transaction's.
    public var allDecisions: [RulesetDecision] {
        connectionDecisions + transactions.flatMap(\.decisions)
    }

    /// The first logged reject/discard/quarantine, if any.
    public var firstDecision: RulesetDecision? { allDecisions.first }
}

/// Whether and how TLS was used in a session.
public enum TLSState: Hashable, Sendable {
    /// The log cannot tell whether STARTTLS happened (Postfix without TLS logging or command counters,
    /// abridged lines).
    case unknown
    /// Known: no STARTTLS in this session (sendmail server side: no `STARTTLS=server` line; sendmail client
    /// side: no `STARTTLS=client` line; Postfix: `disconnect` counters without `starttls=`).
    case none
    /// A handshake completed.
    case established(TLSFacts)
    /// A handshake was attempted and failed (`reason` as logged).
    case failed(reason: String?)

    /// The handshake facts, when TLS was established.
    public var facts: TLSFacts? {
        if case .established(let facts) = self { return facts }
        return nil
    }
}

/// What a completed handshake established.
public struct TLSFacts: Hashable, Sendable {
    /// `{tls_version}`.
    public var version: String?
    /// `{verify}` as sendmail logged it. **`nil` means unknown**: always so for Postfix, whose log has no
    /// equivalent (its trust word is in ``postfixTrust``), and for abridged lines without `verify=`.
    public var verify: String?
    /// `{cipher}`.
    public var cipher: String?
    /// `{cipher_bits}`.
    public var cipherBits: Int?
    /// `{alg_bits}`.
    public var algorithmBits: Int?
    /// `{cert_subject}` exactly as logged (OpenSSL one-line DN, xtext-encoded: `+20` for space). `""` = the
    /// peer sent no certificate (a `cert-subject=` line with an empty value); `nil` = not logged (LogLevel ≤ 11
    /// or Postfix). When only the plain-text `TLS cert verify:` line is present its depth-0 DN is xtext-encoded
    /// here and ``certificateSubjectFromVerifyLine`` is set.
    public var certificateSubject: String?
    /// `{cert_issuer}`, same form; `nil` when not logged.
    public var certificateIssuer: String?
    /// The subject came from the plain-text `TLS cert verify:` line, encoded by us.
    public var certificateSubjectFromVerifyLine: Bool
    /// OpenSSL's `verifymsg=` text.
    public var verifyMessage: String?
    /// The plain-text `TLS cert verify:` lines, in order.
    public var verifyDetails: [CertificateVerifyDetail]
    /// Postfix's trust word (`Anonymous`, `Untrusted`, `Trusted`, `Verified`); `nil` for sendmail.
    public var postfixTrust: PostfixTLSTrust?

    init(_ handshake: TLSHandshake) {
        version = handshake.version
        verify = handshake.verify
        cipher = handshake.cipher
        cipherBits = handshake.cipherBits
        algorithmBits = handshake.algorithmBits
        certificateSubjectFromVerifyLine = false
        verifyDetails = []
        postfixTrust = handshake.postfixTrust
    }
}

/// Whether SMTP AUTH succeeded in a session.
public enum AuthState: Hashable, Sendable {
    /// The log cannot tell.
    case unknown
    /// Known: no successful AUTH (sendmail LogLevel ≥ 9 logs every success; Postfix logs `sasl_method=` on the
    /// `client=` line of each accepted message).
    case none
    /// AUTH succeeded.
    case authenticated(AuthSuccess)

    /// The success record, if any.
    public var success: AuthSuccess? {
        if case .authenticated(let success) = self { return success }
        return nil
    }
}

/// One envelope: MAIL, its RCPTs, and what became of them.
public struct MailTransaction: Hashable, Sendable {
    /// The queue id; `nil` for Postfix `NOQUEUE` rejections and abridged lines.
    public var queueID: String?
    /// The sender as given, with angle brackets (`<a@b>`, `<>`); `nil` = not logged.
    public var sender: String?
    /// The `from=` line, when logged (only for accepted messages).
    public var senderRecord: SenderRecord?
    /// Recipients seen in the log, in order of first mention.
    public var recipients: [RecipientRecord]
    /// Decisions logged with this transaction's queue id (check_mail, check_rcpt, tls_server, …).
    public var decisions: [RulesetDecision]

    init(queueID: String?) {
        self.queueID = queueID
        self.recipients = []
        self.decisions = []
    }

    /// `nrcpts=`/`nrcpt=` from the `from=` line: how many recipients the MTA accepted; `nil` when not logged.
    public var acceptedRecipientCount: Int? { senderRecord?.recipientCount }

    /// Fewer recipients are known than were accepted (LogLevel < 15 does not log accepted RCPTs; local
    /// recipients may never get a `to=` line).
    public var recipientsIncomplete: Bool {
        guard let count = acceptedRecipientCount else { return true }
        return recipients.filter { $0.refusal == nil }.count < count
    }

    mutating func recipient(_ address: String) -> Int {
        if let index = recipients.firstIndex(where: { $0.address == address }) { return index }
        recipients.append(RecipientRecord(address: address))
        return recipients.count - 1
    }
}

/// One recipient and its fate.
public struct RecipientRecord: Hashable, Sendable {
    /// As logged, with angle brackets.
    public var address: String
    /// The refusal at RCPT time (`ruleset=check_rcpt … reject=`, Postfix `reject: RCPT`, sendmail
    /// `<x>... User unknown` as ruleset `""`), if logged.
    public var refusal: RulesetDecision?
    /// Delivery attempts (`to=` lines), in order.
    public var deliveries: [DeliveryRecord]

    init(address: String) {
        self.address = address
        self.deliveries = []
    }

    /// The last delivery status, if any was logged.
    public var lastDeliveryStatus: DeliveryStatus? { deliveries.last?.status }
}
