public import GDBMStore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An access map file that is watched and switched to its new version when it is rebuilt, without ever blocking
/// a look-up.
///
/// Like sendmail, the source notices a rebuilt map by the file's identity (``MapFileIdentity``: inode, size,
/// modification time). At most once per ``checkInterval`` the first look-up that comes along `stat`s the path
/// (about a microsecond); when the file changed, the new version is opened (or, with ``Storage/snapshot``, loaded
/// into memory) on a background task while look-ups go on against the old one, and then swapped in under a lock
/// that is held only to exchange a reference. A decision that pinned the old version (``current``) finishes on it.
/// The replaced version is released by the reloading thread about two seconds after the switch (or at the next
/// check), so closing its handles or freeing its snapshot never lands on a decision.
///
/// A file that is missing gives an empty map when ``optional`` (sendmail's `-o`), else temporary failures, as at
/// start-up. A file that exists but cannot be opened (truncated, not a GDBM file) keeps the previous version in
/// service, and the check is repeated at the next interval.
///
/// Call ``reloadIfChanged()`` (or ``checkForReplacement()``, which says what happened) to check right away (for
/// example on `SIGHUP`); pass `checkInterval: nil` to check only then.
///
/// A server that must not start without its map, and must not lose it when the file briefly disappears, uses
/// ``init(existingFileAt:storage:checkInterval:)``: the first version must open, and a missing file later keeps the
/// version in service, like a broken replacement.
public final class AutoReloadingAccessMapSource: AccessMapSource {
    /// How a loaded version answers look-ups.
    public enum Storage: Hashable, Sendable {
        /// A ``GDBMAccessMapSource`` with this many read handles.
        case gdbm(handleCount: Int)
        /// An ``AccessMapSnapshot`` held in memory (see its memory cost).
        case snapshot
    }

    /// One loaded version of the map.
    public struct Version: Sendable {
        /// Answers look-ups for this version.
        public let source: any AccessMapSource
        /// The file this version was loaded from; `nil` when the file was missing.
        public let identity: MapFileIdentity?
        /// 0 for the version loaded at start, then 1, 2, … for each switch.
        public let generation: Int
    }

    /// The map file.
    public let path: String
    /// How versions are held.
    public let storage: Storage
    /// A missing file is an empty map (`true`) or a temporary failure (`false`).
    public let optional: Bool
    /// How often look-ups check the file; `nil`: only ``reloadIfChanged()`` checks.
    public let checkInterval: Duration?

    /// What one check of the file did (``checkForReplacement()``).
    public enum ReloadOutcome: Hashable, Sendable {
        /// The file is the version already in service.
        case unchanged
        /// A new version is in service (a missing file counts, when it is answered as an empty or unavailable map).
        case reloaded(generation: Int)
        /// The file changed but cannot be used (not a GDBM file, or missing for a source that requires it): the
        /// version in service stays and the file is tried again at the next check. The text says why.
        case failed(String)
    }

    private let state: Mutex<Version>
    private let keepsVersionWhenMissing: Bool
    private let reloadLock = Mutex<Void>(())
    private let nextCheck: Atomic<Int64>
    private let reloadScheduled = Atomic<Bool>(false)
    /// Replaced versions, kept until ``retirementGrace`` has passed so that the decision that drops the last
    /// reference does not pay for closing the handles or freeing the snapshot (munmap of a 100 MB file, or
    /// freeing 90 MB, takes milliseconds): the reloading thread releases them.
    private let retired = Mutex<[(version: Version, since: Int64)]>([])
    /// How long a replaced version is kept after the switch.
    private static let retirementGrace: Int64 = 2_000_000_000
    private let intervalNanoseconds: Int64

