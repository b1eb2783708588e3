import AccessPolicy
import RecordedSessions
import Testing

@Suite("The seeds' log lines")
struct SeedLogTests {
    @Test("seed 001: a wrapped STARTTLS=server line with verify=NO and a blanked ident relay")
    func seed001() throws {
        let (all, stats) = try sessions(of: readFixture("seed-001.log"))
        #expect(stats.linesRead == 5)
        #expect(stats.continuationLinesJoined == 2)
        #expect(stats.totalUnparseable == 0)
        #expect(stats.accountsForEveryLine)
        // The daemon's start-up error is parsed but belongs to no connection.
        #expect(all.count == 1)
        let session = try #require(all.first)
        #expect(session.pid == 914)
        #expect(session.direction == .inbound)
        let facts = try #require(session.tls.facts)
        #expect(facts.verify == "NO")
        #expect(facts.version == "TLSv1/SSLv3")
        #expect(facts.cipher == "RC4-MD5")
        #expect(facts.cipherBits == 128 && facts.algorithmBits == 128)
        let peer = try #require(session.peer)
        #expect(peer.identUser == "jose")
        #expect(peer.address == nil && peer.addressBlanked)
        let (macros, unknown) = session.connectionMacros()
        #expect(macros[.verify] == "NO")
        #expect(macros[.cipherBits] == "128")
        #expect(unknown.contains(.clientAddr))  // blanked by the article's author
        #expect(unknown.contains(.certSubject))  // LogLevel ≤ 11: no cert-subject line
    }

    @Test("seed 003: abridged lines — verify=FAIL, AUTH EXTERNAL, relayed with stat=Sent")
    func seed003() throws {
        let (all, stats) = try sessions(of: readFixture("seed-003.log"))
        #expect(stats.linesParsed == 4)
        #expect(stats.totalUnparseable == 0)
        let session = try #require(all.first)
        #expect(all.count == 1)
        #expect(session.isAbridged)
        #expect(session.tls.facts?.verify == "FAIL")
        #expect(session.tls.facts?.cipher == nil)  // elided, so unknown
        let auth = try #require(session.auth.success)
        #expect(auth.mechanism == "EXTERNAL")
        #expect(auth.authenticatedID == "[DN of the cert]")
        #expect(auth.securityStrength == 0)
        let transaction = try #require(session.transactions.first)
        #expect(transaction.sender == "[local address]")
        let recipient = try #require(transaction.recipients.first)
        #expect(recipient.address == "[non-local address]")
        #expect(recipient.lastDeliveryStatus == .sent)
        #expect(recipient.deliveries.first?.statusText == "Message accepted.")
        let calls = session.replayCalls()
        let rcpt = try #require(calls.first { $0.ruleset == .checkRcpt })
        #expect(rcpt.macros[.verify] == "FAIL")
        #expect(rcpt.macros[.authType] == "EXTERNAL")
        #expect(rcpt.observed == .passed(evidence: "delivery attempted: sent"))
    }

    @Test("seed 004: inbound from=, outbound STARTTLS=client verify=FAIL, deferral and delivery")
    func seed004() throws {
        let (all, stats) = try sessions(of: readFixture("seed-004.log"))
        #expect(stats.totalUnparseable == 0)
        #expect(stats.linesIgnored[.syslogNotice] == 2)
        #expect(stats.accountsForEveryLine)
        #expect(all.count == 3)
        let inbound = try #require(all.first { $0.pid == 23831 })
        #expect(inbound.direction == .inbound)
        #expect(inbound.tls == .none)  // LogLevel 9 and no STARTTLS=server line
        #expect(inbound.peer?.name == "exch.foo.com")
        let transaction = try #require(inbound.transactions.first)
        #expect(transaction.queueID == "q29Ja84u011122")
        #expect(transaction.sender == "<example@foo.com>")
        #expect(transaction.acceptedRecipientCount == 1)
        // The delivery by the child process 23834 is linked by queue id.
        #expect(transaction.recipients.first?.address == "<recipient@remotefoo.com>")
        #expect(transaction.recipients.first?.lastDeliveryStatus == .deferred)
        #expect(inbound.connectionMacros().macros[.verify] == "")

        let deferred = try #require(all.first { $0.pid == 23834 })
        #expect(deferred.direction == .outbound)
        #expect(deferred.tls.facts?.verify == "FAIL")
        #expect(deferred.tls.facts?.cipher == "AES128-SHA")
        #expect(deferred.peer?.name == "mx.remotefoo.com.")
        let delivery = try #require(deferred.transactions.first?.recipients.first?.deliveries.first)
        #expect(delivery.dsn == "4.0.0")
        #expect(delivery.statusText == "Connection reset by mx.remotefoo.com.")
        #expect(deferred.transactions.first?.sender == "<example@foo.com>")  // from the inbound from= line

        let sent = try #require(all.first { $0.pid == 1663 })
        #expect(sent.direction == .outbound)
        let facts = try #require(sent.tls.facts)
        #expect(facts.verify == "FAIL")
        #expect(
            facts.certificateSubject
                == "/C=US/ST=California/L=Mountain+20View/O=Google+20Inc/CN=mx.google.com"
        )
        #expect(facts.certificateIssuer == "/C=US/O=Google+20Inc/CN=Google+20Internet+20Authority")
        #expect(facts.verifyMessage == "unable to get local issuer certificate")
        let call = try #require(sent.replayCalls().first)
        #expect(call.ruleset == .tlsServer)
        #expect(call.arguments == ["FAIL"])
        #expect(call.macros[.serverName] == "gmail-smtp-in.l.google.com.")
        guard case .delivery(let record) = call.observed else {
            Issue.record("expected a delivery outcome")
            return
        }
        #expect(record.status == .sent && record.dsn == "2.0.0")
        // tls_rcpt follows tls_server, once per recipient, with the recipient as argument and the same macros.
        let calls = sent.replayCalls()
        #expect(calls.map(\.ruleset) == [.tlsServer, .tlsRecipient])
        let rcpt = calls[1]
        #expect(rcpt.arguments == ["<footestuser@gmail.com>"])
        #expect(rcpt.recipient == "<footestuser@gmail.com>")
        #expect(rcpt.transactionIndex == 0)
        #expect(rcpt.macros[.verify] == "FAIL")
        #expect(rcpt.macros[.cipherBits] == "128")
        #expect(rcpt.macros[.serverName] == "gmail-smtp-in.l.google.com.")
        // No ruleset=tls_rcpt line: the log does not show this step.
        #expect(rcpt.observed == .unknown)

        let deferredCalls = deferred.replayCalls()
        #expect(deferredCalls.map(\.ruleset) == [.tlsServer, .tlsRecipient])
        #expect(deferredCalls.last?.arguments == ["<recipient@remotefoo.com>"])
        #expect(deferredCalls.last?.observed == .unknown)
    }
}
