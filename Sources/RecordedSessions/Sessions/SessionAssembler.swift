/// Groups parsed lines into ``RecordedSession``s as they stream past, in bounded memory.
///
/// Lines are grouped by process — (host, pid) for the SMTP server or client process — and by queue id, which
/// links a message's `from=` and `to=` lines written by other processes (sendmail's delivery children, Postfix's
/// `qmgr`, `smtp`, `local`) to the connection that received it. Server-side and client-side facts of one process
/// are kept apart (a sendmail delivering in the foreground is both).
///
/// A session is handed to the `emit` closure as soon as it is complete: the log says the connection ended
/// (Postfix `disconnect`, sendmail `did not issue`, `lost input channel`, `timeout waiting`), a new connection
/// starts on the same process, or no line has touched it for ``Options/idleLines`` lines. At most
/// ``Options/maximumOpenSessions`` are open; beyond that the least recently touched is handed out early and
/// counted in ``ParseStatistics/sessionsEvicted``. Memory is therefore bounded by the options, not by the log.
public struct SessionAssembler {
    /// Tuning and assumptions.
    public struct Options: Hashable, Sendable {
        /// Most sessions open at once.
        public var maximumOpenSessions: Int
        /// A session no line has touched for this many lines is complete.
        public var idleLines: Int
        /// The sendmail logs were written with LogLevel ≥ 9 (the default), so every completed handshake
        /// (`STARTTLS=…`) and every successful AUTH (`AUTH=server`) is logged and their absence is a fact.
        /// Set to `false` for logs written with a lower LogLevel: TLS and AUTH then stay unknown.
        public var sendmailLogsTLSAndAuth: Bool

        /// Defaults: 10,000 open sessions, 5,000 lines idle window, sendmail LogLevel ≥ 9.
        public init(
            maximumOpenSessions: Int = 10_000,
            idleLines: Int = 5_000,
            sendmailLogsTLSAndAuth: Bool = true
        ) {
            precondition(maximumOpenSessions > 0 && idleLines > 0)
            self.maximumOpenSessions = maximumOpenSessions
            self.idleLines = idleLines
            self.sendmailLogsTLSAndAuth = sendmailLogsTLSAndAuth
        }
    }

    private struct ProcessKey: Hashable {
        var host: String?
        var pid: Int?
        var source: RecordedSession.Source
        var direction: RecordedSession.Direction
    }

    private struct QueueKey: Hashable {
        var host: String?
        var queueID: String
    }

    private struct Slot {
        var session: RecordedSession
        var process: ProcessKey
        var queues: [QueueKey] = []
        var lastTouch: Int
        var pendingVerify: [CertificateVerifyDetail] = []
    }

    public let options: Options
    /// Counts of sessions emitted, evicted, idle-closed and unattached events.
    public private(set) var statistics = ParseStatistics()
    private var open: [Int: Slot] = [:]
    private var byProcess: [ProcessKey: Int] = [:]
    private var byQueue: [QueueKey: Int] = [:]
    private var touches: [(line: Int, sequence: Int)] = []
    private var touchHead = 0
    private var nextSequence = 0
    private var currentLine = 0
    private var senders = BoundedMap<QueueKey, String>(capacity: 1)
    /// Plain-text verify lines seen before the handshake line of their process.
    private var pendingVerify = BoundedMap<ProcessKey, [CertificateVerifyDetail]>(capacity: 1)
    /// Processes whose connection was just closed by an end line (to tell a second end line from a new session).
    private var recentlyClosed = BoundedMap<ProcessKey, Int>(capacity: 1)

    /// An assembler with the given options.
    public init(options: Options = Options()) {
        self.options = options
        senders = BoundedMap(capacity: options.maximumOpenSessions * 4)
        pendingVerify = BoundedMap(capacity: 1024)
        recentlyClosed = BoundedMap(capacity: 1024)
    }

    /// Number of sessions currently open (never above ``Options/maximumOpenSessions``).
    public var openSessionCount: Int { open.count }

    /// Number of entries in the internal indexes (process, queue id, idle queue, caches): bounded by the options.
    public var indexSize: Int {
        byProcess.count + byQueue.count + (touches.count - touchHead) + senders.count
            + pendingVerify.count
            + recentlyClosed.count
    }

