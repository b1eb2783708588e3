/// A seeded, deterministic generator of realistic mixed sendmail + Postfix mail logs.
///
/// Sessions (inbound and outbound, sendmail and Postfix) are interleaved as on a busy host: several connections
/// are open at once, each a script of lines from its own process, with deliveries from other processes linked by
/// queue id. It covers verified/unverified/no certificates (xtext DNs with spaces, `+`, UTF-8), AUTH PLAIN/LOGIN/
/// EXTERNAL, rejects of every kind (check_relay, check_mail, check_rcpt, tls_client at STARTTLS and at MAIL,
/// tls_server deferrals, Postfix NOQUEUE), and, when asked, some garbage: cut lines, binary bytes, CR LF, NULs,
/// invalid UTF-8, other programs, syslog notices. The same seed always gives the same bytes.
public struct LogGenerator {
    /// What to generate.
    public struct Options: Sendable {
        public var sessions: Int
        public var seed: UInt64
        /// Roughly one garbage line per this many lines; 0 for none.
        public var garbageEvery: Int
        /// Connections open at once.
        public var concurrency: Int

        public init(sessions: Int, seed: UInt64 = 1, garbageEvery: Int = 400, concurrency: Int = 24) {
            self.sessions = sessions
            self.seed = seed
            self.garbageEvery = garbageEvery
            self.concurrency = concurrency
        }
    }

    /// What was generated (ground truth for tests).
    public struct Summary: Sendable {
        public var sessionsByKind: [String: Int] = [:]
        public var lines = 0
        public var garbageLines = 0
    }

    private var rng: SplitMix64
    private let options: Options
    private var pidCounter = 2000
    private var queueCounter = 0
    private var lineCount = 0
    private var seconds = 0
    public private(set) var summary = Summary()

    public init(options: Options) {
        self.options = options
        self.rng = SplitMix64(seed: options.seed)
    }

    /// Generates the whole log, handing each line (without line feed) to `emit`.
    public mutating func run(_ emit: ([UInt8]) -> Void) {
        var active: [[Line]] = []
        var started = 0
        while started < options.sessions || !active.isEmpty {
            while active.count < options.concurrency && started < options.sessions {
                active.append(makeSession())
                started += 1
            }
            let pick = Int(rng.next() % UInt64(active.count))
            let line = active[pick].removeFirst()
            if active[pick].isEmpty { active.remove(at: pick) }
            write(line, emit)
            if options.garbageEvery > 0 && rng.next() % UInt64(options.garbageEvery) == 0 {
                emit(garbage())
                summary.garbageLines += 1
                summary.lines += 1
            }
        }
    }

    // MARK: - Lines

    private struct Line {
        var program: String
        var pid: Int
        var message: String
    }

    private mutating func write(_ line: Line, _ emit: ([UInt8]) -> Void) {
        lineCount += 1
        if rng.next() % 3 == 0 { seconds += 1 }
        emit(Array((timestamp() + " mx1 " + line.program + "[\(line.pid)]: " + line.message).utf8))
        summary.lines += 1
    }

    private func timestamp() -> String {
        let day = 1 + (seconds / 86_400) % 28
        let h = (seconds / 3600) % 24
        let m = (seconds / 60) % 60
        let s = seconds % 60
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "Nov " + (day < 10 ? " \(day)" : "\(day)") + " " + two(h) + ":" + two(m) + ":" + two(s)
    }

    private mutating func garbage() -> [UInt8] {
        let text = Array(
            (timestamp()
                + " mx1 sm-mta[4242]: STARTTLS=server, relay=cut.example [192.0.2.9], version=TLSv1.3, verify=OK")
                .utf8
        )
        switch rng.next() % 9 {
        case 0: return Array(text.prefix(Int(rng.next() % UInt64(text.count))))  // cut anywhere
        case 1: return (0..<40).map { _ in UInt8(truncatingIfNeeded: rng.next()) }  // binary
        case 2: return text + [0x0D]  // CR LF
        case 3:
            return [0, 0, 0, 0]
                + Array((timestamp() + " mx1 CRON[77]: (root) CMD (run-parts /etc/cron.hourly)").utf8)
        case 4:
            return Array((timestamp() + " mx1 sm-mta[4243]: q1: to=<a@b>, stat=Sent \u{00FC}").utf8) + [
                0xC3, 0x28,
            ]
        case 5: return Array((timestamp() + " mx1 last message repeated 2 times").utf8)
        case 6: return Array((timestamp() + " mx1 kernel: [12345.678] eth0: link up").utf8)
        case 7:
            return Array((timestamp() + " mx1 sm-mta[4244]: <-- AUTH PLAIN AGFsaWNlAHNlY3JldA==").utf8)
        default: return Array("ruleset=check_rcpt, arg1=<x@y> (no header)".utf8)
        }
    }

