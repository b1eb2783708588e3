public import GDBMStore
public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What identifies one version of a map file on disk: replacing the file by rename changes the inode, rewriting
/// it in place changes the modification time or size.
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    /// Device number.
    public var device: UInt64
    /// Inode number.
    public var inode: UInt64
    /// Size in bytes.
    public var size: Int64
    /// Modification time, nanoseconds since the epoch.
    public var modificationNanoseconds: Int64

    /// The identity of the file at `path` now, or `nil` when it cannot be `stat`ed (missing, no permission).
    public static func of(path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let mtime = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        return FileIdentity(
            device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino),
            size: Int64(info.st_size),
            modificationNanoseconds: mtime
        )
    }

    /// `dev:ino size mtime`, for logs.
    public var description: String { "\(device):\(inode) size=\(size) mtime=\(modificationNanoseconds)" }
}

/// One opened version of the map: immutable, shared by every request that started while it was current.
///
/// The readers stay open until the last request holding this snapshot finishes (ARC closes them), so a reload
/// never pulls a map from under a look-up in progress.
public final class MapSnapshot: Sendable {
    /// The readers on this version of the file.
    public let readers: GDBMReaderPool
    /// The file identity this snapshot was opened from.
    public let identity: FileIdentity
    /// 1 for the map opened at start, +1 per reload.
    public let generation: Int

    init(readers: GDBMReaderPool, identity: FileIdentity, generation: Int) {
        self.readers = readers
        self.identity = identity
        self.generation = generation
    }

    /// Looks `key` up exactly, as sendmail's map code does: the value without a trailing NUL byte
    /// (makemap's `-N` stores one).
    ///
    /// - Throws: ``GDBMError`` when the database cannot be read.
    public func value(forKey key: String) throws(GDBMError) -> String? {
        guard var bytes = try readers.fetch(key) else { return nil }
        if bytes.last == 0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The current map, swapped atomically when the file on disk is replaced.
///
/// ``reloadIfChanged()`` compares the file identity with the current snapshot's and, when it differs, opens the
/// new file first and swaps only if that worked: a half-written or missing file keeps the old map in service
/// (and is tried again at the next check).
public final class MapSource: Sendable {
    /// The database path.
    public let path: String
    private let handleCount: Int
    private let state: Mutex<MapSnapshot>
    private let logger: Logger

    /// Opens the map at `path`.
    ///
    /// - Parameters:
    ///   - path: the GDBM file.
    ///   - handleCount: read handles per snapshot (about the number of look-ups that run at once).
    ///   - logger: where reloads are reported.
    /// - Throws: ``GDBMError`` when the file cannot be opened.
    public init(path: String, handleCount: Int = 4, logger: Logger) throws(GDBMError) {
        self.path = path
        self.handleCount = handleCount
        self.logger = logger
        let identity = FileIdentity.of(path: path)
        let readers = try GDBMReaderPool(path: path, handleCount: handleCount)
        state = Mutex(
            MapSnapshot(
                readers: readers,
                identity: identity ?? FileIdentity(device: 0, inode: 0, size: 0, modificationNanoseconds: 0),
                generation: 1
            )
        )
    }

    /// The snapshot new requests should use.
    public var current: MapSnapshot { state.withLock { $0 } }

    /// What happened in one check for a replaced file.
    public enum ReloadOutcome: Hashable, Sendable {
        /// The file is the one already in service.
        case unchanged
        /// A new snapshot is in service.
        case reloaded(generation: Int)
        /// The file changed but could not be opened (or vanished); the old snapshot stays.
        case failed(String)
    }

    /// Opens the file again if its identity changed since the current snapshot was opened.
    ///
    /// Blocking (opens files): call it from a thread pool, not an event loop.
    @discardableResult
    public func reloadIfChanged() -> ReloadOutcome {
        let old = current
        guard let identity = FileIdentity.of(path: path) else {
            logger.warning("map file missing; keeping the loaded map", metadata: ["path": "\(path)"])
            return .failed("\(path): cannot stat")
        }
        guard identity != old.identity else { return .unchanged }
        let readers: GDBMReaderPool
        do {
            readers = try GDBMReaderPool(path: path, handleCount: handleCount)
        } catch {
            logger.error(
                "map file changed but cannot be opened; keeping the loaded map",
                metadata: ["path": "\(path)", "error": "\(error)"]
            )
            return .failed("\(error)")
        }
        // Record the identity seen *before* opening: if the file was replaced again in between, the next check
        // sees a different identity and reloads once more (harmless), instead of missing the newer file.
        let opened = identity
        let generation = state.withLock { snapshot -> Int in
            let next = MapSnapshot(readers: readers, identity: opened, generation: snapshot.generation + 1)
            snapshot = next
            return next.generation
        }
        logger.notice(
            "map reloaded",
            metadata: ["path": "\(path)", "generation": "\(generation)", "file": "\(opened)"]
        )
        return .reloaded(generation: generation)
    }
}
