public import GDBMStore

/// An access map in a GDBM file, read through a `GDBMReaderPool`.
///
/// Each key is tried as is and then with a trailing NUL (maps built with makemap's `-N`), as sendmail does for a
/// map declared without `-N`/`-O`, until the first hit settles which form the map uses (from then on only that form is tried);
/// a trailing NUL is removed from values. A miss then costs one `gdbm_fetch`, and nothing is allocated but the
/// value of a hit. A read error is reported as
/// ``AccessMapSourceResult/temporaryFailure``.
public struct GDBMAccessMapSource: AccessMapSource {
    /// The reader pool the look-ups go through.
    public let pool: GDBMReaderPool
    /// Which NUL form of the keys is tried; shared by all copies of this source.
    private let nulMode: NULTerminationMode
    /// The pool handle tried first: chosen once per decision by ``pinned()``; -1: the calling thread's handle.
    /// (An `Int`, not an `Int?`: three words fit an existential's inline buffer, so ``pinned()`` allocates nothing.)
    private let preferredHandle: Int

    /// Wraps an open reader pool.
    public init(pool: GDBMReaderPool) {
        self.pool = pool
        self.nulMode = NULTerminationMode()
        self.preferredHandle = -1
    }

    private init(pinning source: GDBMAccessMapSource) {
        pool = source.pool
        nulMode = source.nulMode
        preferredHandle = source.pool.handleForCurrentThread()
    }

    /// Opens a GDBM map file.
    ///
    /// - Parameters:
    ///   - path: The `.db` file.
    ///   - handleCount: Read handles kept open (about the number of concurrent readers).
    /// - Throws: `GDBMError` when the file cannot be opened.
    public init(path: String, handleCount: Int = 4) throws(GDBMError) {
        self.pool = try GDBMReaderPool(path: path, handleCount: handleCount)
        self.nulMode = NULTerminationMode()
        self.preferredHandle = -1
    }

    /// Opens a map the way sendmail opens its `access` map: a file that cannot be opened gives an empty map when
    /// `optional` (sendmail's `-o`), else a map whose every look-up fails temporarily.
    public static func open(path: String, optional: Bool, handleCount: Int = 4) -> any AccessMapSource {
        do {
            return try GDBMAccessMapSource(path: path, handleCount: handleCount)
        } catch {
            return optional ? EmptyAccessMapSource() : UnavailableAccessMapSource()
        }
    }

    public func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
        let handle = preferredHandle >= 0 ? preferredHandle : pool.handleForCurrentThread()
        do throws(GDBMError) {
            let value = try nulMode.lookup(foldedKey) { (key) throws(GDBMError) in
                try pool.valueWithoutTrailingNUL(forKey: key, preferredHandle: handle)
            }
            guard let value else { return .notFound }
            return .found(value)
        } catch {
            return .temporaryFailure
        }
    }

    public func visitValue(
        foldedKey: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> AccessMapSourceStatus {
        var status = AccessMapSourceStatus.notFound
        withPinnedSource { pinned in status = pinned.visitValue(foldedKey: foldedKey, body) }
        return status
    }

    /// Holds the calling thread's pool handle for the whole of `body` (one lock per decision, not per look-up).
    public func withPinnedSource(_ body: (any AccessMapSource) -> Void) {
        let handle = preferredHandle >= 0 ? preferredHandle : pool.handleForCurrentThread()
        pool.withLease(preferredHandle: handle) { lease in body(LeasedGDBMSource(lease: lease, nulMode: nulMode)) }
    }

    /// The same map with the calling thread's pool handle chosen once for a whole decision
    /// (``GDBMStore/GDBMReaderPool/handleForCurrentThread()``).
    public func pinned() -> any AccessMapSource { GDBMAccessMapSource(pinning: self) }
}

/// A GDBM map through one leased pool handle (``GDBMAccessMapSource/withPinnedSource(_:)``): valid only inside
/// that call.
struct LeasedGDBMSource: AccessMapSource {
    let lease: GDBMReaderPool.Lease
    // Unmanaged: the GDBM source that made this lease holds the mode for longer than the lease lives, and a
    // look-up then touches no reference count.
    let nulMode: Unmanaged<NULTerminationMode>

    init(lease: GDBMReaderPool.Lease, nulMode: NULTerminationMode) {
        self.lease = lease
        self.nulMode = Unmanaged.passUnretained(nulMode)
    }

    func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
        var value: [UInt8] = []
        switch visitValue(foldedKey: foldedKey, { value = Array($0) }) {
        case .found: return .found(value)
        case .notFound: return .notFound
        case .temporaryFailure: return .temporaryFailure
        }
    }

    func visitValue(
        foldedKey: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> AccessMapSourceStatus {
        nulMode._withUnsafeGuaranteedRef { mode in
            do throws(GDBMError) {
                let found = try mode.lookup(foldedKey) { (key) throws(GDBMError) -> Bool? in
                    try lease.visitValueWithoutTrailingNUL(forKey: key, body) ? true : nil
                }
                return found == nil ? .notFound : .found
            } catch {
                return .temporaryFailure
            }
        }
    }

    func pinned() -> any AccessMapSource { self }

    func withPinnedSource(_ body: (any AccessMapSource) -> Void) { body(self) }
}
