import AccessMap
import AccessPolicy
import Foundation
import Testing

/// The README's "Library API" example, kept compiling and true: if this file stops building, the README is wrong.
@Suite("README library example")
struct ReadmeExampleTests {
    @Test("an MTA asks tls_client after STARTTLS and RelayTLS at RCPT, and acts on typed decisions")
    func mtaFlow() throws {
        let directory = try Support.makeDirectory("readme-example")
        defer { try? FileManager.default.removeItem(at: directory) }
        let map = directory.appendingPathComponent("access.db").path
        try Support.buildMap(
            text: "TLS_Clt:mx.partner.example\tENCR:112\nCERTISSUER:/C=US/O=Example+20CA/CN=Root\tRELAY\n",
            at: map
        )

        // Once, at start-up (as in the README).
        let engine = PolicyEngine(
            configuration: .reference,
            source: GDBMAccessMapSource.open(path: map, optional: true)
        )

        // Per session, after the STARTTLS handshake.
        var session = SessionMacros()
        session.clientName = "mx.partner.example"
        session.clientAddress = .ipv4("192.0.2.7")
        session.verify = .ok
        session.cipherBits = 56
        session.cnSubject = XText(plain: "mx.partner.example")

        var refusedWith: String?
        switch engine.tlsClient(session, phase: .startTLS) {
        case .accept: break
        case .reject(let reply): refusedWith = "\(reply)"
        }
        #expect(refusedWith == "454 4.7.0 encryption too weak 56 less than 112")

        session.cipherBits = 256
        #expect(engine.tlsClient(session, phase: .startTLS) == .accept)

        // At RCPT: a verified certificate from the listed issuer may relay; the same DN unverified may not.
        session[.certIssuer] = "/C=US/O=Example+20CA/CN=Root"
        #expect(engine.relayTLS(session) == .relay)
        session.verify = .fail
        #expect(engine.relayTLS(session) == .noRelay)
    }
}
