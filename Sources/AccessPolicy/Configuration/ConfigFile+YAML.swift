internal import Foundation
internal import Yams

extension ConfigFile {
    /// Parses a configuration document.
    ///
    /// - Parameter yaml: the text of the file.
    /// - Returns: the configuration; keys that are absent keep their baseline values.
    /// - Throws: ``ConfigFileError`` with the position of the first bad or unknown key.
    public static func parse(yaml: String) throws(ConfigFileError) -> ConfigFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigFileError("not valid YAML: \(error)")
        } catch {
            throw ConfigFileError("not valid YAML: \(error)")
        }
        var file = ConfigFile()
        guard let root else { return file }
        let top = try mapping(root, "the document")
        for (key, value) in top {
            switch key {
            case "access_map": try file.readAccessMap(value)
            case "host": try file.readHost(value)
            case "classes": try file.readClasses(value)
            case "features": try file.readFeatures(value)
            case "messages": try file.readMessages(value)
            case "resolvable_domains":
                file.relay.resolvableDomains = Set(try words(value, key).map { $0.lowercased() })
            default: throw unknown(key, value, in: "the document")
            }
        }
        if let name = file.relay.hostName { file.policy.add([name], to: "w") }
        return file
    }

    /// Reads and parses a configuration file; a relative access map path is made relative to the file's directory.
    ///
    /// - Throws: ``ConfigFileError`` when the file cannot be read or is not valid.
    public static func load(path: String) throws(ConfigFileError) -> ConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigFileError("cannot read \(path): \(error.localizedDescription)")
        }
        var file: ConfigFile
        do {
            file = try parse(yaml: text)
        } catch {
            throw ConfigFileError("\(path): \(error.reason)", line: error.line, column: error.column)
        }
        if let map = file.accessMapPath, !map.hasPrefix("/"), let slash = path.lastIndex(of: "/") {
            file.accessMapPath = String(path[...slash]) + map
        }
        return file
    }

    private mutating func readAccessMap(_ node: Node) throws(ConfigFileError) {
        for (key, value) in try Self.mapping(node, "access_map") {
            switch key {
            case "path": accessMapPath = try Self.string(value, key)
            case "optional": accessMapOptional = try Self.bool(value, key)
            case "options":
                var options: Set<AccessOption> = []
                for word in try Self.words(value, key) {
                    guard let option = AccessOption(rawValue: word.lowercased()) else {
                        throw Self.error(
                            value,
                            "unknown access_db option '\(word)' (known: skip, lookupdotdomain, relaytofulladdress)"
                        )
                    }
                    options.insert(option)
                }
                accessOptions = options
            default: throw Self.unknown(key, value, in: "access_map")
            }
        }
    }

    private mutating func readHost(_ node: Node) throws(ConfigFileError) {
        for (key, value) in try Self.mapping(node, "host") {
            switch key {
            case "name": relay.hostName = try Self.string(value, key)
            case "names": policy.add(try Self.words(value, key), to: "w")
            case "addresses":
                policy.add(try Self.words(value, key).map { Self.bracketed($0) }, to: "w")
            default: throw Self.unknown(key, value, in: "host")
            }
        }
    }

    private mutating func readClasses(_ node: Node) throws(ConfigFileError) {
        for (key, value) in try Self.mapping(node, "classes") {
            guard !key.isEmpty, !key.contains(where: { $0 == " " || $0 == "{" || $0 == "}" }) else {
                throw Self.error(value, "bad class name '\(key)'")
            }
            policy.add(try Self.words(value, key), to: key)
            if key == "TrustAuthMech" { relay.authConfigured = true }
        }
    }

    private mutating func readFeatures(_ node: Node) throws(ConfigFileError) {
        for (key, value) in try Self.mapping(node, "features") {
            switch key {
            case "delay_checks":
                switch try Self.string(value, key).lowercased() {
                case "false", "no", "off": relay.delayChecks = false
                case "true", "yes", "on": relay.delayChecks = true
                case "friend": (relay.delayChecks, relay.spamPolicy) = (true, .friend)
                case "hater": (relay.delayChecks, relay.spamPolicy) = (true, .hater)
                case let other:
                    throw Self.error(value, "delay_checks is true, false, friend or hater, not '\(other)'")
                }
            case "relay_mail_from":
                switch try Self.string(value, key).lowercased() {
                case "false", "no", "off": relay.relayMailFrom = .off
                case "true", "yes", "on": relay.relayMailFrom = .address
                case "domain": relay.relayMailFrom = .domain
                case let other:
                    throw Self.error(value, "relay_mail_from is true, false or domain, not '\(other)'")
                }
            case "relay_hosts_only": relay.relayHostsOnly = try Self.bool(value, key)
            case "relay_entire_domain": relay.relayEntireDomain = try Self.bool(value, key)
            case "relay_local_from": relay.relayLocalFrom = try Self.bool(value, key)
            case "blocklist_recipients": relay.blocklistRecipients = try Self.bool(value, key)
            case "loose_relay_check": relay.looseRelayCheck = try Self.bool(value, key)
            case "accept_unqualified_senders": relay.acceptUnqualifiedSenders = try Self.bool(value, key)
            case "accept_unresolvable_domains":
                relay.acceptUnresolvableDomains = try Self.bool(value, key)
            case "use_client_ptr": relay.useClientPTR = try Self.bool(value, key)
            case "lookupdotdomain", "skip", "relaytofulladdress":
                let option = AccessOption(rawValue: key)!
                if try Self.bool(value, key) {
                    accessOptions.insert(option)
                } else {
                    accessOptions.remove(option)
                }
            case "tls_perm_err": tlsPermanentErrors = try Self.bool(value, key)
            default: throw Self.unknown(key, value, in: "features")
            }
        }
    }

    private mutating func readMessages(_ node: Node) throws(ConfigFileError) {
        for (key, value) in try Self.mapping(node, "messages") {
            switch key {
            case "reject": relay.rejectMessage = try Self.string(value, key)
            case "relay": relay.relayMessage = try Self.string(value, key)
            case "recipient_reject": relay.recipientRejectMessage = try Self.string(value, key)
            default: throw Self.unknown(key, value, in: "messages")
            }
        }
    }

    // MARK: - node helpers

    static func bracketed(_ address: String) -> String {
        address.hasPrefix("[") ? address : "[\(address)]"
    }

    private static func error(_ node: Node, _ reason: String) -> ConfigFileError {
        ConfigFileError(reason, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    private static func unknown(_ key: String, _ node: Node, in section: String) -> ConfigFileError {
        error(node, "unknown key '\(key)' in \(section)")
    }

    private static func mapping(
        _ node: Node,
        _ what: String
    ) throws(ConfigFileError) -> [(
        String, Node
    )] {
        if let scalar = node.scalar, ["", "~", "null"].contains(scalar.string), scalar.style == .plain {
            return []  // `key:` with nothing after it: an empty section
        }
        guard let mapping = node.mapping else {
            throw error(node, "\(what) must be a mapping of keys to values")
        }
        var pairs: [(String, Node)] = []
        var seen: Set<String> = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                throw error(key, "keys in \(what) must be plain words")
            }
            guard seen.insert(name).inserted else {
                throw error(key, "key '\(name)' appears twice in \(what)")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    private static func string(_ node: Node, _ key: String) throws(ConfigFileError) -> String {
        guard let scalar = node.scalar else { throw error(node, "'\(key)' must be a single value") }
        return scalar.string
    }

    private static func bool(_ node: Node, _ key: String) throws(ConfigFileError) -> Bool {
        switch try string(node, key).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error(node, "'\(key)' must be true or false, not '\(other)'")
        }
    }

    /// A list of words: a YAML sequence of scalars, or one scalar of whitespace-separated words.
    private static func words(_ node: Node, _ key: String) throws(ConfigFileError) -> [String] {
        if let sequence = node.sequence {
            var result: [String] = []
            for item in sequence {
                guard let scalar = item.scalar else {
                    throw error(item, "items of '\(key)' must be single values")
                }
                result.append(
                    contentsOf: scalar.string.split(whereSeparator: \.isWhitespace).map(String.init)
                )
            }
            return result
        }
        if let scalar = node.scalar {
            return scalar.string.split(whereSeparator: \.isWhitespace).map(String.init)
        }
        throw error(node, "'\(key)' must be a list of words")
    }
}
