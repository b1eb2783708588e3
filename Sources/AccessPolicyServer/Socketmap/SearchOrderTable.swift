public import AccessMap
import AccessPolicy

/// Socket-map tables that run sendmail's whole search order for one key, for MTAs whose socket-map client
/// does exact look-ups only (Postfix).
///
/// Two flavours:
/// - ``Flavour/raw`` (map name `search` by default): the key is `Tag:value` (`Connect:mail.example.com`,
///   `From:joe@example.com`, `TLS_Clt:192.0.2.1`); the reply is `OK <right-hand side>` of the first entry
///   sendmail's rulesets would find, `NOTFOUND ` when none, `TEMP` on a map failure or `<TMPF>` value.
/// - ``Flavour/postfixAccess(_:)`` (map names `connect`, `from`, `to`): the key is what Postfix's
///   `check_client_access` / `check_sender_access` / `check_recipient_access` send (a host name or address,
///   an e-mail address); the reply is the found entry translated into a Postfix access(5) action with
///   sendmail's reply code, enhanced status and text (see ``postfixAction(for:tag:)``).
public struct SearchOrderTable: SocketmapTable {
    /// What the key is and what the reply holds.
    public enum Flavour: Hashable, Sendable {
        /// Key `Tag:value`, reply the raw right-hand side.
        case raw
        /// Key as Postfix sends it for this tag, reply a Postfix action.
        case postfixAccess(AccessTag)
    }

    /// The map.
    public let source: any AccessMapSource
    /// access_db options (`skip`, `lookupdotdomain`).
    public let options: AccessLookupOptions
    /// Key and reply form.
    public let flavour: Flavour

    /// Creates a table.
    public init(source: any AccessMapSource, options: AccessLookupOptions = [], flavour: Flavour) {
        self.source = source
        self.options = options
        self.flavour = flavour
    }

    public func lookup(_ key: String) -> SocketmapReply {
        switch flavour {
        case .raw:
            guard let colon = key.firstIndex(of: ":"), colon > key.startIndex else {
                return .permanentFailure("key must be Tag:value")
            }
            let tag = AccessTag(canonicalTag(String(key[..<colon])))
            let value = String(key[key.index(after: colon)...])
            switch search(tag: tag, value: value) {
            case .found(let entry): return .found(entry.text)
            case .temporaryFailure: return .temporaryFailure("access map lookup failed")
            case .notFound, .notSearched: return .notFound
            }
        case .postfixAccess(let tag):
            switch search(tag: tag, value: key) {
            case .found(let entry):
                guard let action = Self.postfixAction(for: entry.tokens, tag: tag) else {
                    return .temporaryFailure("access map entry marked temporary failure")
                }
                return .found(action)
            case .temporaryFailure: return .temporaryFailure("access map lookup failed")
            case .notFound, .notSearched: return .notFound
            }
        }
    }

    /// The sendmail spelling of the tags this table knows (the map is folded to lower case anyway, but the
    /// routine to use depends on the tag).
    private func canonicalTag(_ text: String) -> String {
        let known: [AccessTag] = [
            .connect, .from, .to, .spam, .tlsClient, .tlsServer, .tlsRecipient, .tryTLS, .serverFeatures,
            .clientFeatures, .authInfo, .greetPause, .clientRate, .clientConnections, .certIssuer, .certSubject,
        ]
        return known.first { $0.rawValue.lowercased() == text.lowercased() }?.rawValue ?? text
    }

