import AccessMap
import Foundation
import Testing

@testable import AccessPolicy

/// The typed decisions' byte-level fast paths (`CheckRcptFastPath`, `TLSPeerFastPath`) on sendmail's own recorded
/// cases: every check_rcpt and tls_rcpt line of the goldens is asked through the typed API too
/// (`PolicyEngine.checkRcpt`, `tlsRecipient`), with the macros, classes and map the script has at that line, and
/// must give the decision of the line's general-engine result — the result `GoldenConformanceTests` checks against
/// sendmail's output, as this test checks again here. The random differential tests (`CheckRcptFastPathTests`,
/// `TLSFastPathTests`) cover far more inputs; these are the cases picked to probe sendmail's corners.
@Suite("Fast paths on the goldens")
struct FastPathGoldenTests {
    struct Tally {
        var compared = 0
        var answeredByFastPath = 0
    }

    @Test(
        "typed check_rcpt and tls_rcpt agree with sendmail's recorded results",
        arguments: ["check_rcpt", "tls_rcpt"]
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
        var number = 0
        for line in testCase.script {
            number += 1
            let prefix = ruleset + " "
            let text = line.text.hasPrefix("Start,") ? String(line.text.dropFirst("Start,".count)) : line.text
            if text.hasPrefix(prefix), let expected = line.expected {
                let input = String(text.dropFirst(prefix.count))
                // One address, read alike by `-bt` and the typed API (which treats parentheses as comments).
                if !input.contains(","), !input.contains("("), input.utf8.count <= 255 {
                    let engine = PolicyEngine(configuration: interpreter.configuration, source: source)
                    let tokens = Tokenizer.tokenize(input, parenthesesAreComments: false)
                    let ask = PolicyRuleset(rawValue: ruleset)
                    if !tokens.isEmpty, let general = engine.run(ask, input: tokens, session: interpreter.macros) {
                        let place = Comment(rawValue: "\(testCase.path):\(line.fileLine): \(line.text)")
                        #expect(general.result.testModeLine == expected, place)
                        let session = interpreter.macros
                        var answered = false
                        if ruleset == "check_rcpt" {
                            let typed = engine.checkRcpt(input, session: session)
                            #expect(typed == PolicyDecision(general.result), place)
                            if let fast = engine.checkRcptFastPath.decide(input, session: session, in: source) {
                                answered = true
                                #expect(fast == typed, place)
                            }
                        } else {
                            let typed = engine.tlsRecipient(input, session: session)
                            #expect(typed == TLSPolicyDecision(general.result), place)
                            if let fast = engine.tlsPeerFastPath.decideRecipient(input, session: session, in: source) {
                                answered = true
                                #expect(fast == typed, place)
                            }
                        }
                        if answered { tally.answeredByFastPath += 1 }
                        tally.compared += 1
                    }
                }
            }
            _ = interpreter.execute(line.text, number: number)
        }
    }
}
