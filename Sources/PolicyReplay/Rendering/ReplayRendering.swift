import AccessMap
import AccessPolicy
import RecordedSessions

/// Output formats of a replay.
public enum ReplayFormat: String, Hashable, Sendable, CaseIterable {
    /// A readable table, one block per session.
    case table
    /// One JSON object per decision per line, then one summary object (schema in `docs/replay.md`).
    case json
}

/// Renders replay results as text.
public enum ReplayRendering {
    /// The session header and one line per decision (with explanation lines when present).
    public static func table(_ result: ReplaySessionResult) -> String {
        let s = result.session
        var header = "session \(s.sequenceNumber): \(s.source.rawValue) \(s.direction.rawValue)"
        if let pid = s.pid { header += ", pid \(pid)" }
        header += ", lines \(s.firstLine)–\(s.lastLine)"
        header += ", peer \(s.peer ?? "unknown")"
        if s.isAbridged { header += " (abridged log)" }
        var lines = [header]
        for decision in result.decisions {
            lines += decisionLines(decision)
        }
        return lines.joined(separator: "\n")
    }

    static func decisionLines(_ decision: ReplayDecision) -> [String] {
        let call = pad(decision.step.callText, 44)
        var line = "  " + call + " " + pad(decision.result.summary, 40)
        line += " " + decision.agreement.kind.rawValue
        if decision.agreement.kind == .agrees || decision.agreement.kind == .disagrees {
            line += " (\(decision.agreement.detail))"
        }
        var lines = [line]
        if case .undetermined(let missing, let assumption) = decision.determination {
            lines.append(
                "      undetermined: the log lacks \(missing.map(\.description).joined(separator: ", "))"
                    + " (result shown with \(assumption))"
            )
        }
        if let explanation = decision.explanation { lines += explanation.lines(indent: "      ") }
        return lines
    }

    /// One JSON object per decision (no trailing newline on the last).
    public static func jsonLines(_ result: ReplaySessionResult) -> String {
        result.decisions.map { json($0).rendered }.joined(separator: "\n")
    }

    static func json(_ decision: ReplayDecision) -> JSONObject {
        var o = JSONObject()
        let s = decision.session
        o.add("type", "decision")
        o.add("session", s.sequenceNumber)
        o.add("source", s.source.rawValue)
        o.add("direction", s.direction.rawValue)
        o.add("pid", s.pid)
        o.add("first_line", s.firstLine)
        o.add("last_line", s.lastLine)
        o.add("peer", s.peer)
        o.add("step", decision.stepIndex)
        o.add("ruleset", decision.step.ruleset.rawValue)
        o.add("arguments", strings: decision.step.arguments)
        o.add("transaction", decision.step.transactionIndex)
        o.add("recipient", decision.step.recipient)
        o.add("kind", decision.result.kind.rawValue)
        o.add("result", decision.result.summary)
        o.add("bt", decision.result.line)
        if let reply = decision.result.reply {
            var r = JSONObject()
            r.add("code", reply.code)
            r.add("status", reply.enhancedStatus)
            r.add("text", reply.text)
            o.add("reply", raw: r.rendered)
        } else {
            o.add("reply", raw: "null")
        }
        switch decision.determination {
        case .determined:
            o.add("determined", true)
            o.add("missing", strings: [])
            o.add("assumption", nil as String?)
        case .undetermined(let missing, let assumption):
            o.add("determined", false)
            o.add("missing", strings: missing.map(\.rawValue))
            o.add("assumption", assumption)
        }
        o.add("agreement", decision.agreement.kind.rawValue)
        o.add("observed", decision.agreement.detail)
        if let explanation = decision.explanation { o.add("explain", raw: json(explanation).rendered) }
        return o
    }

    static func json(_ explanation: PolicyExplanation) -> JSONObject {
        var o = JSONObject()
        o.add(
            "lookups",
            objects: explanation.lookups.map { entry in
                var l = JSONObject()
                l.add("key", entry.key)
                switch entry.outcome {
                case .found(let value):
                    l.add("outcome", "found")
                    l.add("value", value)
                case .notFound:
                    l.add("outcome", "not-found")
                case .temporaryFailure:
                    l.add("outcome", "tempfail")
                }
                return l
            }
        )
        o.add("decisive", explanation.decisiveLookup)
        o.add("rule", explanation.rule)
        return o
    }

