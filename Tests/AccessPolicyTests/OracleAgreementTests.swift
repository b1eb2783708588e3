import AccessMap
import AccessPolicy
import Foundation
import OracleTestSupport
import Testing

/// Runs the recorded scripts through the real `sendmail -bt` (when installed) and compares every line with the
/// engine. Skipped where sendmail, makemap, m4 or the cf macros are missing.
@Suite("Agreement with a live sendmail -bt")
final class OracleAgreementTests {
    // Enabled only where the reference sendmail, makemap, m4 and sendmail's cf macros are installed.
    static let available =
        ["/usr/sbin/sendmail", "/usr/sbin/makemap", "/usr/bin/m4"].allSatisfy(FileManager.default.isExecutableFile)
        && FileManager.default.fileExists(atPath: "/usr/share/sendmail/cf/m4/cf.m4")
        && hasSendmailSafeAncestors(Support.packageRoot.path)

    let directory: URL

    init() throws {
        // sendmail refuses maps below world-writable directories such as /tmp: work under .build.
        directory = Support.packageRoot.appendingPathComponent(".build/engine-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    @discardableResult
    func shell(_ command: String, input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["RES_OPTIONS"] = "timeout:1 attempts:1"
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func writeConfiguration() throws {
        let dir = directory.path
        let mc = """
            include(`/usr/share/sendmail/cf/m4/cf.m4')dnl
            OSTYPE(`debian')dnl
            define(`STATUS_FILE', `\(dir)/statistics')dnl
            define(`confSERVICE_SWITCH_FILE', `/etc/mail/service.switch-nodns')dnl
            FEATURE(`access_db', `hash -T<TMPF> -o \(dir)/access')dnl
            define(`confAUTH_MECHANISMS', `EXTERNAL PLAIN LOGIN')dnl
            TRUST_AUTH_MECH(`PLAIN LOGIN')dnl
            RELAY_DOMAIN(`relaydomain.example 10.77 IPv6:2001:db8:77')dnl
            LOCAL_DOMAIN(`local.example')dnl
            MAILER(`local')dnl
            MAILER(`smtp')dnl
            LOCAL_RULESETS
            SStart
            R$* $$| $*\t\t$: $1 $| $2

            """
        try mc.write(to: directory.appendingPathComponent("t.mc"), atomically: true, encoding: .utf8)
        try shell("m4 t.mc > t.cf")
    }

    /// The last `returns:` line of each ruleset command, in the one-line contract form.
    func sendmailLines(script: String) throws -> [String] {
        let commands = script.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
        var feed = [".C{ZzMark}QQSYNCQQ"]
        for line in commands { feed += [line, "$={ZzMark}"] }
        let output = try shell("sendmail -C t.cf -bt", input: feed.joined(separator: "\n") + "\n")
        let segments = output.components(separatedBy: "QQSYNCQQ\n")
        var lines: [String] = []
        for (index, command) in commands.enumerated() where !command.hasPrefix(".") {
            let segment = index < segments.count ? segments[index] : ""
            let returns = segment.split(separator: "\n").compactMap { line -> Substring? in
                guard let range = line.range(of: "returns: ") else { return nil }
                return line[range.upperBound...]
            }
            lines.append(returns.last.map { Self.contractLine(String($0)) } ?? "!!")
        }
        return lines
    }

    /// Reads a printed workspace back into tokens (quoted strings whole) and formats it like the engine.
    static func contractLine(_ raw: String) -> String {
        var tokens: [Token] = []
        var rest = Substring(raw)
        while let first = rest.first {
            if first == " " {
                rest = rest.dropFirst()
                continue
            }
            let end: Substring.Index
            if first == "\"" {
                let after = rest.index(after: rest.startIndex)
                end = rest[after...].firstIndex(of: "\"").map { rest.index(after: $0) } ?? rest.endIndex
            } else {
                end = rest.firstIndex(of: " ") ?? rest.endIndex
            }
            tokens.append(Token(String(rest[..<end])))
            rest = rest[end...]
        }
        guard tokens.first?.text == "$#" else { return RulesetResult.workspace(tokens).testModeLine }
        var mailer: [Token] = []
        var host: [Token]? = nil
        var text: [Token]? = nil
        var current = 0
        for token in tokens.dropFirst() {
            switch token.text {
            case "$@":
                current = 1
                host = []
            case "$:":
                current = 2
                text = []
            default:
                if current == 0 {
                    mailer.append(token)
                } else if current == 1 {
                    host?.append(token)
                } else {
                    text?.append(token)
                }
            }
        }
        return RulesetResult.resolved(mailer: mailer, host: host, text: text).testModeLine
    }

    @Test(
        "recorded scripts agree with sendmail -bt run now",
        .enabled(if: available),
        arguments: ["tls-basic", "random-tls", "random-chaos"]
    )
    func agreement(name: String) throws {
        let folder = Support.fixtures.appendingPathComponent("engine/\(name)")
        let access = try String(contentsOf: folder.appendingPathComponent("access.txt"), encoding: .utf8)
        let script = try String(contentsOf: folder.appendingPathComponent("script.txt"), encoding: .utf8)
        try writeConfiguration()
        try access.write(to: directory.appendingPathComponent("access"), atomically: true, encoding: .utf8)
        try shell("makemap hash access < access")
        let theirs = try sendmailLines(script: script)

        let mapPath = directory.appendingPathComponent("access.gdbm").path
        try Support.buildMap(text: access, at: mapPath)
        var interpreter = TestModeInterpreter(configuration: .reference, source: try GDBMAccessMapSource(path: mapPath))
        let (ours, errors) = interpreter.run(script: script)
        #expect(errors.isEmpty)
        #expect(ours.count == theirs.count)
        for (index, (a, b)) in zip(ours, theirs).enumerated() where a != b {
            Issue.record("\(name) #\(index + 1): sendmail `\(b)`, engine `\(a)`")
        }
    }
}

/// The oracle tests' guard against checkouts sendmail would not read maps from.
@Test func worldWritableAncestorsAreDetected() throws {
    #expect(!hasSendmailSafeAncestors("/tmp/some/checkout"))
    #expect(hasSendmailSafeAncestors("/"))
    let dir = try Support.makeDirectory("ancestors")
    defer { try? FileManager.default.removeItem(at: dir) }
    let open = dir.appendingPathComponent("open")
    try FileManager.default.createDirectory(at: open, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: open.path)
    #expect(!hasSendmailSafeAncestors(open.appendingPathComponent("checkout").path))
}
