extension SendmailImport {
    /// Imports an m4 `.mc` file.
    ///
    /// - Parameters:
    ///   - text: the file's text.
    ///   - readFile: returns a file's text, or `nil` when it cannot be read (used for class files and `include`s).
    /// - Returns: the configuration and a note per macro call.
    public static func importMC(
        _ text: String,
        readFile: @escaping (String) -> String? = { _ in nil }
    ) -> SendmailImport {
        var state = MCState(readFile: readFile)
        state.run(text)
        state.finish()
        return SendmailImport(
            configuration: state.file,
            notes: state.notes,
            accessMapSource: state.accessMapSource
        )
    }
}

/// One m4 macro call: name, arguments with the outer quotes removed, and where it started.
struct MCCall: Hashable, Sendable {
    var name: String
    var arguments: [String]
    var line: Int
    var text: String
}

/// Splits m4 text into macro calls, dropping `dnl` comments and `#` comment lines.
enum MCScanner {
    static func calls(in text: String) -> [MCCall] {
        var calls: [MCCall] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < lines.count {
            let startLine = index + 1
            var line = stripDnl(lines[index])
            index += 1
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            // Gather continuation lines until the parentheses of the call balance.
            while !balanced(line), index < lines.count {
                line += "\n" + stripDnl(lines[index])
                index += 1
            }
            calls.append(contentsOf: parse(line.trimmingSpaces(), line: startLine))
        }
        return calls
    }

    /// Removes a `dnl` comment (outside quotes) and what follows it on the line.
    static func stripDnl(_ line: String) -> String {
        var depth = 0
        let chars = Array(line)
        var i = 0
        while i < chars.count {
            switch chars[i] {
            case "`": depth += 1
            case "'": depth = max(0, depth - 1)
            case "d" where depth == 0:
                if i + 3 <= chars.count, String(chars[i..<i + 3]) == "dnl",
                    i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber || chars[i - 1] == "_"),
                    i + 3 == chars.count
                        || !(chars[i + 3].isLetter || chars[i + 3].isNumber || chars[i + 3] == "_")
                {
                    return String(chars[..<i])
                }
            default: break
            }
            i += 1
        }
        return line
    }

    static func balanced(_ text: String) -> Bool {
        var quote = 0
        var paren = 0
        for c in text {
            switch c {
            case "`": quote += 1
            case "'": quote = max(0, quote - 1)
            case "(" where quote == 0: paren += 1
            case ")" where quote == 0: paren -= 1
            default: break
            }
        }
        return paren <= 0 && quote == 0
    }

    /// Parses `NAME(args)NAME2(args)…` or a bare word on one logical line.
    static func parse(_ text: String, line: Int) -> [MCCall] {
        var calls: [MCCall] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            while i < chars.count, chars[i].isWhitespace { i += 1 }
            guard i < chars.count else { break }
            let start = i
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
            let name = String(chars[start..<i])
            guard !name.isEmpty else {
                // Not a macro call (stray text): keep the rest as one unknown item.
                calls.append(MCCall(name: "", arguments: [], line: line, text: String(chars[start...])))
                break
            }
            var arguments: [String] = []
            if i < chars.count, chars[i] == "(" {
                i += 1
                var quote = 0
                var paren = 0
                var current = ""
                argumentLoop: while i < chars.count {
                    let c = chars[i]
                    i += 1
                    switch c {
                    case "`":
                        if quote > 0 { current.append(c) }
                        quote += 1
                    case "'":
                        quote = max(0, quote - 1)
                        if quote > 0 { current.append(c) }
                    case "(" where quote == 0:
                        paren += 1
                        current.append(c)
                    case ")" where quote == 0:
                        if paren == 0 {
                            arguments.append(current.trimmingSpaces())
                            break argumentLoop
                        }
                        paren -= 1
                        current.append(c)
                    case "," where quote == 0 && paren == 0:
                        arguments.append(current.trimmingSpaces())
                        current = ""
                    case "\n" where quote == 0:
                        current.append(" ")
                    default:
                        current.append(c)
                    }
                }
            }
            calls.append(
                MCCall(
                    name: name,
                    arguments: arguments,
                    line: line,
                    text: String(chars[start..<min(i, chars.count)]).replacingNewlines()
                )
            )
        }
        return calls
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }

    fileprivate func replacingNewlines() -> String {
        split(separator: "\n").map { String($0).trimmingSpaces() }.joined(separator: " ")
    }

    /// Whitespace-separated words.
    var words: [String] { split(whereSeparator: \.isWhitespace).map(String.init) }
}

