import AccessMap
import Testing

@testable import AccessPolicyServer

@Suite("Search-order socket maps (for Postfix)")
struct SearchOrderTableTests {
    let source = InMemoryAccessMapSource([
        "connect:example.net": "REJECT",
        "connect:10.2": "RELAY",
        "connect:ipv6:2001:db8:1": "OK",
        "legacy.example.org": "DISCARD",
        "from:joe@": "ERROR:5.7.1:550 no joe here",
        "from:spammer.example": "ERROR:550 go away",
        "from:held.example": "QUARANTINE:held for review",
        "to:blocked.example": "REJECT",
        "tls_clt:secure.example": "VERIFY",
        "tls_clt:": "ENCR:1",
        "connect:tmp.example": "REJECT <TMPF>",
        "connect:odd.example": "SKIPPY",
    ])

    func raw(_ key: String) -> SocketmapReply {
        SearchOrderTable(source: source, flavour: .raw).lookup(key)
    }

    func postfix(_ tag: AccessTag, _ key: String) -> SocketmapReply {
        SearchOrderTable(source: source, flavour: .postfixAccess(tag)).lookup(key)
    }

    @Test(
        "raw flavour: Tag:value runs the tag's whole search order",
        arguments: [
            ("Connect:host.sub.example.net", SocketmapReply.found("REJECT")),
            ("connect:10.2.3.4", .found("RELAY")),
            ("Connect:2001:db8:1::7", .found("OK")),
            ("Connect:www.legacy.example.org", .found("DISCARD")),
            ("Connect:198.51.100.1", .notFound),
            ("From:joe+tag@anywhere.example", .found("ERROR:5.7.1:550 no joe here")),
            ("From:<x@mx.spammer.example>", .found("ERROR:550 go away")),
            ("TLS_Clt:mx.secure.example", .found("VERIFY")),
            ("TLS_Clt:other.example", .found("ENCR:1")),
            ("Connect:tmp.example", .temporaryFailure("access map lookup failed")),
        ]
    )
    func rawSearch(key: String, expected: SocketmapReply) {
        #expect(raw(key) == expected)
    }

    @Test("raw flavour: a key without a tag is a permanent error")
    func rawWithoutTag() {
        guard case .permanentFailure = raw("example.net") else {
            Issue.record("expected PERM")
            return
        }
    }

    @Test(
        "Postfix flavour translates entries into access(5) actions with sendmail's codes and texts",
        arguments: [
            (AccessTag.connect, "mail.example.net", SocketmapReply.found("550 5.7.1 Access denied")),
            (.connect, "10.2.9.9", .found("OK")),
            (.connect, "www.legacy.example.org", .found("DISCARD")),
            (.connect, "192.0.2.1", .notFound),
            (.connect, "odd.example", .found("553 5.3.0 SKIPPY")),
            (.from, "joe@example.com", .found("550 5.7.1 no joe here")),
            (.from, "a@spammer.example", .found("550 5.0.0 go away")),
            (.from, "a@held.example", .found("HOLD held for review")),
            (.to, "x@blocked.example", .found("550 5.2.1 Mailbox disabled for this recipient")),
        ]
    )
    func postfixSearch(tag: AccessTag, key: String, expected: SocketmapReply) {
        #expect(postfix(tag, key) == expected)
    }

    @Test("Postfix flavour: a <TMPF> entry is a TEMP reply")
    func postfixTempfail() {
        guard case .temporaryFailure = postfix(.connect, "tmp.example") else {
            Issue.record("expected TEMP")
            return
        }
    }
}
