import AccessMap
import Foundation
import Testing

@testable import AccessPolicy

/// The typed decisions' byte-level fast paths (`CheckRcptFastPath`, `TLSPeerFastPath`) on sendmail's own recorded
/// cases: every check_rcpt, tls_rcpt, tls_client and tls_server line of the goldens that the typed API can ask is
/// asked through it too (`PolicyEngine.checkRcpt`, `tlsRecipient`, `tlsClient`, `tlsServer`), with the macros,
/// classes and map the script has at that line, and must give the decision of the line's general-engine result —
/// the result `GoldenConformanceTests` checks against sendmail's output, as this test checks again here. The random
/// differential tests (`CheckRcptFastPathTests`, `TLSFastPathTests`) cover far more inputs; these are the cases
/// picked to probe sendmail's corners.
@Suite("Fast paths on the goldens")
struct FastPathGoldenTests {
    struct Tally {
        var compared = 0
        var answeredByFastPath = 0
    }

    @Test(
        "typed check_rcpt, tls_rcpt, tls_client and tls_server agree with sendmail's recorded results",
        arguments: ["check_rcpt", "tls_rcpt", "tls_client", "tls_server"]
    )
    func typedDecisionsMatchTheGoldens(_ ruleset: String) throws {
        var tally = Tally()
        let suites = Harness.relaySuites + Harness.tlsSuites + Harness.hardeningSuites
        for testCase in suites.flatMap(Harness.goldenCases) {
            try check(testCase, ruleset: ruleset, tally: &tally)
        }
        // The goldens must reach the fast path, or this test proves nothing about it.
        #expect(tally.compared >= 400, "\(ruleset): \(tally.compared) golden lines compared")
        #expect(tally.answeredByFastPath >= 100, "\(ruleset): fast path answered \(tally.answeredByFastPath)")
    }

    private func check(_ testCase: ConformanceCase, ruleset: String, tally: inout Tally) throws {
        // Byte-exact only: the script and map go through Swift strings here, not the CLI's lossless reader.
        guard (testCase.mapText + testCase.scriptText).utf8.allSatisfy({ $0 < 0x80 }) else { return }
        let config = Harness.variantConfig(testCase.variant)
        guard !config.missing else { return }  // GoldenConformanceTests reports a missing variant
        let file = try config.path.map { try ConfigFile.load(path: $0) } ?? ConfigFile()
        let dir = try Harness.scratchDirectory("fastpath")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("access.db").path
        _ = try MapBuilder().build(from: Array(testCase.mapText.utf8), into: path, diagnostics: { _ in })
        var source = GDBMAccessMapSource.open(path: path, optional: file.accessMapOptional)
        if let marker = testCase.tempfailMarker {
            source = TemporaryFailureInjectingSource(base: source, marker: marker)
        }
        var interpreter = TestModeInterpreter(configuration: file.policy, source: source)
        for (number, line) in testCase.script.enumerated() {
            if let expected = line.expected, let input = Self.input(of: line.text, ruleset: ruleset) {
                let engine = PolicyEngine(configuration: interpreter.configuration, source: source)
                let tokens = Tokenizer.tokenize(input, parenthesesAreComments: false)
                let ask = PolicyRuleset(rawValue: ruleset)
                if !tokens.isEmpty, let general = engine.run(ask, input: tokens, session: interpreter.macros) {
                    let place = Comment(rawValue: "\(testCase.path):\(line.fileLine): \(line.text)")
                    #expect(general.result.testModeLine == expected, place)
                    let answered = compare(
                        ruleset,
                        input: input,
                        tokens: tokens,
                        general: general.result,
                        engine: engine,
                        session: interpreter.macros,
                        place: place
                    )
                    if let answered {
                        tally.compared += 1
                        if answered { tally.answeredByFastPath += 1 }
                    }
                }
            }
            _ = interpreter.execute(line.text, number: number + 1)
        }
    }

    /// The input of a `ruleset input` line (or `Start,ruleset input`) that the typed API reads as `-bt` does: one
    /// address (no comma), no parentheses (the typed API reads them as comments), at most 255 bytes.
    static func input(of line: String, ruleset: String) -> String? {
        let text = line.hasPrefix("Start,") ? String(line.dropFirst("Start,".count)) : line
        guard text.hasPrefix(ruleset + " ") else { return nil }
        let input = String(text.dropFirst(ruleset.count + 1))
        guard !input.contains(","), !input.contains("("), input.utf8.count <= 255 else { return nil }
        return input
    }

    /// Asks the typed API and its fast path: `nil` when the line is not one the typed call can ask, else whether
    /// the fast path answered (both answers are checked against `general`).
    private func compare(
        _ ruleset: String,
        input: String,
        tokens: [Token],
        general: RulesetResult,
        engine: PolicyEngine,
        session: SessionMacros,
        place: Comment
    ) -> Bool? {
        let source = engine.source
        switch ruleset {
        case "check_rcpt":
            let typed = engine.checkRcpt(input, session: session)
            #expect(typed == PolicyDecision(general), place)
            guard let fast = engine.checkRcptFastPath.decide(input, session: session, in: source) else { return false }
            #expect(fast == typed, place)
            return true
        case "tls_rcpt":
            let typed = engine.tlsRecipient(input, session: session)
            #expect(typed == TLSPolicyDecision(general), place)
            guard let fast = engine.tlsPeerFastPath.decideRecipient(input, session: session, in: source) else {
                return false
            }
            #expect(fast == typed, place)
            return true
        default:
            // tls_client and tls_server read `{verify}` from the session: only the lines whose input is
            // `$&{verify} $| phase` (tls_client) or `$&{verify}` (tls_server) are theirs.
            let verify = Tokenizer.tokenize(session[.verify] ?? "", parenthesesAreComments: false)
            let typed: TLSPolicyDecision
            let fast: TLSPolicyDecision?
            if ruleset == "tls_client" {
                let phases: [PolicyEngine.TLSClientPhase] = [.mail, .startTLS]
                guard let phase = phases.first(where: { tokens == verify + [Token("$|"), Token($0.rawValue)] }) else {
                    return nil
                }
                typed = engine.tlsClient(session, phase: phase)
                fast = engine.tlsPeerFastPath.decide(session, peer: TLSPeerFastPath.client, in: source)
            } else {
                guard tokens == verify else { return nil }
                typed = engine.tlsServer(session)
                fast = engine.tlsPeerFastPath.decide(session, peer: TLSPeerFastPath.server, in: source)
            }
            #expect(typed == TLSPolicyDecision(general), place)
            guard let fast else { return false }
            #expect(fast == typed, place)
            return true
        }
    }
}
