/// Parses the message part of sendmail's syslog lines into ``LogEvent``s.
///
/// Understood (sendmail 8.11–8.18 wording): `STARTTLS=server|client, relay=…, version=…, verify=…, cipher=…,
/// bits=alg/cipher`; `STARTTLS=…, cert-subject=…, cert-issuer=…, verifymsg=…`; `STARTTLS: TLS cert verify:
/// depth=…`; `STARTTLS=…, error: accept|connect failed=…`; `AUTH=server|client, relay=…, authid=…, mech=…,
/// bits=…`; `AUTH failure (mech): …`; `qid: from=…`; `qid: to=…`; `[qid: ]ruleset=…, arg1=…[, arg2=…],
/// relay=…, reject=…|discard|quarantine=…`; `qid: <addr>... reply`; `… did not issue MAIL/EXPN/VRFY/ETRN …`;
/// `lost input channel from … to … after …`; `timeout waiting for input from … during …`; `SMTP outgoing
/// connect on …`. Anything else from sendmail is ``IgnoredReason/unrelatedMessage``.
public enum SendmailMessageParser {
    /// Parses one message.
    ///
    /// - Parameters:
    ///   - message: the text after `sendmail[pid]: `.
    ///   - elided: the line was abridged by an article (`[...]`): missing fields are then expected, not a sign
    ///     of truncation.
    public static func parse(_ message: String, elided: Bool = false) -> LineClassification {
        var text = Substring(message)
        var queueID: String?
        if let (qid, rest) = splitQueueID(text) {
            queueID = String(qid)
            text = rest
        }
        if text.hasPrefix("<-- ") || text.hasPrefix("--- ") || text.hasPrefix("<-- ") || text == "<--" {
            return .ignored(.smtpCommandEcho)
        }
        if text.hasPrefix("STARTTLS=") { return parseStartTLS(text, elided: elided) }
        if text.hasPrefix("STARTTLS: ") { return parseStartTLSNotice(text.dropFirst(10)) }
        if text.hasPrefix("AUTH=") { return parseAuth(text, elided: elided) }
        if text.hasPrefix("AUTH failure (") { return parseAuthFailure(text) }
        if text.hasPrefix("from=") { return parseSender(text, queueID: queueID, elided: elided) }
        if text.hasPrefix("to=") { return parseDelivery(text, queueID: queueID, elided: elided) }
        if text.hasPrefix("ruleset=") { return parseRuleset(text, queueID: queueID, elided: elided) }
        if text.hasPrefix("<"), let range = text.firstRange(of: ">... ") {
            let recipient = text[..<text.index(after: range.lowerBound)]
            let reply = text[range.upperBound...]
            return .event(
                .recipientRefused(queueID: queueID, recipient: String(recipient), reply: String(reply))
            )
        }
        if let range = text.firstRange(of: " did not issue ") {
            return .event(
                .connectionEnded(
                    ConnectionEndRecord(
                        queueID: queueID,
                        kind: .noMailCommand,
                        peer: Relay.sendmail(text[..<range.lowerBound])
                    )
                )
            )
        }
        if text.hasPrefix("lost input channel from ") {
            let rest = text.dropFirst("lost input channel from ".count)
            let (peerText, command) = splitPeer(rest, before: [" to ", " after "])
            return .event(
                .connectionEnded(
                    ConnectionEndRecord(
                        queueID: queueID,
                        kind: .lostConnection,
                        peer: Relay.sendmail(peerText),
                        afterCommand: command.map(String.init)
                    )
                )
            )
        }
        if text.hasPrefix("timeout waiting for input from ") {
            let rest = text.dropFirst("timeout waiting for input from ".count)
            let (peerText, command) = splitPeer(rest, before: [" during "])
            return .event(
                .connectionEnded(
                    ConnectionEndRecord(
                        queueID: queueID,
                        kind: .timeout,
                        peer: Relay.sendmail(peerText),
                        afterCommand: command.map(String.init)
                    )
                )
            )
        }
        if text.hasPrefix("SMTP outgoing connect on ") {
            return .event(.outgoingConnection(queueID: queueID, peer: nil))
        }
        return .ignored(.unrelatedMessage)
    }

