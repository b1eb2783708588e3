public import AccessMap
public import CFloor
import Synchronization

/// Everything a lookup benchmark needs, opened once per process and shared by all iterations (package-benchmark
/// calls a benchmark's closure once per iteration: opening the map there would measure cold caches).
public final class BenchContext: Sendable {
    public let work: PreparedWorkload
    /// The C floor's handles (`GDBM_FILE`), one per thread index, as address bits. Each is used by one thread at
    /// a time: thread index `t` of a benchmark uses `cHandles[t]` only.
    private let cHandles: [UInt]
    /// The engine's GDBM source over the same file.
    public let gdbm: GDBMAccessMapSource
    /// The in-memory snapshot of the same file.
    public let snapshot: SnapshotAccessMapSource
    /// Where each benchmark continues in the session list, so iterations walk all sessions.
    private let cursors = Mutex<[String: Int]>([:])

    public init(lines: Int, threads: Int = 2) throws {
        work = try SharedWorkload.get(lines: lines)
        var handles: [UInt] = []
        for _ in 0..<threads {
            guard let db = cfloor_open(work.databasePath) else { throw WorkloadError("cfloor_open failed") }
            handles.append(UInt(bitPattern: db))
        }
        cHandles = handles
        gdbm = try GDBMAccessMapSource(path: work.databasePath, handleCount: threads)
        snapshot = try SharedWorkload.snapshot(work)
    }

    deinit {
        for handle in cHandles { cfloor_close(UnsafeMutableRawPointer(bitPattern: handle)) }
    }

    /// The C handle for thread index `t`.
    public func cHandle(_ t: Int = 0) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: cHandles[t])! }

    /// Takes `count` consecutive positions (modulo `modulo`) for benchmark `name`; returns the first.
    public func advance(_ name: String, by count: Int, modulo: Int) -> Int {
        cursors.withLock { cursors in
            let first = cursors[name, default: 0]
            cursors[name] = (first + count) % modulo
            return first
        }
    }

    private static let shared = Mutex<[Int: BenchContext]>([:])

    /// The context for a map of `lines` lines (created once).
    public static func get(lines: Int) throws -> BenchContext {
        if let context = shared.withLock({ $0[lines] }) { return context }
        let context = try BenchContext(lines: lines)
        shared.withLock { $0[lines] = context }
        return context
    }
}
