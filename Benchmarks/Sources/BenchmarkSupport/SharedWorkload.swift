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
