/// Parses the message part of Postfix's syslog lines into ``LogEvent``s.
///
/// The program decides the reading: `smtpd` (connections, TLS, SASL via `client=`, `reject:`), `smtp` (outbound
/// TLS and deliveries), `qmgr` (`from=`), `local`/`lmtp`/`virtual`/`pipe`/`error` (deliveries), `pickup`
/// (local submissions). Other Postfix programs are ``IgnoredReason/unrelatedMessage``.
///
/// Postfix never logs sendmail's `{verify}` value: its TLS line says `Anonymous`, `Untrusted`, `Trusted` or
/// `Verified`, which is kept as ``PostfixTLSTrust`` and leaves ``TLSHandshake/verify`` `nil` (unknown).
public enum PostfixMessageParser {
    /// Parses one message.
    ///
    /// - Parameters:
    ///   - message: the text after `postfix/<program>[pid]: `.
    ///   - program: the part after the last `/` of the tag (`smtpd`, `smtp`, `qmgr`, …).
    public static func parse(_ message: String, program: String) -> LineClassification {
        var text = Substring(message)
        var queueID: String?
        if text.hasPrefix("NOQUEUE: ") {
            text = text.dropFirst(9)
        } else if let (qid, rest) = SendmailMessageParser.splitQueueID(text) {
            queueID = String(qid)
            text = rest
        }
        if text.hasPrefix("warning: ") { return parseWarning(text.dropFirst(9)) }
        if text.hasPrefix("reject: ") || text.hasPrefix("discard: ") || text.hasPrefix("hold: ")
            || text.hasPrefix("milter-reject: ")
        {
            return parseReject(text, queueID: queueID)
        }
        if text.hasPrefix("reject_warning: ") { return .ignored(.warning) }
        if let trust = tlsTrust(text) { return parseTLS(text, trust: trust) }
        switch program {
        case "smtpd", "submission", "smtps":
            return parseSMTPD(text, queueID: queueID)
        case "qmgr", "pickup":
            if text.hasPrefix("from=") || text.hasPrefix("uid=") {
                return parseSender(text, queueID: queueID)
            }
            if text == "removed", let queueID { return .event(.queueRemoved(queueID: queueID)) }
            return .ignored(.unrelatedMessage)
        case "smtp", "lmtp", "local", "virtual", "pipe", "error", "discard", "relay", "retry":
            if text.hasPrefix("to=") { return parseDelivery(text, queueID: queueID, program: program) }
            if text.hasPrefix("connect to ") {
                return .event(
                    .outgoingConnection(queueID: queueID, peer: parsePeerBefore(": ", in: text.dropFirst(11)))
                )
            }
            if text.hasPrefix("SSL_connect error to ") {
                let peer = parsePeerBefore(": ", in: text.dropFirst("SSL_connect error to ".count))
                return .event(.tlsFailed(side: .client, peer: peer, reason: nil))
            }
            return .ignored(.unrelatedMessage)
        default:
            return .ignored(.unrelatedMessage)
        }
    }

    private static func tlsTrust(_ text: Substring) -> PostfixTLSTrust? {
        for trust in [PostfixTLSTrust.anonymous, .untrusted, .trusted, .verified] {
            if text.hasPrefix(trust.rawValue + " TLS connection established ") { return trust }
        }
        return text.hasPrefix("TLS connection established ") ? .unstated : nil
    }

    /// `[Trust ]TLS connection established from|to peer: TLSv1.3 with cipher X (256/256 bits)[ …]`
    private static func parseTLS(_ text: Substring, trust: PostfixTLSTrust) -> LineClassification {
        var rest = text.dropFirst(trust == .unstated ? 0 : trust.rawValue.count + 1)
        rest = rest.dropFirst("TLS connection established ".count)
        let side: ConnectionSide
        if rest.hasPrefix("from ") {
            side = .server
        } else if rest.hasPrefix("to ") {
            side = .client
        } else {
            return .unparseable(.malformedPostfix)
        }
        rest = rest.drop { $0 != " " }.dropFirst()
        guard let colon = rest.firstRange(of: ": ") else { return .unparseable(.truncatedPostfix) }
        let peer = Relay.postfix(rest[..<colon.lowerBound])
        rest = rest[colon.upperBound...]
        guard let with = rest.firstRange(of: " with cipher ") else {
            return .unparseable(.truncatedPostfix)
        }
        let version = rest[..<with.lowerBound]
        rest = rest[with.upperBound...]
        guard let open = rest.firstRange(of: " ("),
            let close = rest[open.upperBound...].firstRange(of: " bits)")
        else {
            return .unparseable(.truncatedPostfix)
        }
        let cipher = rest[..<open.lowerBound]
        let bits = rest[open.upperBound..<close.lowerBound].split(separator: "/")
        guard bits.count == 2, let used = Int(bits[0]), let algorithm = Int(bits[1]) else {
            return .unparseable(.malformedPostfix)
        }
        return .event(
            .tlsEstablished(
                TLSHandshake(
                    side: side,
                    peer: peer,
                    version: String(version),
                    verify: nil,
                    cipher: String(cipher),
                    cipherBits: used,
                    algorithmBits: algorithm,
                    postfixTrust: trust
                )
            )
        )
    }

