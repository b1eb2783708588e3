public import AccessPolicy

/// One Postfix policy request: its attributes, and the sendmail session macros they stand for.
///
/// Postfix does not send everything sendmail's rulesets read. What is derived, and how, is listed on
/// ``sessionMacros(assumeCertificateRequested:)``; what is missing is left empty, which makes every check
/// that needs it fail closed (see the README, "What Postfix does not tell").
public struct PostfixPolicyRequest: Hashable, Sendable {
    /// Every attribute as sent (a repeated name keeps its last value).
    public var attributes: [String: String]

    /// Attribute names this server knows (Postfix 3.x `SMTPD_POLICY_README`). Others are accepted and ignored,
    /// as the protocol asks, and listed in the decision log.
    public static let knownAttributes: Set<String> = [
        "request", "protocol_state", "protocol_name", "helo_name", "queue_id", "sender", "recipient",
        "recipient_count", "client_address", "client_name", "client_port", "reverse_client_name", "instance",
        "sasl_method", "sasl_username", "sasl_sender", "size", "ccert_subject", "ccert_issuer",
        "ccert_fingerprint", "ccert_pubkey_fingerprint", "encryption_protocol", "encryption_cipher",
        "encryption_keysize", "etrn_domain", "stress", "server_address", "server_port", "policy_context",
        "compatibility_level", "mail_version", "client_connection_count", "client_connection_rate",
    ]

    /// Creates a request from attribute lines.
    public init(attributes: [(name: String, value: String)]) {
        var table: [String: String] = [:]
        for (name, value) in attributes { table[name] = value }
        self.attributes = table
    }

    /// An attribute's value; `nil` when not sent.
    public subscript(name: String) -> String? { attributes[name] }

    /// The `request` attribute (`smtpd_access_policy`).
    public var requestType: String { attributes["request"] ?? "" }

    /// The SMTP stage, upper-cased (`CONNECT`, `EHLO`, `HELO`, `MAIL`, `RCPT`, `DATA`, `END-OF-MESSAGE`, `VRFY`,
    /// `ETRN`); empty when not sent.
    public var protocolState: String { (attributes["protocol_state"] ?? "").uppercased() }

    /// Attributes sent that are not in ``knownAttributes``.
    public var unknownAttributes: [String] { attributes.keys.filter { !Self.knownAttributes.contains($0) } }

    /// The issuer common name as plain text: Postfix sends `ccert_subject`/`ccert_issuer` xtext-encoded
    /// (`Test+20Root`), observed with Postfix 3.7.
    public var certificateIssuerName: String { XTextEncoding.decode(attributes["ccert_issuer"] ?? "") }

    /// Whether the session is TLS-protected (`encryption_protocol` is not empty).
    public var isEncrypted: Bool { !(attributes["encryption_protocol"] ?? "").isEmpty }

