import AccessMap
import AccessPolicy
import Testing

/// The library API an MTA uses. Expected replies are the texts sendmail 8.17.1.9 gave for the same entries and
/// macros (`Fixtures/engine/tls-basic`).
@Suite("PolicyEngine decisions")
struct PolicyEngineTests {
    static let map = Support.memoryMap(
        """
        TLS_Clt:secure.example\tVERIFY:128+CN:mx.example
        TLS_Clt:[192.0.2.1]\tPERM+VERIFY:112
        TLS_Srv:mx.secure.example.com\tVERIFY+CN
        TLS_Srv:citag.example\tVERIFY+CITag:MyCA
        MyCA:/C=US/O=Example+20CA/CN=Root\tOK
        TLS_Rcpt:rebels.org\tENCR:256
        Try_TLS:nope.example\tNO
        Srv_Features:client.example\tV A
        CERTISSUER:/C=US/O=Example+20CA/CN=Root\tRELAY
        CERTISSUER:/C=US/O=Sub+20CA/CN=Sub\tSUBJECT
        CERTSUBJECT:/C=US/CN=client+20one\tRELAY
        """
    )
    let engine = PolicyEngine(configuration: .reference, source: Self.map)

    func session(_ values: [MacroName: String]) -> SessionMacros { SessionMacros(values) }

