import AccessPolicy
import LogGenerator
import RecordedSessions
import Testing

@Suite("Grouping, Postfix, unknown facts, malformed input, bounded memory")
struct AssemblyTests {
    @Test("interleaved sendmail sessions are grouped by pid and linked by queue id")
    func interleaved() throws {
        let log = """
            Nov 21 10:00:00 mx sm-mta[100]: STARTTLS=server, relay=a.example [192.0.2.1], version=TLSv1.3, verify=OK, cipher=TLS_AES_256_GCM_SHA384, bits=256/256
            Nov 21 10:00:00 mx sm-mta[200]: STARTTLS: TLS cert verify: depth=0 /C=DE/O=M\\xC3\\xBCller GmbH/CN=b one+x, state=0, reason=self-signed certificate
            Nov 21 10:00:00 mx sm-mta[200]: STARTTLS=server, relay=b.example [203.0.113.7] (may be forged), version=TLSv1.2, verify=FAIL, cipher=ECDHE-RSA-AES128-GCM-SHA256, bits=128/128
            Nov 21 10:00:01 mx sm-mta[100]: STARTTLS=server, cert-subject=/C=US/O=Example+20Corp/CN=a.example, cert-issuer=/C=US/O=Example+20CA/CN=Root, verifymsg=ok
            Nov 21 10:00:01 mx sm-mta[200]: 4ALA0000000200: ruleset=check_rcpt, arg1=<x@elsewhere.example>, relay=b.example [203.0.113.7] (may be forged), reject=550 5.7.1 <x@elsewhere.example>... Relaying denied
            Nov 21 10:00:01 mx sm-mta[100]: AUTH=server, relay=a.example [192.0.2.1], authid=alice, mech=PLAIN, bits=0
            Nov 21 10:00:02 mx sm-mta[100]: 4ALA0000000100: from=<alice@a.example>, size=10, class=0, nrcpts=1, msgid=<m@a>, proto=ESMTPSA, daemon=MTA, relay=a.example [192.0.2.1]
            Nov 21 10:00:02 mx sm-mta[200]: 4ALA0000000200: lost input channel from b.example [203.0.113.7] (may be forged) to MTA after rcpt
            Nov 21 10:00:02 mx sm-mta[300]: 4ALA0000000100: to=<bob@mx.example>, ctladdr=<bob@mx.example> (1000/1000), delay=00:00:00, xdelay=00:00:00, mailer=local, pri=30000, dsn=2.0.0, stat=Sent
            Nov 21 10:00:03 mx sm-mta[100]: a.example [192.0.2.1] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA
            """
        let (all, stats) = try sessions(of: log)
        #expect(stats.totalUnparseable == 0)
        #expect(all.count == 2)
        let a = try #require(all.first { $0.pid == 100 })
        #expect(a.completion == .closed)
        #expect(a.tls.facts?.certificateSubject == "/C=US/O=Example+20Corp/CN=a.example")
        #expect(a.auth.success?.authenticatedID == "alice")
        #expect(a.transactions.count == 1)
        #expect(a.transactions[0].recipients.map(\.address) == ["<bob@mx.example>"])
        #expect(a.transactions[0].recipients[0].lastDeliveryStatus == .sent)
        let (macrosA, unknownA) = a.connectionMacros()
        #expect(macrosA[.clientName] == "a.example")
        #expect(macrosA[.authType] == "PLAIN")
        #expect(macrosA[.authAuthen] == "alice")
        #expect(unknownA.contains(.cnSubject))

        let b = try #require(all.first { $0.pid == 200 })
        #expect(b.completion == .closed)
        #expect(b.peer?.mayBeForged == true)
        // Forged PTR: {client_name} is the bracketed address.
        #expect(b.connectionMacros().macros[.clientName] == "[203.0.113.7]")
        // Only the plain-text verify line gave the DN: encoded to the xtext macro form.
        let facts = try #require(b.tls.facts)
        #expect(facts.certificateSubjectFromVerifyLine)
        #expect(facts.certificateSubject == "/C=DE/O=M+5CxC3+5CxBCller+20GmbH/CN=b+20one+2Bx")
        let rcpt = try #require(b.transactions.first?.recipients.first)
        #expect(rcpt.refusal?.ruleset == "check_rcpt")
        let call = try #require(b.replayCalls().first { $0.ruleset == .checkRcpt })
        #expect(call.arguments == ["<x@elsewhere.example>"])
        guard case .decision(let decision) = call.observed, case .reject(let reply) = decision.action
        else {
            Issue.record("expected the logged reject")
            return
        }
        #expect(reply == "550 5.7.1 <x@elsewhere.example>... Relaying denied")
    }