    private static func parseSMTPD(_ text: Substring, queueID: String?) -> LineClassification {
        if text.hasPrefix("connect from ") {
            let peerText = text.dropFirst("connect from ".count)
            guard peerText.last == "]" else { return .unparseable(.truncatedPostfix) }
            return .event(.connected(peer: Relay.postfix(peerText)))
        }
        if text.hasPrefix("disconnect from ") {
            let rest = text.dropFirst("disconnect from ".count)
            let peerEnd = rest.firstIndex(of: " ") ?? rest.endIndex
            let peerText = rest[..<peerEnd]
            guard peerText.last == "]" else { return .unparseable(.truncatedPostfix) }
            let counters = rest[peerEnd...].split(separator: " ")
            var startTLS: Int?
            var auth: Int?
            for counter in counters {
                // "starttls=1" or "auth=0/1" (successes/attempts when they differ)
                if counter.hasPrefix("starttls=") {
                    startTLS = Int(counter.dropFirst(9).prefix { $0 != "/" })
                }
                if counter.hasPrefix("auth=") { auth = Int(counter.dropFirst(5).prefix { $0 != "/" }) }
            }
            return .event(
                .connectionEnded(
                    ConnectionEndRecord(
                        queueID: queueID,
                        kind: .disconnect,
                        peer: Relay.postfix(peerText),
                        startTLSCount: startTLS ?? (counters.isEmpty ? nil : 0),
                        authCount: auth ?? (counters.isEmpty ? nil : 0),
                        hasCommandCounters: !counters.isEmpty
                    )
                )
            )
        }
        for (prefix, kind) in [
            ("lost connection after ", ConnectionEnd.lostConnection), ("timeout after ", .timeout),
        ]
        where text.hasPrefix(prefix) {
            let rest = text.dropFirst(prefix.count)
            guard let from = rest.firstRange(of: " from ") else { return .unparseable(.truncatedPostfix) }
            let peerText = rest[from.upperBound...].prefix { $0 != " " }
            return .event(
                .connectionEnded(
                    ConnectionEndRecord(
                        queueID: queueID,
                        kind: kind,
                        peer: Relay.postfix(peerText),
                        afterCommand: String(rest[..<from.lowerBound])
                    )
                )
            )
        }
        if text.hasPrefix("client="), let queueID {
            let fields = LogFields(text)
            guard let client = fields["client"], client.last == "]" else {
                return .unparseable(.truncatedPostfix)
            }
            let peer = Relay.postfix(client)
            var sasl: AuthSuccess?
            if let method = fields["sasl_method"] {
                sasl = AuthSuccess(
                    side: .server,
                    peer: peer,
                    authenticatedID: fields["sasl_username"].map(String.init),
                    mechanism: String(method),
                    securityStrength: nil
                )
            }
            return .event(.clientBound(queueID: queueID, peer: peer, sasl: sasl))
        }
        if text.hasPrefix("SSL_accept error from ") {
            let peer = parsePeerBefore(": ", in: text.dropFirst("SSL_accept error from ".count))
            return .event(.tlsFailed(side: .server, peer: peer, reason: nil))
        }
        return .ignored(.unrelatedMessage)
    }

    private static func parsePeerBefore(_ separator: String, in text: Substring) -> Relay? {
        guard let close = text.firstIndex(of: "]") else { return nil }
        var end = text.index(after: close)
        if end < text.endIndex, text[end] == ":" {
            // name[addr]:25: …
            let digits = text[text.index(after: end)...].prefix { $0.isASCIIDigit }
            if !digits.isEmpty { end = text.index(end, offsetBy: digits.count + 1) }
        }
        return Relay.postfix(text[..<end])
    }

