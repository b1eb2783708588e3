import Foundation
import OracleTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Paths, processes and the engine runner shared by the conformance tests.
enum Harness {
    /// Package root, derived from this file's location (`Tests/ConformanceTests/Harness.swift`).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let goldensDirectory = packageRoot.appendingPathComponent("Fixtures/conformance/goldens")
    static let variantsDirectory = packageRoot.appendingPathComponent("Fixtures/conformance/variants")
    static let oracleScripts = packageRoot.appendingPathComponent("scripts/oracle")

    /// Suites recorded by `scripts/oracle/record-goldens.sh` (folder names under `goldens/`).
    static let tlsSuites = ["tls_client", "tls_server", "tls_rcpt", "tls_misc"]
    static let relaySuites = ["check_relay", "check_mail", "check_rcpt"]
    static let hardeningSuites = ["chaos_tls", "chaos_addr", "chaos_relay", "tempfail", "edges", "quirks", "unusable"]

    /// All case files of one suite, parsed; a parse error becomes a case that fails with that message.
    static func goldenCases(_ suite: String) -> [ConformanceCase] {
        let dir = goldensDirectory.appendingPathComponent(suite)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().map { name in
            let path = dir.appendingPathComponent(name).path
            do {
                return try ConformanceCase.parse(path: path)
            } catch {
                return ConformanceCase(
                    name: name,
                    path: path,
                    variant: "unparsable: \(error)",
                    mcLines: [],
                    mapLines: [],
                    script: []
                )
            }
        }
    }

