extension ConfigFile {
    /// The configuration as a YAML document that ``parse(yaml:)`` reads back to an equal value.
    ///
    /// Keys at their baseline value are still written when they matter for relaying (features), so the file
    /// documents itself.
    public func renderYAML() -> String {
        var out = "# accesspolicy configuration (see docs/configuration.md)\n"
        out += "access_map:\n"
        if let path = accessMapPath { out += "  path: \(Self.quote(path))\n" }
        out += "  optional: \(accessMapOptional)\n"
        out +=
            "  options: [\(AccessOption.allCases.filter(accessOptions.contains).map(\.rawValue).joined(separator: ", "))]\n"
        if let name = relay.hostName { out += "host:\n  name: \(Self.quote(name))\n" }
        let classes = policy.classes
        let listed = classes.keys.sorted().filter { classes[$0] != ClassSet.builtIn[$0] }
        out += listed.isEmpty ? "classes: {}\n" : "classes:\n"
        for name in classes.keys.sorted() where classes[name] != ClassSet.builtIn[name] {
            let words = classes[name, default: ClassSet()].words.map(Self.quote)
            out += "  \(Self.quote(name)): [\(words.joined(separator: ", "))]\n"
        }
        if !relay.authConfigured && classes["TrustAuthMech"] == nil {
            out += "  # TrustAuthMech: [PLAIN, LOGIN]\n"
        }
        out += "features:\n"
        let delay: String
        switch (relay.delayChecks, relay.spamPolicy) {
        case (false, _): delay = "false"
        case (true, .none): delay = "true"
        case (true, .friend): delay = "friend"
        case (true, .hater): delay = "hater"
        }
        out += "  delay_checks: \(delay)\n"
        out += "  relay_hosts_only: \(relay.relayHostsOnly)\n"
        out += "  relay_entire_domain: \(relay.relayEntireDomain)\n"
        let mailFrom: String
        switch relay.relayMailFrom {
        case .off: mailFrom = "false"
        case .address: mailFrom = "true"
        case .domain: mailFrom = "domain"
        }
        out += "  relay_mail_from: \(mailFrom)\n"
        out += "  relay_local_from: \(relay.relayLocalFrom)\n"
        out += "  blocklist_recipients: \(relay.blocklistRecipients)\n"
        out += "  loose_relay_check: \(relay.looseRelayCheck)\n"
        out += "  accept_unqualified_senders: \(relay.acceptUnqualifiedSenders)\n"
        out += "  accept_unresolvable_domains: \(relay.acceptUnresolvableDomains)\n"
        out += "  use_client_ptr: \(relay.useClientPTR)\n"
        out += "  tls_perm_err: \(tlsPermanentErrors)\n"
        if relay.rejectMessage != nil || relay.relayMessage != nil
            || relay.recipientRejectMessage != nil
        {
            out += "messages:\n"
            if let text = relay.rejectMessage { out += "  reject: \(Self.quote(text))\n" }
            if let text = relay.relayMessage { out += "  relay: \(Self.quote(text))\n" }
            if let text = relay.recipientRejectMessage {
                out += "  recipient_reject: \(Self.quote(text))\n"
            }
        }
        if !relay.resolvableDomains.isEmpty {
            out +=
                "resolvable_domains: [\(relay.resolvableDomains.sorted().map(Self.quote).joined(separator: ", "))]\n"
        }
        return out
    }

    /// A YAML double-quoted scalar (always quoted: words such as `no`, `on` or `10.77` must stay strings).
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
