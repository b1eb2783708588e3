import Foundation
import Testing

/// The replay, diff, test and bt --explain commands, run as the built binary.
@Suite("accesspolicy replay / diff / test / bt --explain")
struct ReplayCLITests {
    let dir: TemporaryDirectory

    init() throws {
        dir = try TemporaryDirectory()
        let made = try run(
            Tools.accesspolicy,
            ["makemap", "gdbm", dir.path + "/articles", "--input", fixture("maps/articles.access")]
        )
        try #require(made.status == 0, "makemap failed: \(made.stderr)")
    }

    @Test("replay prints one block per session and a summary; - reads standard input")
    func replayTable() throws {
        let log = try Data(contentsOf: URL(fileURLWithPath: fixture("logs/seed-004.log")))
        let result = try run(
            Tools.accesspolicy,
            ["replay", "--map", dir.path + "/articles.db", "-"],
            stdin: Array(log)
        )
        defer { dir.remove() }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("session 2: sendmail outbound, pid 1663"))
        #expect(result.stdout.contains("try_tls gmail-smtp-in.l.google.com."))
        #expect(result.stdout.contains("no STARTTLS"))
        #expect(result.stdout.contains("== summary"))
        #expect(result.stdout.contains("sessions: 3"))
        #expect(result.stderr.isEmpty)  // no progress line: stderr is not a terminal
    }

    @Test("replay --format json --explain: JSON Lines with look-ups, summary last")
    func replayJSON() throws {
        let result = try run(
            Tools.accesspolicy,
            [
                "replay", "--map", dir.path + "/articles.db", "--format", "json", "--explain",
                fixture("logs/seed-004.log"),
            ]
        )
        defer { dir.remove() }
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 11)  // 10 calls (a tls_rcpt per outbound recipient) + summary
        #expect(result.stdout.contains("\"ruleset\":\"tls_rcpt\""))
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)") }
        #expect(lines.last?.hasPrefix("{\"type\":\"summary\"") == true)
        #expect(result.stdout.contains("\"key\":\"Try_TLS:\",\"outcome\":\"found\",\"value\":\"NO\""))
    }

    @Test("replay: a missing map or log is a clear error, not an empty replay")
    func replayErrors() throws {
        defer { dir.remove() }
        let noMap = try run(
            Tools.accesspolicy,
            ["replay", "--map", dir.path + "/missing.db", fixture("logs/seed-004.log")]
        )
        #expect(noMap.status != 0)
        #expect(noMap.stderr.contains("missing.db: cannot read the access map"))
        let noLog = try run(
            Tools.accesspolicy,
            ["replay", "--map", dir.path + "/articles.db", dir.path + "/nothing.log"]
        )
        #expect(noLog.status != 0)
        #expect(noLog.stderr.contains("nothing.log: cannot open the log"))
    }

    @Test("diff exits 1 and groups the change; the same map twice exits 0")
    func diff() throws {
        defer { dir.remove() }
        let empty = try run(
            Tools.accesspolicy,
            ["makemap", "gdbm", dir.path + "/empty"],
            stdin: Array("# none\n".utf8)
        )
        try #require(empty.status == 0)
        let changed = try run(
            Tools.accesspolicy,
            ["diff", "--old", dir.path + "/empty.db", "--new", dir.path + "/articles.db", fixture("logs/seed-004.log")]
        )
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("try_tls: OK → no STARTTLS: 2 sessions (2 calls)"))
        let same = try run(
            Tools.accesspolicy,
            [
                "diff", "--old", dir.path + "/articles.db", "--new", dir.path + "/articles.db",
                fixture("logs/seed-004.log"),
            ]
        )
        #expect(same.status == 0)
        #expect(same.stdout.contains("== 0 of 3 sessions change"))
    }

    @Test("test: passing files exit 0; a failing expectation prints expected versus actual and exits 1")
    func testCommand() throws {
        defer { dir.remove() }
        let passing = try run(Tools.accesspolicy, ["test", "--quiet", fixture("policy-tests/tls-srv-encr-112.yaml")])
        #expect(passing.status == 0)
        #expect(passing.stdout == "4 passed, 0 failed\n")
        let failing = dir.path + "/failing.yaml"
        try """
        map_text: "TLS_Srv:secure.example.com ENCR:112\\n"
        sessions:
          - name: weak
            macros: {server_name: secure.example.com, server_addr: 203.0.113.5, cipher_bits: "56"}
            expect:
              tls_server: OK
        """.write(toFile: failing, atomically: true, encoding: .utf8)
        let failed = try run(Tools.accesspolicy, ["test", failing])
        #expect(failed.status == 1)
        #expect(
            failed.stdout.contains(
                "FAIL weak: tls_server: expected OK, got 454 4.7.0 encryption too weak 56 less than 112"
            )
        )
        let broken = dir.path + "/broken.yaml"
        try "sessions: []\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let unreadable = try run(Tools.accesspolicy, ["test", broken])
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("no 'map'"))
    }

    @Test("bt --explain lists the look-ups, the match and the rule after each result")
    func btExplain() throws {
        defer { dir.remove() }
        let script = ".D{server_name}secure.example.com\n.D{cipher_bits}56\ntls_server OK\n"
        let result = try run(
            Tools.accesspolicy,
            ["bt", "--explain", "--map", dir.path + "/articles.db"],
            stdin: Array(script.utf8)
        )
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout == """
                $#error $@ 4.7.0 $: 454 encryption too weak 56 less than 112
                    lookup TLS_Srv:secure.example.com => ENCR:112   <= match
                    rule: TLS_connection with requirement ENCR:112: ENCR ignores {verify}; max({cipher_bits} 56, {auth_ssf} empty) against 112 bits → 454 4.7.0 encryption too weak 56 less than 112

                """
        )
    }
}
