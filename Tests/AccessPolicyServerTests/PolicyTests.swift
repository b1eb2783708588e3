import AccessMap
import AccessPolicy
import Testing

@testable import AccessPolicyServer

/// A typical Postfix 3.7 request at RCPT (attribute names and order as Postfix sends them).
func postfixRequest(_ overrides: [String: String] = [:], drop: Set<String> = []) -> [(name: String, value: String)] {
    var attributes: [(name: String, value: String)] = [
        ("request", "smtpd_access_policy"), ("protocol_state", "RCPT"), ("protocol_name", "ESMTP"),
        ("client_address", "192.0.2.10"), ("client_name", "mx.client.example"),
        ("client_port", "40000"), ("reverse_client_name", "mx.client.example"), ("server_address", "127.0.0.1"),
        ("server_port", "25"), ("helo_name", "mx.client.example"), ("sender", "joe@sender.example"),
        ("recipient", "ann@remote.example"), ("recipient_count", "0"), ("queue_id", ""), ("instance", "1a.2b"),
        ("size", "0"), ("etrn_domain", ""), ("stress", ""), ("sasl_method", ""), ("sasl_username", ""),
        ("sasl_sender", ""), ("ccert_subject", ""), ("ccert_issuer", ""), ("ccert_fingerprint", ""),
        ("ccert_pubkey_fingerprint", ""), ("encryption_protocol", ""), ("encryption_cipher", ""),
        ("encryption_keysize", "0"), ("policy_context", ""),
        ("compatibility_level", "3.6"), ("mail_version", "3.7.11"),
    ]
    attributes = attributes.filter { !drop.contains($0.name) }
    for (name, value) in overrides {
        if let index = attributes.firstIndex(where: { $0.name == name }) {
            attributes[index].value = value
        } else {
            attributes.append((name, value))
        }
    }
    return attributes
}

@Suite("Postfix attributes as sendmail macros")
struct PostfixMacroTests {
    @Test("client address and names: IPv6 spelled as sendmail does, unknown names become [address]")
    func client() {
        let v6 = PostfixPolicyRequest(
            attributes: postfixRequest([
                "client_address": "2001:db8::1", "client_name": "unknown", "reverse_client_name": "unknown",
            ])
        ).sessionMacros()
        #expect(v6.value(.clientAddr) == "IPv6:2001:db8:0:0:0:0:0:1")
        #expect(v6.value(.clientName) == "[IPv6:2001:db8:0:0:0:0:0:1]")
        #expect(v6.value(.clientResolve) == "FAIL")
        let forged = PostfixPolicyRequest(
            attributes: postfixRequest(["client_name": "unknown", "reverse_client_name": "ptr.example"])
        ).sessionMacros()
        #expect(forged.value(.clientResolve) == "FORGED")
        #expect(forged.value(.clientName) == "[192.0.2.10]")
        let ok = PostfixPolicyRequest(attributes: postfixRequest()).sessionMacros()
        #expect(ok.value(.clientName) == "mx.client.example")
        #expect(ok.value(.clientResolve) == "OK")
        #expect(PostfixPolicyRequest.sendmailAddress("::1") == "IPv6:0:0:0:0:0:0:0:1")
        #expect(PostfixPolicyRequest.sendmailAddress("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(PostfixPolicyRequest.sendmailAddress("fe80::a:b%eth0") == "IPv6:fe80:0:0:0:0:0:a:b")
        #expect(PostfixPolicyRequest.sendmailAddress("not:an:address") == "not:an:address")
    }

    @Test(
        "{verify} from the TLS attributes Postfix sends",
        arguments: [
            ([:], ""),  // no STARTTLS: empty, as sendmail's server leaves it
            (["encryption_protocol": "TLSv1.3", "encryption_keysize": "256"], "NO"),
            (["encryption_protocol": "TLSv1.3", "ccert_fingerprint": "AB:CD"], "FAIL"),
            (
                [
                    "encryption_protocol": "TLSv1.3", "ccert_subject": "client.test", "ccert_issuer": "Test Root",
                    "ccert_fingerprint": "AB:CD",
                ], "OK"
            ),
        ]
    )
    func verify(attributes: [String: String], expected: String) {
        #expect(PostfixPolicyRequest(attributes: postfixRequest(attributes)).sessionMacros().value(.verify) == expected)
    }