    /// Adds one parsed line; calls `emit` for each session completed by it (or by the idle window).
    public mutating func consume(_ line: ParsedLogLine, emit: (RecordedSession) -> Void) {
        currentLine = line.number
        expireIdle(emit: emit)
        route(line, emit: emit)
        while open.count > options.maximumOpenSessions {
            evictOldest(emit: emit)
        }
        statistics.peakOpenSessions = max(statistics.peakOpenSessions, open.count)
    }

    /// Hands out every open session (end of input).
    public mutating func finish(emit: (RecordedSession) -> Void) {
        for sequence in open.keys.sorted() { close(sequence, .endOfInput, emit: emit) }
        touches.removeAll()
        touchHead = 0
    }

    // MARK: - Routing

    private mutating func route(_ line: ParsedLogLine, emit: (RecordedSession) -> Void) {
        let host = line.syslog.host
        let pid = line.syslog.pid
        let source = line.source
        let abridged = line.syslog.isElided
        func key(_ direction: RecordedSession.Direction) -> ProcessKey {
            ProcessKey(host: host, pid: pid, source: source, direction: direction)
        }
        switch line.event {
        case .tlsEstablished(let handshake):
            let direction: RecordedSession.Direction = handshake.side == .server ? .inbound : .outbound
            let process = key(direction)
            var sequence = session(for: process, line: line, emit: emit)
            if let existing = open[sequence]?.session, existing.tls != .unknown || hasDeliveries(existing) {
                // A second handshake on the same process is a new connection.
                close(sequence, .superseded, emit: emit)
                sequence = session(for: process, line: line, emit: emit)
            }
            update(sequence, line) { slot in
                var facts = TLSFacts(handshake)
                let details = slot.pendingVerify
                if !details.isEmpty {
                    facts.verifyDetails = details
                    if let leaf = details.first(where: { $0.depth == 0 }) {
                        facts.certificateSubject = XText.encode(leaf.subjectPlain)
                        facts.certificateSubjectFromVerifyLine = true
                    }
                    slot.pendingVerify = []
                }
                slot.session.tls = .established(facts)
                if let peer = handshake.peer { slot.session.peer = Self.merge(slot.session.peer, peer) }
            }
            if let details = pendingVerify.remove(
                ProcessKey(host: host, pid: pid, source: source, direction: .inbound)
            ),
                case .established(var facts) = open[sequence]?.session.tls
            {
                facts.verifyDetails = details + facts.verifyDetails
                if facts.certificateSubject == nil, let leaf = details.first(where: { $0.depth == 0 }) {
                    facts.certificateSubject = XText.encode(leaf.subjectPlain)
                    facts.certificateSubjectFromVerifyLine = true
                }
                open[sequence]?.session.tls = .established(facts)
            }

        case .tlsCertificate(let names):
            let sequence = session(
                for: key(names.side == .server ? .inbound : .outbound),
                line: line,
                emit: emit
            )
            update(sequence, line) { slot in
                var facts =
                    slot.session.tls.facts
                    ?? TLSFacts(
                        TLSHandshake(
                            side: names.side,
                            peer: nil,
                            version: nil,
                            verify: nil,
                            cipher: nil,
                            cipherBits: nil,
                            algorithmBits: nil
                        )
                    )
                facts.certificateSubject = names.subject
                facts.certificateIssuer = names.issuer
                facts.verifyMessage = names.verifyMessage
                facts.certificateSubjectFromVerifyLine = false
                slot.session.tls = .established(facts)
            }

        case .tlsVerifyDetail(let detail):
            // The line does not name the side and comes before the handshake line: keep it for the process.
            let process = ProcessKey(host: host, pid: pid, source: source, direction: .inbound)
            var list = pendingVerify.remove(process) ?? []
            if list.count < 8 { list.append(detail) }
            pendingVerify.insert(process, list)

        case .tlsFailed(let side, let peer, let reason):
            guard let side else {
                statistics.eventsUnattached += 1
                return
            }
            if peer == nil && side == .server && byProcess[key(.inbound)] == nil {
                statistics.eventsUnattached += 1  // a daemon start-up error, not a connection
                return
            }
            let sequence = session(
                for: key(side == .server ? .inbound : .outbound),
                line: line,
                emit: emit
            )
            update(sequence, line) { slot in
                slot.session.tls = .failed(reason: reason)
                if let peer { slot.session.peer = Self.merge(slot.session.peer, peer) }
            }

        case .authenticated(let success):
            let sequence = session(
                for: key(success.side == .server ? .inbound : .outbound),
                line: line,
                emit: emit
            )
            update(sequence, line) { slot in
                slot.session.auth = .authenticated(success)
                if let peer = success.peer { slot.session.peer = Self.merge(slot.session.peer, peer) }
            }

        case .authFailed(let mechanism, let peer):
            let sequence = session(for: key(.inbound), line: line, emit: emit)
            update(sequence, line) { slot in
                slot.session.authFailures.append(mechanism)
                if let peer { slot.session.peer = Self.merge(slot.session.peer, peer) }
            }

        case .decision(let queueID, let decision):
            let direction: RecordedSession.Direction =
                ["tls_server", "tls_rcpt", "try_tls"].contains(decision.ruleset) ? .outbound : .inbound
            let sequence: Int
            if direction == .inbound, byProcess[key(.inbound)] == nil, let queueID,
                let owner = byQueue[QueueKey(host: host, queueID: queueID)]
            {
                sequence = owner
            } else {
                sequence = session(for: key(direction), line: line, emit: emit)
            }
            update(sequence, line) { slot in
                if let peer = decision.peer { slot.session.peer = Self.merge(slot.session.peer, peer) }
                if Self.isConnectionLevel(decision) {
                    slot.session.connectionDecisions.append(decision)
                    return
                }
                let index = Self.transaction(
                    in: &slot,
                    queueID: queueID,
                    sender: decision.sender,
                    host: host
                )
                slot.session.transactions[index].decisions.append(decision)
                if decision.ruleset == "check_mail" || decision.ruleset == "postfix:MAIL" {
                    if slot.session.transactions[index].sender == nil {
                        slot.session.transactions[index].sender = decision.sender ?? decision.arg1
                    }
                }
                let recipient: String? =
                    decision.ruleset == "check_rcpt"
                    ? decision.arg1
                    : decision.ruleset == "postfix:RCPT" ? decision.recipient : nil
                if let recipient {
                    let r = slot.session.transactions[index].recipient(recipient)
                    slot.session.transactions[index].recipients[r].refusal = decision
                }
            }
            if direction == .inbound && !Self.isConnectionLevel(decision) {
                bind(sequence, queueID: queueID, host: host)
            }
            if decision.ruleset == "postfix:CONNECT" { close(sequence, .closed, emit: emit) }

        case .recipientRefused(let queueID, let recipient, let reply):
            let sequence = inboundForQueue(
                queueID,
                host: host,
                process: key(.inbound),
                line: line,
                emit: emit
            )
            update(sequence, line) { slot in
                let index = Self.transaction(in: &slot, queueID: queueID, sender: nil, host: host)
                let r = slot.session.transactions[index].recipient(recipient)
                slot.session.transactions[index].recipients[r].refusal = RulesetDecision(
                    ruleset: "",
                    arg1: recipient,
                    arg2: nil,
                    peer: nil,
                    action: .reject(reply: reply)
                )
            }
            bind(sequence, queueID: queueID, host: host)

        case .sender(let queueID, let record):
            if let queueID { senders.insert(QueueKey(host: host, queueID: queueID), record.sender) }
            let sequence: Int
            if let existing = byProcess[key(.inbound)] {
                sequence = existing
            } else if let queueID, let owner = byQueue[QueueKey(host: host, queueID: queueID)] {
                sequence = owner
            } else if source == .sendmail, record.peer != nil || abridged {
                sequence = session(for: key(.inbound), line: line, emit: emit)
            } else {
                statistics.eventsUnattached += 1
                return
            }
            update(sequence, line) { slot in
                if source == .sendmail, let peer = record.peer, slot.session.direction == .inbound {
                    slot.session.peer = Self.merge(slot.session.peer, peer)
                }
                let index = Self.transaction(in: &slot, queueID: queueID, sender: nil, host: host)
                slot.session.transactions[index].sender = record.sender
                slot.session.transactions[index].senderRecord = record
            }
            bind(sequence, queueID: queueID, host: host)

        case .delivery(let queueID, let record):
            var attached = false
            let queueKey = queueID.map { QueueKey(host: host, queueID: $0) }
            if record.isRemote {
                let process = key(.outbound)
                var sequence = session(for: process, line: line, emit: emit)
                if let existing = open[sequence]?.session, let peer = existing.peer, let next = record.peer,
                    !Self.samePeer(peer, next)
                {
                    close(sequence, .superseded, emit: emit)
                    sequence = session(for: process, line: line, emit: emit)
                }
                let sender = queueKey.flatMap { senders[$0] }
                update(sequence, line) { slot in
                    if let peer = record.peer { slot.session.peer = Self.merge(slot.session.peer, peer) }
                    let index = Self.transaction(in: &slot, queueID: queueID, sender: sender, host: host)
                    Self.addDelivery(record, to: &slot.session.transactions[index])
                }
                attached = true
            }
            // The message's receiving session, if still open.
            var owner = queueKey.flatMap { byQueue[$0] }
            if owner == nil, !record.isRemote, let same = byProcess[key(.inbound)] { owner = same }
            if let owner, open[owner]?.session.direction == .inbound {
                update(owner, line) { slot in
                    let index = Self.transaction(in: &slot, queueID: queueID, sender: nil, host: host)
                    Self.addDelivery(record, to: &slot.session.transactions[index])
                }
                attached = true
            }
            if !attached { statistics.eventsUnattached += 1 }

        case .connected(let peer):
            let process = key(.inbound)
            if let existing = byProcess[process] { close(existing, .superseded, emit: emit) }
            let sequence = session(for: process, line: line, emit: emit)
            update(sequence, line) { slot in slot.session.peer = peer }

        case .connectionEnded(let end):
            let process = key(.inbound)
            let sequence: Int
            if let existing = byProcess[process] {
                sequence = existing
            } else if let closedAt = recentlyClosed[process], line.number - closedAt <= 3 {
                // A second end line for a connection already handed out ("lost input" then "did not issue").
                statistics.eventsUnattached += 1
                return
            } else {
                sequence = session(for: process, line: line, emit: emit)
            }
            update(sequence, line) { slot in
                if slot.session.end == nil || end.kind == .disconnect { slot.session.end = end }
                if let peer = end.peer { slot.session.peer = Self.merge(slot.session.peer, peer) }
            }
            // Postfix writes "lost connection" / "timeout" and then "disconnect": only the latter closes.
            if source == .sendmail || end.kind == .disconnect {
                close(sequence, .closed, emit: emit)
                recentlyClosed.insert(process, line.number)
            }

        case .clientBound(let queueID, let peer, let sasl):
            let sequence = session(for: key(.inbound), line: line, emit: emit)
            update(sequence, line) { slot in
                slot.session.peer = Self.merge(slot.session.peer, peer)
                _ = Self.transaction(in: &slot, queueID: queueID, sender: nil, host: host)
                if let sasl {
                    slot.session.auth = .authenticated(sasl)
                } else if slot.session.auth == .unknown {
                    slot.session.auth = .none
                }
            }
            bind(sequence, queueID: queueID, host: host)

        case .outgoingConnection(let queueID, let peer):
            guard source == .sendmail else {
                statistics.eventsUnattached += 1  // Postfix "connect to …: refused": no SMTP session
                return
            }
            let process = key(.outbound)
            if let existing = byProcess[process], let session = open[existing]?.session,
                session.tls != .unknown || hasDeliveries(session)
            {
                close(existing, .superseded, emit: emit)
            }
            let sequence = session(for: process, line: line, emit: emit)
            update(sequence, line) { slot in
                if let peer { slot.session.peer = Self.merge(slot.session.peer, peer) }
                _ = queueID
            }

        case .queueRemoved(let queueID):
            let queueKey = QueueKey(host: host, queueID: queueID)
            if byQueue.removeValue(forKey: queueKey) == nil { statistics.eventsUnattached += 1 }
            senders.remove(queueKey)
        }
    }

