/// Which side of the TLS handshake or SMTP AUTH the local MTA was on.
public enum ConnectionSide: String, Hashable, Sendable {
    /// The local MTA accepted the connection (`STARTTLS=server`, Postfix `smtpd`): an inbound session.
    case server
    /// The local MTA connected out (`STARTTLS=client`, Postfix `smtp`): an outbound session.
    case client
}

/// Postfix's own classification of a TLS peer (the first word of its TLS log line).
///
/// This is **not** sendmail's `{verify}`: Postfix decides trust with its own CA settings and policy (and on the
/// server side only asks for client certificates when `smtpd_tls_ask_ccert` is set), so `Anonymous` may mean "no
/// certificate was asked for" (sendmail `NOT`) or "none was sent" (`NO`), and `Untrusted` may be any chain error.
public enum PostfixTLSTrust: String, Hashable, Sendable {
    case anonymous = "Anonymous"
    case untrusted = "Untrusted"
    case trusted = "Trusted"
    case verified = "Verified"
    /// Postfix before 2.11 wrote only `TLS connection established` without a trust word.
    case unstated = ""
}

/// A completed TLS handshake.
public struct TLSHandshake: Hashable, Sendable {
    /// Server side (inbound) or client side (outbound).
    public var side: ConnectionSide
    /// The peer, when the line names it (`nil` in an abridged line).
    public var peer: Relay?
    /// `{tls_version}`, e.g. `TLSv1.3`; `nil` when the line does not give it.
    public var version: String?
    /// `{verify}` as sendmail logged it (`OK`, `FAIL`, `NO`, …). Always `nil` for Postfix, which does not log it.
    public var verify: String?
    /// `{cipher}`.
    public var cipher: String?
    /// `{cipher_bits}`: the second number of sendmail's `bits=alg/cipher`, the first of Postfix's `(256/256 bits)`.
    public var cipherBits: Int?
    /// `{alg_bits}`: the first number of sendmail's `bits=`, the second of Postfix's.
    public var algorithmBits: Int?
    /// Postfix's trust word; `nil` for sendmail.
    public var postfixTrust: PostfixTLSTrust?

    /// Builds a handshake record.
    public init(
        side: ConnectionSide,
        peer: Relay?,
        version: String?,
        verify: String?,
        cipher: String?,
        cipherBits: Int?,
        algorithmBits: Int?,
        postfixTrust: PostfixTLSTrust? = nil
    ) {
        self.side = side
        self.peer = peer
        self.version = version
        self.verify = verify
        self.cipher = cipher
        self.cipherBits = cipherBits
        self.algorithmBits = algorithmBits
        self.postfixTrust = postfixTrust
    }
}

/// sendmail's `STARTTLS=side, cert-subject=…, cert-issuer=…, verifymsg=…` (LogLevel > 11).
public struct CertificateNames: Hashable, Sendable {
    public var side: ConnectionSide
    /// `{cert_subject}` exactly as logged: OpenSSL one-line form, xtext-encoded; empty when no certificate.
    public var subject: String?
    /// `{cert_issuer}`, same form.
    public var issuer: String?
    /// OpenSSL's verification text (`ok`, `self-signed certificate`, …).
    public var verifyMessage: String?
}

/// sendmail's `STARTTLS: TLS cert verify: depth=0 /C=…/CN=…, state=0, reason=…` (LogLevel > 13).
///
/// The distinguished name here is **plain text** (not xtext); ``XText/encode(_:)`` turns it into the macro form.
public struct CertificateVerifyDetail: Hashable, Sendable {
    public var depth: Int
    public var subjectPlain: String
    public var state: Int?
    public var reason: String?
}