    /// A sendmail or Postfix queue id prefix: letters and digits (at least one digit, 6–24 characters) then `: `.
    static func splitQueueID(_ text: Substring) -> (Substring, Substring)? {
        var index = text.startIndex
        var count = 0
        var digits = 0
        while index < text.endIndex, count <= 24 {
            let character = text[index]
            if character == ":" { break }
            guard character.isASCII, character.isLetter || character.isNumber else { return nil }
            if character.isNumber { digits += 1 }
            count += 1
            index = text.index(after: index)
        }
        guard count >= 6, count <= 24, digits > 0, index < text.endIndex else { return nil }
        let after = text.index(after: index)
        guard after < text.endIndex, text[after] == " " else { return nil }
        return (text[..<index], text[text.index(after: after)...])
    }

    /// Splits `peer<sep>tail` at the first of the separators that follows the peer's closing bracket.
    private static func splitPeer(
        _ text: Substring,
        before separators: [String]
    ) -> (
        Substring, Substring?
    ) {
        let searchFrom = text.lastIndex(of: "]") ?? text.startIndex
        for separator in separators {
            if let range = text[searchFrom...].firstRange(of: separator) {
                let tail = text[range.upperBound...]
                var command: Substring? = tail
                if separator == " to ", let after = tail.firstRange(of: " after ") {
                    command = tail[after.upperBound...]
                }
                return (text[..<range.lowerBound], command)
            }
        }
        return (text, nil)
    }

    private static func side(_ text: Substring) -> (ConnectionSide?, Substring) {
        guard let comma = text.firstIndex(where: { $0 == "," || $0 == ":" }) else {
            return (ConnectionSide(rawValue: String(text)), text[text.endIndex...])
        }
        let name = text[..<comma]
        var rest = text[text.index(after: comma)...]
        if rest.first == " " { rest = rest.dropFirst() }
        return (ConnectionSide(rawValue: String(name)), rest)
    }

    private static func parseStartTLS(_ text: Substring, elided: Bool) -> LineClassification {
        let (maybeSide, rest) = side(text.dropFirst("STARTTLS=".count))
        guard let side = maybeSide else {
            return .ignored(.tlsDiagnostics)  // STARTTLS=read, STARTTLS=write, …
        }
        if rest.hasPrefix("error:") || rest.hasPrefix("error ") {
            let fields = LogFields(rest.dropFirst(6), greedy: [], elided: elided)
            let relay = fields["relay"].map(Relay.sendmail)
            return .event(.tlsFailed(side: side, peer: relay, reason: fields["reason"].map(String.init)))
        }
        if rest.hasPrefix("cert-subject=") {
            let fields = LogFields(rest, greedy: ["verifymsg"], elided: elided)
            return .event(
                .tlsCertificate(
                    CertificateNames(
                        side: side,
                        subject: fields["cert-subject"].map(String.init),
                        issuer: fields["cert-issuer"].map(String.init),
                        verifyMessage: fields["verifymsg"].map(String.init)
                    )
                )
            )
        }
        let fields = LogFields(rest, elided: elided)
        guard fields["relay"] != nil || fields["verify"] != nil || fields["version"] != nil else {
            return .ignored(.tlsDiagnostics)  // init=1, start=ok, info:, get_verify:, …
        }
        var cipherBits: Int?
        var algorithmBits: Int?
        if let bits = fields["bits"] {
            let parts = bits.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let alg = Int(parts[0]), let cipher = Int(parts[1]) else {
                return .unparseable(
                    bits.isEmpty || parts.count == 1 ? .truncatedSendmail : .malformedSendmail
                )
            }
            algorithmBits = alg
            cipherBits = cipher
        } else if !elided {
            return .unparseable(.truncatedSendmail)
        }
        if !elided && (fields["verify"] == nil || fields["cipher"] == nil || fields["version"] == nil) {
            return .unparseable(.truncatedSendmail)
        }
        return .event(
            .tlsEstablished(
                TLSHandshake(
                    side: side,
                    peer: fields["relay"].map(Relay.sendmail),
                    version: fields["version"].map(String.init),
                    verify: fields["verify"].map(String.init),
                    cipher: fields["cipher"].map(String.init),
                    cipherBits: cipherBits,
                    algorithmBits: algorithmBits
                )
            )
        )
    }