    private static func isConnectionLevel(_ decision: RulesetDecision) -> Bool {
        switch decision.ruleset {
        case "check_relay", "srv_features", "greet_pause", "postfix:CONNECT", "postfix:EHLO",
            "postfix:HELO",
            "postfix:STARTTLS", "postfix:AUTH":
            return true
        case "tls_client":
            return decision.arg2 != "MAIL"
        default:
            return false
        }
    }

    private static func samePeer(_ a: Relay, _ b: Relay) -> Bool {
        if let x = a.address, let y = b.address { return x == y }
        if let x = a.name, let y = b.name { return x.lowercased() == y.lowercased() }
        return true
    }

    private static func addDelivery(_ record: DeliveryRecord, to transaction: inout MailTransaction) {
        for recipient in record.recipients {
            let index = transaction.recipient(recipient)
            transaction.recipients[index].deliveries.append(record)
        }
    }

    private func hasDeliveries(_ session: RecordedSession) -> Bool {
        session.transactions.contains { $0.recipients.contains { !$0.deliveries.isEmpty } }
    }

    private mutating func inboundForQueue(
        _ queueID: String?,
        host: String?,
        process: ProcessKey,
        line: ParsedLogLine,
        emit: (RecordedSession) -> Void
    ) -> Int {
        if let existing = byProcess[process] { return existing }
        if let queueID, let owner = byQueue[QueueKey(host: host, queueID: queueID)] { return owner }
        return session(for: process, line: line, emit: emit)
    }

