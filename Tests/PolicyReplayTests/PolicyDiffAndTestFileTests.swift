import AccessPolicy
import Foundation
import LogGenerator
import PolicyReplay
import RecordedSessions
import Testing

@Suite("Policy diff and policy test files")
struct PolicyDiffAndTestFileTests {
    @Test("diff groups changed sessions by ruleset and old → new result")
    func diffGroups() throws {
        var generator = LogGenerator(options: .init(sessions: 400, seed: 3, garbageEvery: 0))
        var bytes: [UInt8] = []
        generator.run { bytes += $0 + [0x0A] }
        let old = try policy(map: "# nothing\n")
        let new = try policy(map: "Try_TLS:\tNO\n")
        var report = PolicyDiffReport()
        try PolicyDiff(old: old, new: new).run(reader: LogLineReader(bytes: bytes), into: &report)
        let group = try #require(report.groups.values.first)
        #expect(report.groups.count == 1)
        #expect(group.key.description == "try_tls: OK → no STARTTLS")
        #expect(group.sessions > 0 && group.sessions == report.sessionsChanged)
        #expect(group.examples.count == PolicyDiffReport.examplesPerGroup)
        #expect(report.text.contains("try_tls: OK → no STARTTLS: \(group.sessions) sessions"))
        // The same map twice changes nothing.
        var same = PolicyDiffReport()
        try PolicyDiff(old: new, new: new).run(reader: LogLineReader(bytes: bytes), into: &same)
        #expect(same.callsChanged == 0 && same.sessions == report.sessions)
    }

    @Test("a failing expectation reports expected versus actual")
    func failingExpectation() throws {
        let file = try PolicyTestFile.parse(
            yaml: """
                map_text: |
                  TLS_Clt:a.example VERIFY
                sessions:
                  - name: unverified
                    macros: {client_name: a.example, client_addr: 192.0.2.1, verify: FAIL}
                    expect:
                      tls_client STARTTLS: OK
                      tls_client MAIL: refuse
                """
        )
        let results = try PolicyTestRunner().run(file)
        #expect(results.count == 2)
        #expect(!results[0].passed)
        #expect(
            results[0].description
                == "FAIL unverified: tls_client STARTTLS: expected OK, got 454 4.7.0 authentication failed"
        )
        #expect(results[1].passed)
    }

    @Test("the Swift API builds the same tests without YAML")
    func swiftAPI() throws {
        let file = PolicyTestFile(
            map: .text("TLS_Srv:secure.example.com ENCR:112\n"),
            sessions: [
                PolicyTestSession(
                    name: "weak",
                    macros: ["server_name": "secure.example.com", "server_addr": "203.0.113.5", "cipher_bits": "56"],
                    expectations: [
                        PolicyExpectation("tls_server", "454 4.7.0 encryption too weak 56 less than 112"),
                        PolicyExpectation("tls_server", "tempfail"),
                        PolicyExpectation("tls_server", "$#error $@ 4.7.0 $: 454 encryption too weak 56 less than 112"),
                    ]
                )
            ]
        )
        for result in try PolicyTestRunner().run(file) { #expect(result.passed, "\(result)") }
    }

    @Test("a log session whose decision depends on a missing fact fails until the fact is assumed")
    func undeterminedLogSessionFails() throws {
        let path = fixture("logs/seed-001.log")
        let yaml = """
            map_text: "TLS_Clt:desktop.example.net VERIFY:80\\n"
            sessions:
              - name: unknown client
                log: \(path)
                expect:
                  tls_client STARTTLS: OK
            """
        let results = try PolicyTestRunner().run(try PolicyTestFile.parse(yaml: yaml))
        #expect(results.count == 1 && !results[0].passed)
        #expect(results[0].message?.contains("{client_name}") == true)
    }

    @Test(
        "unknown keys and missing parts are errors with a position",
        arguments: [
            ("map_text: x\nsessions: []\nfoo: 1\n", "3:", "unknown key 'foo'"),
            ("sessions: []\n", "", "no 'map'"),
            ("map_text: x\nsessions:\n  - name: a\n    macros: {}\n", "3:", "has no 'expect'"),
            ("map_text: x\nsessions:\n  - name: a\n    expect: {tls_server: OK}\n", "3:", "either 'macros' or 'log'"),
        ]
    )
    func yamlErrors(yaml: String, position: String, reason: String) {
        do {
            _ = try PolicyTestFile.parse(yaml: yaml, path: "t.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("t.yaml:" + position))
            #expect(error.description.contains(reason))
        }
    }
}