    @Test("tls_client: too few bits, then a CN mismatch, then accept")
    func tlsClient() {
        var s = session([.clientName: "secure.example", .clientAddr: "1.2.3.4"])
        s.verify = .ok
        #expect(
            engine.tlsClient(s)
                == .reject(SMTPReply(code: 454, enhancedStatus: "4.7.0", text: "encryption too weak 0 less than 128"))
        )
        s.cipherBits = 128
        #expect(
            engine.tlsClient(s)
                == .reject(SMTPReply(code: 454, enhancedStatus: "4.7.0", text: "CN does not match mx.example"))
        )
        s.cnSubject = XText(encoded: "mx.example")
        #expect(engine.tlsClient(s, phase: .startTLS) == .accept)
        s.verify = .fail
        #expect(
            engine.tlsClient(s) == .reject(SMTPReply(code: 454, enhancedStatus: "4.7.0", text: "authentication failed"))
        )
        s[.verify] = nil  // a session without STARTTLS
        #expect(
            engine.tlsClient(s)
                == .reject(SMTPReply(code: 454, enhancedStatus: "4.7.0", text: "authentication required"))
        )
    }

    @Test("PERM+ gives 503 5.7.0; the strength is the larger of {cipher_bits} and {auth_ssf}")
    func permanent() {
        var s = session([.clientName: "[192.0.2.1]", .cipherBits: "56", .authSSF: "64"])
        s.verify = .ok
        guard case .reject(let reply) = engine.tlsClient(s) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(reply.description == "503 5.7.0 encryption too weak 64 less than 112")
        #expect(reply.isPermanent)
        s.authSSF = 112
        #expect(engine.tlsClient(s) == .accept)
    }

    @Test("tls_server: CN without a name compares {cn_subject} with {server_name}, ignoring case")
    func tlsServer() {
        var s = session([.serverName: "mx.secure.example.com", .cnSubject: "evil.example.com"])
        s.verify = .ok
        #expect(
            engine.tlsServer(s)
                == .reject(
                    SMTPReply(
                        code: 454,
                        enhancedStatus: "4.7.0",
                        text: "CN evil.example.com does not match mx.secure.example.com"
                    )
                )
        )
        s.cnSubject = XText(encoded: "MX.Secure.Example.COM")
        #expect(engine.tlsServer(s) == .accept)
    }

    @Test("CITag: the issuer must be OK under the tag")
    func issuerTag() {
        var s = session([.serverName: "citag.example", .certIssuer: "/C=US/O=Example+20CA/CN=Root"])
        s.verify = .trusted
        #expect(engine.tlsServer(s) == .accept)
        s.certIssuer = XText(plain: "/C=US/CN=Nope")
        #expect(
            engine.tlsServer(s)
                == .reject(
                    SMTPReply(code: 454, enhancedStatus: "4.7.0", text: "Cert Issuer /C=US/CN=Nope not acceptable")
                )
        )
    }

    @Test("tls_rcpt reads {verify} from the session and searches user@domain, user@, domain, parents")
    func tlsRecipient() {
        var s = session([:])
        s.verify = .ok
        #expect(
            engine.tlsRecipient("leia@base.rebels.org", session: s)
                == .reject(SMTPReply(code: 454, enhancedStatus: "4.7.0", text: "encryption too weak 0 less than 256"))
        )
        s.cipherBits = 256
        #expect(engine.tlsRecipient("<leia@base.rebels.org>", session: s) == .accept)
        #expect(engine.tlsRecipient("han@example.com", session: SessionMacros()) == .accept)
    }

    @Test("try_tls: NO skips STARTTLS with sendmail's text")
    func tryTLS() {
        let s = session([.serverName: "nope.example", .serverAddr: "10.1.2.3"])
        #expect(
            engine.tryTLS(s)
                == .skipTLS(
                    SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "do not try TLS with nope.example [10.1.2.3]")
                )
        )
        #expect(engine.tryTLS(session([.serverName: "other.example"])) == .tryTLS)
    }

    @Test("srv_features: letters of the entry; none: unchanged")
    func features() {
        #expect(engine.serverFeatures(session([.clientName: "client.example"])) == .features(["V", "A"]))
        #expect(engine.serverFeatures(session([.clientName: "x.example", .clientAddr: "1.2.3.4"])) == .unchanged)
    }

    @Test("RelayTLS: CERTISSUER RELAY, SUBJECT then CERTSUBJECT")
    func relayTLS() {
        var s = session([.certIssuer: "/C=US/O=Example+20CA/CN=Root"])
        s.verify = .ok
        #expect(engine.relayTLS(s) == .relay)
        s.certIssuer = XText(encoded: "/C=US/O=Sub+20CA/CN=Sub")
        s.certSubject = XText(encoded: "/C=US/CN=client+20one")
        #expect(engine.relayTLS(s) == .relay)
        s.certSubject = XText(encoded: "/C=US/CN=client+20two")
        #expect(engine.relayTLS(s) == .noRelay)
    }

    /// Seed 003 (EXTERNAL pitfall): a self-signed certificate whose subject and issuer copy the trusted CA's DN
    /// fails verification, so no CERTISSUER/CERTSUBJECT entry may let it relay.
    @Test("a self-signed certificate copying the trusted CA's DN gets no relaying ({verify} = FAIL)")
    func selfSignedLookalike() {
        var forged = session([
            .certIssuer: "/C=US/O=Example+20CA/CN=Root", .certSubject: "/C=US/O=Example+20CA/CN=Root",
            .authType: "EXTERNAL", .cipherBits: "256",
        ])
        forged.verify = .fail
        #expect(engine.relayTLS(forged) == .noRelay)
        for verify in [VerifyResult.no, .none, .notRequested, .temporary, .other("")] {
            forged.verify = verify
            #expect(engine.relayTLS(forged) == .noRelay)
        }
        forged.verify = .ok  // the same names with a verified chain do relay
        #expect(engine.relayTLS(forged) == .relay)
    }

    @Test("trust_auth: identical identities, else the 550 reply")
    func trustAuth() {
        #expect(
            engine.trustAuth("alice", session: SessionMacros())
                == .rejected(SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "not authenticated"))
        )
        var s = session([.authType: "PLAIN", .authAuthen: "alice", .authAuthor: "<bob@example.com>"])
        #expect(engine.trustAuth("<ALICE>", session: s) == .trusted)
        #expect(
            engine.trustAuth("bob", session: s)
                == .rejected(
                    SMTPReply(code: 550, enhancedStatus: "5.7.1", text: "alice not allowed to act as <bob@example.com>")
                )
        )
        s.authType = nil
        #expect(engine.trustAuth("alice", session: s) != .trusted)
    }

    @Test("TLS_PERM_ERR turns the default reply into 554 5.7.0")
    func permanentErrors() {
        var configuration = PolicyConfiguration.reference
        configuration.features.tlsPermanentErrors = true
        let strict = PolicyEngine(configuration: configuration, source: Self.map)
        var s = session([.clientName: "secure.example"])
        s.verify = .no
        #expect(
            strict.tlsClient(s) == .reject(SMTPReply(code: 554, enhancedStatus: "5.7.0", text: "not authenticated"))
        )
        s.verify = .software
        #expect(
            strict.tlsClient(s) == .reject(SMTPReply(code: 554, enhancedStatus: "5.7.0", text: "TLS handshake failed."))
        )
    }

    @Test("the engine is shared across concurrent sessions")
    func concurrency() async {
        let engine = self.engine
        await withTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask {
                    var s = SessionMacros([.clientName: "secure.example", .cnSubject: "mx.example"])
                    s.verify = .ok
                    s.cipherBits = i % 2 == 0 ? 256 : 56
                    return (engine.tlsClient(s) == .accept) == (i % 2 == 0)
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
