import Foundation
import Testing

/// Fresh random cases, recorded from sendmail now and compared with the engine: catches what the committed goldens
/// happen not to cover. The seed is fixed by default (``defaultSeed``), so the suite gives the same verdict on every
/// run; `CONFORMANCE_SEED=random` draws one (printed, for hunting new differences), `CONFORMANCE_SEED=<seed>`
/// reproduces one (`CONFORMANCE_COUNT` = cases per suite, default 3).
@Suite("Conformance: live sendmail vs engine")
struct LiveOracleTests {
    /// The seed a plain `swift test` uses. A random seed in CI turned every difference not yet fixed into a failure
    /// of an unrelated change; random seeds are for looking (`CONFORMANCE_SEED=random`), goldens for keeping.
    static let defaultSeed = 209_915_453

    @Test(
        "fresh random cases agree with sendmail",
        // Needs the real sendmail (scripts/setup.sh --oracle) and a qualified host name; skipped elsewhere.
        .enabled(
            if: Harness.oracleAvailable,
            "sendmail/makemap/m4/python3 missing, host name unqualified, or checkout below a world-writable directory"
        )
    )
    func freshCases() throws {
        let env = ProcessInfo.processInfo.environment
        let seed: Int
        switch env["CONFORMANCE_SEED"] {
        case nil, "": seed = Self.defaultSeed
        case "random": seed = Int.random(in: 100_000..<1_000_000_000)
        case let text?: seed = try #require(Int(text), "CONFORMANCE_SEED must be a number or `random`, not \(text)")
        }
        let count = env["CONFORMANCE_COUNT"].flatMap(Int.init) ?? 3
        print("live conformance: seed \(seed), \(count) cases per suite (CONFORMANCE_SEED=\(seed) to reproduce)")
        let dir = try Harness.scratchDirectory("live")
        defer { if env["CONFORMANCE_KEEP"] == nil { try? FileManager.default.removeItem(at: dir) } }
        let python = try #require(Harness.which("python3"))
        let gen = try Harness.run(
            python,
            [
                Harness.oracleScripts.appendingPathComponent("gen.py").path, "--suite", "all", "--seed", "\(seed)",
                "--count", "\(count)", "--out", dir.appendingPathComponent("cases").path,
            ]
        )
        try #require(gen.status == 0, "gen.py failed: \(gen.stderr)")
        let suites = Harness.tlsSuites + Harness.relaySuites + Harness.hardeningSuites
        var files: [String] = []
        for suite in suites {
            let sub = dir.appendingPathComponent("cases/\(suite)")
            let names = try FileManager.default.contentsOfDirectory(atPath: sub.path).sorted()
            files += names.map { sub.appendingPathComponent($0).path }
        }
        let record = try Harness.run(
            python,
            [Harness.oracleScripts.appendingPathComponent("oracle.py").path, "record", "--jobs", "1"] + files,
            environment: ["ORACLE_WORK": dir.appendingPathComponent("work").path]
        )
        try #require(record.status == 0, "recording with sendmail failed (seed \(seed)): \(record.stderr)")
        var checked = 0
        for file in files {
            let testCase = try ConformanceCase.parse(path: file)
            // Cases the recorder skipped (they name one of this machine's own names) have no expectations.
            guard testCase.commands.contains(where: { $0.expected != nil }) else { continue }
            do {
                try Harness.checkEngine(testCase)
            } catch {
                // Already recorded as an issue by `#require`; go on so one failing case does not hide the others.
            }
            checked += 1
        }
        #expect(checked > 0, "no live case could be recorded (seed \(seed))")
    }
}