    @Test("TLS details: bits, cipher, common names xtext-encoded; full DNs are not available and stay empty")
    func tlsDetails() {
        let macros = PostfixPolicyRequest(
            attributes: postfixRequest([
                "encryption_protocol": "TLSv1.3", "encryption_cipher": "TLS_AES_256_GCM_SHA384",
                "encryption_keysize": "256", "ccert_subject": "client+20one+2Bx", "ccert_issuer": "Test+20Root",
                "ccert_fingerprint": "5A:3F",
            ])
        ).sessionMacros()
        #expect(macros.value(.cipherBits) == "256")
        #expect(macros.value(.tlsVersion) == "TLSv1.3")
        #expect(macros.value(.cipher) == "TLS_AES_256_GCM_SHA384")
        #expect(macros.value(.cnSubject) == "client+20one+2Bx")
        #expect(macros.value(.cnIssuer) == "Test+20Root")
        #expect(macros.value(.certFingerprint) == "5A:3F")
        #expect(macros.value(.certSubject) == "")
        #expect(macros.value(.certIssuer) == "")
        #expect(
            PostfixPolicyRequest(attributes: postfixRequest(["encryption_keysize": "256"])).sessionMacros().value(
                .cipherBits
            ) == ""
        )
    }

    @Test("SASL and envelope attributes")
    func saslAndEnvelope() {
        let macros = PostfixPolicyRequest(
            attributes: postfixRequest(["sasl_method": "PLAIN", "sasl_username": "joe=x y", "sasl_sender": "boss@x"])
        ).sessionMacros()
        #expect(macros.value(.authType) == "PLAIN")
        #expect(macros.value(.authAuthen) == "joe+3Dx+20y")
        #expect(macros.value(.authAuthor) == "boss@x")
        #expect(macros.value(.sender) == "joe@sender.example")
        #expect(macros.value(.mailFrom) == "<joe@sender.example>")
    }

    @Test("unknown attributes are accepted and listed")
    func unknown() {
        let request = PostfixPolicyRequest(attributes: postfixRequest(["x_future_attribute": "1"]))
        #expect(request.unknownAttributes == ["x_future_attribute"])
    }
}

@Suite("Policy decisions with sendmail's rulesets")
struct PolicyDecisionTests {
    let source = InMemoryAccessMapSource([
        "connect:192.0.2.66": "REJECT",
        "connect:192.0.2.67": "ERROR:4.3.2:421 come back later",
        "connect:192.0.2.68": "QUARANTINE:check me",
        "certissuer:": "RELAY",
        "from:bad.example": "DISCARD",
        "tls_clt:192.0.2.20": "VERIFY",
    ])

    func decide(_ overrides: [String: String], source: (any AccessMapSource)? = nil) -> PolicyAction {
        let decider = SendmailPolicyDecider(engine: PolicyEngine(source: source ?? self.source))
        return PolicyService(decider: decider).decide(attributes: postfixRequest(overrides)).0
    }

