internal import CGDBM
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only access to one GDBM file from many threads.
///
/// libgdbm handles are not thread-safe, so the pool keeps several read-only handles on the same file, each behind
/// its own lock. A reader picks a handle round-robin and holds its lock only for the duration of one call, so
/// with as many handles as concurrent readers they rarely wait for each other. The handles are opened with
/// `GDBM_NOLOCK`: the file is expected to be replaced by rename (as the builders in this package do), never
/// written in place, so a reader that has it open keeps seeing a consistent old version.
public final class GDBMReaderPool: Sendable {
    /// One handle and the lock that guards it.
    ///
    /// `@unchecked Sendable` is sound here: `database` is only ever touched inside `lock.withLock` /
    /// `lock.withLockIfAvailable` (see ``GDBMReaderPool/withDatabase(_:)``), so no two threads use the handle at
    /// once, and the handle itself has no thread affinity.
    final class Slot: @unchecked Sendable {
        let lock = Mutex<Void>(())
        let database: GDBMDatabase
        init(_ database: consuming GDBMDatabase) { self.database = database }
    }

    private let slots: [Slot]
    private let next = Atomic<Int>(0)
    /// Per-thread handle assignment (``handleForCurrentThread()``); `nil` if the process ran out of keys.
    private let threadKey: pthread_key_t?
    /// The database path.
    public let path: String

    /// Opens `handleCount` read-only handles on `path`.
    ///
    /// - Throws: ``GDBMError`` when the file cannot be opened.
    public init(path: String, handleCount: Int = 4) throws(GDBMError) {
        precondition(handleCount > 0, "a reader pool needs at least one handle")
        var slots: [Slot] = []
        slots.reserveCapacity(handleCount)
        for _ in 0..<handleCount {
            slots.append(Slot(try GDBMDatabase(path: path, mode: .readOnly, lock: false)))
        }
        self.slots = slots
        self.path = path
        var key = pthread_key_t()
        threadKey = pthread_key_create(&key, nil) == 0 ? key : nil
    }

    deinit {
        if let threadKey { pthread_key_delete(threadKey) }
    }

    /// Runs `body` with exclusive use of one of the pool's handles.
    public func withDatabase<R, E: Error>(_ body: (borrowing GDBMDatabase) throws(E) -> R) throws(E) -> R {
        let start = next.wrappingAdd(1, ordering: .relaxed).oldValue
        let count = slots.count
        // Try every handle without blocking first; block on the first choice only if all are busy.
        for offset in 0..<count {
            let slot = slots[(start &+ offset) % count]
            var outcome: Result<R, E>?
            let acquired: Bool =
                slot.lock.withLockIfAvailable { (_) -> Void in
                    do throws(E) { outcome = .success(try body(slot.database)) } catch { outcome = .failure(error) }
                } != nil
            if acquired, let outcome { return try outcome.get() }
        }
        let slot = slots[start % count]
        var outcome: Result<R, E>!
        slot.lock.withLock { (_) -> Void in
            do throws(E) { outcome = .success(try body(slot.database)) } catch { outcome = .failure(error) }
        }
        return try outcome.get()
    }

