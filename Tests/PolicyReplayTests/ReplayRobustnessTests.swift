import AccessPolicy
import Foundation
import LogGenerator
import PolicyReplay
import RecordedSessions
import Testing

@Suite("Replay of bad input: reported and counted, never a crash")
struct ReplayRobustnessTests {
    let policy: ReplayPolicy

    init() throws {
        policy = try PolicyReplayTests.policy(
            map: "Connect:192.0.2.3\tREJECT\nTLS_Clt:a.example\tVERIFY:128\n"
        )
    }

    @Test("malformed.log: truncated, binary and foreign lines are counted, sessions still replayed")
    func malformedFixture() throws {
        let (sessions, report) = try replayFixture("malformed.log", policy: policy)
        let log = try #require(report.logs.first?.statistics)
        #expect(log.linesRead >= 16)
        #expect(
            log.linesRead == log.linesParsed + log.totalIgnored + log.totalUnparseable + log.continuationLinesJoined
        )
        #expect(log.totalUnparseable > 0)
        #expect(log.linesWithInvalidUTF8 > 0 || log.linesWithNUL > 0)
        #expect(report.sessions == sessions.count)
        #expect(report.sessions > 0)
        // The summary shows the counts.
        let summary = ReplayRendering.summary(report)
        #expect(summary.contains("lines unparseable: \(log.totalUnparseable)"))
    }

    @Test("random binary garbage of many sizes: no crash, every line accounted for", arguments: [1, 7, 4096, 70_000])
    func binaryGarbage(size: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let (_, report) = try replay(bytes, policy: policy)
        let log = try #require(report.logs.first?.statistics)
        #expect(
            log.linesRead == log.linesParsed + log.totalIgnored + log.totalUnparseable + log.continuationLinesJoined
        )
    }

    @Test("a log cut in the middle of a line replays the complete sessions and counts the cut line")
    func truncatedLog() throws {
        let all = Array(try Data(contentsOf: URL(fileURLWithPath: fixture("logs/generated-2500.log"))))
        let bytes = Array(all.prefix(all.count / 2 + 17))
        let (sessions, report) = try replay(bytes, policy: policy)
        #expect(report.sessions == sessions.count)
        #expect(report.sessions > 1000)
        #expect(report.logs.first?.statistics.lastLineUnterminated == true)
    }

    @Test("mixed sendmail/Postfix log with garbage every 50 lines: both kinds of sessions replayed")
    func mixedGeneratedLog() throws {
        var generator = LogGenerator(options: .init(sessions: 600, seed: 11, garbageEvery: 50))
        var bytes: [UInt8] = []
        generator.run { line in bytes += line + [0x0A] }
        let (sessions, report) = try replay(bytes, policy: policy)
        #expect(sessions.contains { $0.session.source == .postfix })
        #expect(sessions.contains { $0.session.source == .sendmail && $0.session.direction == .outbound })
        #expect(report.sessions >= 590)
        let log = try #require(report.logs.first?.statistics)
        #expect(log.totalUnparseable + log.totalIgnored >= generator.summary.garbageLines / 2)
        // Postfix never logs sendmail's {verify}: its TLS decisions are undetermined, never guessed.
        let postfixTLS = sessions.filter { $0.session.source == .postfix }.flatMap { $0.decisions("tls_client") }
            .filter { $0.step.unknownMacros.contains(.verify) }
        #expect(postfixTLS.allSatisfy { !$0.determination.isDetermined })
    }

    @Test("credentials in AUTH lines never reach the output")
    func credentialsNotEchoed() throws {
        let line = "Nov 21 10:00:09 mx sm-mta[105]: <-- AUTH PLAIN AGFsaWNlAHNlY3JldA==\n"
        let (sessions, report) = try replay(Array(line.utf8), policy: policy)
        var output = ReplayRendering.summary(report) + ReplayRendering.jsonSummary(report)
        for session in sessions { output += ReplayRendering.table(session) + ReplayRendering.jsonLines(session) }
        #expect(!output.contains("AGFsaWNlAHNlY3JldA"))
    }
}