    /// The `accesspolicy` executable built by `swift build` (scripts/test.sh runs `swift build --build-tests` first).
    ///
    /// Search order: `$ACCESSPOLICY_BIN`; next to the running test bundle (`.build/<triple>/debug/`);
    /// `.build/debug/accesspolicy` under the package root.
    static func accesspolicyBinary() -> String? {
        let fm = FileManager.default
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["ACCESSPOLICY_BIN"], !env.isEmpty { candidates.append(env) }
        if let argv0 = CommandLine.arguments.first {
            var dir = URL(fileURLWithPath: argv0).deletingLastPathComponent()
            // Inside a bundle (…/debug/X.xctest/Contents/MacOS/X) walk up to the build directory.
            for _ in 0..<4 {
                candidates.append(dir.appendingPathComponent("accesspolicy").path)
                dir = dir.deletingLastPathComponent()
            }
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/accesspolicy").path)
        return candidates.first { fm.isExecutableFile(atPath: $0) }
    }

    struct ProcessResult: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable arguments` with `input` on stdin; stdin, stdout and stderr go through files in a private
    /// temporary directory (no pipes: nothing can block or raise SIGPIPE when the child exits early).
    static func run(
        _ executable: String,
        _ arguments: [String],
        input: String = "",
        environment: [String: String] = [:]
    ) throws -> ProcessResult {
        let fm = FileManager.default
        let io = fm.temporaryDirectory.appendingPathComponent("conformance-io-\(UUID().uuidString)")
        try fm.createDirectory(at: io, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: io) }
        let inURL = io.appendingPathComponent("stdin")
        let outURL = io.appendingPathComponent("stdout")
        let errURL = io.appendingPathComponent("stderr")
        // Latin-1 both ways: every byte of a case file reaches the process and its output unchanged.
        try (input.data(using: .isoLatin1) ?? Data(input.utf8)).write(to: inURL)
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let stdin = try FileHandle(forReadingFrom: inURL)
        let stdout = try FileHandle(forWritingTo: outURL)
        let stderr = try FileHandle(forWritingTo: errURL)
        defer {
            try? stdin.close()
            try? stdout.close()
            try? stderr.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            stdout: String(data: try Data(contentsOf: outURL), encoding: .isoLatin1) ?? "",
            stderr: String(data: try Data(contentsOf: errURL), encoding: .isoLatin1) ?? ""
        )
    }

    /// A fresh directory for one test, under the package's ignored `.oracle/` folder (not world-writable, so
    /// sendmail accepts maps in it; also fine for GDBM). Removed by the caller.
    static func scratchDirectory(_ label: String) throws -> URL {
        let base = packageRoot.appendingPathComponent(".oracle")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let dir = base.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: dir,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        return dir
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The machine's host name is qualified, directly or through an /etc/hosts alias (else sendmail sleeps 60 s at
    /// every start).
    static func hostNameIsQualified() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return false }
        let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if host.contains(".") { return true }
        guard let hosts = try? String(contentsOfFile: "/etc/hosts", encoding: .utf8) else { return false }
        for line in hosts.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.dropFirst().contains(where: { $0.hasPrefix(host + ".") }) { return true }
        }
        return false
    }

    /// sendmail, makemap, m4 and python3 are installed and sendmail can start quickly.
    static let oracleAvailable: Bool =
        which("sendmail") != nil && which("makemap") != nil && which("m4") != nil && which("python3") != nil
        && FileManager.default.fileExists(atPath: "/usr/share/sendmail/cf/m4/cf.m4") && hostNameIsQualified()
        && hasSendmailSafeAncestors(packageRoot.path)

    static let pythonAvailable: Bool = which("python3") != nil

    /// Engine config for a non-default variant: `Fixtures/conformance/variants/<variant>.config` (format defined by
    /// the engine's `--config`; see README). `CONFORMANCE_CONFIG_EXT=mc` passes the sendmail .mc instead (used with
    /// scripts/oracle/sendmail-shim.py to test the harness). nil for `default`.
    static func variantConfig(_ variant: String) -> (path: String?, missing: Bool) {
        if variant == "default" { return (nil, false) }
        let ext = ProcessInfo.processInfo.environment["CONFORMANCE_CONFIG_EXT"] ?? "config"
        let path = variantsDirectory.appendingPathComponent("\(variant).\(ext)").path
        return FileManager.default.fileExists(atPath: path) ? (path, false) : (nil, true)
    }

    /// Builds the case's map with `accesspolicy makemap gdbm`, runs `accesspolicy bt`, and records an issue for
    /// every line that differs from the expectation (case name, input line, expected, actual).
    static func checkEngine(_ testCase: ConformanceCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let commands = testCase.commands
        try #require(
            !commands.isEmpty && commands.allSatisfy { $0.expected != nil },
            "\(testCase.path): case has no (or incomplete) expectations — variant: \(testCase.variant)",
            sourceLocation: sourceLocation
        )
        let binary = try #require(
            accesspolicyBinary(),
            "accesspolicy binary not found: run `swift build` (or set ACCESSPOLICY_BIN)",
            sourceLocation: sourceLocation
        )
        let config = variantConfig(testCase.variant)
        try #require(
            !config.missing,
            """
            \(testCase.name): no engine config for variant `\(testCase.variant)` in \
            Fixtures/conformance/variants/ (sendmail .mc lines: \(testCase.mcLines.joined(separator: " ")))
            """,
            sourceLocation: sourceLocation
        )
        let dir = try scratchDirectory("engine")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mapBase = dir.appendingPathComponent("access").path
        let made = try run(binary, ["makemap", "gdbm", mapBase], input: testCase.mapText)
        try #require(
            made.status == 0 || (made.status == 65 && !testCase.mapText.isEmpty),
            "\(testCase.name): `accesspolicy makemap gdbm` exited \(made.status): \(made.stderr)",
            sourceLocation: sourceLocation
        )
        var arguments = ["bt", "--map", mapBase + ".db"]
        if let path = config.path { arguments += ["--config", path] }
        if let marker = testCase.tempfailMarker { arguments += ["--tempfail-marker", marker] }
        let bt = try run(binary, arguments, input: testCase.scriptText)
        try #require(
            bt.status == 0,
            "\(testCase.name): `accesspolicy \(arguments.joined(separator: " "))` exited \(bt.status): \(bt.stderr)",
            sourceLocation: sourceLocation
        )
        var actual = bt.stdout.components(separatedBy: "\n")
        if bt.stdout.hasSuffix("\n") { actual.removeLast() }
        var report: [String] = []
        for (index, command) in commands.enumerated() {
            let got = index < actual.count ? actual[index] : "<no output line>"
            if got != command.expected {
                report.append(
                    """
                    \(testCase.path):\(command.fileLine): \(command.text)
                        expected: \(command.expected ?? "")
                        actual:   \(got)
                    """
                )
            }
        }
        if actual.count > commands.count {
            let extra = actual[commands.count...]
            report.append("\(testCase.name): \(extra.count) extra output line(s): \(extra.prefix(3))")
        }
        if !report.isEmpty {
            Issue.record(
                Comment(
                    rawValue: "\(testCase.name) (variant \(testCase.variant)): "
                        + "\(report.count) of \(commands.count) lines differ\n"
                        + report.prefix(20).joined(separator: "\n")
                ),
                sourceLocation: sourceLocation
            )
        }
    }
}