    // MARK: - Sessions

    /// The open session of a process, opening one when there is none.
    private mutating func session(
        for process: ProcessKey,
        line: ParsedLogLine,
        emit: (RecordedSession) -> Void
    )
        -> Int
    {
        if let existing = byProcess[process] { return existing }
        let sequence = nextSequence
        nextSequence += 1
        var session = RecordedSession(
            sequenceNumber: sequence,
            source: process.source,
            direction: process.direction,
            host: process.host,
            pid: process.pid,
            line: line.number
        )
        session.firstTimestamp = line.syslog.timestamp
        open[sequence] = Slot(session: session, process: process, lastTouch: line.number)
        byProcess[process] = sequence
        recentlyClosed.remove(process)
        if let details = pendingVerify.remove(process) { open[sequence]?.pendingVerify = details }
        return sequence
    }

    private mutating func update(_ sequence: Int, _ line: ParsedLogLine, _ body: (inout Slot) -> Void) {
        guard var slot = open.removeValue(forKey: sequence) else { return }
        body(&slot)
        slot.lastTouch = line.number
        slot.session.lastLine = max(slot.session.lastLine, line.number)
        slot.session.lastTimestamp = line.syslog.timestamp ?? slot.session.lastTimestamp
        if line.syslog.isElided { slot.session.isAbridged = true }
        open[sequence] = slot
        touches.append((line.number, sequence))
    }