/// Successful SMTP AUTH.
public struct AuthSuccess: Hashable, Sendable {
    public var side: ConnectionSide
    public var peer: Relay?
    /// `{auth_authen}` as logged (sendmail: xtext, cut at 128 characters; Postfix `sasl_username`, plain).
    public var authenticatedID: String?
    /// `{auth_type}`: `PLAIN`, `LOGIN`, `EXTERNAL`, ….
    public var mechanism: String?
    /// `{auth_ssf}` (sendmail `bits=`); `nil` when not logged.
    public var securityStrength: Int?
}

/// What the MTA did at a ruleset or SMTP stage.
public enum ObservedAction: Hashable, Sendable {
    /// `reject=<reply>` (sendmail) or Postfix's `reject: … : <reply>`.
    case reject(reply: String)
    /// `discard`.
    case discard
    /// `quarantine=<reason>`.
    case quarantine(reason: String)
}

/// A logged ruleset decision (`ruleset=check_rcpt, arg1=…, relay=…, reject=…`) or a Postfix `reject:` line.
public struct RulesetDecision: Hashable, Sendable {
    /// sendmail: the ruleset name (`check_relay`, `check_mail`, `check_rcpt`, `tls_client`, `tls_server`, …).
    /// Postfix: `postfix:` plus the SMTP stage (`postfix:RCPT`, `postfix:CONNECT`).
    public var ruleset: String
    public var arg1: String?
    public var arg2: String?
    public var peer: Relay?
    public var action: ObservedAction
    /// Postfix only: the envelope from the line's trailer (`from=<…> to=<…> proto=… helo=<…>`).
    public var sender: String?
    public var recipient: String?
    public var helo: String?
}

/// A `from=` line: the envelope of an accepted message.
public struct SenderRecord: Hashable, Sendable {
    /// As logged, with angle brackets (`<a@b>`, `<>`).
    public var sender: String
    public var size: Int?
    /// `nrcpts=` (sendmail) / `nrcpt=` (Postfix qmgr): accepted recipients.
    public var recipientCount: Int?
    public var protocolName: String?
    public var daemon: String?
    public var peer: Relay?
    public var messageID: String?
}

/// How a delivery attempt ended.
public enum DeliveryStatus: String, Hashable, Sendable {
    /// Delivered (`stat=Sent`, `status=sent`, DSN 2.x.x).
    case sent
    /// Temporary failure, will retry (`stat=Deferred`, `status=deferred`, DSN 4.x.x).
    case deferred
    /// Permanent failure (`status=bounced`, sendmail DSN 5.x.x such as `User unknown`).
    case bounced
    /// Queued for later (`stat=queued`).
    case queued
    /// Anything else.
    case other
}

/// A `to=` line: one delivery attempt for one or more recipients.
public struct DeliveryRecord: Hashable, Sendable {
    /// Recipients as logged, with angle brackets; sendmail may list several (`to=<a>,<b>`).
    public var recipients: [String]
    /// `mailer=` (sendmail) or the delivering Postfix program (`smtp`, `local`, `lmtp`, `virtual`, …).
    public var mailer: String?
    public var peer: Relay?
    public var dsn: String?
    public var status: DeliveryStatus
    /// The status text: sendmail `stat=` after the status word, Postfix text in parentheses.
    public var statusText: String?

    /// The delivery went over SMTP to another host (an outbound connection), as opposed to a local mailer.
    public var isRemote: Bool {
        if let mailer, Self.localMailers.contains(mailer) { return false }
        guard let peer else { return false }
        return peer.address != nil || peer.addressBlanked
            || (peer.name.map { $0.contains(".") } ?? false)
    }

    static let localMailers: Set<String> = [
        "local", "prog", "procmail", "cyrus", "cyrusv2", "discard", "*file*", "*include*", "virtual",
        "lmtp",
        "pipe", "error",
    ]
}