    /// The sendmail macros these attributes stand for.
    ///
    /// | macro | from | note |
    /// | --- | --- | --- |
    /// | `{client_addr}` | `client_address` | IPv6 written as sendmail does: `IPv6:` + 8 uncompressed groups |
    /// | `{client_name}` | `client_name` | `unknown` → `[addr]`, as sendmail names an unverified client |
    /// | `{client_ptr}` | `reverse_client_name` | |
    /// | `{client_resolve}` | both names | `OK` when verified, `FORGED` when only the PTR exists, else `FAIL` (Postfix sends no TEMP) |
    /// | `{verify}` | TLS attributes | empty without TLS; `OK` when `ccert_subject` is set (Postfix sends it only for a trusted certificate); `FAIL` when only `ccert_fingerprint` is set (certificate presented, not trusted); else `NO` (or `NOT` when Postfix is not set to ask for certificates) |
    /// | `{cipher_bits}`, `{alg_bits}` | `encryption_keysize` | |
    /// | `{cipher}`, `{tls_version}` | `encryption_cipher`, `encryption_protocol` | |
    /// | `{cn_subject}`, `{cn_issuer}` | `ccert_subject`, `ccert_issuer` (common names, sent xtext-encoded) | decoded, then xtext-encoded as sendmail does |
    /// | `{cert_subject}`, `{cert_issuer}` | — | **not sent by Postfix**: left empty |
    /// | `{cert_fp}` | `ccert_fingerprint` | digest as set by `smtpd_tls_fingerprint_digest` |
    /// | `{auth_type}`, `{auth_authen}`, `{auth_author}` | `sasl_method`, `sasl_username`, `sasl_sender` | |
    /// | `{auth_ssf}` | — | not sent: empty (0) |
    /// | `$f`, `{mail_from}` | `sender` | `{mail_from}` in angle brackets |
    /// | `{rcpt_addr}` | `recipient` | |
    ///
    /// - Parameter assumeCertificateRequested: whether Postfix asks clients for certificates
    ///   (`smtpd_tls_ask_ccert = yes`), which decides between `NO` and `NOT` for a TLS client without one.
    public func sessionMacros(assumeCertificateRequested: Bool = true) -> SessionMacros {
        var macros = SessionMacros()
        let address = attributes["client_address"] ?? ""
        let sendmailAddress = Self.sendmailAddress(address)
        macros[.clientAddr] = sendmailAddress
        let name = attributes["client_name"] ?? ""
        let reverse = attributes["reverse_client_name"] ?? ""
        let verifiedName = !name.isEmpty && name.lowercased() != "unknown"
        macros[.clientName] = verifiedName ? name : (sendmailAddress.isEmpty ? "" : "[\(sendmailAddress)]")
        macros["client_ptr"] =
            (reverse.isEmpty || reverse.lowercased() == "unknown")
            ? (sendmailAddress.isEmpty ? "" : "[\(sendmailAddress)]") : reverse
        if !address.isEmpty {
            macros[.clientResolve] =
                verifiedName ? "OK" : ((reverse.isEmpty || reverse.lowercased() == "unknown") ? "FAIL" : "FORGED")
        }
        if isEncrypted {
            let subject = attributes["ccert_subject"] ?? ""
            let fingerprint = attributes["ccert_fingerprint"] ?? ""
            if !subject.isEmpty {
                macros[.verify] = "OK"
            } else if !fingerprint.isEmpty {
                macros[.verify] = "FAIL"
            } else {
                macros[.verify] = assumeCertificateRequested ? "NO" : "NOT"
            }
            let bits = attributes["encryption_keysize"] ?? ""
            macros[.cipherBits] = bits
            macros[.algBits] = bits
            macros[.cipher] = attributes["encryption_cipher"] ?? ""
            macros[.tlsVersion] = attributes["encryption_protocol"] ?? ""
            macros[.cnSubject] = XTextEncoding.encode(XTextEncoding.decode(subject))
            macros[.cnIssuer] = XTextEncoding.encode(certificateIssuerName)
            macros[.certFingerprint] = fingerprint
        } else {
            macros[.verify] = ""
        }
        macros[.certSubject] = ""
        macros[.certIssuer] = ""
        let method = attributes["sasl_method"] ?? ""
        macros[.authType] = method
        macros[.authAuthen] =
            method.isEmpty ? "" : XTextEncoding.encode(attributes["sasl_username"] ?? "", encodeEquals: true)
        macros[.authAuthor] = attributes["sasl_sender"] ?? ""
        if let sender = attributes["sender"] {
            macros[.sender] = sender
            macros[.mailFrom] = "<\(sender)>"
        }
        if let recipient = attributes["recipient"] { macros["rcpt_addr"] = recipient }
        return macros
    }

    /// sendmail's spelling of a client address: IPv4 unchanged, IPv6 as `IPv6:` and eight groups in lower-case
    /// hex without leading zeros or `::` (`::1` → `IPv6:0:0:0:0:0:0:0:1`); an IPv4-mapped IPv6 address as its
    /// IPv4 address. Anything unparsable is returned unchanged.
    static func sendmailAddress(_ address: String) -> String {
        guard address.contains(":") else { return address }
        var text = Substring(address)
        if text.lowercased().hasPrefix("ipv6:") { text = text.dropFirst(5) }
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
        guard let groups = parseIPv6(text) else { return address }
        if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xFFFF {
            return "\(groups[6] >> 8).\(groups[6] & 0xFF).\(groups[7] >> 8).\(groups[7] & 0xFF)"
        }
        return "IPv6:" + groups.map { String($0, radix: 16) }.joined(separator: ":")
    }

    private static func parseIPv6(_ text: Substring) -> [UInt16]? {
        func parseGroups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    let octets = piece.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
                    guard octets.count == 4 else { return nil }
                    out.append(UInt16(octets[0]) << 8 | UInt16(octets[1]))
                    out.append(UInt16(octets[2]) << 8 | UInt16(octets[3]))
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    out.append(value)
                }
            }
            return out
        }
        var halves: [Substring] = []
        var rest = text
        while let range = rest.firstRange(of: "::") {
            halves.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        halves.append(rest)
        switch halves.count {
        case 1:
            guard let groups = parseGroups(text), groups.count == 8 else { return nil }
            return groups
        case 2:
            guard let head = parseGroups(halves[0]), let tail = parseGroups(halves[1]),
                head.count + tail.count <= 7
            else { return nil }
            return head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        default: return nil
        }
    }
}

/// sendmail's xtext encoding of certificate and AUTH macro values (macros.md §3).
enum XTextEncoding {
    /// Decodes `+XX` (two hex digits) to the byte; anything else is kept.
    static func decode(_ text: String) -> String {
        guard text.contains("+") else { return text }
        var bytes: [UInt8] = []
        let input = Array(text.utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "+"), index + 2 < input.count,
                let value = UInt8(String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Encodes bytes below `!`, above `~`, and `+ \ ( ) < > "` (and `=` when `encodeEquals`) as `+XX`.
    static func encode(_ text: String, encodeEquals: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            let special: Set<UInt8> = [0x2B, 0x5C, 0x28, 0x29, 0x3C, 0x3E, 0x22]
            if byte < 0x21 || byte > 0x7E || special.contains(byte) || (encodeEquals && byte == 0x3D) {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "+" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }
}