    /// The index of the transaction for `queueID` (or the last queue-less one), creating it when needed.
    private static func transaction(
        in slot: inout Slot,
        queueID: String?,
        sender: String?,
        host: String?
    ) -> Int {
        if let queueID {
            if let index = slot.session.transactions.lastIndex(where: { $0.queueID == queueID }) {
                return index
            }
            // A queue-less transaction started by check_mail/check_rcpt lines before the id was logged.
            var transaction = MailTransaction(queueID: queueID)
            transaction.sender = sender
            slot.session.transactions.append(transaction)
            return slot.session.transactions.count - 1
        }
        if let last = slot.session.transactions.indices.last,
            slot.session.transactions[last].queueID == nil,
            sender == nil || slot.session.transactions[last].sender == nil
                || slot.session.transactions[last].sender == sender
        {
            if slot.session.transactions[last].sender == nil {
                slot.session.transactions[last].sender = sender
            }
            return last
        }
        var transaction = MailTransaction(queueID: nil)
        transaction.sender = sender
        slot.session.transactions.append(transaction)
        return slot.session.transactions.count - 1
    }

    private mutating func bind(_ sequence: Int, queueID: String?, host: String?) {
        guard let queueID, open[sequence]?.session.direction == .inbound else { return }
        let key = QueueKey(host: host, queueID: queueID)
        if byQueue[key] == nil {
            byQueue[key] = sequence
            open[sequence]?.queues.append(key)
        }
    }