    /// Opens (or loads) the map at `path`.
    ///
    /// - Parameters:
    ///   - path: The `.db` file.
    ///   - storage: GDBM handles or an in-memory snapshot.
    ///   - optional: sendmail's `-o`: a missing file is an empty map rather than a temporary failure.
    ///   - checkInterval: Minimum time between two checks of the file by look-ups; `nil` disables them.
    public convenience init(
        path: String,
        storage: Storage = .gdbm(handleCount: 4),
        optional: Bool = false,
        checkInterval: Duration? = .seconds(1)
    ) {
        let loaded = Self.load(path: path, storage: storage)
        let source: any AccessMapSource
        switch loaded {
        case .loaded(let s, _): source = s
        case .missing, .unreadable: source = optional ? EmptyAccessMapSource() : UnavailableAccessMapSource()
        }
        self.init(
            path: path,
            storage: storage,
            optional: optional,
            keepsVersionWhenMissing: false,
            checkInterval: checkInterval,
            first: Version(source: source, identity: loaded.identity, generation: 0)
        )
    }

    /// Opens (or loads) the map at `path`, which must be readable now; a file that goes missing later keeps the
    /// version in service (``checkForReplacement()`` reports ``ReloadOutcome/failed(_:)``) until a new file appears.
    ///
    /// ``optional`` is `false`.
    ///
    /// - Parameters:
    ///   - path: The `.db` file.
    ///   - storage: GDBM handles or an in-memory snapshot.
    ///   - checkInterval: Minimum time between two checks of the file by look-ups; `nil` disables them.
    /// - Throws: ``GDBMStore/GDBMError`` when the file is missing or cannot be opened (or loaded).
    public convenience init(
        existingFileAt path: String,
        storage: Storage = .gdbm(handleCount: 4),
        checkInterval: Duration? = .seconds(1)
    ) throws(GDBMError) {
        let first: Version
        switch Self.load(path: path, storage: storage) {
        case .loaded(let source, let identity): first = Version(source: source, identity: identity, generation: 0)
        case .missing(let error), .unreadable(let error): throw error
        }
        self.init(
            path: path,
            storage: storage,
            optional: false,
            keepsVersionWhenMissing: true,
            checkInterval: checkInterval,
            first: first
        )
    }

    private init(
        path: String,
        storage: Storage,
        optional: Bool,
        keepsVersionWhenMissing: Bool,
        checkInterval: Duration?,
        first: Version
    ) {
        self.path = path
        self.storage = storage
        self.optional = optional
        self.keepsVersionWhenMissing = keepsVersionWhenMissing
        self.checkInterval = checkInterval
        if let checkInterval {
            let (seconds, attoseconds) = checkInterval.components
            intervalNanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        } else {
            intervalNanoseconds = -1
        }
        state = Mutex(first)
        nextCheck = Atomic(Self.monotonicNanoseconds() &+ max(intervalNanoseconds, 0))
    }

    /// The version in service. Pin it for a whole decision so that all its look-ups see one version of the map.
    ///
    /// Also runs the periodic file check when it is due (see the type's discussion).
    public var current: Version {
        checkIfDue()
        return state.withLock { $0 }
    }