    /// `reject: RCPT from name[addr]: 554 5.7.1 <x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP
    /// helo=<h>`
    private static func parseReject(_ text: Substring, queueID: String?) -> LineClassification {
        let colon = text.firstIndex(of: ":")!
        let kind = text[..<colon]
        var rest = text[text.index(after: colon)...].dropFirst()
        let stageEnd = rest.firstIndex(of: " ") ?? rest.endIndex
        let stage = rest[..<stageEnd]
        rest = rest[stageEnd...]
        guard rest.hasPrefix(" from ") else { return .unparseable(.truncatedPostfix) }
        rest = rest.dropFirst(6)
        guard let close = rest.firstRange(of: "]: ") else { return .unparseable(.truncatedPostfix) }
        let peer = Relay.postfix(rest[..<rest.index(after: close.lowerBound)])
        rest = rest[close.upperBound...]
        // The reply runs to the last "; from=" (the reply may contain ';').
        var reply = rest
        var sender: String?
        var recipient: String?
        var helo: String?
        if let trailer = rest.range(ofLast: "; from=") {
            reply = rest[..<trailer.lowerBound]
            let tail = rest[rest.index(trailer.lowerBound, offsetBy: 2)...]
            for token in tail.split(separator: " ") {
                if token.hasPrefix("from=") { sender = String(token.dropFirst(5)) }
                if token.hasPrefix("to=") { recipient = String(token.dropFirst(3)) }
                if token.hasPrefix("helo=") { helo = String(token.dropFirst(5)) }
            }
        } else if kind == "reject" || kind == "milter-reject" {
            // Without the trailer the line was cut.
            return .unparseable(.truncatedPostfix)
        }
        let action: ObservedAction
        switch kind {
        case "discard": action = .discard
        case "hold": action = .quarantine(reason: String(reply))
        default: action = .reject(reply: String(reply))
        }
        return .event(
            .decision(
                queueID: queueID,
                RulesetDecision(
                    ruleset: "postfix:" + stage,
                    arg1: nil,
                    arg2: nil,
                    peer: peer,
                    action: action,
                    sender: sender,
                    recipient: recipient,
                    helo: helo
                )
            )
        )
    }

    private static func parseWarning(_ text: Substring) -> LineClassification {
        // "unknown[198.51.100.7]: SASL LOGIN authentication failed: …"
        if let range = text.firstRange(of: ": SASL "),
            text[range.upperBound...].contains(" authentication failed")
        {
            let mechanism = text[range.upperBound...].prefix { $0 != " " }
            return .event(
                .authFailed(mechanism: String(mechanism), peer: Relay.postfix(text[..<range.lowerBound]))
            )
        }
        return .ignored(.warning)
    }

    private static func parseSender(_ text: Substring, queueID: String?) -> LineClassification {
        guard let queueID else { return .unparseable(.malformedPostfix) }
        // qmgr: "from=<a@b>, size=1234, nrcpt=1 (queue active)"; pickup: "uid=1000 from=<user>"
        var body = text
        if text.hasPrefix("uid=") {
            guard let from = text.firstRange(of: "from=") else { return .unparseable(.truncatedPostfix) }
            body = text[from.lowerBound...]
        }
        let fields = LogFields(body)
        guard let sender = fields["from"] else { return .unparseable(.truncatedPostfix) }
        if text.hasPrefix("from="), fields["size"] == nil && fields["status"] == nil {
            return .unparseable(.truncatedPostfix)
        }
        if fields["status"] != nil { return .ignored(.unrelatedMessage) }  // "status=expired, returned to sender"
        let count = fields["nrcpt"].map { $0.prefix { $0.isASCIIDigit } }.flatMap { Int($0) }
        return .event(
            .sender(
                queueID: queueID,
                SenderRecord(
                    sender: String(sender),
                    size: fields["size"].flatMap { Int($0) },
                    recipientCount: count,
                    protocolName: nil,
                    daemon: nil,
                    peer: nil,
                    messageID: nil
                )
            )
        )
    }

    /// `to=<x@y>, [orig_to=<…>, ]relay=name[addr]:25, delay=…, delays=…, dsn=2.0.0, status=sent (250 …)`
    private static func parseDelivery(
        _ text: Substring,
        queueID: String?,
        program: String
    )
        -> LineClassification
    {
        guard let queueID else { return .unparseable(.malformedPostfix) }
        let fields = LogFields(text, greedy: ["status"])
        guard let to = fields["to"], let statusField = fields["status"], !statusField.isEmpty else {
            return .unparseable(.truncatedPostfix)
        }
        let word = statusField.prefix { $0 != " " }
        var detail = statusField.dropFirst(word.count).trimmingSpaces()
        if detail.first == "(" && detail.last == ")" { detail = detail.dropFirst().dropLast() }
        let status: DeliveryStatus
        switch word {
        case "sent", "delivered": status = .sent
        case "deferred": status = .deferred
        case "bounced", "expired", "undeliverable": status = .bounced
        default: status = .other
        }
        return .event(
            .delivery(
                queueID: queueID,
                DeliveryRecord(
                    recipients: [String(to)],
                    mailer: program,
                    peer: fields["relay"].map(Relay.postfix),
                    dsn: fields["dsn"].map(String.init),
                    status: status,
                    statusText: detail.isEmpty ? nil : String(detail)
                )
            )
        )
    }
}