    // MARK: - Sessions

    private mutating func nextPid() -> Int {
        pidCounter += 1 + Int(rng.next() % 7)
        if pidCounter > 32_000 { pidCounter = 2000 }
        return pidCounter
    }

    private mutating func sendmailQueueID(_ pid: Int) -> String {
        queueCounter += 1
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx")
        var n = queueCounter
        var tag = ""
        for _ in 0..<5 {
            tag.append(alphabet[n % 60])
            n /= 60
        }
        let p = String(pid)
        return "4AL" + tag + String(repeating: "0", count: max(0, 6 - p.count)) + p
    }

    private mutating func postfixQueueID() -> String {
        queueCounter += 1
        let hex = String(queueCounter &* 2_654_435_761 & 0xFFFF_FFFF, radix: 16, uppercase: true)
        return "4F" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    private mutating func pick<T>(_ values: [T]) -> T {
        values[Int(rng.next() % UInt64(values.count))]
    }
    private mutating func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }

    private static let certificates: [(subject: String, issuer: String)] = [
        ("/C=US/O=Example Corp/CN=mail.example.com", "/C=US/O=Example CA/CN=Root"),
        ("/C=DE/O=M\\xC3\\xBCller GmbH/CN=mx.m\\xC3\\xBCller.example", "/C=DE/O=Example CA/CN=Root"),
        (
            "/C=US/O=Test (Org) <q>/CN=client one\\+x=y/emailAddress=a\\+b@example.org",
            "/C=US/O=Example CA/CN=Root"
        ),
        (
            "/C=FR/ST=Paris/L=Paris/O=Relay Partner/OU=Mail+Ops/CN=relay.partner.example",
            "/C=FR/O=Partner CA/CN=Partner Intermediate"
        ),
    ]

