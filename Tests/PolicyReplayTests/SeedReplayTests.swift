import AccessMap
import AccessPolicy
import PolicyReplay
import RecordedSessions
import Testing

/// Acceptance: the seeds' log lines replayed against the seeds' access entries (Fixtures/maps/articles.access)
/// give the outcomes the articles describe.
@Suite("Seed logs against the articles' access entries")
struct SeedReplayTests {
    let articles: ReplayPolicy

    init() throws { articles = try policy(map: try fixtureText("maps/articles.access")) }

    @Test("004: opportunistic TLS with verify=FAIL is delivered — tls_server accepts and agrees with stat=Sent")
    func opportunisticDelivery() throws {
        let (sessions, report) = try replayFixture("seed-004.log", policy: try policy(map: "# empty\n"))
        let gmail = try #require(sessions.first { $0.session.peer == "gmail-smtp-in.l.google.com." })
        let tlsServer = try #require(gmail.decisions("tls_server").first)
        #expect(tlsServer.step.arguments == ["FAIL"])
        #expect(tlsServer.result.kind == .accept)
        #expect(tlsServer.determination == .determined)
        #expect(tlsServer.agreement.kind == .agrees)
        #expect(tlsServer.agreement.detail.contains("stat=sent"))
        // STARTTLS was issued, and an empty map says to issue it.
        #expect(gmail.decisions("try_tls").first?.agreement.kind == .agrees)
        // The other outbound session was deferred by a connection reset, not by TLS policy: still agrees.
        let remote = try #require(sessions.first { $0.session.peer == "mx.remotefoo.com." })
        #expect(remote.decisions("tls_server").first?.agreement.kind == .agrees)
        #expect(report.byAgreement[.disagrees] == nil)
    }

    @Test("004 with Try_TLS: NO — STARTTLS would not have been issued: the replay disagrees with the log")
    func tryTLSNo() throws {
        let (sessions, report) = try replayFixture("seed-004.log", policy: articles)
        let gmail = try #require(sessions.first { $0.session.peer == "gmail-smtp-in.l.google.com." })
        let tryTLS = try #require(gmail.decisions("try_tls").first)
        #expect(tryTLS.result.kind == .skipTLS)
        #expect(tryTLS.agreement.kind == .disagrees)
        #expect(report.byKind[.skipTLS] == 2)
    }

    @Test("001: verify=NO from a blanked client is accepted, but only as undetermined — the client is unknown")
    func verifyNoUnknownClient() throws {
        let (sessions, _) = try replayFixture("seed-001.log", policy: articles)
        let session = try #require(sessions.first)
        let tls = try #require(session.decisions("tls_client").first)
        #expect(tls.step.arguments == ["NO", "STARTTLS"])
        #expect(tls.result.kind == .accept)
        guard case .undetermined(let missing, let assumption) = tls.determination else {
            Issue.record("a decision about an unknown client must not be reported as determined")
            return
        }
        #expect(missing.contains(.clientName))
        #expect(assumption == Determination.emptyAssumption)
        #expect(tls.agreement.kind == .notRecorded)
    }

    @Test("003: a forged certificate (verify=FAIL) with the listed issuer gets no relaying from RelayTLS")
    func forgedCertificate() throws {
        let (sessions, _) = try replayFixture("seed-003.log", policy: articles)
        let session = try #require(sessions.first)
        let relayTLS = try #require(session.decisions("RelayTLS").first)
        #expect(relayTLS.result.line == "NO")
        #expect(relayTLS.determination == .determined)
    }

    @Test(
        "the shipped policy tests for the seeds' scenarios all pass",
        arguments: [
            "tls-clt-verify-80.yaml", "tls-srv-encr-112.yaml", "opportunistic-tls.yaml", "try-tls-no.yaml",
            "certissuer-relay.yaml", "certissuer-external-trusted.yaml",
        ]
    )
    func shippedPolicyTests(name: String) throws {
        let file = try PolicyTestFile.load(path: fixture("policy-tests/" + name))
        let results = try PolicyTestRunner().run(file)
        #expect(!results.isEmpty)
        for result in results { #expect(result.passed, "\(result)") }
    }
}
