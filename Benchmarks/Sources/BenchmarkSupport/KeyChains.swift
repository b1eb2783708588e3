public import AccessMap
public import CFloor

/// The access-map keys a ruleset tries for each session, in order, folded as they are sent to the map: what the
/// C floor fetches with raw `gdbm_fetch`, stopping at the first hit.
///
/// Computed with the engine's own lookup layer (``AccessMap/AccessLookup`` tracing against an empty map), so the
/// C floor walks exactly the candidates the engine would; the benchmarks check a sample against the engine's
/// trace on the real map.
public final class KeyChains: Sendable {
    /// All key bytes.
    public let bytes: [UInt8]
    /// Key k is `bytes[keyStart[k]..<keyStart[k + 1]]`.
    public let keyStart: [UInt32]
    /// Chain c is keys `chainStart[c]..<chainStart[c + 1]`.
    public let chainStart: [UInt32]

    public var count: Int { chainStart.count - 1 }
    public var keyCount: Int { keyStart.count - 1 }

    /// Builds the chains: `search` runs the ruleset's searches for one session on the given lookup.
    public init<S>(_ sessions: [S], search: (inout AccessLookup, S) -> Void) {
        var bytes: [UInt8] = []
        var keyStart: [UInt32] = [0]
        var chainStart: [UInt32] = [0]
        for session in sessions {
            var lookup = AccessLookup(source: EmptyAccessMapSource(), tracing: true)
            search(&lookup, session)
            for entry in lookup.trace ?? [] {
                bytes.append(contentsOf: entry.key.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 })
                keyStart.append(UInt32(bytes.count))
            }
            chainStart.append(UInt32(keyStart.count - 1))
        }
        self.bytes = bytes
        self.keyStart = keyStart
        self.chainStart = chainStart
    }

    /// Builds the chains from key lists (already in look-up order, original case; folded here).
    public init<S>(_ sessions: [S], keys: (S) -> [String]) {
        var bytes: [UInt8] = []
        var keyStart: [UInt32] = [0]
        var chainStart: [UInt32] = [0]
        for session in sessions {
            for key in keys(session) {
                bytes.append(contentsOf: key.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 })
                keyStart.append(UInt32(bytes.count))
            }
            chainStart.append(UInt32(keyStart.count - 1))
        }
        self.bytes = bytes
        self.keyStart = keyStart
        self.chainStart = chainStart
    }

    /// The keys of chain `c`, as text.
    public func keys(of c: Int) -> [String] {
        (Int(chainStart[c])..<Int(chainStart[c + 1])).map { k in
            String(decoding: bytes[Int(keyStart[k])..<Int(keyStart[k + 1])], as: UTF8.self)
        }
    }

    /// The text form read by the stand-alone C floor (scripts/c-floor.sh): one key per line, an empty line after
    /// each chain.
    public var text: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + keyStart.count + chainStart.count)
        for c in 0..<count {
            for k in Int(chainStart[c])..<Int(chainStart[c + 1]) {
                out.append(contentsOf: bytes[Int(keyStart[k])..<Int(keyStart[k + 1])])
                out.append(0x0A)
            }
            out.append(0x0A)
        }
        return out
    }

    /// Runs `body` with the C view of the chains (valid only inside `body`).
    public func withC<R>(_ body: (UnsafePointer<cfloor_chains>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in
            try keyStart.withUnsafeBufferPointer { k in
                try chainStart.withUnsafeBufferPointer { c in
                    var chains = cfloor_chains(
                        bytes: UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self),
                        keyStart: k.baseAddress,
                        chainStart: c.baseAddress,
                        chainCount: UInt32(count)
                    )
                    return try withUnsafePointer(to: &chains) { try body($0) }
                }
            }
        }
    }
}
