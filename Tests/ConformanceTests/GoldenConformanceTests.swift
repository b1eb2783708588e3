import Foundation
import Testing

/// The engine (`accesspolicy makemap gdbm` + `accesspolicy bt`) against the goldens recorded from sendmail 8.17.1.9.
/// One parameterized test per suite; each argument is one case file, so a failure names the case, the input line,
/// the expected and the actual result.
@Suite("Conformance goldens: TLS rulesets")
struct TLSGoldenTests {
    @Test("tls_client goldens", arguments: Harness.goldenCases("tls_client"))
    func tlsClient(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test("tls_server goldens", arguments: Harness.goldenCases("tls_server"))
    func tlsServer(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test("tls_rcpt goldens", arguments: Harness.goldenCases("tls_rcpt"))
    func tlsRcpt(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test(
        "try_tls, srv_features, clt_features, RelayTLS, trust_auth goldens",
        arguments: Harness.goldenCases("tls_misc")
    )
    func tlsMisc(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }
}

@Suite("Conformance goldens: relay rulesets")
struct RelayGoldenTests {
    @Test("check_relay goldens", arguments: Harness.goldenCases("check_relay"))
    func checkRelay(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test("check_mail goldens", arguments: Harness.goldenCases("check_mail"))
    func checkMail(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test("check_rcpt goldens", arguments: Harness.goldenCases("check_rcpt"))
    func checkRcpt(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }
}

/// Unusual input recorded from sendmail: character soup in macros, map values and inputs, junk addresses,
/// temporary map failures (a socketmap answering TEMP), and input-syntax edge cases.
@Suite("Conformance goldens: chaos, tempfail, edges, quirks, unusable values")
struct HardeningGoldenTests {
    @Test("TLS rulesets with soup in macros, map values and inputs", arguments: Harness.goldenCases("chaos_tls"))
    func chaosTLS(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test("tls_rcpt, check_mail, check_rcpt on junk addresses", arguments: Harness.goldenCases("chaos_addr"))
    func chaosAddresses(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test("relay rulesets with soup in macros, map values and inputs", arguments: Harness.goldenCases("chaos_relay"))
    func chaosRelay(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test("every ruleset with temporary map failures", arguments: Harness.goldenCases("tempfail"))
    func tempfail(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test("input-syntax edge cases", arguments: Harness.goldenCases("edges"))
    func edges(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test(
        "inputs the live oracle once caught the engine on (dequote, `<@@…>`, `%` hacks, values without tokens)",
        arguments: Harness.goldenCases("quirks")
    )
    func quirks(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }

    @Test(
        "map values without tokens whose key reads as a value (tls_rcpt, check_mail, Rcpt_ok, ParseRecipient)",
        arguments: Harness.goldenCases("unusable")
    )
    func unusable(_ testCase: ConformanceCase) throws { try Harness.checkEngine(testCase) }
}

/// Checks on the goldens themselves: they parse, they are big enough, the generator reproduces them, and (where
/// sendmail is installed) sendmail still gives exactly the recorded results.
@Suite("Conformance goldens: harness")
struct GoldenHarnessTests {
    static let allSuites = Harness.tlsSuites + Harness.relaySuites + Harness.hardeningSuites

    @Test("every golden parses and every ruleset line has an expectation", arguments: allSuites)
    func goldensAreComplete(_ suite: String) throws {
        let cases = Harness.goldenCases(suite)
        #expect(cases.count >= 20, "suite \(suite) has only \(cases.count) cases")
        for c in cases {
            #expect(!c.variant.hasPrefix("unparsable"), "\(c.path): \(c.variant)")
            #expect(!c.commands.isEmpty, "\(c.path): no ruleset lines")
            #expect(c.commands.allSatisfy { $0.expected != nil }, "\(c.path): ruleset line without `=>`")
        }
    }

    @Test("the goldens hold a few thousand TLS lines and at least 1,000 relay lines")
    func goldenSize() {
        let tls = Harness.tlsSuites.flatMap(Harness.goldenCases).reduce(0) { $0 + $1.commands.count }
        let relay = Harness.relaySuites.flatMap(Harness.goldenCases).reduce(0) { $0 + $1.commands.count }
        #expect(tls >= 3000)
        #expect(relay >= 1000)
    }

    /// The generator is deterministic: regenerating from the seeds in record-goldens.sh gives the committed maps
    /// and scripts (expectation lines aside).
    @Test(
        "the generator reproduces the golden inputs from their seeds",
        .enabled(if: Harness.pythonAvailable, "python3 is not installed"),
        arguments: allSuites
    )
    func generatorIsDeterministic(_ suite: String) throws {
        let (seed, count) = try #require(Self.seeds()[suite], "no seed for \(suite) in record-goldens.sh")
        let dir = try Harness.scratchDirectory("gen")
        defer { try? FileManager.default.removeItem(at: dir) }
        let python = try #require(Harness.which("python3"))
        let gen = try Harness.run(
            python,
            [
                Harness.oracleScripts.appendingPathComponent("gen.py").path, "--suite", suite, "--seed", "\(seed)",
                "--count", "\(count)", "--out", dir.path,
            ]
        )
        try #require(gen.status == 0, "gen.py failed: \(gen.stderr)")
        let golden = Harness.goldenCases(suite)
        #expect(golden.count == count)
        for g in golden {
            let file = URL(fileURLWithPath: g.path).lastPathComponent
            let fresh = try ConformanceCase.parse(path: dir.appendingPathComponent("\(suite)/\(file)").path)
            #expect(fresh.mapLines == g.mapLines, "\(g.name): map differs from the generator's")
            #expect(fresh.script.map(\.text) == g.script.map(\.text), "\(g.name): script differs from the generator's")
            #expect(fresh.variant == g.variant && fresh.mcLines == g.mcLines, "\(g.name): variant differs")
        }
    }

    /// sendmail on this machine still records exactly the goldens (proves they are current and the recorder
    /// deterministic). Cases naming one of this machine's own names are reported by the recorder, not hidden.
    @Test(
        "sendmail reproduces the goldens",
        .enabled(
            if: Harness.oracleAvailable,
            "sendmail/makemap/m4/python3 missing, host name unqualified, or checkout below a world-writable directory"
        ),
        arguments: allSuites
    )
    func sendmailReproducesGoldens(_ suite: String) throws {
        let files = Harness.goldenCases(suite).map(\.path)
        let work = try Harness.scratchDirectory("check")
        defer { try? FileManager.default.removeItem(at: work) }
        let python = try #require(Harness.which("python3"))
        let result = try Harness.run(
            python,
            [Harness.oracleScripts.appendingPathComponent("oracle.py").path, "record", "--check", "--jobs", "1"]
                + files,
            environment: ["ORACLE_WORK": work.path]
        )
        #expect(
            result.status == 0,
            """
            sendmail disagrees with the goldens of \(suite):
            \(result.stdout.prefix(4000))
            \(result.stderr.suffix(2000))
            """
        )
    }

    static func seeds() -> [String: (Int, Int)] {
        let script = Harness.oracleScripts.appendingPathComponent("record-goldens.sh")
        guard let text = try? String(contentsOf: script, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("SUITES=") })
        else { return [:] }
        var out: [String: (Int, Int)] = [:]
        let list = line.dropFirst("SUITES=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        for item in list.split(separator: " ") {
            let parts = item.split(separator: ":")
            if parts.count == 3, let seed = Int(parts[1]), let count = Int(parts[2]) {
                out[String(parts[0])] = (seed, count)
            }
        }
        return out
    }
}
