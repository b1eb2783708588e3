/// What became of one log line.
public enum LineClassification: Hashable, Sendable {
    /// The line carries a fact about a session.
    case event(LogEvent)
    /// The line is well-formed but says nothing the replay needs.
    case ignored(IgnoredReason)
    /// The line could not be understood. It is counted, never silently dropped.
    case unparseable(UnparseableReason)
}

/// Why a well-formed line was set aside.
public enum IgnoredReason: String, Hashable, Sendable, CaseIterable {
    /// Another program than sendmail (`sendmail`, `sm-mta`, `sm-msp-queue`) or Postfix (`postfix/…`).
    case otherProgram = "other program"
    /// syslogd's own lines (`last message repeated N times`, `-- MARK --`).
    case syslogNotice = "syslog notice"
    /// A sendmail or Postfix message that has no bearing on session macros (daemon start, alias rebuilds,
    /// message-ids, queue runs, …).
    case unrelatedMessage = "unrelated message"
    /// TLS diagnostics (`STARTTLS=client, init=1`, `info:`, missing-file notices, OpenSSL error stacks).
    case tlsDiagnostics = "TLS diagnostics"
    /// SMTP commands and replies echoed at LogLevel ≥ 15 (`<-- AUTH PLAIN …`, `--- 250 …`). Never echoed back:
    /// they may carry credentials.
    case smtpCommandEcho = "SMTP command echo"
    /// Postfix `warning:` / `reject_warning:` lines other than failed AUTH.
    case warning = "warning"
    /// An empty line.
    case empty = "empty line"
}

/// Why a line could not be parsed.
public enum UnparseableReason: String, Hashable, Sendable, CaseIterable {
    /// Mostly control characters or undecodable bytes.
    case binaryGarbage = "binary garbage"
    /// No syslog timestamp at the start.
    case noSyslogHeader = "no syslog header"
    /// A timestamp but the host or tag is missing.
    case truncatedHeader = "truncated syslog header"
    /// A recognised sendmail message with required fields missing (cut short).
    case truncatedSendmail = "truncated sendmail message"
    /// A recognised sendmail message with a malformed field (a non-number in `bits=`, a bad `relay=`).
    case malformedSendmail = "malformed sendmail message"
    /// A recognised Postfix message cut short.
    case truncatedPostfix = "truncated Postfix message"
    /// A recognised Postfix message with a malformed part.
    case malformedPostfix = "malformed Postfix message"
}
