import AccessMap
import GDBMStore

/// Which tags of an access map have keys for network addresses (`Connect:192.0.2`, `TLS_Clt:[IPv6:…]`, `10.1`).
///
/// A replay uses it to tell whether an unknown client or server address can change a decision: when the map has
/// no address key for the tags a ruleset looks up, the address look-up finds nothing whatever the address was.
public struct AddressKeyIndex: Hashable, Sendable {
    /// Lower-case tags (without `:`) that have at least one address key; `""` for untagged keys.
    public private(set) var tags: Set<String> = []

    /// An empty index (no address keys).
    public init() {}

    /// Adds one (already folded) map key.
    public mutating func add(key: some Collection<UInt8>) {
        let bytes = Array(key)
        var tag = ""
        var rest = bytes[...]
        if let colon = bytes.firstIndex(of: 0x3A), !Self.isAddress(bytes[...]) {
            tag = String(decoding: bytes[..<colon], as: UTF8.self)
            rest = bytes[(colon + 1)...]
        }
        if Self.isAddress(rest) { tags.insert(tag) }
    }

    /// Whether any of these tags (lower case, `""` = untagged) has an address key.
    public func hasAddressKeys(forAnyOf tags: [String]) -> Bool { tags.contains { self.tags.contains($0) } }

    static func isAddress(_ text: ArraySlice<UInt8>) -> Bool {
        guard let first = text.first else { return false }
        if first >= 0x30 && first <= 0x39 { return true }
        if first == 0x5B { return true }  // [literal]
        return text.starts(with: Array("ipv6:".utf8))
    }

    /// Scans a GDBM map's keys (one pass over the file).
    ///
    /// - Throws: ``GDBMStore/GDBMError`` when the file cannot be read.
    public static func scan(gdbmPath path: String) throws -> AddressKeyIndex {
        let database = try GDBMDatabase(path: path, mode: .readOnly, lock: false)
        var index = AddressKeyIndex()
        func visit(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
            var bytes = Array(key)
            if bytes.last == 0 { bytes.removeLast() }
            index.add(key: bytes.map(Token.asciiLowercased))
        }
        try database.forEach(visit)
        return index
    }
}
