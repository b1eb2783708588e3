/// The peer of an SMTP connection as a log line names it.
///
/// sendmail writes `relay=` as `name [addr]`, `[addr]` (no PTR name), `name [addr] (may be forged)` (the PTR name
/// does not resolve back to the address), `user@name [addr]` / `IDENT:user@[addr]` (an ident answer), or a bare
/// host (`mx.example.net.`, client side). IPv6 literals are `[IPv6:…]`. Postfix writes `name[addr]`,
/// `name[addr]:port`, `unknown[addr]` (no confirmed name), or a transport (`local`, `none`).
public struct Relay: Hashable, Sendable {
    /// The host name, `nil` when the log shows only an address (or Postfix's `unknown`).
    public var name: String?
    /// The address inside the brackets as written (`192.0.2.1`, `IPv6:0:0:0:0:0:0:0:1`, Postfix `2001:db8::1`);
    /// `nil` when absent or blanked out.
    public var address: String?
    /// An ident user (`user@` / `IDENT:user@` prefix).
    public var identUser: String?
    /// sendmail marked the name `(may be forged)`.
    public var mayBeForged: Bool
    /// A port after the brackets (Postfix client side).
    public var port: Int?
    /// The brackets were present but empty (`[]`): the address was removed, e.g. by an article's author.
    public var addressBlanked: Bool

    /// Builds a relay from its parts.
    public init(
        name: String?,
        address: String?,
        identUser: String? = nil,
        mayBeForged: Bool = false,
        port: Int? = nil,
        addressBlanked: Bool = false
    ) {
        self.name = name
        self.address = address
        self.identUser = identUser
        self.mayBeForged = mayBeForged
        self.port = port
        self.addressBlanked = addressBlanked
    }

    /// Parses sendmail's `relay=` value.
    public static func sendmail(_ text: Substring) -> Relay {
        var rest = text.trimmingSpaces()
        var forged = false
        if rest.hasSuffix("(may be forged)") {
            forged = true
            rest = rest.dropLast("(may be forged)".count).trimmingSpaces()
        }
        var address: String?
        var blanked = false
        if rest.last == "]", let open = rest.lastIndex(of: "[") {
            let inside = rest[rest.index(after: open)..<rest.index(before: rest.endIndex)]
            if inside.isEmpty { blanked = true } else { address = String(inside) }
            rest = rest[..<open].trimmingSpaces()
        }
        var user: String?
        if rest.hasPrefix("IDENT:") { rest = rest.dropFirst(6) }
        if let at = rest.lastIndex(of: "@") {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        let name = rest.isEmpty ? nil : String(rest)
        return Relay(
            name: name,
            address: address,
            identUser: user,
            mayBeForged: forged,
            addressBlanked: blanked
        )
    }

    /// Parses Postfix's `name[addr]` / `name[addr]:port` form (also `unknown[addr]`, `local`).
    public static func postfix(_ text: Substring) -> Relay {
        var rest = text.trimmingSpaces()
        var port: Int?
        if let close = rest.lastIndex(of: "]"), close != rest.index(before: rest.endIndex) {
            let after = rest[rest.index(after: close)...]
            if after.first == ":" { port = Int(after.dropFirst()) }
            rest = rest[...close]
        }
        guard rest.last == "]", let open = rest.firstIndex(of: "[") else {
            return Relay(name: rest.isEmpty ? nil : String(rest), address: nil)
        }
        let inside = rest[rest.index(after: open)..<rest.index(before: rest.endIndex)]
        let name = rest[..<open]
        return Relay(
            name: name.isEmpty || name == "unknown" ? nil : String(name),
            address: inside.isEmpty ? nil : String(inside),
            port: port,
            addressBlanked: inside.isEmpty
        )
    }

    /// `{client_name}` / `{server_name}` as sendmail would hold it: the name when it is confirmed, else the
    /// bracketed address literal; `nil` when neither is known.
    public var sendmailHostName: String? {
        if let name, !mayBeForged { return name }
        if let address = sendmailAddress { return "[\(address)]" }
        return nil
    }

    /// `{client_addr}` / `{server_addr}` as sendmail would hold it: IPv4 as written; IPv6 as `IPv6:` plus eight
    /// uncompressed groups (what a sendmail built with IPV6_FULL stores). `nil` when unknown.
    public var sendmailAddress: String? {
        guard let address else { return nil }
        if address.hasPrefix("IPv6:") { return address }
        if address.contains(":") {
            return IPv6Text.expanded(address).map { "IPv6:" + $0 } ?? "IPv6:" + address
        }
        return address
    }
}

/// IPv6 text forms.
enum IPv6Text {
    /// Expands `2001:db8::1` to `2001:db8:0:0:0:0:0:1` (lower-case hex, no leading zeros); an embedded IPv4 tail
    /// becomes two groups. `nil` when the text is not an IPv6 address.
    static func expanded(_ text: String) -> String? {
        var groups: [String] = []
        var tail = Substring(text)
        var v4Groups: [String] = []
        if let lastColon = tail.lastIndex(of: ":"), tail[tail.index(after: lastColon)...].contains(".") {
            let v4 = tail[tail.index(after: lastColon)...].split(
                separator: ".",
                omittingEmptySubsequences: false
            )
            guard v4.count == 4 else { return nil }
            let octets = v4.compactMap { UInt8($0) }
            guard octets.count == 4 else { return nil }
            v4Groups = [
                String(UInt16(octets[0]) << 8 | UInt16(octets[1]), radix: 16),
                String(UInt16(octets[2]) << 8 | UInt16(octets[3]), radix: 16),
            ]
            tail = tail[...lastColon]
            if !tail.hasSuffix("::") { tail = tail.dropLast() }
        }
        let parts = tail.components(separatedBy: "::")
        guard parts.count <= 2 else { return nil }
        func hexGroups(_ part: Substring) -> [String]? {
            if part.isEmpty { return [] }
            var result: [String] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !piece.isEmpty, piece.count <= 4, let value = UInt16(piece, radix: 16) else {
                    return nil
                }
                result.append(String(value, radix: 16))
            }
            return result
        }
        guard let head = hexGroups(parts[0]) else { return nil }
        if parts.count == 2 {
            guard let back = hexGroups(parts[1]) else { return nil }
            let missing = 8 - head.count - back.count - v4Groups.count
            guard missing >= 1 else { return nil }
            groups = head + Array(repeating: "0", count: missing) + back + v4Groups
        } else {
            groups = head + v4Groups
        }
        return groups.count == 8 ? groups.joined(separator: ":") : nil
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " { result = result.dropFirst() }
        while result.last == " " { result = result.dropLast() }
        return result
    }

    func components(separatedBy separator: String) -> [Substring] {
        var result: [Substring] = []
        var rest = self
        while let range = rest.firstRange(of: separator) {
            result.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        result.append(rest)
        return result
    }
}
