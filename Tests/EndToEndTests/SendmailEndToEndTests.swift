import AccessPolicyServer
import Foundation
import NIOCore
import Testing

/// A private sendmail daemon on loopback whose `access_db` is our socket map, served in-process.
final class SendmailFixture: Sendable {
    let work: URL
    let smtpPort: Int
    let server: AccessPolicyServer
    var certs: String { work.appendingPathComponent("certs").path }

    /// The map every sendmail test uses (keys as makemap writes them; the test builds the GDBM file).
    static let entries: [String: String] = [
        "Connect:127.0.0.2": "REJECT",
        "TLS_Clt:127.0.0.3": "VERIFY",
        "From:sender.test": "OK",
        "CERTISSUER:/C=US/O=AccessPolicy+20Test+20CA/CN=Test+20Root": "RELAY",
    ]

    private init(work: URL, smtpPort: Int, server: AccessPolicyServer) {
        self.work = work
        self.smtpPort = smtpPort
        self.server = server
    }

    static func start() async throws -> SendmailFixture {
        let work = try E2E.makeWorkDirectory()
        let (status, output) = try E2E.run(
            "/bin/bash",
            [E2E.scripts.appendingPathComponent("make-certs.sh").path, work.appendingPathComponent("certs").path]
        )
        guard status == 0 else { throw FixtureError("make-certs.sh failed: \(output)") }
        let mapPath = work.appendingPathComponent("access.db").path
        let source = try E2E.servedMap(entries, at: mapPath)
        let server = try await AccessPolicyServer.start(
            configuration: .init(
                socketmapAddress: .tcp(host: "127.0.0.1", port: 0),
                reloadCheckInterval: .milliseconds(200),
                threadCount: 2
            ),
            socketmap: .standard(source: source),
            mapSource: source,
            logger: E2E.logger
        )
        let mapPort = server.boundAddresses["socketmap"]!.port!
        let smtpPort = try E2E.freePort()
        try await E2E.startMTA(
            script: "sendmail.sh",
            work: work,
            smtpPort: smtpPort,
            servicePort: mapPort,
            server: server
        )
        return SendmailFixture(work: work, smtpPort: smtpPort, server: server)
    }

    /// Starts the fixture, runs `body`, and stops it whatever `body` does.
    static func with(_ body: (SendmailFixture) async throws -> Void) async throws {
        let fixture = try await start()
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    func stop() async {
        _ = try? E2E.run("/bin/bash", [E2E.scripts.appendingPathComponent("sendmail.sh").path, "stop", work.path])
        await server.shutdown()
        try? FileManager.default.removeItem(at: work)
    }

    func cert(_ name: String) -> (cert: String, key: String) { ("\(certs)/\(name).pem", "\(certs)/\(name).key") }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// Real sendmail 8.17 with FEATURE(access_db, socket -T<TMPF> inet:PORT@127.0.0.1) pointing at our server; swaks
// as the SMTP client from different loopback source addresses. Skipped where sendmail, swaks or root are missing
// (scripts/setup.sh --mta installs them).
@Suite(
    "End to end: sendmail using the socket map",
    .enabled(
        if: E2E.sendmailAvailable,
        "needs root, sendmail-bin, sendmail-cf, swaks, openssl (scripts/setup.sh --mta)"
    ),
    .serialized
)
struct SendmailEndToEndTests {
    @Test("every access decision goes through the socket map: Connect REJECT, TLS_Clt VERIFY, CERTISSUER RELAY")
    func sendmailScenarios() async throws {
        try await SendmailFixture.with { fixture in try await scenarios(fixture) }
    }

    func scenarios(_ fixture: SendmailFixture) async throws {
        let port = fixture.smtpPort

        // Connect:127.0.0.2 REJECT: greeting as usual, then every command refused with sendmail's text.
        let rejected = try SwaksSession.run(port: port, source: "127.0.0.2")
        #expect(rejected.reply(to: "MAIL") == "550 5.7.1 Access denied", "\(rejected.transcript)")

        // TLS_Clt:127.0.0.3 VERIFY: without STARTTLS refused at MAIL; with STARTTLS but no certificate refused
        // after the handshake; with the CA-signed certificate accepted.
        let plain = try SwaksSession.run(port: port, source: "127.0.0.3")
        #expect(plain.reply(to: "MAIL") == "454 4.7.0 authentication required", "\(plain.transcript)")
        let noCert = try SwaksSession.run(port: port, source: "127.0.0.3", tls: true)
        #expect(noCert.reply(to: "MAIL") == "454 4.7.0 not authenticated", "\(noCert.transcript)")
        let withCert = try SwaksSession.run(
            port: port,
            source: "127.0.0.3",
            tls: true,
            certificate: fixture.cert("client")
        )
        #expect(withCert.reply(to: "MAIL")?.hasPrefix("250 2.1.0") == true, "\(withCert.transcript)")

        // CERTISSUER:<CA DN> RELAY: relaying to a remote domain granted to the CA-signed certificate, refused to
        // the self-signed forgery with the same issuer DN and to a client without a certificate.
        let relayed = try SwaksSession.run(
            port: port,
            source: "127.0.0.4",
            tls: true,
            certificate: fixture.cert("client")
        )
        #expect(relayed.reply(to: "RCPT")?.hasPrefix("250 2.1.5") == true, "\(relayed.transcript)")
        let forged = try SwaksSession.run(
            port: port,
            source: "127.0.0.4",
            tls: true,
            certificate: fixture.cert("forged")
        )
        #expect(
            forged.reply(to: "RCPT")?.hasPrefix("550 5.7.1 <rcpt@remote.example>... Relaying denied") == true,
            "\(forged.transcript)"
        )
        let anonymous = try SwaksSession.run(port: port, source: "127.0.0.4", tls: true)
        #expect(anonymous.reply(to: "RCPT")?.hasPrefix("550 5.7.1 <rcpt@remote.example>... Relaying denied") == true)

        let counters = fixture.server.metrics.snapshot()
        #expect((counters.decisions["socketmap.ok"] ?? 0) >= 4)
        #expect(counters.protocolErrors == 0)
    }

    @Test("when the map server is gone, sendmail's -T<TMPF> turns look-ups into 451 temporary failures")
    func tempfailWhenServerDown() async throws {
        try await SendmailFixture.with { fixture in
            await fixture.server.shutdown()
            let session = try SwaksSession.run(port: fixture.smtpPort, source: "127.0.0.2")
            #expect(
                session.reply(to: "MAIL") == "451 4.3.0 Temporary system failure. Please try again later.",
                "\(session.transcript)"
            )
        }
    }
}