    /// The search sequence sendmail's rulesets use for `tag` on one value (lookups.md §7):
    /// host names D, addresses A (with `IPv6:` spelling), e-mail addresses SearchList `<F:u@d> <U:u@> <D:d>`
    /// (`<U:u@>` alone when unqualified), TLS/feature tags D or A then the bare tag, CERTISSUER/CERTSUBJECT exact.
    func search(tag: AccessTag, value: String) -> AccessLookupResult {
        var lookup = AccessLookup(source: source, options: options)
        let plus: AccessLookupMark = [.connect, .from, .to].contains(tag) ? .tagThenUntagged : .tagOnly
        switch tag {
        case .certIssuer, .certSubject:
            return lookup.exactKey(tag: tag, Tokenizer.tokenize(value))
        case .from, .to, .spam, .tlsRecipient:
            var address = value
            if address.hasPrefix("<"), address.hasSuffix(">") { address = String(address.dropFirst().dropLast()) }
            if address.isEmpty { address = "<>" }
            let items: [AccessLookup.SearchItem]
            if let at = address.lastIndex(of: "@"), at > address.startIndex {
                let user = String(address[..<at])
                let domain = String(address[address.index(after: at)...])
                items = [
                    .fullAddress(Tokenizer.tokenize(address)), .localPart(Tokenizer.tokenize(user + "@")),
                    .domain(Tokenizer.tokenize(domain)),
                ]
            } else if address.hasPrefix("@") {
                items = [.domain(Tokenizer.tokenize(String(address.dropFirst())))]
            } else if address == "<>" {
                items = [.exact(Tokenizer.tokenize(address))]
            } else {
                items = [.localPart(Tokenizer.tokenize(address + "@"))]
            }
            let result = lookup.searchList(
                tag == .tlsRecipient ? items + [.exact([])] : items,
                tag: tag,
                mark: plus
            )
            return result
        default:
            let hostOrAddress: AccessLookupResult
            if let address = Self.addressKey(value) {
                hostOrAddress = lookup.address(Tokenizer.tokenize(address), tag: tag, mark: plus)
            } else {
                hostOrAddress = lookup.domain(Tokenizer.tokenize(value), tag: tag, mark: plus)
            }
            switch hostOrAddress {
            case .found, .temporaryFailure: return hostOrAddress
            case .notFound, .notSearched:
                let withDefault: Set<AccessTag> = [
                    .tlsClient, .tlsServer, .tryTLS, .serverFeatures, .clientFeatures, .authInfo,
                ]
                return withDefault.contains(tag) ? lookup.bareTag(tag) : .notFound
            }
        }
    }

    /// `value` as sendmail writes a client address (`IPv6:…` uncompressed), or `nil` when it is a host name.
    static func addressKey(_ value: String) -> String? {
        let isIPv4 =
            value.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { UInt8($0) != nil }
        if isIPv4 { return value }
        if value.contains(":") {
            let converted = PostfixPolicyRequest.sendmailAddress(value)
            return converted.hasPrefix("IPv6:") || converted != value ? converted : nil
        }
        return nil
    }

    /// A found access-map value as a Postfix access(5) action, with the texts sendmail's rulesets give it;
    /// `nil` when the value is sendmail's temporary-failure mark.
    ///
    /// | value | action |
    /// | --- | --- |
    /// | `OK`, `RELAY` | `OK` |
    /// | `SKIP` | `DUNNO` |
    /// | `REJECT` | `550 5.7.1 Access denied` (`To:`: `550 5.2.1 Mailbox disabled for this recipient`) |
    /// | `DISCARD` | `DISCARD` |
    /// | `QUARANTINE:reason` | `HOLD reason` |
    /// | `ERROR:d.s.n:NNN text` / `ERROR:NNN text` | `NNN d.s.n text` (without d.s.n: `NNN <first digit>.0.0 text`) |
    /// | anything else | `553 5.3.0 <value>` (what sendmail replies for an unknown right-hand side) |
    public static func postfixAction(for tokens: [Token], tag: AccessTag) -> String? {
        let text = tokens.assembledText()
        let upper = text.uppercased()
        if upper.hasSuffix("<TMPF>") { return nil }
        switch upper {
        case "OK", "RELAY": return "OK"
        case "SKIP": return "DUNNO"
        case "DISCARD": return "DISCARD"
        case "REJECT":
            return tag == .to ? "550 5.2.1 Mailbox disabled for this recipient" : "550 5.7.1 Access denied"
        default: break
        }
        if upper.hasPrefix("QUARANTINE:") { return "HOLD " + text.dropFirst("QUARANTINE:".count) }
        if upper.hasPrefix("ERROR:") {
            var rest = Substring(text.dropFirst("ERROR:".count))
            var status: String?
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2, isEnhancedStatus(parts[0]) {
                status = String(parts[0])
                rest = parts[1]
            }
            return SMTPReply(errorHost: status, text: String(rest)).description
        }
        return SMTPReply(errorHost: nil, text: text).description
    }

    static func isEnhancedStatus(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
            && ["2", "4", "5"].contains(parts[0])
    }
}
