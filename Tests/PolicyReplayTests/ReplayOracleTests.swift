import AccessPolicy
import Foundation
import LogGenerator
import OracleTestSupport
import PolicyReplay
import RecordedSessions
import Testing

/// Acceptance: a replay of a generated log of (by default) 100,000 sessions agrees with real `sendmail -bt` on a
/// sample of its sessions: each sampled session's calls, with the macros the replay used, become a bt script
/// over the same map (one case file per session, format Fixtures/conformance/README.md), recorded with
/// scripts/oracle/oracle.py, and compared line by line with the replay's results.
///
/// `REPLAY_ORACLE_SESSIONS` (default 100000) and `REPLAY_ORACLE_SAMPLE` (default 150 sessions, plus up to half as many with a
/// refusal, discard, relay or no-STARTTLS decision) change the size.
@Suite("Replay vs sendmail -bt on a generated log")
struct ReplayOracleTests {
    static var oracleAvailable: Bool {
        Tools.sendmail != nil && Tools.makemap != nil && Tools.find("m4") != nil && Tools.python3 != nil
            && FileManager.default.fileExists(atPath: "/usr/share/sendmail/cf/m4/cf.m4")
            && hasSendmailSafeAncestors(packageRoot())
    }

    @Test(
        "sampled sessions of a generated log get the same decisions from sendmail -bt",
        // Needs the real sendmail 8.17 (scripts/setup.sh --oracle), m4 and python3; skipped where missing.
        .enabled(
            if: oracleAvailable,
            "sendmail, makemap, m4 or python3 not installed, or checkout below a world-writable directory"
        )
    )
    func sampleAgreesWithSendmail() throws {
        let env = ProcessInfo.processInfo.environment
        let total = env["REPLAY_ORACLE_SESSIONS"].flatMap(Int.init) ?? 100_000
        let sampleSize = env["REPLAY_ORACLE_SAMPLE"].flatMap(Int.init) ?? 150
        let every = max(1, total / sampleSize)
        let base = packageRoot() + "/.oracle"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let dir = try TemporaryDirectory(under: base)
        defer { if env["REPLAY_ORACLE_KEEP"] == nil { dir.remove() } }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)

        // The log, written to a file and streamed back.
        let logPath = dir.path + "/generated.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        var generator = LogGenerator(options: .init(sessions: total, seed: 77))
        var chunk: [UInt8] = []
        generator.run { line in
            chunk += line
            chunk.append(0x0A)
            if chunk.count > 1 << 20 {
                handle.write(Data(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(chunk))
        try handle.close()

        let mapText = try fixtureText("maps/generated.access")
        let policy = try PolicyReplayTests.policy(map: mapText)
        var cases: [(path: String, expected: [String])] = []
        var rareTaken = 0
        let fd = open(logPath, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let report = try Replayer(policy: policy).replay(reader: LogLineReader(fileDescriptor: fd)) { session in
            // Every k-th session, plus the first sessions with a refusal, discard or relay (rarer outcomes).
            let rare = session.decisions.contains { ![.accept].contains($0.result.kind) }
            let sampled = session.session.sequenceNumber % every == 0
            guard !session.decisions.isEmpty, sampled || (rare && rareTaken < sampleSize / 2) else { return }
            if !sampled { rareTaken += 1 }
            let (text, expected) = Self.caseFile(session, map: mapText)
            let path = dir.path + "/session-\(session.session.sequenceNumber).txt"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            cases.append((path, expected))
        }
        #expect(report.sessions >= total * 99 / 100)
        try #require(cases.count >= sampleSize / 2)

        let record = try run(
            Tools.python3!,
            [packageRoot() + "/scripts/oracle/oracle.py", "record", "--jobs", "2"] + cases.map(\.path),
            environment: ["ORACLE_WORK": dir.path + "/work"]
        )
        try #require(record.status == 0, "oracle.py failed: \(record.stderr)")
        var compared = 0
        var mismatches: [String] = []
        for (path, expected) in cases {
            let recorded = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            let calls = recorded.enumerated().filter { $0.element.hasPrefix("=> ") }
            guard !calls.isEmpty else { continue }  // skipped: names one of this machine's own names
            try #require(calls.count == expected.count, "\(path): \(calls.count) results for \(expected.count) calls")
            for ((index, line), engine) in zip(calls, expected) {
                compared += 1
                let sendmail = String(line.dropFirst(3))
                if sendmail != engine {
                    mismatches.append(
                        "\(path): \(recorded[index - 1])\n    sendmail: \(sendmail)\n    replay:   \(engine)"
                    )
                }
            }
        }
        print(
            "replay vs sendmail: \(report.sessions) sessions replayed, \(cases.count) sampled, \(compared) calls compared"
        )
        #expect(compared >= sampleSize, "too few calls compared")
        #expect(
            mismatches.isEmpty,
            "\(mismatches.count) differences:\n\(mismatches.prefix(20).joined(separator: "\n"))"
        )
    }

    /// A conformance case file for one session: the map, then per call the macros the replay used and the call.
    static func caseFile(_ session: ReplaySessionResult, map: String) -> (String, [String]) {
        let names: [MacroName] = [
            .verify, .clientName, .clientAddr, .serverName, .serverAddr, .cipherBits, .authSSF, .authType,
            .authAuthen, .certIssuer, .certSubject, .cnSubject, .cnIssuer, .mailFrom, .tlsName,
        ]
        var lines = [
            "# replay of generated session \(session.session.sequenceNumber)",
            "case: replay-\(session.session.sequenceNumber)",
            "== map",
        ]
        lines += map.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        lines.append("== script")
        var expected: [String] = []
        for decision in session.decisions {
            let step = decision.step
            // `sendmail -bt` cannot pass an empty workspace (tls_server of a Postfix session whose {verify} is
            // unknown): such calls are not compared.
            let single = ["tls_server", "check_mail", "check_rcpt"].contains(step.ruleset.rawValue)
            if single && (step.evaluatedArguments.first ?? "").isEmpty { continue }
            let macros = step.evaluatedMacros
            for name in names { lines.append(".D{\(name.rawValue)}\(macros.value(name))") }
            lines.append(".Df\(macros.value(.sender))")
            let args = step.evaluatedArguments
            let call: String
            switch step.ruleset.rawValue {
            case "check_relay", "tls_client": call = "\(step.ruleset.rawValue) \(args[0]) $| \(args[1])"
            case "RelayTLS", "try_tls": call = "\(step.ruleset.rawValue) x"
            default: call = "\(step.ruleset.rawValue) \(args.first ?? "")"
            }
            lines.append(call)
            expected.append(decision.result.line)
        }
        return (lines.joined(separator: "\n") + "\n", expected)
    }
}