/// The importer's running state.
struct MCState {
    var file = ConfigFile()
    var notes: [SendmailImport.Note] = []
    var accessMapSource: String?
    let readFile: (String) -> String?
    var useETCMail = false
    var useCwFile = false
    var cwFile: String?
    var crFile: String?
    var depth = 0
    /// After LOCAL_CONFIG, LOCAL_RULESETS, LOCAL_RULE_n or LOCAL_NET_CONFIG: lines that are not m4 macro calls are
    /// raw sendmail.cf text.
    var inRawSection = false
    /// The raw line last noted (one note per line, however many pieces the scanner made of it).
    var lastRawLine: (depth: Int, line: Int)?
    /// The ruleset a raw `R` line belongs to.
    var rawRuleset: String?

    /// The m4 macros ``handle(_:)`` knows; anything else in a raw section is cf text.
    static let m4Macros: Set<String> = [
        "divert", "VERSIONID", "OSTYPE", "MAILER", "MAILER_DEFINITIONS", "DAEMON_OPTIONS", "CLIENT_OPTIONS",
        "undefine", "LOCAL_CONFIG", "SITECONFIG", "MASQUERADE_AS", "MASQUERADE_DOMAIN", "EXPOSED_USER",
        "GENERICS_DOMAIN", "SMART_HOST", "LOCAL_USER", "ifdef", "ifelse", "DOMAIN", "include", "define", "FEATURE",
        "TRUST_AUTH_MECH", "RELAY_DOMAIN", "LOCAL_DOMAIN", "RELAY_DOMAIN_FILE", "LOCAL_RULESETS", "LOCAL_RULE_0",
        "LOCAL_RULE_1", "LOCAL_RULE_2", "LOCAL_RULE_3", "LOCAL_NET_CONFIG",
    ]

    init(readFile: @escaping (String) -> String?) {
        self.readFile = readFile
        // A cf without FEATURE(accept_unresolvable_domains) checks sender domains; the default of the file is the
        // engine's baseline (accepting), so an .mc starts from sendmail's own default.
        file.relay.acceptUnresolvableDomains = false
    }

    mutating func note(_ call: MCCall, _ kind: SendmailImport.Note.Kind, _ reason: String) {
        notes.append(SendmailImport.Note(line: call.line, text: call.text, kind: kind, reason: reason))
    }

    mutating func run(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for call in MCScanner.calls(in: text) {
            if inRawSection, !Self.m4Macros.contains(call.name) {
                rawLine(call, text: call.line <= lines.count ? lines[call.line - 1] : call.text)
            } else {
                handle(call)
            }
        }
    }

    /// One line of raw cf text after LOCAL_CONFIG / LOCAL_RULESETS: classes are translated, rulesets that replace
    /// or hook into the policy rulesets are reported, other rules are ignored.
    mutating func rawLine(_ call: MCCall, text rawText: String) {
        if let last = lastRawLine, last == (depth, call.line) { return }
        lastRawLine = (depth, call.line)
        let line = MCScanner.stripDnl(rawText).trimmingSpaces()
        let raw = MCCall(name: "", arguments: [], line: call.line, text: line)
        guard let first = line.first else { return }
        switch first {
        case "C":
            guard let (name, rest) = SendmailImport.classHeader(line) else { fallthrough }
            file.policy.add(rest.words, to: name)
            note(raw, .translated, "class \(name)")
        case "F":
            guard let (name, rest) = SendmailImport.classHeader(line) else { fallthrough }
            let words = rest.words.filter { $0 != "-o" }
            classFile(raw, path: words.first ?? "", className: name)
        case "S":
            let name = String(line.dropFirst().prefix { !$0.isWhitespace && $0 != "=" })
            rawRuleset = name
            if name.hasPrefix("Local_") || Self.policyRulesets.contains(name) {
                note(raw, .notTranslated, "hand-written ruleset \(name) hooks into the policy rulesets: not reproduced")
            } else {
                note(raw, .ignored, "hand-written ruleset \(name), not called by the policy rulesets")
            }
        case "R":
            note(raw, .ignored, "rule of hand-written ruleset \(rawRuleset ?? "?")")
        default:
            note(raw, .notTranslated, "raw sendmail.cf line not reproduced")
        }
    }

    /// Rulesets the engine implements (a hand-written one with such a name replaces the shipped one).
    static let policyRulesets: Set<String> = [
        "check_relay", "check_mail", "check_rcpt", "Basic_check_relay", "Basic_check_mail", "Basic_check_rcpt",
        "Rcpt_ok", "Relay_ok", "RelayTLS", "tls_client", "tls_server", "tls_rcpt", "try_tls", "srv_features",
        "clt_features", "trust_auth", "TLS_connection", "TLS_req", "SearchList", "ParseRecipient", "CanonAddr",
    ]