    @Test("Postfix: TLS, SASL, NOQUEUE rejects; {verify} unknown; no starttls counter means no TLS")
    func postfix() throws {
        let log = """
            2024-11-21T10:00:00.123456+01:00 mx postfix/smtpd[500]: connect from mail.example.org[2001:db8::5]
            2024-11-21T10:00:00.200000+01:00 mx postfix/smtpd[500]: Trusted TLS connection established from mail.example.org[2001:db8::5]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519
            2024-11-21T10:00:01.000000+01:00 mx postfix/smtpd[500]: 4F00000A1B: client=mail.example.org[2001:db8::5], sasl_method=PLAIN, sasl_username=user=1@example.org
            2024-11-21T10:00:01.000000+01:00 mx postfix/qmgr[90]: 4F00000A1B: from=<a@example.org>, size=100, nrcpt=1 (queue active)
            2024-11-21T10:00:01.500000+01:00 mx postfix/smtpd[500]: NOQUEUE: reject: RCPT from mail.example.org[2001:db8::5]: 554 5.7.1 <x@else.example>: Relay access denied; from=<a@example.org> to=<x@else.example> proto=ESMTP helo=<mail.example.org>
            2024-11-21T10:00:02.000000+01:00 mx postfix/smtpd[500]: disconnect from mail.example.org[2001:db8::5] ehlo=2 starttls=1 auth=1 mail=2 rcpt=1/2 data=1 quit=1 commands=9/10
            2024-11-21T10:00:03.000000+01:00 mx postfix/smtpd[501]: connect from unknown[198.51.100.9]
            2024-11-21T10:00:03.500000+01:00 mx postfix/smtpd[501]: disconnect from unknown[198.51.100.9] ehlo=1 quit=1 commands=2
            """
        let (all, stats) = try sessions(of: log)
        #expect(stats.totalUnparseable == 0)
        #expect(all.count == 2)
        let tls = try #require(all.first { $0.pid == 500 })
        #expect(tls.source == .postfix)
        let facts = try #require(tls.tls.facts)
        #expect(facts.verify == nil)
        #expect(facts.postfixTrust == .trusted)
        #expect(facts.cipherBits == 256)
        let (macros, unknown) = tls.connectionMacros()
        #expect(unknown.contains(.verify))
        #expect(macros[.verify] == nil)
        #expect(macros[.clientAddr] == "IPv6:2001:db8:0:0:0:0:0:5")
        #expect(macros[.authType] == "PLAIN")
        #expect(macros[.authAuthen] == "user+3D1@example.org")
        #expect(tls.transactions.count == 2)
        #expect(tls.transactions[0].sender == "<a@example.org>")
        #expect(tls.transactions[1].queueID == nil)
        #expect(tls.transactions[1].recipients.first?.refusal?.ruleset == "postfix:RCPT")
        let tlsCall = try #require(tls.replayCalls().first { $0.ruleset == .tlsClient })
        #expect(tlsCall.arguments == [nil, "STARTTLS"])  // {verify} unknown

        let plain = try #require(all.first { $0.pid == 501 })
        #expect(plain.tls == .none)
        #expect(plain.auth == .none)
        #expect(plain.peer?.name == nil)
        #expect(plain.connectionMacros().macros[.clientName] == "[198.51.100.9]")
        #expect(plain.connectionMacros().macros[.verify] == "")
    }

    @Test("LogLevel below 9: a sendmail session without STARTTLS keeps {verify} unknown")
    func lowLogLevel() throws {
        let log = """
            Nov 21 10:00:02 mx sm-mta[100]: 4ALA0000000100: from=<a@b.example>, size=10, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=b.example [192.0.2.1]
            """
        let (known, _) = try sessions(of: log)
        #expect(known.first?.tls == TLSState.none)
        #expect(known.first?.connectionMacros().macros[.verify] == "")
        let (unknown, _) = try sessions(of: log, options: .init(sendmailLogsTLSAndAuth: false))
        #expect(unknown.first?.tls == .unknown)
        #expect(unknown.first?.connectionMacros().unknown.contains(.verify) == true)
    }

    @Test("malformed input: counted by reason, with sanitised examples, nothing thrown")
    func malformed() throws {
        let (all, stats) = try sessions(of: readFixture("malformed.log"))
        #expect(stats.linesRead == 17)
        #expect(stats.linesParsed == 4)
        #expect(stats.accountsForEveryLine)
        #expect(stats.linesUnparseable[.truncatedSendmail] == 2)
        #expect(stats.linesUnparseable[.malformedSendmail] == 1)
        #expect(stats.linesUnparseable[.binaryGarbage] == 2)
        #expect(stats.linesUnparseable[.noSyslogHeader] == 2)
        #expect(stats.linesUnparseable[.truncatedHeader] == 1)
        #expect(stats.linesUnparseable[.truncatedPostfix] == 2)
        #expect(stats.linesIgnored[.smtpCommandEcho] == 1)
        #expect(stats.linesIgnored[.empty] == 1)
        #expect(stats.linesIgnored[.otherProgram] == 1)
        #expect(stats.linesWithCRLF == 2)
        #expect(stats.linesWithNUL == 2)
        #expect(stats.linesWithInvalidUTF8 >= 1)
        #expect(stats.lastLineUnterminated)
        #expect(!all.isEmpty)
        let examples = stats.examples.values.flatMap { $0 }.map(\.text)
        #expect(!examples.contains { $0.contains("AGFsaWNl") })
        #expect(!stats.description.contains("AGFsaWNl"))
    }

