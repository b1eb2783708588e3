public import AccessMap
import Synchronization

/// Workloads and snapshots kept for the life of the benchmark process (generating a 1M-line map takes seconds).
public enum SharedWorkload {
    private static let workloads = Mutex<[Int: PreparedWorkload]>([:])
    private static let snapshots = Mutex<[String: AccessMapSnapshot]>([:])

    /// The prepared workload for a map of `lines` lines.
    public static func get(lines: Int) throws -> PreparedWorkload {
        if let work = workloads.withLock({ $0[lines] }) { return work }
        let work = try PreparedWorkload(lines: lines)
        workloads.withLock { $0[lines] = work }
        return work
    }

    /// A snapshot source for the workload's map (loaded once per process).
    public static func snapshot(_ work: PreparedWorkload) throws -> SnapshotAccessMapSource {
        if let snapshot = snapshots.withLock({ $0[work.databasePath] }) { return SnapshotAccessMapSource(snapshot) }
        let snapshot = try AccessMapSnapshot(path: work.databasePath)
        snapshots.withLock { $0[work.databasePath] = snapshot }
        return SnapshotAccessMapSource(snapshot)
    }

    /// One key chain (the keys the C floor fetches, stop at the first hit) through the source's allocation-free
    /// look-up, pinned once as the engine's fast path does (`withPinnedSource`, then `visitValue`): the map layer
    /// without the engine. Returns the hit's position and value length, or -1.
    @inline(__always)
    public static func rawChain(_ source: any AccessMapSource, _ chains: KeyChains, _ c: Int) -> Int {
        var result = -1
        source.withPinnedSource { pinned in
            chains.bytes.withUnsafeBytes { bytes in
                chains.keyStart.withUnsafeBufferPointer { keyStart in
                    let first = Int(chains.chainStart[c])
                    let end = Int(chains.chainStart[c + 1])
                    for k in first..<end {
                        let key = UnsafeRawBufferPointer(rebasing: bytes[Int(keyStart[k])..<Int(keyStart[k + 1])])
                        var length = 0
                        if pinned.visitValue(foldedKey: key, { length = $0.count }) == .found {
                            result = (k - first) << 16 | length
                            return
                        }
                    }
                }
            }
        }
        return result
    }

    /// The bare tls_client/tls_server chain on pre-tokenized name and address: D, A, bare tag, first hit wins.
    @inline(__always)
    public static func chain(
        _ lookup: inout AccessLookup,
        _ name: [Token],
        _ address: [Token],
        tag: AccessTag
    )
        -> AccessLookupResult
    {
        let byName = lookup.domain(name, tag: tag, mark: .tagOnly)
        guard case .notFound = byName else { return byName }
        let byAddress = lookup.address(address, tag: tag, mark: .tagOnly)
        switch byAddress {
        case .notFound, .notSearched: return lookup.bareTag(tag)
        default: return byAddress
        }
    }
}