    private static func parseStartTLSNotice(_ text: Substring) -> LineClassification {
        // "TLS cert verify: depth=0 /C=US/CN=x, state=0, reason=self-signed certificate"
        for prefix in ["TLS cert verify: ", "X509 cert verify: "] where text.hasPrefix(prefix) {
            var rest = text.dropFirst(prefix.count)
            guard rest.hasPrefix("depth=") else { return .unparseable(.malformedSendmail) }
            rest = rest.dropFirst(6)
            guard let space = rest.firstIndex(of: " "), let depth = Int(rest[..<space]) else {
                return .unparseable(.truncatedSendmail)
            }
            rest = rest[rest.index(after: space)...]
            // The DN runs to ", state=" (it may itself contain ", ").
            guard let stateRange = rest.range(ofLast: ", state=") else {
                return .unparseable(.truncatedSendmail)
            }
            let dn = rest[..<stateRange.lowerBound]
            let fields = LogFields(rest[stateRange.lowerBound...].dropFirst(2), greedy: ["reason"])
            return .event(
                .tlsVerifyDetail(
                    CertificateVerifyDetail(
                        depth: depth,
                        subjectPlain: String(dn),
                        state: fields["state"].flatMap { Int($0) },
                        reason: fields["reason"].map(String.init)
                    )
                )
            )
        }
        return .ignored(.tlsDiagnostics)
    }

    private static func parseAuth(_ text: Substring, elided: Bool) -> LineClassification {
        let (maybeSide, rest) = side(text.dropFirst("AUTH=".count))
        guard let side = maybeSide else { return .unparseable(.malformedSendmail) }
        let fields = LogFields(rest, elided: elided)
        guard let mech = fields["mech"] else {
            if fields["relay"] != nil && !elided { return .unparseable(.truncatedSendmail) }
            return .ignored(.unrelatedMessage)
        }
        var strength: Int?
        if let bits = fields["bits"] {
            guard let value = Int(bits) else { return .unparseable(.malformedSendmail) }
            strength = value
        } else if !elided {
            return .unparseable(.truncatedSendmail)
        }
        return .event(
            .authenticated(
                AuthSuccess(
                    side: side,
                    peer: fields["relay"].map(Relay.sendmail),
                    authenticatedID: fields["authid"].map(String.init),
                    mechanism: String(mech),
                    securityStrength: strength
                )
            )
        )
    }

    private static func parseAuthFailure(_ text: Substring) -> LineClassification {
        // AUTH failure (LOGIN): authentication failure (-13) SASL(-13): …, relay=name [addr]
        let rest = text.dropFirst("AUTH failure (".count)
        guard let close = rest.firstIndex(of: ")") else { return .unparseable(.truncatedSendmail) }
        let mechanism = String(rest[..<close])
        var relay: Relay?
        if let range = rest.range(ofLast: "relay=") {
            relay = Relay.sendmail(rest[range.upperBound...])
        }
        return .event(.authFailed(mechanism: mechanism, peer: relay))
    }

    private static func parseSender(
        _ text: Substring,
        queueID: String?,
        elided: Bool
    )
        -> LineClassification
    {
        if queueID == nil && !elided { return .unparseable(.malformedSendmail) }
        let fields = LogFields(text, elided: elided)
        guard let sender = fields["from"] else { return .unparseable(.truncatedSendmail) }
        if !elided && fields["relay"] == nil && fields["nrcpts"] == nil {
            return .unparseable(.truncatedSendmail)
        }
        return .event(
            .sender(
                queueID: queueID,
                SenderRecord(
                    sender: String(sender),
                    size: fields["size"].flatMap { Int($0) },
                    recipientCount: fields["nrcpts"].flatMap { Int($0) },
                    protocolName: fields["proto"].map(String.init),
                    daemon: fields["daemon"].map(String.init),
                    peer: fields["relay"].map(Relay.sendmail),
                    messageID: fields["msgid"].map(String.init)
                )
            )
        )
    }