    @Test("credentials echoed at LogLevel 15 are redacted")
    func redaction() {
        let text = LogRedaction.sanitize(
            "Nov 21 10:00:09 mx sm-mta[105]: <-- AUTH PLAIN AGFsaWNlAHNlY3JldA=="
        )
        #expect(text.hasSuffix("<-- AUTH [redacted]") || text.hasSuffix("<-- AUTH PLAIN [redacted]"))
        #expect(!text.contains("AGFsaWNl"))
        #expect(!LogRedaction.sanitize("<-- dGVzdA==").contains("dGVzdA"))
        #expect(LogRedaction.sanitize("a\u{1}b") == "a\\x01b")
    }

    @Test("a long stream keeps the open-session count and the indexes capped")
    func boundedMemory() throws {
        var generator = LogGenerator(options: .init(sessions: 20_000, seed: 3, garbageEvery: 300))
        var bytes: [UInt8] = []
        generator.run { line in
            bytes.append(contentsOf: line)
            bytes.append(0x0A)
        }
        let options = SessionAssembler.Options(maximumOpenSessions: 50, idleLines: 400)
        var reader = LogLineReader(bytes: bytes)
        var parser = LogLineParser()
        var assembler = SessionAssembler(options: options)
        var maxOpen = 0
        var maxIndex = 0
        var emitted = 0
        while let raw = try reader.next() {
            parser.feed(raw) { line in
                assembler.consume(line) { _ in emitted += 1 }
            }
            maxOpen = max(maxOpen, assembler.openSessionCount)
            maxIndex = max(maxIndex, assembler.indexSize)
        }
        parser.finish { line in assembler.consume(line) { _ in emitted += 1 } }
        assembler.finish { _ in emitted += 1 }
        let stats = assembler.statistics
        #expect(maxOpen <= 50)
        #expect(stats.peakOpenSessions <= 50)
        // Process/queue indexes, the idle queue (≤ a few entries per line of the window) and the caches.
        #expect(maxIndex <= 50 * 3 + 400 * 4 + 50 * 4 + 2 * 1024)
        #expect(stats.sessionsEvicted > 0)  // the cap was reached and counted
        #expect(stats.sessionsEmitted == emitted)
        #expect(emitted >= 20_000)
        #expect(parser.statistics.accountsForEveryLine)
    }

    @Test("the generator is deterministic")
    func deterministic() {
        func digest(_ seed: UInt64) -> (Int, UInt64) {
            var generator = LogGenerator(options: .init(sessions: 500, seed: seed))
            var count = 0
            var hash: UInt64 = 1_469_598_103_934_665_603
            generator.run { line in
                count += 1
                for byte in line { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
            }
            return (count, hash)
        }
        #expect(digest(9) == digest(9))
        #expect(digest(9) != digest(10))
    }

    @Test(
        "relay= forms",
        arguments: [
            ("mail.example.org [192.0.2.1]", "mail.example.org", "192.0.2.1", false),
            ("host.example [203.0.113.7] (may be forged)", "[203.0.113.7]", "203.0.113.7", true),
            ("[IPv6:0:0:0:0:0:0:0:1]", "[IPv6:0:0:0:0:0:0:0:1]", "IPv6:0:0:0:0:0:0:0:1", false),
            ("IDENT:jose@[192.0.2.4]", "[192.0.2.4]", "192.0.2.4", false),
        ]
    )
    func relays(text: String, clientName: String, address: String, forged: Bool) {
        let relay = Relay.sendmail(Substring(text))
        #expect(relay.sendmailHostName == clientName)
        #expect(relay.sendmailAddress == address)
        #expect(relay.mayBeForged == forged)
    }

    @Test("syslog headers: RFC 3164, ISO 8601, notices")
    func syslogHeaders() throws {
        let rfc = try SyslogLine.split("Mar  4 04:36:08 bob sendmail[23831]: hello").get()
        #expect(
            rfc.host == "bob" && rfc.program == "sendmail" && rfc.pid == 23831 && rfc.message == "hello"
        )
        let iso = try SyslogLine.split("2024-11-21T10:00:01Z mx postfix/smtpd[7]: x").get()
        #expect(iso.timestamp == "2024-11-21T10:00:01Z" && iso.program == "postfix/smtpd")
        #expect(throws: SyslogSplitFailure.syslogNotice) {
            try SyslogLine.split("Jun  6 12:55:10 foobox last message repeated 3 times").get()
        }
    }
}