    private static func merge(_ old: Relay?, _ new: Relay) -> Relay {
        guard var merged = old else { return new }
        if merged.name == nil { merged.name = new.name }
        if merged.address == nil, new.address != nil {
            merged.address = new.address
            merged.addressBlanked = false
        }
        if merged.identUser == nil { merged.identUser = new.identUser }
        if new.mayBeForged { merged.mayBeForged = true }
        if merged.port == nil { merged.port = new.port }
        return merged
    }

    // MARK: - Completion

    private mutating func expireIdle(emit: (RecordedSession) -> Void) {
        let limit = currentLine - options.idleLines
        while touchHead < touches.count, touches[touchHead].line <= limit {
            let record = touches[touchHead]
            touchHead += 1
            if let slot = open[record.sequence], slot.lastTouch == record.line {
                statistics.sessionsIdleClosed += 1
                close(record.sequence, .idle, emit: emit)
            }
        }
        compactTouches()
    }

    private mutating func evictOldest(emit: (RecordedSession) -> Void) {
        while touchHead < touches.count {
            let record = touches[touchHead]
            touchHead += 1
            if let slot = open[record.sequence], slot.lastTouch == record.line {
                statistics.sessionsEvicted += 1
                close(record.sequence, .evicted, emit: emit)
                compactTouches()
                return
            }
        }
        // Not reached: every open session has a live touch record. Fall back to the lowest sequence.
        if let oldest = open.keys.min() {
            statistics.sessionsEvicted += 1
            close(oldest, .evicted, emit: emit)
        }
    }

    private mutating func compactTouches() {
        if touchHead > 4096 && touchHead * 2 > touches.count {
            touches.removeFirst(touchHead)
            touchHead = 0
        }
    }

    private mutating func close(
        _ sequence: Int,
        _ completion: RecordedSession.Completion,
        emit: (RecordedSession) -> Void
    ) {
        guard let slot = open.removeValue(forKey: sequence) else { return }
        if byProcess[slot.process] == sequence { byProcess.removeValue(forKey: slot.process) }
        for key in slot.queues where byQueue[key] == sequence { byQueue.removeValue(forKey: key) }
        var session = slot.session
        session.completion = completion
        finalize(&session)
        statistics.sessionsEmitted += 1
        emit(session)
    }

    /// Turns the log's silences into facts where they are facts.
    private func finalize(_ session: inout RecordedSession) {
        switch session.source {
        case .sendmail:
            guard options.sendmailLogsTLSAndAuth, !session.isAbridged else { return }
            if session.tls == .unknown { session.tls = .none }
            if session.auth == .unknown { session.auth = .none }
        case .postfix:
            guard session.direction == .inbound, let end = session.end, end.hasCommandCounters else {
                return
            }
            if session.tls == .unknown, end.startTLSCount == 0 { session.tls = .none }
            if session.auth == .unknown, end.authCount == 0 { session.auth = .none }
        }
    }
}

@available(*, unavailable, message: "an assembler holds the open sessions of one stream")
extension SessionAssembler: Sendable {}

/// A dictionary that forgets its oldest insertions beyond a capacity.
struct BoundedMap<Key: Hashable, Value> {
    private var values: [Key: Value] = [:]
    private var order: [Key] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { values.count }

    subscript(key: Key) -> Value? { values[key] }

    mutating func insert(_ key: Key, _ value: Value) {
        if values.updateValue(value, forKey: key) == nil { order.append(key) }
        while values.count > capacity, head < order.count {
            let old = order[head]
            head += 1
            values.removeValue(forKey: old)
        }
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        // Keys removed by `remove` leave stale entries in `order`; keep `order` bounded too.
        if order.count - head > capacity * 2 {
            order = order[head...].filter { values[$0] != nil }
            head = 0
        }
    }

    @discardableResult
    mutating func remove(_ key: Key) -> Value? { values.removeValue(forKey: key) }
}