    public func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
        current.source.lookup(foldedKey: foldedKey)
    }

    public func visitValue(
        foldedKey: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> AccessMapSourceStatus {
        current.source.visitValue(foldedKey: foldedKey, body)
    }

    /// The version in service (``current``) for the whole of `body`.
    public func withPinnedSource(_ body: (any AccessMapSource) -> Void) {
        let version = current
        version.source.withPinnedSource(body)
    }

    /// The version in service (``current``), for one decision.
    public func pinned() -> any AccessMapSource { current.source.pinned() }

    /// Checks the file now and switches to the new version if it changed. Blocks the caller (not look-ups) while
    /// a new version is opened or loaded.
    ///
    /// - Returns: `true` when a new version was put in service.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        if case .reloaded = checkForReplacement() { return true }
        return false
    }

    /// Checks the file now and switches to the new version if it changed, like ``reloadIfChanged()``, and says
    /// what happened (for logs and counters). Blocks the caller (not look-ups) while a new version is opened or
    /// loaded.
    @discardableResult
    public func checkForReplacement() -> ReloadOutcome {
        releaseRetired()
        return reloadLock.withLock { _ in
            let old = state.withLock { $0 }
            let identity = MapFileIdentity(path: path)
            if identity == old.identity { return .unchanged }
            let source: any AccessMapSource
            let loaded = Self.load(path: path, storage: storage)
            switch loaded {
            case .loaded(let s, _): source = s
            case .missing(let error):
                // keep the previous version when the file is required; retried at the next check
                if keepsVersionWhenMissing { return .failed("\(error)") }
                source = optional ? EmptyAccessMapSource() : UnavailableAccessMapSource()
            case .unreadable(let error): return .failed("\(error)")  // keep the previous version; retried later
            }
            let generation = old.generation + 1
            state.withLock { $0 = Version(source: source, identity: loaded.identity, generation: generation) }
            retired.withLock { $0.append((old, Self.monotonicNanoseconds())) }
            return .reloaded(generation: generation)
        }
    }

    private func checkIfDue() {
        guard intervalNanoseconds >= 0 else { return }
        let now = Self.monotonicNanoseconds()
        let due = nextCheck.load(ordering: .relaxed)
        guard now >= due else { return }
        guard
            nextCheck.compareExchange(expected: due, desired: now &+ intervalNanoseconds, ordering: .relaxed).exchanged
        else { return }
        let known = state.withLock { $0.identity }
        guard MapFileIdentity(path: path) != known else { return }
        guard reloadScheduled.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return
        }
        Task.detached(priority: .utility) { [self] in
            reloadIfChanged()
            reloadScheduled.store(false, ordering: .releasing)
            try? await Task.sleep(for: .nanoseconds(Self.retirementGrace + 100_000_000))
            releaseRetired()
        }
    }

    /// Drops replaced versions older than the grace period, here (on the reloading thread), outside any lock.
    private func releaseRetired() {
        let now = Self.monotonicNanoseconds()
        let expired = retired.withLock { list -> [(version: Version, since: Int64)] in
            let expired = list.filter { now - $0.since >= Self.retirementGrace }
            list.removeAll { now - $0.since >= Self.retirementGrace }
            return expired
        }
        _ = expired.count  // released when `expired` goes out of scope, on this thread
    }

    /// The number of replaced versions still held (released by the reloading thread after a grace period).
    var retiredCount: Int { retired.withLock { $0.count } }

    private enum Loaded {
        case loaded(any AccessMapSource, MapFileIdentity)
        case missing(GDBMError)
        case unreadable(GDBMError)

        var identity: MapFileIdentity? {
            if case .loaded(_, let identity) = self { return identity }
            return nil
        }
    }

    /// Opens the file, making sure the version opened is the one whose identity is recorded (the file may be
    /// replaced between `stat` and `open`).
    private static func load(path: String, storage: Storage) -> Loaded {
        var attempt = 0
        while true {
            let before = MapFileIdentity(path: path)
            let source: any AccessMapSource
            do throws(GDBMError) {
                switch storage {
                case .gdbm(let handleCount): source = try GDBMAccessMapSource(path: path, handleCount: handleCount)
                case .snapshot: source = try SnapshotAccessMapSource(path: path)
                }
            } catch {
                return MapFileIdentity(path: path) == nil ? .missing(error) : .unreadable(error)
            }
            attempt += 1
            let after = MapFileIdentity(path: path)
            // `before` is nil when the file appeared between `stat` and `open`: open it again.
            if let identity = before, after == identity || attempt >= 3 { return .loaded(source, identity) }
            if attempt >= 3, let identity = after { return .loaded(source, identity) }
        }
    }

    private static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        #else
        clock_gettime(CLOCK_MONOTONIC, &now)
        #endif
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