    /// The summary as text: sessions, decisions by kind and ruleset, agreement with the log, undetermined
    /// decisions by missing macro, disagreement examples, and the log's parse counts.
    public static func summary(_ report: ReplayReport) -> String {
        var lines: [String] = ["== summary"]
        lines.append("sessions: \(report.sessions) (\(report.sessionsDisagreeing) with a disagreement)")
        lines.append("decisions: \(report.decisions)")
        for kind in DecisionKind.allCases {
            if let n = report.byKind[kind] { lines.append("  \(pad(kind.rawValue, 12)) \(n)") }
        }
        lines.append("by ruleset:")
        for name in report.byRuleset.keys.sorted() {
            let counts = report.byRuleset[name]!.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
            lines.append("  \(pad(name, 12)) " + counts.joined(separator: ", "))
        }
        lines.append("agreement with the log:")
        for kind in Agreement.Kind.allCases {
            lines.append("  \(pad(kind.rawValue, 12)) \(report.byAgreement[kind] ?? 0)")
        }
        if report.undetermined > 0 {
            lines.append("undetermined (the log lacks a fact; shown with \(Determination.emptyAssumption)):")
            lines.append("  \(report.undetermined) decisions; missing:")
            for (name, n) in report.undeterminedByMacro.sorted(by: { $0.key < $1.key }) {
                lines.append("    \(pad(name, 14)) \(n)")
            }
        }
        if !report.disagreementExamples.isEmpty {
            lines.append("first disagreements:")
            for d in report.disagreementExamples {
                lines.append(
                    "  session \(d.session.sequenceNumber) (lines \(d.session.firstLine)–\(d.session.lastLine)): "
                        + "\(d.step.callText) → \(d.result.summary); \(d.agreement.detail)"
                )
            }
        }
        for log in report.logs {
            lines.append("log \(log.name):")
            lines += log.statistics.description.split(separator: "\n").map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// The summary as one JSON object (`"type":"summary"`).
    public static func jsonSummary(_ report: ReplayReport) -> String {
        var o = JSONObject()
        o.add("type", "summary")
        o.add("sessions", report.sessions)
        o.add("sessions_disagreeing", report.sessionsDisagreeing)
        o.add("decisions", report.decisions)
        o.add("by_kind", counts: DecisionKind.allCases.compactMap { k in report.byKind[k].map { (k.rawValue, $0) } })
        o.add("agreement", counts: Agreement.Kind.allCases.map { ($0.rawValue, report.byAgreement[$0] ?? 0) })
        o.add("undetermined", report.undetermined)
        o.add(
            "undetermined_by_macro",
            counts: report.undeterminedByMacro.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        )
        var byRuleset = JSONObject()
        for name in report.byRuleset.keys.sorted() {
            byRuleset.add(
                name,
                raw: {
                    var c = JSONObject()
                    for (k, n) in report.byRuleset[name]!.sorted(by: { $0.key < $1.key }) { c.add(k.rawValue, n) }
                    return c.rendered
                }()
            )
        }
        o.add("by_ruleset", raw: byRuleset.rendered)
        var logs: [JSONObject] = []
        for log in report.logs {
            let parse = log.statistics
            var p = JSONObject()
            p.add("name", log.name)
            p.add("lines_read", parse.linesRead)
            p.add("lines_parsed", parse.linesParsed)
            p.add("lines_ignored", parse.totalIgnored)
            p.add("lines_unparseable", parse.totalUnparseable)
            p.add(
                "unparseable_by_reason",
                counts: parse.linesUnparseable.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                    ($0.key.rawValue, $0.value)
                }
            )
            p.add(
                "ignored_by_reason",
                counts: parse.linesIgnored.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                    ($0.key.rawValue, $0.value)
                }
            )
            p.add("lines_with_invalid_utf8", parse.linesWithInvalidUTF8)
            p.add("lines_with_nul", parse.linesWithNUL)
            p.add("lines_cut", parse.linesCut)
            p.add("sessions_evicted", parse.sessionsEvicted)
            logs.append(p)
        }
        o.add("logs", objects: logs)
        return o.rendered
    }

    static func pad(_ text: String, _ width: Int) -> String {
        let count = text.count
        return count >= width ? text : text + String(repeating: " ", count: width - count)
    }
}