    mutating func handle(_ call: MCCall) {
        let args = call.arguments
        switch call.name {
        case "divert", "VERSIONID", "OSTYPE", "MAILER", "MAILER_DEFINITIONS", "DAEMON_OPTIONS",
            "CLIENT_OPTIONS",
            "undefine", "SITECONFIG", "MASQUERADE_AS", "MASQUERADE_DOMAIN",
            "EXPOSED_USER",
            "GENERICS_DOMAIN", "SMART_HOST", "LOCAL_USER", "ifdef", "ifelse":
            note(call, .ignored, "no effect on the access rulesets")
        case "LOCAL_CONFIG":
            inRawSection = true
            note(call, .ignored, "section of raw cf lines (each is reported below)")
        case "DOMAIN":
            note(
                call,
                .ignored,
                "domain file: queue, status and daemon settings, no effect on the access rulesets"
            )
        case "include":
            include(call)
        case "define":
            define(call)
        case "FEATURE":
            feature(call)
        case "TRUST_AUTH_MECH":
            file.policy.add(args.first?.words ?? [], to: "TrustAuthMech")
            file.relay.authConfigured = true
            note(call, .translated, "class TrustAuthMech")
        case "RELAY_DOMAIN":
            file.policy.add(args.first?.words ?? [], to: "R")
            note(call, .translated, "class R")
        case "LOCAL_DOMAIN":
            file.policy.add(args.first?.words ?? [], to: "w")
            note(call, .translated, "class w")
        case "RELAY_DOMAIN_FILE":
            classFile(call, path: args.first ?? "", className: "R")
        case "LOCAL_RULESETS", "LOCAL_RULE_0", "LOCAL_RULE_1", "LOCAL_RULE_2", "LOCAL_RULE_3",
            "LOCAL_NET_CONFIG":
            inRawSection = true
            note(call, .ignored, "section of hand-written rules (each is reported below)")
        default:
            note(
                call,
                .notTranslated,
                call.name.isEmpty ? "not an m4 macro call" : "unknown macro \(call.name)"
            )
        }
    }

    mutating func include(_ call: MCCall) {
        guard let path = call.arguments.first else {
            note(call, .notTranslated, "include without a file")
            return
        }
        if path.hasSuffix("/cf.m4") || path == "cf.m4" {
            note(call, .ignored, "the standard m4 library")
            return
        }
        guard depth < 8, let text = readFile(path) else {
            note(call, .notTranslated, "cannot read the included file")
            return
        }
        note(call, .translated, "included file imported")
        depth += 1
        for inner in MCScanner.calls(in: text) { handle(inner) }
        depth -= 1
    }

    mutating func define(_ call: MCCall) {
        guard let name = call.arguments.first else {
            note(call, .notTranslated, "define without a name")
            return
        }
        let value = call.arguments.count > 1 ? call.arguments[1] : ""
        switch name {
        case "_USE_ETC_MAIL_":
            useETCMail = true
            note(call, .translated, "files under /etc/mail")
        case "confDOMAIN_NAME":
            file.relay.hostName = value
            file.policy.add([value], to: "w")
            note(call, .translated, "host name ($j)")
        case "confREJECT_MSG":
            file.relay.rejectMessage = dequoted(value)
            note(call, .translated, "REJECT text")
        case "confRELAY_MSG":
            file.relay.relayMessage = dequoted(value)
            note(call, .translated, "relaying denied text")
        case "confRCPTREJ_MSG":
            file.relay.recipientRejectMessage = dequoted(value)
            note(call, .translated, "blocklisted recipient text")
        case "TLS_PERM_ERR":
            file.tlsPermanentErrors = true
            note(call, .translated, "permanent TLS errors")
        case "confCW_FILE":
            cwFile = value.words.first { $0 != "-o" } ?? value
            note(call, .translated, "class w file")
        case "confCR_FILE":
            crFile = value.words.first { $0 != "-o" } ?? value
            note(call, .translated, "class R file")
        case "_CERT_REGEX_ISSUER_", "_CERT_REGEX_SUBJECT_":
            note(call, .notTranslated, "certificate regex maps are not reproduced")
        case "confRELAY_MAILER", "confSMTP_MAILER", "confLOCAL_MAILER":
            note(call, .ignored, "mailer selection")
        default:
            if name.hasPrefix("conf") || name.hasPrefix("STATUS_FILE") || name.hasPrefix("QUEUE_DIR")
                || name.hasPrefix("ALIAS_FILE") || name.hasPrefix("PROCMAIL")
                || name.hasPrefix("LOCAL_MAILER")
                || name.hasPrefix("SMTP_MAILER") || name.hasPrefix("UUCP")
            {
                note(call, .ignored, "option without effect on the access rulesets")
            } else {
                note(call, .notTranslated, "unknown definition \(name)")
            }
        }
    }