    @Test("Connect: entries decide at every client stage, with sendmail's codes and texts")
    func connect() {
        #expect(
            decide(["client_address": "192.0.2.66", "protocol_state": "CONNECT"])
                == .reject(code: 550, status: "5.7.1", text: "Access denied")
        )
        #expect(decide(["client_address": "192.0.2.66"]).attributeValue == "550 5.7.1 Access denied")
        #expect(decide(["client_address": "192.0.2.67"]) == .defer(code: 421, status: "4.3.2", text: "come back later"))
        #expect(decide(["client_address": "192.0.2.68"]) == .hold(reason: "check me"))
        #expect(decide(["client_address": "192.0.2.1", "protocol_state": "CONNECT"]) == .dunno)
    }

    @Test("check_mail: From: entries, and the TLS_Clt: requirement (tls_client) runs first")
    func mail() {
        #expect(decide(["sender": "x@bad.example", "protocol_state": "MAIL"]) == .discard(text: ""))
        #expect(
            decide(["protocol_state": "MAIL", "client_address": "192.0.2.20"])
                == .defer(code: 454, status: "4.7.0", text: "authentication required")
        )
        #expect(
            decide(["protocol_state": "RCPT", "client_address": "192.0.2.20", "encryption_protocol": "TLSv1.3"])
                == .defer(code: 454, status: "4.7.0", text: "not authenticated")
        )
        #expect(
            decide([
                "protocol_state": "MAIL", "client_address": "192.0.2.20", "encryption_protocol": "TLSv1.3",
                "ccert_fingerprint": "AB",
            ]) == .defer(code: 454, status: "4.7.0", text: "authentication failed")
        )
        #expect(
            decide([
                "protocol_state": "MAIL", "client_address": "192.0.2.20", "encryption_protocol": "TLSv1.3",
                "encryption_keysize": "256", "ccert_subject": "client.test", "ccert_issuer": "Test+20Root",
                "ccert_fingerprint": "AB",
            ]) == .dunno
        )
    }

    @Test("check_rcpt: relaying refused with sendmail's text; nothing is decided at DATA")
    func rcpt() {
        #expect(decide([:]).attributeValue.hasPrefix("550 5.7.1 Relaying denied"))
        #expect(decide(["protocol_state": "DATA"]) == .dunno)
    }

    @Test("RelayTLS needs the issuer DN, which Postfix does not send: a verified certificate does not relay")
    func relayTLSFailsClosed() {
        let action = decide([
            "encryption_protocol": "TLSv1.3", "ccert_subject": "client.test", "ccert_issuer": "Test Root",
            "ccert_fingerprint": "AB",
        ])
        #expect(action.attributeValue.hasPrefix("550 5.7.1 Relaying denied"))
    }

    @Test("with the issuer DN declared for its CN, a verified certificate relays; an unverified one never does")
    func declaredIssuer() {
        let source = InMemoryAccessMapSource(["certissuer:/c=us/o=test+20ca/cn=test+20root": "RELAY"])
        let decider = SendmailPolicyDecider(
            engine: PolicyEngine(source: source),
            issuerDistinguishedNames: ["Test Root": "/C=US/O=Test+20CA/CN=Test+20Root"]
        )
        let service = PolicyService(decider: decider)
        let verified = service.decide(
            attributes: postfixRequest([
                "encryption_protocol": "TLSv1.3", "ccert_subject": "client.test", "ccert_issuer": "Test+20Root",
                "ccert_fingerprint": "AB",
            ])
        ).0
        #expect(verified == .ok)
        // Postfix sends no subject/issuer for an untrusted certificate: {verify} is FAIL, nothing relays.
        let forged = service.decide(
            attributes: postfixRequest(["encryption_protocol": "TLSv1.3", "ccert_fingerprint": "CD"])
        ).0
        #expect(forged.attributeValue.hasPrefix("550 5.7.1 Relaying denied"))
    }

    @Test("requests that are not smtpd_access_policy are deferred, not decided")
    func wrongRequestType() {
        let (action, request) = PolicyService(decider: SendmailPolicyDecider(engine: PolicyEngine(source: source)))
            .decide(attributes: [("request", "junk")])
        #expect(request == nil)
        #expect(action.wireReply == "action=451 4.3.5 policy request type 'junk' not supported\n\n")
    }

    @Test("reply formatting: one line, empty line after")
    func wire() {
        #expect(PolicyAction.dunno.wireReply == "action=DUNNO\n\n")
        #expect(PolicyAction.ok.wireReply == "action=OK\n\n")
        #expect(PolicyAction.reject(code: 550, status: "5.7.1", text: "a\nb").wireReply == "action=550 5.7.1 a b\n\n")
        #expect(PolicyAction.discard(text: "").wireReply == "action=DISCARD\n\n")
    }
}

@Suite("Policy server on the wire")
struct PolicyServerTests {
    func start() async throws -> (AccessPolicyServer, TemporaryMap) {
        let map = try TemporaryMap(["connect:192.0.2.66": "REJECT"])
        let source = try map.source()
        let decider = SendmailPolicyDecider.standard(source: source, configuration: ConfigFile())
        let (server, _) = try await startServer(
            map: map,
            limits: ServerLimits(maximumRequestBytes: 4096, maximumAttributes: 64),
            policy: PolicyService(decider: decider)
        )
        return (server, map)
    }

    func wire(_ attributes: [(name: String, value: String)]) -> String {
        attributes.map { "\($0.name)=\($0.value)\n" }.joined() + "\n"
    }

    @Test("answers requests in order on one connection, ignoring unknown attributes")
    func requests() async throws {
        let (server, _map) = try await start()
        _ = _map
        let client = try RawClient(port: server.port("policy"))
        client.send(wire(postfixRequest(["client_address": "192.0.2.66", "protocol_state": "CONNECT", "x_new": "1"])))
        #expect(client.policyReply() == "action=550 5.7.1 Access denied\n\n")
        client.send(
            wire(postfixRequest(["protocol_state": "CONNECT"])) + wire(postfixRequest(["protocol_state": "DATA"]))
        )
        #expect(client.policyReply() == "action=DUNNO\n\n")
        #expect(client.policyReply() == "action=DUNNO\n\n")
        #expect(server.metrics.snapshot().decisions["policy.reject"] == 1)
        await server.shutdown()
    }

    @Test(
        "malformed requests get a DEFER and the connection is closed",
        arguments: [
            "request=smtpd_access_policy\nno equals sign\n\n", String(repeating: "a=b\n", count: 100) + "\n",
            "x=" + String(repeating: "y", count: 5000),
        ]
    )
    func malformed(input: String) async throws {
        let (server, _map) = try await start()
        _ = _map
        let client = try RawClient(port: server.port("policy"))
        client.send(input)
        let (bytes, closed) = client.receive(timeout: 5)
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("action=451 4.3.5 malformed policy request"))
        #expect(closed)
        await server.shutdown()
    }
}