    /// The handle index this thread should use: assigned round-robin on a thread's first call and kept in a
    /// thread-specific value (`pthread_getspecific`, a few nanoseconds), so one thread always reads through the
    /// same handle (its bucket cache stays warm) and concurrent threads use different handles. Pass it to
    /// ``valueWithoutTrailingNUL(forKey:preferredHandle:)``.
    public func handleForCurrentThread() -> Int {
        guard let key = threadKey else { return next.wrappingAdd(1, ordering: .relaxed).oldValue % slots.count }
        if let stored = pthread_getspecific(key) { return (Int(bitPattern: stored) - 1) % slots.count }
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue % slots.count
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: index + 1))
        return index
    }

    /// Looks a key up on the preferred handle when it is free (else on any free one, else waits for the preferred
    /// one); see ``GDBMDatabase/valueWithoutTrailingNUL(forKey:)``. No shared counter is touched, so threads that
    /// keep to their own handle do not slow each other down.
    public func valueWithoutTrailingNUL(
        forKey key: UnsafeRawBufferPointer,
        preferredHandle: Int
    ) throws(GDBMError)
        -> [UInt8]?
    {
        var outcome: Result<[UInt8]?, GDBMError> = .success(nil)
        withLease(preferredHandle: preferredHandle) { lease in
            do throws(GDBMError) {
                var value: [UInt8] = []
                let found = try lease.visitValueWithoutTrailingNUL(forKey: key, { value = Array($0) })
                outcome = .success(found ? value : nil)
            } catch {
                outcome = .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Exclusive use of one pool handle for the length of a closure (``withLease(preferredHandle:_:)``): look-ups
    /// through it take no lock and touch no reference count.
    ///
    /// Valid only inside the closure it was handed to, on that thread; do not keep it.
    public struct Lease: Sendable {
        // Unmanaged and a raw handle: the pool keeps the slot (and its open handle) alive, and the lease lives only
        // inside `withLease`, which the caller runs on a pool it holds. So a look-up touches no reference count: no
        // cache line shared between threads is written.
        let slot: Unmanaged<Slot>
        /// The slot's `GDBM_FILE` (`OpaquePointer` is not `Sendable`; the address is, and only this lease's holder
        /// uses it while it holds the slot's lock).
        let handle: UInt

        init(slot: Slot) {
            self.slot = Unmanaged.passUnretained(slot)
            self.handle = UInt(bitPattern: slot.database.handle)
        }

        /// See ``GDBMDatabase/visitValueWithoutTrailingNUL(forKey:_:)``.
        @inline(__always)
        public func visitValueWithoutTrailingNUL(
            forKey key: UnsafeRawBufferPointer,
            _ body: (UnsafeRawBufferPointer) -> Void
        ) throws(GDBMError) -> Bool {
            switch GDBMDatabase.fetch(OpaquePointer(bitPattern: handle)!, key) {
            case .found(let pointer, let count):
                GDBMDatabase.visitWithoutTrailingNUL(pointer, count, body)
                return true
            case .notFound:
                return false
            case .tooLarge:
                throw slot._withUnsafeGuaranteedRef {
                    GDBMError(kind: .tooLarge, path: $0.database.path, operation: .fetch)
                }
            case .failed:
                throw slot._withUnsafeGuaranteedRef { $0.database.lastError(.fetch) }
            }
        }
    }

    /// Runs `body` holding one handle's lock: the preferred one when it is free, else any free one, else waits for
    /// the preferred one. For a whole decision's look-ups: one lock instead of one per look-up.
    public func withLease(preferredHandle: Int, _ body: (Lease) -> Void) {
        let count = slots.count
        for offset in 0..<count {
            let slot = slots[(preferredHandle &+ offset) % count]
            if slot.lock.withLockIfAvailable({ (_) -> Void in body(Lease(slot: slot)) }) != nil { return }
        }
        let slot = slots[preferredHandle % count]
        slot.lock.withLock { (_) -> Void in body(Lease(slot: slot)) }
    }

    /// Looks a key up; see ``GDBMDatabase/withValue(forKey:_:)``.
    public func withValue<R, E: Error>(
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(GDBMError) -> Result<R, E>? {
        try withDatabase { (db) throws(GDBMError) in try db.withValue(forKey: key, body) }
    }

    /// Looks a key up and copies the value.
    public func fetch(_ key: some Collection<UInt8>) throws(GDBMError) -> [UInt8]? {
        try withDatabase { (db) throws(GDBMError) in try db.fetch(key) }
    }

    /// Looks a UTF-8 key up and copies the value.
    public func fetch(_ key: String) throws(GDBMError) -> [UInt8]? {
        try fetch(Array(key.utf8))
    }
}