    mutating func feature(_ call: MCCall) {
        guard let name = call.arguments.first else {
            note(call, .notTranslated, "FEATURE without a name")
            return
        }
        let rest = Array(call.arguments.dropFirst())
        let arg1 = rest.first ?? ""
        switch name {
        case "access_db":
            let spec = arg1.isEmpty ? "hash -T<TMPF> /etc/mail/access" : arg1
            let words = spec.words
            file.accessMapOptional = words.contains("-o")
            if let last = words.last, last.hasPrefix("/") || !last.hasPrefix("-") && words.count > 1 {
                accessMapSource = last
                file.accessMapPath = last + ".db"
            }
            for option in rest.dropFirst() {
                for word in option.words {
                    if let known = ConfigFile.AccessOption(rawValue: word.lowercased()) {
                        file.accessOptions.insert(known)
                    }
                }
            }
            note(call, .translated, "access map \(accessMapSource ?? "(none)")")
        case "accept_unresolvable_domains":
            file.relay.acceptUnresolvableDomains = true
            note(call, .translated, "feature")
        case "accept_unqualified_senders":
            file.relay.acceptUnqualifiedSenders = true
            note(call, .translated, "feature")
        case "delay_checks":
            file.relay.delayChecks = true
            switch arg1.lowercased().first {
            case "f": file.relay.spamPolicy = .friend
            case "h": file.relay.spamPolicy = .hater
            default: file.relay.spamPolicy = .none
            }
            note(call, .translated, "feature")
        case "relay_hosts_only":
            file.relay.relayHostsOnly = true
            note(call, .translated, "feature")
        case "relay_entire_domain":
            file.relay.relayEntireDomain = true
            note(call, .translated, "feature (class m must be listed: it holds the host's own domain)")
        case "relay_mail_from":
            file.relay.relayMailFrom = arg1.lowercased() == "domain" ? .domain : .address
            note(call, .translated, "feature")
        case "relay_local_from":
            file.relay.relayLocalFrom = true
            note(call, .translated, "feature")
        case "blocklist_recipients", "blacklist_recipients":
            file.relay.blocklistRecipients = true
            note(call, .translated, "feature")
        case "loose_relay_check":
            file.relay.looseRelayCheck = true
            note(call, .translated, "feature")
        case "use_client_ptr":
            file.relay.useClientPTR = true
            note(call, .translated, "feature")
        case "lookupdotdomain":
            file.accessOptions.insert(.lookupDotDomain)
            note(call, .translated, "access_db option")
        case "use_cw_file":
            useCwFile = true
            note(call, .translated, "class w file")
        case "use_ct_file", "no_default_msa", "smrsh", "local_procmail", "mailertable", "virtusertable",
            "genericstable", "always_add_domain", "masquerade_envelope", "masquerade_entire_domain",
            "allmasquerade", "redirect", "nocanonify", "preserve_local_plus_detail", "local_lmtp",
            "authinfo",
            "msp", "tls_session_features", "tls_failures", "notsticky", "stickyhost", "bestmx_is_local",
            "generics_entire_domain", "limited_masquerade", "local_no_masquerade", "prefixmod",
            "queuegroup":
            note(call, .ignored, "no effect on check_relay/check_mail/check_rcpt")
        default:
            note(call, .notTranslated, "FEATURE(\(name)) is not reproduced by the engine")
        }
    }

    mutating func classFile(_ call: MCCall, path: String, className: String) {
        if let text = readFile(path) {
            file.policy.add(classFileWords(text), to: className)
            note(call, .translated, "class \(className) from \(path)")
        } else {
            note(call, .translated, "class \(className) file \(path) (not readable: empty)")
        }
    }

    /// Words of a class file: first word of each line, `#` comments dropped (sendmail's `%[^\#]` format).
    func classFileWords(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            let content = line.prefix { $0 != "#" }
            return String(content).words.first
        }
    }

    func dequoted(_ text: String) -> String {
        var t = text.trimmingSpaces()
        if t.count >= 2, t.first == "\"", t.last == "\"" { t = String(t.dropFirst().dropLast()) }
        return t
    }

    /// After the last line: read the class files every cf reads.
    mutating func finish() {
        let dir = useETCMail ? "/etc/mail" : "/etc/mail"
        if useCwFile {
            let path = cwFile ?? "\(dir)/local-host-names"
            if let text = readFile(path) {
                file.policy.add(classFileWords(text), to: "w")
                notes.append(
                    .init(line: 0, text: path, kind: .translated, reason: "class w from the cw file")
                )
            }
        }
        let relayFile = crFile ?? "\(dir)/relay-domains"
        if let text = readFile(relayFile) {
            file.policy.add(classFileWords(text), to: "R")
            notes.append(
                .init(
                    line: 0,
                    text: relayFile,
                    kind: .translated,
                    reason: "class R from the relay-domains file"
                )
            )
        }
        if let j = file.relay.hostName { file.policy.add([j], to: "w") }
    }
}
