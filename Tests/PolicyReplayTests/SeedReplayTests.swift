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

/// tls_rcpt: outbound sessions replay it once per recipient, after tls_server.
@Suite("tls_rcpt replay")
struct TLSRecipientReplayTests {
    static let lines = """
        Mar  4 04:36:08 bob sendmail[23834]: STARTTLS=client, relay=mx.example.net., version=TLSv1/SSLv3, verify=FAIL, cipher=AES128-SHA, bits=128/128
        Mar  4 04:36:08 bob sendmail[23834]: q29Ja84u011122: to=<user@example.net>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=123262, relay=mx.example.net. [192.0.2.25], dsn=2.0.0, stat=Sent (ok)

        """

    @Test("TLS_Rcpt:example.net ENCR:256 refuses the recipient over a 128-bit cipher; without an entry it is OK")
    func encryptionTooWeak() throws {
        let (sessions, _) = try replay(
            Array(Self.lines.utf8),
            policy: try policy(map: "TLS_Rcpt:example.net ENCR:256\n")
        )
        let session = try #require(sessions.first)
        #expect(session.decisions.map(\.step.ruleset.rawValue) == ["try_tls", "tls_server", "tls_rcpt"])
        let rcpt = try #require(session.decisions("tls_rcpt").first)
        #expect(rcpt.step.arguments == ["<user@example.net>"])
        #expect(rcpt.step.recipient == "<user@example.net>")
        #expect(rcpt.result.kind == .tempfail)
        #expect(rcpt.result.reply?.description == "454 4.7.0 encryption too weak 128 less than 256")
        #expect(rcpt.determination == .determined)
        #expect(rcpt.agreement.kind == .notRecorded)

        let (open, _) = try replay(Array(Self.lines.utf8), policy: try policy(map: "# empty\n"))
        let accepted = try #require(open.first?.decisions("tls_rcpt").first)
        #expect(accepted.result.kind == .accept)
        #expect(accepted.determination == .determined)
    }

    @Test("tls_rcpt with a requirement and an unknown {verify} (Postfix-like) is undetermined")
    func unknownVerify() throws {
        var macros = SessionMacros()
        macros[.serverName] = "mx.example.net."
        macros[.cipherBits] = "128"
        let step = PolicyStep(
            ruleset: .tlsRecipient,
            arguments: ["<user@example.net>"],
            macros: macros,
            unknownMacros: [.verify]
        )
        let withEntry = try policy(map: "TLS_Rcpt:example.net VERIFY\n").evaluate(step)
        guard case .undetermined(let missing, _) = withEntry.determination else {
            Issue.record("an unknown {verify} must make a TLS_Rcpt: VERIFY decision undetermined")
            return
        }
        #expect(missing == [.verify])
        let withoutEntry = try policy(map: "TLS_Rcpt:other.example VERIFY\n").evaluate(step)
        #expect(withoutEntry.determination == .determined)
        #expect(withoutEntry.result.kind == .accept)
    }
}
