import AccessMap
import AccessPolicy
import AccessPolicyServer
import Foundation
import NIOCore
import Testing

/// A private Postfix on loopback whose smtpd_relay_restrictions call our policy service, served in-process.
final class PostfixFixture: Sendable {
    let work: URL
    let smtpPort: Int
    let server: AccessPolicyServer
    var certs: String { work.appendingPathComponent("certs").path }

    static let entries: [String: String] = [
        "Connect:127.0.0.2": "REJECT",
        "TLS_Clt:127.0.0.3": "VERIFY",
        "CERTISSUER:/C=US/O=AccessPolicy+20Test+20CA/CN=Test+20Root": "RELAY",
    ]

    private init(work: URL, smtpPort: Int, server: AccessPolicyServer) {
        self.work = work
        self.smtpPort = smtpPort
        self.server = server
    }

    static func with(_ body: (PostfixFixture) async throws -> Void) async throws {
        let fixture = try await start()
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    static func start() async throws -> PostfixFixture {
        let work = try E2E.makeWorkDirectory()
        let certs = work.appendingPathComponent("certs").path
        let (status, output) = try E2E.run(
            "/bin/bash",
            [E2E.scripts.appendingPathComponent("make-certs.sh").path, certs]
        )
        guard status == 0 else { throw FixtureError("make-certs.sh failed: \(output)") }
        let mapPath = work.appendingPathComponent("access.db").path
        let source = try E2E.servedMap(entries, at: mapPath)
        let decider = SendmailPolicyDecider.standard(
            source: source,
            configuration: ConfigFile(),
            issuerDistinguishedNames: ["Test Root": "/C=US/O=AccessPolicy+20Test+20CA/CN=Test+20Root"]
        )
        let server = try await AccessPolicyServer.start(
            configuration: .init(policyAddress: .tcp(host: "127.0.0.1", port: 0), threadCount: 2),
            policy: PolicyService(decider: decider),
            mapSource: source,
            logger: E2E.logger
        )
        let policyPort = server.boundAddresses["policy"]!.port!
        let smtpPort = try E2E.freePort()
        try await E2E.startMTA(
            script: "postfix.sh",
            work: work,
            smtpPort: smtpPort,
            servicePort: policyPort,
            server: server
        )
        return PostfixFixture(work: work, smtpPort: smtpPort, server: server)
    }

    func stop() async {
        _ = try? E2E.run("/bin/bash", [E2E.scripts.appendingPathComponent("postfix.sh").path, "stop", work.path])
        await server.shutdown()
        try? FileManager.default.removeItem(at: work)
    }

    var log: String {
        (try? String(contentsOfFile: work.appendingPathComponent("postfix.log").path, encoding: .utf8)) ?? ""
    }

    func cert(_ name: String) -> (cert: String, key: String) { ("\(certs)/\(name).pem", "\(certs)/\(name).key") }
}

// Real Postfix 3.7 (Debian's package, unpacked privately) calling our policy service; swaks as the client.
@Suite(
    "End to end: Postfix using the policy service",
    .enabled(if: E2E.postfixAvailable, "needs root, swaks, openssl and Postfix unpacked by scripts/setup.sh --mta"),
    .serialized
)
struct PostfixEndToEndTests {
    @Test("Connect REJECT, relaying for the CA-signed certificate only, with sendmail's codes and texts")
    func postfixScenarios() async throws {
        try await PostfixFixture.with { fixture in
            let port = fixture.smtpPort
            let rejected = try SwaksSession.run(port: port, source: "127.0.0.2")
            let reply = rejected.reply(to: "RCPT") ?? ""
            #expect(reply.hasPrefix("550 5.7.1"), "\(rejected.transcript)\n\(fixture.log)")
            #expect(reply.hasSuffix("Access denied"), "\(rejected.transcript)")

            let relayed = try SwaksSession.run(
                port: port,
                source: "127.0.0.4",
                tls: true,
                certificate: fixture.cert("client")
            )
            #expect(relayed.reply(to: "RCPT")?.hasPrefix("250") == true, "\(relayed.transcript)\n\(fixture.log)")
            let forged = try SwaksSession.run(
                port: port,
                source: "127.0.0.4",
                tls: true,
                certificate: fixture.cert("forged")
            )
            let forgedReply = forged.reply(to: "RCPT") ?? ""
            #expect(forgedReply.hasPrefix("550 5.7.1"), "\(forged.transcript)")
            #expect(forgedReply.contains("Relaying denied"), "\(forged.transcript)")
            let anonymous = try SwaksSession.run(port: port, source: "127.0.0.4", tls: true)
            #expect(anonymous.reply(to: "RCPT")?.hasPrefix("550 5.7.1") == true, "\(anonymous.transcript)")

            let counters = fixture.server.metrics.snapshot()
            #expect((counters.decisions["policy.reject"] ?? 0) >= 3)
            #expect((counters.decisions["policy.ok"] ?? 0) >= 1)
            #expect(counters.protocolErrors == 0)
        }
    }

    @Test("TLS_Clt VERIFY: the certificate-less client is refused with the engine's text")
    func tlsRequirement() async throws {
        try await PostfixFixture.with { fixture in
            let plain = try SwaksSession.run(port: fixture.smtpPort, source: "127.0.0.3")
            #expect(plain.reply(to: "RCPT")?.hasPrefix("454 4.7.0") == true, "\(plain.transcript)")
            #expect(plain.reply(to: "RCPT")?.hasSuffix("authentication required") == true, "\(plain.transcript)")
            let noCert = try SwaksSession.run(port: fixture.smtpPort, source: "127.0.0.3", tls: true)
            #expect(noCert.reply(to: "RCPT")?.hasSuffix("not authenticated") == true, "\(noCert.transcript)")
            let withCert = try SwaksSession.run(
                port: fixture.smtpPort,
                source: "127.0.0.3",
                tls: true,
                certificate: fixture.cert("client")
            )
            #expect(withCert.reply(to: "RCPT")?.hasPrefix("454") == false, "\(withCert.transcript)")
        }
    }
}