/// How an SMTP connection ended, when the log says so.
public enum ConnectionEnd: String, Hashable, Sendable {
    /// `did not issue MAIL/EXPN/VRFY/ETRN during connection` (sendmail).
    case noMailCommand = "did not issue MAIL"
    /// `lost input channel … after …` (sendmail), `lost connection after …` (Postfix).
    case lostConnection = "lost connection"
    /// `timeout waiting for input …` (sendmail), `timeout after …` (Postfix).
    case timeout
    /// Postfix `disconnect from …`.
    case disconnect
}

/// The end of a connection as logged.
public struct ConnectionEndRecord: Hashable, Sendable {
    public var queueID: String?
    public var kind: ConnectionEnd
    public var peer: Relay?
    /// The last SMTP command (`after rcpt`, `after AUTH`, `during server cmd read`).
    public var afterCommand: String?
    /// Postfix's command counters on `disconnect from` (`starttls=1`): how often STARTTLS was issued; `nil` when
    /// the line has no counters (Postfix before 3.0, or another kind of end).
    public var startTLSCount: Int?
    /// Postfix's `auth=` counter (successful AUTH commands), `0` when counters are present without it.
    public var authCount: Int?
    /// Postfix's `disconnect` counters were present (so a missing `starttls=` means STARTTLS was never issued).
    public var hasCommandCounters: Bool

    public init(
        queueID: String? = nil,
        kind: ConnectionEnd,
        peer: Relay?,
        afterCommand: String? = nil,
        startTLSCount: Int? = nil,
        authCount: Int? = nil,
        hasCommandCounters: Bool = false
    ) {
        self.authCount = authCount
        self.queueID = queueID
        self.kind = kind
        self.peer = peer
        self.afterCommand = afterCommand
        self.startTLSCount = startTLSCount
        self.hasCommandCounters = hasCommandCounters
    }
}

/// One parsed log message.
public enum LogEvent: Hashable, Sendable {
    /// A TLS handshake completed (sendmail `STARTTLS=side, relay=…, version=…`, Postfix `… TLS connection
    /// established from|to …`).
    case tlsEstablished(TLSHandshake)
    /// sendmail's certificate names line.
    case tlsCertificate(CertificateNames)
    /// sendmail's plain-text `TLS cert verify:` line.
    case tlsVerifyDetail(CertificateVerifyDetail)
    /// A handshake that failed (`STARTTLS=server, error: accept failed=…`); `reason` is OpenSSL's text.
    case tlsFailed(side: ConnectionSide?, peer: Relay?, reason: String?)
    /// Successful AUTH (sendmail `AUTH=server|client, …`; Postfix `client=…, sasl_method=…` is ``clientBound``).
    case authenticated(AuthSuccess)
    /// Failed AUTH (`AUTH failure (LOGIN): …`, Postfix `SASL LOGIN authentication failed`).
    case authFailed(mechanism: String?, peer: Relay?)
    /// A ruleset or SMTP-stage rejection, discard or quarantine.
    case decision(queueID: String?, RulesetDecision)
    /// A recipient refused without a ruleset line (sendmail `<x@y>... User unknown`).
    case recipientRefused(queueID: String?, recipient: String, reply: String)
    /// `from=` line (no queue id only in abridged lines).
    case sender(queueID: String?, SenderRecord)
    /// `to=` line (no queue id only in abridged lines).
    case delivery(queueID: String?, DeliveryRecord)
    /// Postfix `connect from name[addr]`: a new inbound connection.
    case connected(peer: Relay)
    /// The connection ended.
    case connectionEnded(ConnectionEndRecord)
    /// Postfix smtpd `QID: client=name[addr][, sasl_method=…, sasl_username=…]`: the queue id belongs to this
    /// connection.
    case clientBound(queueID: String, peer: Relay, sasl: AuthSuccess?)
    /// Postfix `postfix/smtp` could not connect, or sendmail `SMTP outgoing connect` (a client connection starts).
    case outgoingConnection(queueID: String?, peer: Relay?)
    /// A message left the queue (Postfix `removed`).
    case queueRemoved(queueID: String)
}
