import Foundation
import Testing

/// Relay decisions against sendmail for configurations that are not one of the golden variants: the machine's own
/// Debian sendmail.mc (imported with `accesspolicy config import`), and every variant on the open-relay table.
@Suite("Conformance: relay acceptance")
struct RelayAcceptanceTests {
    static let table = Harness.packageRoot.appendingPathComponent("Fixtures/conformance/acceptance/relay-table.txt")
    static let debianMC = "/etc/mail/sendmail.mc"

    /// Every variant with an engine config, and `default`.
    static let variants: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Harness.variantsDirectory.path)) ?? []
        return ["default"] + names.filter { $0.hasSuffix(".mc") }.map { String($0.dropLast(3)) }.sorted()
    }()

    /// The Debian .mc imported gives a configuration whose check_rcpt decisions on the relay table are sendmail's
    /// with the cf m4 builds from that .mc (map moved to a scratch directory, no-DNS service switch).
    @Test(
        "accesspolicy config import of Debian's sendmail.mc decides the relay table as sendmail does",
        // Needs sendmail, sendmail-cf (m4 files) and /etc/mail/sendmail.mc; skipped elsewhere.
        .enabled(
            if: Harness.oracleAvailable && FileManager.default.fileExists(atPath: debianMC),
            "sendmail, sendmail-cf or /etc/mail/sendmail.mc missing (or host name unqualified)"
        )
    )
    func debianConfiguration() throws {
        let dir = try Harness.scratchDirectory("debian")
        defer { try? FileManager.default.removeItem(at: dir) }
        let casePath = dir.appendingPathComponent("relay-table.txt")
        try FileManager.default.copyItem(at: Self.table, to: casePath)
        let python = try #require(Harness.which("python3"))
        let record = try Harness.run(
            python,
            [Harness.oracleScripts.appendingPathComponent("mc-record.py").path, Self.debianMC, casePath.path],
            environment: ["ORACLE_WORK": dir.appendingPathComponent("work").path]
        )
        try #require(record.status == 0, "recording with sendmail failed: \(record.stderr)")
        let binary = try #require(Harness.accesspolicyBinary(), "accesspolicy binary not found: run `swift build`")
        let imported = try Harness.run(binary, ["config", "import", Self.debianMC])
        try #require(imported.status == 0, "config import failed: \(imported.stderr)")
        let config = dir.appendingPathComponent("debian.config")
        try Data(imported.stdout.utf8).write(to: config)
        let testCase = try ConformanceCase.parse(path: casePath.path)
        let actual = try Self.engineLines(testCase, config: config.path, in: dir)
        Self.compare(testCase, actual, label: "Debian sendmail.mc")
    }

    /// The open-relay table under every variant: sendmail's answers recorded now, the engine's must be equal, and
    /// above all never an acceptance where sendmail refuses.
    @Test(
        "no variant relays a trick address sendmail refuses",
        // Needs the real sendmail to record the table per variant; skipped elsewhere.
        .enabled(
            if: Harness.oracleAvailable,
            "sendmail/makemap/m4/python3 missing, host name unqualified, or checkout below a world-writable directory"
        ),
        arguments: variants
    )
    func trickSweep(_ variant: String) throws {
        let dir = try Harness.scratchDirectory("sweep")
        defer { try? FileManager.default.removeItem(at: dir) }
        let casePath = dir.appendingPathComponent("relay-table-\(variant).txt")
        var text = try String(contentsOf: Self.table, encoding: .utf8)
        text = text.replacingOccurrences(of: "case: relay-table\n", with: "case: relay-table\nvariant: \(variant)\n")
        try Data(text.utf8).write(to: casePath)
        let python = try #require(Harness.which("python3"))
        let record = try Harness.run(
            python,
            [Harness.oracleScripts.appendingPathComponent("oracle.py").path, "record", "--jobs", "1", casePath.path],
            environment: ["ORACLE_WORK": dir.appendingPathComponent("work").path]
        )
        try #require(record.status == 0, "recording with sendmail failed: \(record.stderr)")
        let testCase = try ConformanceCase.parse(path: casePath.path)
        let config = Harness.variantConfig(variant).path
        let actual = try Self.engineLines(testCase, config: config, in: dir)
        Self.compare(testCase, actual, label: "variant \(variant)")
    }

    /// Every recorded golden relay line where sendmail refuses relaying: the engine refuses too.
    @Test("the engine refuses every golden recipient sendmail refuses to relay", arguments: Harness.relaySuites)
    func goldenRefusals(_ suite: String) throws {
        var refusals = 0
        for testCase in Harness.goldenCases(suite) {
            let commands = testCase.commands
            guard commands.contains(where: { $0.expected?.contains("Relaying denied") == true }) else { continue }
            let dir = try Harness.scratchDirectory("refusals")
            defer { try? FileManager.default.removeItem(at: dir) }
            let actual = try Self.engineLines(testCase, config: Harness.variantConfig(testCase.variant).path, in: dir)
            for (index, command) in commands.enumerated() where command.expected?.contains("Relaying denied") == true {
                refusals += 1
                let got = index < actual.count ? actual[index] : "<no output line>"
                #expect(
                    Self.refuses(got),
                    "\(testCase.path):\(command.fileLine): \(command.text): sendmail refuses, engine said \(got)"
                )
            }
        }
        if suite == "check_rcpt" { #expect(refusals > 100) }
    }

    // MARK: - helpers

    /// `$#error …` (other than a quarantine) or `$#discard`: the message is not relayed.
    static func refuses(_ line: String) -> Bool {
        (line.hasPrefix("$#error") && !line.hasPrefix("$#error $@ quarantine")) || line.hasPrefix("$#discard")
    }

    static func engineLines(_ testCase: ConformanceCase, config: String?, in dir: URL) throws -> [String] {
        let binary = try #require(Harness.accesspolicyBinary(), "accesspolicy binary not found: run `swift build`")
        let mapBase = dir.appendingPathComponent("engine-access").path
        let made = try Harness.run(binary, ["makemap", "gdbm", mapBase], input: testCase.mapText)
        try #require(made.status == 0, "makemap failed: \(made.stderr)")
        var arguments = ["bt", "--map", mapBase + ".db"]
        if let config { arguments += ["--config", config] }
        let bt = try Harness.run(binary, arguments, input: testCase.scriptText)
        try #require(bt.status == 0, "accesspolicy \(arguments.joined(separator: " ")) failed: \(bt.stderr)")
        var lines = bt.stdout.components(separatedBy: "\n")
        if bt.stdout.hasSuffix("\n") { lines.removeLast() }
        return lines
    }

    static func compare(_ testCase: ConformanceCase, _ actual: [String], label: String) {
        let commands = testCase.commands
        #expect(commands.allSatisfy { $0.expected != nil }, "\(label): the recorder left lines without results")
        for (index, command) in commands.enumerated() {
            guard let expected = command.expected else { continue }
            let got = index < actual.count ? actual[index] : "<no output line>"
            #expect(got == expected, "\(label): \(command.text): sendmail \(expected), engine \(got)")
            if refuses(expected) {
                #expect(refuses(got), "\(label): \(command.text): sendmail refuses (\(expected)), engine accepts")
            }
        }
    }
}
