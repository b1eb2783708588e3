import AccessMap
import AccessPolicy
import Testing

/// How each ruleset reacts when the map cannot be read (sendmail's `<TMPF>`); outcomes as recorded from sendmail
/// with a socketmap answering TEMP (`Fixtures/engine/tempfail`).
@Suite("Temporary map failures")
struct TemporaryFailureTests {
    let down = PolicyEngine(configuration: .reference, source: UnavailableAccessMapSource())
    let tempfail = SMTPReply(
        code: 451,
        enhancedStatus: "4.3.0",
        text: "Temporary system failure. Please try again later."
    )

    func session() -> SessionMacros {
        var s = SessionMacros([
            .clientName: "a.example", .clientAddr: "192.0.2.1", .serverName: "b.example", .serverAddr: "192.0.2.2",
        ])
        s.verify = .fail
        return s
    }

    @Test("tls_client and tls_server fail open: the requirement is not enforced")
    func failOpen() {
        #expect(down.tlsClient(session()) == .accept)
        #expect(down.tlsServer(session()) == .accept)
    }

    @Test("a handshake failure is still refused while the map is down")
    func softwareStillFails() {
        var s = session()
        s.verify = .software
        #expect(
            down.tlsClient(s) == .reject(SMTPReply(code: 454, enhancedStatus: "4.7.0", text: "TLS handshake failed."))
        )
    }

    @Test("tls_rcpt and try_tls answer 451 4.3.0; features report a temporary failure; RelayTLS does not relay")
    func others() {
        #expect(down.tlsRecipient("u@example.com", session: session()) == .reject(tempfail))
        #expect(down.tryTLS(session()) == .skipTLS(tempfail))
        #expect(down.serverFeatures(session()) == .temporaryFailure)
        #expect(down.clientFeatures(session()) == .temporaryFailure)
        var s = session()
        s.verify = .ok
        s.certIssuer = XText(encoded: "/CN=x")
        #expect(down.relayTLS(s) == .noRelay)
    }

    @Test("a tempfail on the bare TLS_Clt: default (empty name and address) is caught: 451")
    func bareTagTempfail() {
        let map = TemporaryFailureInjectingSource(base: InMemoryAccessMapSource(["TLS_Clt:": "TMPF"]))
        let engine = PolicyEngine(source: map)
        var s = SessionMacros([.clientName: "x.example", .clientAddr: "192.0.2.9"])
        s.verify = .fail
        #expect(engine.tlsClient(s) == .reject(tempfail))
    }

    @Test("a missing GDBM file: optional map = empty, required map = temporary failures")
    func missingFile() {
        let path = "/nonexistent/\(UInt64.random(in: 0...UInt64.max))/access.db"
        let optional = PolicyEngine(source: GDBMAccessMapSource.open(path: path, optional: true))
        let required = PolicyEngine(source: GDBMAccessMapSource.open(path: path, optional: false))
        #expect(optional.tryTLS(session()) == .tryTLS)
        #expect(required.tryTLS(session()) == .skipTLS(tempfail))
    }
}