    private static func xtext(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte < 0x21 || byte > 0x7E || "+\\()<>\"".utf8.contains(byte) {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "+" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    private mutating func client() -> (relay: String, name: String, addr: String) {
        let n = Int(rng.next() % 250) + 1
        let m = Int(rng.next() % 250) + 1
        switch rng.next() % 10 {
        case 0: return ("[198.51.100.\(n)]", "", "198.51.100.\(n)")
        case 1: return ("host\(n).dyn.example [203.0.113.\(m)] (may be forged)", "", "203.0.113.\(m)")
        case 2:
            return (
                "mail\(n).v6.example [IPv6:2001:db8:0:0:0:0:\(String(n, radix: 16)):1]",
                "mail\(n).v6.example", "IPv6:2001:db8:0:0:0:0:\(String(n, radix: 16)):1"
            )
        default:
            return (
                "mail\(n).sender\(m).example [192.0.2.\(n)]", "mail\(n).sender\(m).example", "192.0.2.\(n)"
            )
        }
    }

    private mutating func makeSession() -> [Line] {
        let kind = rng.next() % 100
        let name: String
        var lines: [Line]
        switch kind {
        case 0..<45: (name, lines) = sendmailInbound()
        case 45..<65: (name, lines) = sendmailOutbound()
        case 65..<88: (name, lines) = postfixInbound()
        default: (name, lines) = postfixOutbound()
        }
        summary.sessionsByKind[name, default: 0] += 1
        return lines
    }

    private mutating func sendmailInbound() -> (String, [Line]) {
        let pid = nextPid()
        let p = "sm-mta"
        var lines: [Line] = []
        func add(_ message: String) { lines.append(Line(program: p, pid: pid, message: message)) }
        let peer = client()
        let variant = rng.next() % 100
        if variant < 5 {
            add(
                "ruleset=check_relay, arg1=\(peer.name.isEmpty ? "[" + peer.addr + "]" : peer.name), arg2=\(peer.addr), relay=\(peer.relay), reject=550 5.7.1 Access denied"
            )
            if chance(70) {
                add("\(peer.relay) did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA-v4")
            }
            return ("sendmail check_relay reject", lines)
        }
        if variant < 9 {
            add("\(peer.relay) did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA-v4")
            return ("sendmail probe", lines)
        }
        var verify = ""
        if chance(65) {
            let cert = pick(Self.certificates)
            verify = pick(["OK", "OK", "OK", "FAIL", "NO", "NOT"])
            if verify == "FAIL" {
                add(
                    "STARTTLS: TLS cert verify: depth=0 \(cert.subject), state=0, reason=self-signed certificate"
                )
            }
            let bits = pick(["256/256", "128/128", "256/256"])
            let cipher = bits == "128/128" ? "TLS_AES_128_GCM_SHA256" : "TLS_AES_256_GCM_SHA384"
            add(
                "STARTTLS=server, relay=\(peer.relay), version=\(pick(["TLSv1.3", "TLSv1.3", "TLSv1.2"])), verify=\(verify), cipher=\(cipher), bits=\(bits)"
            )
            if verify == "NO" || verify == "NOT" {
                add("STARTTLS=server, cert-subject=, cert-issuer=, verifymsg=ok")
            } else {
                add(
                    "STARTTLS=server, cert-subject=\(Self.xtext(cert.subject)), cert-issuer=\(Self.xtext(cert.issuer)), verifymsg=\(verify == "OK" ? "ok" : "self-signed certificate")"
                )
            }
            if verify == "FAIL" && chance(40) {
                add(
                    "ruleset=tls_client, arg1=FAIL, arg2=STARTTLS, relay=\(peer.relay), reject=454 4.7.0 authentication failed"
                )
                if chance(50) {
                    add("\(peer.relay) did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA-v4")
                }
                return ("sendmail tls_client STARTTLS reject", lines)
            }
            if chance(30) {
                let mech = verify == "OK" && chance(30) ? "EXTERNAL" : pick(["PLAIN", "LOGIN"])
                let cert = Self.certificates[0]
                let authid =
                    mech == "EXTERNAL"
                    ? Self.xtext(cert.subject).replacingEq() : pick(["alice", "bob@example.org", "carol"])
                add(
                    "AUTH=server, relay=\(peer.relay), authid=\(authid), mech=\(mech), bits=\(mech == "EXTERNAL" ? 0 : 0)"
                )
            }
        }
        let qid = sendmailQueueID(pid)
        let sender = "<\(pick(["alice", "bob", "news", "billing"]))@sender\(rng.next() % 90).example>"
        if variant < 14 {
            add(
                "\(qid): ruleset=check_mail, arg1=\(sender), relay=\(peer.relay), reject=\(verify.isEmpty ? "454 4.7.0 authentication required" : "553 5.1.8 \(sender)... Domain of sender address \(sender.dropFirst().dropLast()) does not exist")"
            )
            if chance(60) { add("\(qid): lost input channel from \(peer.relay) to MTA-v4 after mail") }
            return (
                verify.isEmpty ? "sendmail tls_client MAIL reject" : "sendmail check_mail reject", lines
            )
        }
        var accepted: [String] = []
        for i in 0..<(1 + Int(rng.next() % 3)) {
            let rcpt =
                "<user\(i)\(rng.next() % 50)@\(chance(80) ? "mx1.example.net" : "elsewhere.example")>"
            if rcpt.contains("elsewhere") && chance(70) {
                add(
                    "\(qid): ruleset=check_rcpt, arg1=\(rcpt), relay=\(peer.relay), reject=550 5.7.1 \(rcpt)... Relaying denied"
                )
            } else if chance(5) {
                add("\(qid): \(rcpt)... User unknown")
            } else {
                accepted.append(rcpt)
            }
        }
        if accepted.isEmpty {
            add("\(qid): lost input channel from \(peer.relay) to MTA-v4 after rcpt")
            return ("sendmail check_rcpt reject", lines)
        }
        add(
            "\(qid): from=\(sender), size=\(1000 + rng.next() % 90000), class=0, nrcpts=\(accepted.count), msgid=<\(qid)@sender.example>, bodytype=8BITMIME, proto=\(verify.isEmpty ? "ESMTP" : "ESMTPS"), daemon=MTA-v4, relay=\(peer.relay)"
        )
        let deliveryPid = nextPid()
        for rcpt in accepted {
            if rcpt.contains("elsewhere") {
                lines.append(
                    Line(
                        program: p,
                        pid: deliveryPid,
                        message:
                            "STARTTLS=client, relay=mx.elsewhere.example., version=TLSv1.3, verify=OK, cipher=TLS_AES_256_GCM_SHA384, bits=256/256"
                    )
                )
                lines.append(
                    Line(
                        program: p,
                        pid: deliveryPid,
                        message:
                            "\(qid): to=\(rcpt), delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=121000, relay=mx.elsewhere.example. [198.51.100.25], dsn=2.0.0, stat=Sent (Ok: queued as 4Xyz)"
                    )
                )
            } else {
                lines.append(
                    Line(
                        program: p,
                        pid: deliveryPid,
                        message:
                            "\(qid): to=\(rcpt), ctladdr=\(rcpt) (1000/1000), delay=00:00:00, xdelay=00:00:00, mailer=local, pri=31000, dsn=2.0.0, stat=Sent"
                    )
                )
            }
        }
        return (verify.isEmpty ? "sendmail inbound plain" : "sendmail inbound TLS \(verify)", lines)
    }

    private mutating func sendmailOutbound() -> (String, [Line]) {
        let pid = nextPid()
        var lines: [Line] = []
        func add(_ message: String) {
            lines.append(Line(program: "sm-mta", pid: pid, message: message))
        }
        let qid = sendmailQueueID(pid)
        let n = rng.next() % 200
        let host = "mx\(n % 3).dest\(n).example."
        let addr = "203.0.113.\(1 + n % 250)"
        let rcpt = "<someone\(n)@dest\(n).example>"
        let variant = rng.next() % 100
        var kind = "sendmail outbound"
        if variant < 80 {
            let verify = pick(["OK", "OK", "FAIL", "TRUSTED"])
            add(
                "STARTTLS=client, relay=\(host), version=TLSv1.3, verify=\(verify), cipher=TLS_AES_256_GCM_SHA384, bits=256/256"
            )
            kind += " TLS \(verify)"
            if variant < 12 {
                let cn = "mx\(n % 3).dest\(n).example"
                add(
                    "\(qid): ruleset=tls_server, arg1=\(verify), relay=\(host), reject=454 4.7.0 CN \(cn) does not match secure.dest\(n).example"
                )
                add(
                    "\(qid): to=\(rcpt), delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=120000, relay=\(host) [\(addr)], dsn=4.7.0, stat=Deferred: 454 4.7.0 CN \(cn) does not match secure.dest\(n).example"
                )
                return ("sendmail tls_server deferral", lines)
            }
        }
        if chance(10) {
            add(
                "\(qid): to=\(rcpt), delay=00:00:05, xdelay=00:00:05, mailer=esmtp, pri=120000, relay=\(host) [\(addr)], dsn=4.0.0, stat=Deferred: Connection reset by \(host)"
            )
        } else {
            add(
                "\(qid): to=\(rcpt), delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120000, relay=\(host) [\(addr)], dsn=2.0.0, stat=Sent (OK id=\(rng.next() % 1_000_000))"
            )
        }
        return (kind, lines)
    }

    private mutating func postfixInbound() -> (String, [Line]) {
        let pid = nextPid()
        var lines: [Line] = []
        func add(_ program: String, _ p: Int, _ message: String) {
            lines.append(Line(program: "postfix/" + program, pid: p, message: message))
        }
        let n = rng.next() % 250 + 1
        let peer =
            chance(20)
            ? "unknown[198.51.100.\(n)]"
            : chance(10)
                ? "mail\(n).example[2001:db8::\(String(n, radix: 16))]"
                : "mail\(n).example.org[192.0.2.\(n)]"
        add("smtpd", pid, "connect from \(peer)")
        var counters = "ehlo=1"
        var tls = false
        if chance(60) {
            tls = true
            let trust = pick(["Anonymous", "Anonymous", "Trusted", "Untrusted"])
            add(
                "smtpd",
                pid,
                "\(trust) TLS connection established from \(peer): TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256"
            )
            counters = "ehlo=2 starttls=1"
        }
        let sender = "<sender\(n)@example.org>"
        if chance(15) {
            add(
                "smtpd",
                pid,
                "NOQUEUE: reject: RCPT from \(peer): 554 5.7.1 <x\(n)@elsewhere.example>: Relay access denied; from=\(sender) to=<x\(n)@elsewhere.example> proto=ESMTP helo=<mail\(n).example.org>"
            )
            add(
                "smtpd",
                pid,
                "disconnect from \(peer) \(counters) mail=1 rcpt=0/1 quit=1 commands=\(tls ? 4 : 3)/\(tls ? 5 : 4)"
            )
            return ("postfix RCPT reject", lines)
        }
        let qid = postfixQueueID()
        var auth = false
        if tls && chance(40) {
            auth = true
            add(
                "smtpd",
                pid,
                "\(qid): client=\(peer), sasl_method=\(pick(["PLAIN", "LOGIN"])), sasl_username=user\(n)@example.org"
            )
            counters += " auth=1"
        } else {
            add("smtpd", pid, "\(qid): client=\(peer)")
        }
        add("cleanup", nextPid(), "\(qid): message-id=<\(qid)@example.org>")
        add("qmgr", 1100, "\(qid): from=\(sender), size=\(2000 + n), nrcpt=1 (queue active)")
        add(
            "smtpd",
            pid,
            "disconnect from \(peer) \(counters) mail=1 rcpt=1 data=1 quit=1 commands=\(auth ? 7 : 6)"
        )
        add(
            "local",
            nextPid(),
            "\(qid): to=<user\(n)@mx1.example.net>, relay=local, delay=0.1, delays=0.05/0.01/0/0.04, dsn=2.0.0, status=sent (delivered to mailbox)"
        )
        add("qmgr", 1100, "\(qid): removed")
        return (
            tls ? (auth ? "postfix inbound TLS AUTH" : "postfix inbound TLS") : "postfix inbound plain",
            lines
        )
    }

    private mutating func postfixOutbound() -> (String, [Line]) {
        let pid = nextPid()
        var lines: [Line] = []
        let qid = postfixQueueID()
        let n = rng.next() % 200
        let peer = "mx.dest\(n).example[203.0.113.\(1 + n % 250)]:25"
        let trust = pick(["Verified", "Trusted", "Untrusted", "Anonymous"])
        lines.append(
            Line(
                program: "postfix/smtp",
                pid: pid,
                message:
                    "\(trust) TLS connection established to \(peer): TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
            )
        )
        if chance(10) {
            lines.append(
                Line(
                    program: "postfix/smtp",
                    pid: pid,
                    message:
                        "\(qid): to=<r\(n)@dest\(n).example>, relay=\(peer), delay=1.2, delays=0.1/0/0.6/0.5, dsn=4.7.5, status=deferred (Server certificate not verified)"
                )
            )
            return ("postfix outbound deferred", lines)
        }
        lines.append(
            Line(
                program: "postfix/smtp",
                pid: pid,
                message:
                    "\(qid): to=<r\(n)@dest\(n).example>, relay=\(peer), delay=0.9, delays=0.1/0/0.3/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4AbC)"
            )
        )
        return ("postfix outbound TLS \(trust)", lines)
    }
}

extension String {
    fileprivate func replacingEq() -> String {
        var out = ""
        for character in self { out += character == "=" ? "+3D" : String(character) }
        return out
    }
}

/// SplitMix64: a tiny, fast, seedable generator (deterministic across platforms).
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
