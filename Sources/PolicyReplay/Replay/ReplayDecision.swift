public import RecordedSessions

/// Which recorded session a decision belongs to, in a few fields (the session itself is not kept).
public struct ReplaySessionInfo: Hashable, Sendable {
    /// 0-based order in which the log opened the session.
    public var sequenceNumber: Int
    /// sendmail or Postfix.
    public var source: RecordedSession.Source
    /// inbound or outbound.
    public var direction: RecordedSession.Direction
    /// The process id.
    public var pid: Int?
    /// First and last log line (1-based).
    public var firstLine: Int
    public var lastLine: Int
    /// The peer as sendmail would name it (`{client_name}` / `{server_name}`), if known.
    public var peer: String?
    /// The log lines were abridged by hand (`[...]`).
    public var isAbridged: Bool

    /// Summarises a session.
    public init(_ session: RecordedSession) {
        sequenceNumber = session.sequenceNumber
        source = session.source
        direction = session.direction
        pid = session.pid
        firstLine = session.firstLine
        lastLine = session.lastLine
        peer = session.peer?.sendmailHostName
        isAbridged = session.isAbridged
    }
}

/// The decision of one ruleset call of a recorded session, with its comparison against the log.
public struct ReplayDecision: Hashable, Sendable {
    /// The session.
    public var session: ReplaySessionInfo
    /// 0-based index of the step within the session.
    public var stepIndex: Int
    /// The call.
    public var step: PolicyStep
    /// What the policy decides (under ``Determination/emptyAssumption`` when undetermined).
    public var result: PolicyResult
    /// Whether the log's facts decide it.
    public var determination: Determination
    /// Whether it matches the log.
    public var agreement: Agreement
    /// Look-ups and rule, when explaining.
    public var explanation: PolicyExplanation?
}

/// All decisions of one session.
public struct ReplaySessionResult: Hashable, Sendable {
    /// The session.
    public var session: ReplaySessionInfo
    /// Its decisions in MTA order.
    public var decisions: [ReplayDecision]
}
