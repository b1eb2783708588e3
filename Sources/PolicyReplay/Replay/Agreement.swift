import AccessPolicy
public import RecordedSessions

/// Whether a replayed decision matches what the log shows the MTA did.
public struct Agreement: Hashable, Sendable {
    /// The classification.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// The log shows the same outcome.
        case agrees
        /// The log shows a different outcome.
        case disagrees
        /// The log does not show what happened at this step.
        case notRecorded = "not-recorded"
        /// The log shows the outcome, but the decision depends on facts the log lacks: no comparison is made.
        case unknown
    }

    /// The classification.
    public var kind: Kind
    /// What the log shows (or why no comparison was made).
    public var detail: String

    /// Creates a classification.
    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// Classifies a result against the observed outcome.
    ///
    /// - A logged refusal (`reject=`) agrees with a replayed refusal with the same code, enhanced status and
    ///   text (sendmail's `<address>... ` prefix ignored); a logged discard or quarantine with the same action.
    /// - Evidence that the step was passed (later commands, a delivery) agrees with accept or RELAY.
    /// - A delivery status after tls_server: a `Deferred`/bounce whose text carries the replayed reply agrees
    ///   with that refusal; `Sent`, or a failure that is not a TLS policy reply, agrees with acceptance.
    /// - An undetermined decision is never compared: ``Kind/unknown``.
    /// - A refusal logged without a ruleset (`User unknown`) comes after check_rcpt accepted: it agrees with
    ///   accept or RELAY.
    /// - Postfix refusals are compared by reply class only (4xx/5xx): Postfix words its replies itself.
    public static func classify(
        result: PolicyResult,
        determination: Determination,
        observed: ObservedOutcome,
        source: RecordedSession.Source = .sendmail
    ) -> Agreement {
        if case .unknown = observed { return Agreement(.notRecorded, "the log does not show this step") }
        if case .undetermined(let missing, _) = determination {
            let names = missing.map(\.description).joined(separator: ", ")
            return Agreement(.unknown, "depends on \(names), which the log does not carry")
        }
        switch observed {
        case .unknown:
            return Agreement(.notRecorded, "the log does not show this step")
        case .passed(let evidence):
            let accepted = result.kind == .accept || result.kind == .relay
            return Agreement(accepted ? .agrees : .disagrees, "passed: \(evidence)")
        case .decision(let decision):
            if source == .postfix {
                // Postfix words its replies itself: only the action and the reply class can be compared.
                guard case .reject(let text) = decision.action else { return compare(result, decision) }
                let logged = SMTPReply(errorHost: nil, text: text)
                let same = result.reply.map { $0.code / 100 == logged.code / 100 } ?? false
                return Agreement(same ? .agrees : .disagrees, "logged (Postfix, compared by reply class): \(text)")
            }
            return compare(result, decision)
        case .delivery(let delivery):
            return compare(result, delivery)
        }
    }

    static func compare(_ result: PolicyResult, _ decision: RulesetDecision) -> Agreement {
        if decision.ruleset.isEmpty, case .reject(let text) = decision.action {
            // Refused by the MTA after the rulesets (`User unknown` has no ruleset= line): the call passed.
            let accepted = result.kind == .accept || result.kind == .relay
            return Agreement(accepted ? .agrees : .disagrees, "passed, then refused by the MTA itself: \(text)")
        }
        switch decision.action {
        case .discard:
            return Agreement(result.kind == .discard ? .agrees : .disagrees, "logged: discard")
        case .quarantine(let reason):
            let same = result.kind == .quarantine && result.quarantineReason == reason
            return Agreement(same ? .agrees : .disagrees, "logged: quarantine=\(reason)")
        case .reject(let text):
            let logged = normalisedReply(text)
            guard let reply = result.reply, result.kind == .reject || result.kind == .tempfail else {
                return Agreement(.disagrees, "logged: reject=\(text)")
            }
            let same =
                logged.code == reply.code && logged.enhancedStatus == reply.enhancedStatus
                && logged.text == reply.text
            return Agreement(same ? .agrees : .disagrees, "logged: reject=\(text)")
        }
    }

    static func compare(_ result: PolicyResult, _ delivery: DeliveryRecord) -> Agreement {
        let text = delivery.statusText ?? ""
        let logged = "stat=\(delivery.status.rawValue)\(text.isEmpty ? "" : ": " + text)"
        if let reply = result.reply, !result.kind.continues {
            let failed = delivery.status == .deferred || delivery.status == .bounced
            let carries = text.contains(reply.description) || (!reply.text.isEmpty && text.contains(reply.text))
            return Agreement(failed && carries ? .agrees : .disagrees, "logged: \(logged)")
        }
        let policyFailure =
            (delivery.status == .deferred || delivery.status == .bounced)
            && (text.contains(" 4.7.0 ") || text.contains(" 5.7.0 ") || text.contains("4.7.0 CN"))
        return Agreement(policyFailure ? .disagrees : .agrees, "logged: \(logged)")
    }

    /// A logged reply with sendmail's `<address>... ` (or `address... `) prefix removed from its text.
    static func normalisedReply(_ text: String) -> SMTPReply {
        var reply = SMTPReply(errorHost: nil, text: text)
        let bytes = Array(reply.text.utf8)
        var index = 0
        while index + 3 < bytes.count, bytes[index] != 0x20 {
            if bytes[index] == 0x2E, bytes[index + 1] == 0x2E, bytes[index + 2] == 0x2E, bytes[index + 3] == 0x20 {
                reply.text = String(decoding: bytes[(index + 4)...], as: UTF8.self)
                break
            }
            index += 1
        }
        return reply
    }
}
