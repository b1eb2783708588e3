import AccessMap
import AccessPolicy
import Foundation
import PolicyReplay
import RecordedSessions
import Testing

@Suite("Decisions, determination and agreement")
struct ReplayDecisionTests {
    static let log = """
        Nov 21 10:00:01 mx sm-mta[100]: 4ALA0001000100: ruleset=check_mail, arg1=<x@a.example>, relay=a.example [192.0.2.1], reject=454 4.7.0 authentication required
        Nov 21 10:00:02 mx sm-mta[100]: a.example [192.0.2.1] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA-v4
        Nov 21 10:00:03 mx sm-mta[101]: ruleset=check_relay, arg1=b.example, arg2=192.0.2.3, relay=b.example [192.0.2.3], reject=550 5.7.1 Access denied
        Nov 21 10:00:04 mx sm-mta[102]: 4ALA0001000102: ruleset=check_rcpt, arg1=<u@far.example>, relay=c.example [192.0.2.4], reject=550 5.7.1 <u@far.example>... Relaying denied

        """

    @Test("logged rejections agree when the replay gives the same reply (the <address>... prefix ignored)")
    func agreementWithLoggedRejections() throws {
        let policy = try policy(map: "TLS_Clt:a.example\tVERIFY\nConnect:192.0.2.3\tREJECT\n")
        let (sessions, report) = try replay(Array(Self.log.utf8), policy: policy)
        let a = try #require(sessions.first { $0.session.peer == "a.example" })
        let mail = try #require(a.decisions("check_mail").first)
        #expect(mail.result.summary == "454 4.7.0 authentication required")
        #expect(mail.agreement.kind == .agrees)
        let b = try #require(sessions.first { $0.session.peer == "b.example" })
        #expect(b.decisions("check_relay").first?.agreement.kind == .agrees)
        let c = try #require(sessions.first { $0.session.peer == "c.example" })
        let rcpt = try #require(c.decisions("check_rcpt").first)
        #expect(rcpt.result.summary == "550 5.7.1 Relaying denied")
        #expect(rcpt.agreement.kind == .agrees)
        #expect(report.byAgreement[.agrees, default: 0] >= 3)
    }

    @Test("a map that lost an entry disagrees with the logged rejection")
    func disagreement() throws {
        let policy = try policy(map: "TLS_Clt:a.example\tVERIFY\n")
        let (sessions, report) = try replay(Array(Self.log.utf8), policy: policy)
        let b = try #require(sessions.first { $0.session.peer == "b.example" })
        let relay = try #require(b.decisions("check_relay").first)
        #expect(relay.result.kind == .accept)
        #expect(relay.agreement.kind == .disagrees)
        #expect(report.sessionsDisagreeing == 1)
        #expect(report.disagreementExamples.count == 1)
    }