    private static func parseDelivery(
        _ text: Substring,
        queueID: String?,
        elided: Bool
    )
        -> LineClassification
    {
        if queueID == nil && !elided { return .unparseable(.malformedSendmail) }
        let fields = LogFields(text, greedy: ["stat"], elided: elided)
        guard let to = fields["to"], !to.isEmpty else { return .unparseable(.truncatedSendmail) }
        guard let stat = fields["stat"], !stat.isEmpty else {
            return .unparseable(elided ? .malformedSendmail : .truncatedSendmail)
        }
        let dsn = fields["dsn"].map(String.init)
        let (status, statusText) = deliveryStatus(stat: stat, dsn: dsn)
        return .event(
            .delivery(
                queueID: queueID,
                DeliveryRecord(
                    recipients: splitRecipients(to),
                    mailer: fields["mailer"].map(String.init),
                    peer: fields["relay"].map(Relay.sendmail),
                    dsn: dsn,
                    status: status,
                    statusText: statusText
                )
            )
        )
    }

    /// `to=<a@b>,<c@d>` → `["<a@b>", "<c@d>"]` (commas inside angle brackets or quotes stay).
    static func splitRecipients(_ text: Substring) -> [String] {
        var result: [String] = []
        var depth = 0
        var quoted = false
        var current = ""
        for character in text {
            switch character {
            case "\"": quoted.toggle()
            case "<" where !quoted: depth += 1
            case ">" where !quoted: depth = max(0, depth - 1)
            case "," where !quoted && depth == 0:
                result.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        result.append(current)
        return result.map { String(Substring($0).trimmingSpaces()) }.filter { !$0.isEmpty }
    }

    static func deliveryStatus(stat: Substring, dsn: String?) -> (DeliveryStatus, String?) {
        var word = stat.prefix { $0 != " " && $0 != ":" && $0 != "(" }
        var text: Substring? = stat.dropFirst(word.count)
        if var rest = text {
            if rest.first == ":" { rest = rest.dropFirst() }
            rest = rest.trimmingSpaces()
            if rest.first == "(" && rest.last == ")" { rest = rest.dropFirst().dropLast() }
            text = rest.isEmpty ? nil : rest
        }
        var status: DeliveryStatus
        switch word.lowercased() {
        case "sent": status = .sent
        case "deferred": status = .deferred
        case "queued": status = .queued
        default:
            status = .other
            text = stat
            word = ""
        }
        if status == .other || status == .queued, let first = dsn?.first {
            switch first {
            case "2": status = status == .queued ? .queued : .sent
            case "4": status = .deferred
            case "5": status = .bounced
            default: break
            }
        }
        return (status, text.map(String.init))
    }

    private static func parseRuleset(
        _ text: Substring,
        queueID: String?,
        elided: Bool
    )
        -> LineClassification
    {
        let fields = LogFields(text, greedy: ["reject", "quarantine"], elided: elided)
        guard let ruleset = fields["ruleset"], !ruleset.isEmpty else {
            return .unparseable(.truncatedSendmail)
        }
        let action: ObservedAction
        if let reply = fields["reject"] {
            guard !reply.isEmpty else { return .unparseable(.truncatedSendmail) }
            action = .reject(reply: String(reply))
        } else if let reason = fields["quarantine"] {
            action = .quarantine(reason: String(reason))
        } else if fields.hasWord("discard") {
            action = .discard
        } else {
            return .unparseable(.truncatedSendmail)
        }
        return .event(
            .decision(
                queueID: queueID,
                RulesetDecision(
                    ruleset: String(ruleset),
                    arg1: fields["arg1"].map(String.init),
                    arg2: fields["arg2"].map(String.init),
                    peer: fields["relay"].map(Relay.sendmail),
                    action: action
                )
            )
        )
    }
}

extension Substring {
    func range(ofLast needle: String) -> Range<Substring.Index>? {
        var found: Range<Substring.Index>?
        var rest = self[...]
        while let range = rest.firstRange(of: needle) {
            found = range
            rest = rest[range.upperBound...]
        }
        return found
    }
}