    @Test("ENCR with unknown cipher bits is undetermined; with known bits it is determined")
    func requirementNeedsBits() throws {
        let policy = try policy(map: "TLS_Clt:a.example\tENCR:128\n")
        var macros = SessionMacros()
        macros[.clientName] = "a.example"
        macros[.clientAddr] = "192.0.2.1"
        var step = PolicyStep(
            ruleset: .tlsClient,
            arguments: ["OK", "STARTTLS"],
            macros: macros,
            unknownMacros: [.cipherBits, .authSSF]
        )
        let unknown = policy.evaluate(step)
        #expect(
            unknown.determination
                == .undetermined(missing: [.authSSF, .cipherBits], assumption: Determination.emptyAssumption)
        )
        #expect(unknown.result.summary == "454 4.7.0 encryption too weak 0 less than 128")
        step.unknownMacros = []
        step.macros[.cipherBits] = "256"
        step.macros[.authSSF] = ""
        #expect(policy.evaluate(step).determination == .determined)
        #expect(policy.evaluate(step).result.kind == .accept)
    }

    @Test("unknown bits do not matter without a requirement, nor for VERIFY when {verify} is not OK")
    func bitsIrrelevant() throws {
        let policy = try policy(map: "TLS_Clt:a.example\tVERIFY:128\n")
        var macros = SessionMacros()
        macros[.clientName] = "b.example"
        macros[.clientAddr] = "192.0.2.2"
        let other = PolicyStep(
            ruleset: .tlsClient,
            arguments: ["OK", "MAIL"],
            macros: macros,
            unknownMacros: [.cipherBits]
        )
        #expect(policy.evaluate(other).determination == .determined)
        macros[.clientName] = "a.example"
        let failed = PolicyStep(
            ruleset: .tlsClient,
            arguments: ["FAIL", "MAIL"],
            macros: macros,
            unknownMacros: [.cipherBits]
        )
        #expect(policy.evaluate(failed).determination == .determined)
        #expect(policy.evaluate(failed).result.summary == "454 4.7.0 authentication failed")
    }

    @Test("an unknown client address matters only if the map has address keys for the tag")
    func addressKeys() throws {
        var macros = SessionMacros()
        macros[.clientName] = "a.example"
        let step = PolicyStep(
            ruleset: .tlsClient,
            arguments: ["OK", "MAIL"],
            macros: macros,
            unknownMacros: [.clientAddr]
        )
        let withoutAddresses = try policy(map: "TLS_Clt:b.example\tVERIFY\nConnect:10.1\tREJECT\n")
        #expect(withoutAddresses.evaluate(step).determination == .determined)
        let withAddresses = try policy(map: "TLS_Clt:10.1\tVERIFY\n")
        #expect(!withAddresses.evaluate(step).determination.isDetermined)
    }

    @Test("an unknown client address is never taken as empty (sendmail would treat that client as local)")
    func unknownAddressIsNotLocal() throws {
        let policy = try policy(map: "Connect:10.1\tRELAY\n")
        var macros = SessionMacros()
        macros[.clientName] = "a.example"
        let step = PolicyStep(
            ruleset: PolicyRuleset(rawValue: "check_rcpt"),
            arguments: ["<u@far.example>"],
            macros: macros,
            unknownMacros: [.clientAddr]
        )
        let evaluation = policy.evaluate(step)
        #expect(evaluation.result.summary == "550 5.7.1 Relaying denied")
        #expect(!evaluation.determination.isDetermined)
    }

    @Test("RelayTLS with a verified certificate relays; the explanation names the CERTISSUER entry")
    func explainRelayTLS() throws {
        let policy = try policy(map: "CERTISSUER:/C=US/O=CA\tRELAY\n")
        var macros = SessionMacros()
        macros[.verify] = "OK"
        macros[.certIssuer] = "/C=US/O=CA"
        macros[.certSubject] = "/CN=x"
        let evaluation = policy.evaluate(PolicyStep(ruleset: .relayTLS, arguments: [], macros: macros), explain: true)
        #expect(evaluation.result.kind == .relay)
        let explanation = try #require(evaluation.explanation)
        let decisive = try #require(explanation.decisiveLookup)
        #expect(explanation.lookups[decisive].key.hasPrefix("CERTISSUER:"))
        #expect(explanation.rule.contains("RELAY"))
    }

    @Test("JSON Lines: every line is a JSON object with the documented fields")
    func jsonLines() throws {
        let policy = try policy(map: "TLS_Clt:a.example\tVERIFY\n")
        let (sessions, report) = try replay(Array(Self.log.utf8), policy: policy, explain: true)
        var lines = sessions.map(ReplayRendering.jsonLines).filter { !$0.isEmpty }.flatMap { $0.split(separator: "\n") }
        lines.append(Substring(ReplayRendering.jsonSummary(report)))
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let type = try #require(object["type"] as? String)
            if type == "decision" {
                for key in [
                    "session", "ruleset", "arguments", "kind", "result", "bt", "determined", "agreement", "explain",
                ] {
                    #expect(object[key] != nil, "missing \(key)")
                }
            } else {
                #expect(type == "summary")
                #expect(object["sessions"] as? Int == report.sessions)
            }
        }
    }
}
