internal import CGDBM

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How ``GDBMDatabase`` opens its file.
public enum GDBMOpenMode: Hashable, Sendable {
    /// `GDBM_READER`: read-only; many readers may share the file.
    case readOnly
    /// `GDBM_WRITER`: read-write on an existing database.
    case readWrite
    /// `GDBM_WRCREAT`: read-write, creating the file when missing.
    case readWriteCreate
    /// `GDBM_NEWDB`: always start a new, empty database (truncating an existing file).
    case truncate
}

/// One open GDBM database file: the single owner of a `GDBM_FILE` handle.
///
/// The value is non-copyable; the handle is closed when the value goes away (`deinit`) or explicitly with
/// ``close()``, which reports close errors. Keys and values are bytes: access maps are not guaranteed to be UTF-8.
///
/// A handle is not thread-safe, so this type is not `Sendable`. To read one file from many threads, use
/// ``GDBMReaderPool``, which keeps one handle per concurrent reader behind a lock.
public struct GDBMDatabase: ~Copyable {
    /// The `GDBM_FILE`. Internal for ``GDBMReaderPool/Lease``, which reads through it while its slot's lock is held.
    let handle: OpaquePointer
    private var isOpen = true
    /// The path the database was opened with.
    public let path: String

    /// Opens (or creates) a GDBM database. Wraps `gdbm_open`.
    ///
    /// - Parameters:
    ///   - path: The database file.
    ///   - mode: Read-only, read-write, create, or truncate.
    ///   - permissions: File mode for a newly created file (default `0640`, as makemap uses).
    ///   - lock: When `false`, opens with `GDBM_NOLOCK` (readers of a file that is only ever replaced by
    ///     rename, never written in place, need no lock).
    ///   - memoryMap: When `false`, opens with `GDBM_NOMMAP`.
    ///   - blockSize: For a new database, the block (and bucket) size in bytes, used exactly (`GDBM_BSEXACT`);
    ///     `nil` lets libgdbm pick the file system's block size. Ignored when an existing file is opened.
    /// - Throws: ``GDBMError`` with operation ``GDBMOperation/open``.
    public init(
        path: String,
        mode: GDBMOpenMode,
        permissions: Int32 = 0o640,
        lock: Bool = true,
        memoryMap: Bool = true,
        blockSize: Int32? = nil
    ) throws(GDBMError) {
        var flags: Int32
        switch mode {
        case .readOnly: flags = GDBM_READER
        case .readWrite: flags = GDBM_WRITER
        case .readWriteCreate: flags = GDBM_WRCREAT
        case .truncate: flags = GDBM_NEWDB
        }
        flags |= GDBM_CLOEXEC
        if !lock { flags |= GDBM_NOLOCK }
        if !memoryMap { flags |= GDBM_NOMMAP }
        if blockSize != nil { flags |= GDBM_BSEXACT }
        errno = 0
        guard let handle = gdbm_open(path, blockSize ?? 0, flags, permissions, nil) else {
            let code = cgdbm_errno()
            let sys = errno
            throw GDBMError(code: code, systemErrno: sys, path: path, operation: .open)
        }
        self.handle = handle
        self.path = path
    }

    deinit {
        if isOpen { gdbm_close(handle) }
    }

    /// Closes the database and reports a failure to flush it. Wraps `gdbm_close`.
    public consuming func close() throws(GDBMError) {
        isOpen = false
        if gdbm_close(handle) != 0 {
            throw GDBMError(code: cgdbm_errno(), systemErrno: errno, path: path, operation: .close)
        }
    }

    func lastError(_ operation: GDBMOperation) -> GDBMError {
        GDBMError(
            code: Int32(gdbm_last_errno(handle)),
            systemErrno: gdbm_last_syserr(handle),
            path: path,
            operation: operation
        )
    }

    /// `gdbm_fetch` for every fetch path: the value libgdbm `malloc`ed (the caller frees it) and its length, or
    /// `nil` when the key is absent.
    @inline(__always)
    private func fetchMalloced(
        _ key: UnsafeRawBufferPointer
    ) throws(GDBMError) -> (UnsafeMutablePointer<CChar>, Int)? {
        switch Self.fetch(handle, key) {
        case .found(let pointer, let count): return (pointer, count)
        case .notFound: return nil
        case .tooLarge: throw GDBMError(kind: .tooLarge, path: path, operation: .fetch)
        case .failed: throw lastError(.fetch)
        }
    }

    /// What `gdbm_fetch` answered on a raw handle.
    enum FetchOutcome {
        /// The value libgdbm `malloc`ed (the caller frees it) and its length.
        case found(UnsafeMutablePointer<CChar>, Int)
        case notFound
        /// The key is longer than a datum holds.
        case tooLarge
        /// A read error: `gdbm_last_errno` says which.
        case failed
    }

    /// `gdbm_fetch` on a raw handle (shared with ``GDBMReaderPool/Lease``, which reads without the owner).
    @inline(__always)
    static func fetch(_ handle: OpaquePointer, _ key: UnsafeRawBufferPointer) -> FetchOutcome {
        guard let size = Int32(exactly: key.count) else { return .tooLarge }
        // gdbm_fetch does not write through dptr; the C prototype just lacks `const`.
        let keyDatum = datum(
            dptr: UnsafeMutablePointer(mutating: key.baseAddress?.assumingMemoryBound(to: CChar.self)),
            dsize: size
        )
        let value = gdbm_fetch(handle, keyDatum)
        guard let pointer = value.dptr else {
            let code = Int32(gdbm_last_errno(handle))
            return code == GDBM_ITEM_NOT_FOUND || code == GDBM_NO_ERROR ? .notFound : .failed
        }
        return .found(pointer, Int(value.dsize))
    }

    /// Hands a fetched value, one trailing NUL dropped, to `body`, then frees it.
    @inline(__always)
    static func visitWithoutTrailingNUL(
        _ pointer: UnsafeMutablePointer<CChar>,
        _ fetched: Int,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        defer { free(pointer) }
        var count = fetched
        if count > 0 && pointer[count - 1] == 0 { count -= 1 }
        body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Looks a key up and hands the stored value to `body` without copying it. Wraps `gdbm_fetch`.
    ///
    /// The buffer is valid only inside `body`; it is freed afterwards. This is the allocation-free path:
    /// the only allocation is the one libgdbm itself makes for the returned datum.
    ///
    /// Inlinable, so that callers in other modules run it specialized for their `R` and `E`: unspecialized, the
    /// generic result handling cost more than half a `gdbm_fetch` per call.
    ///
    /// - Returns: `body`'s result, or `nil` when the key is not in the database.
    /// - Throws: ``GDBMError`` when the read fails (a missing key is not an error).
    @inlinable
    public func withValue<R, E: Error>(
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(GDBMError) -> Result<R, E>? {
        var outcome: Result<R, E>? = nil
        try visitValue(forKey: key) { value in
            do throws(E) { outcome = .success(try body(value)) } catch { outcome = .failure(error) }
        }
        return outcome
    }

    /// Hands the stored value of `key`, as stored, to `body` and frees it; does nothing when the key is absent.
    /// The non-generic core of ``withValue(forKey:_:)``.
    @usableFromInline
    func visitValue(forKey key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) throws(GDBMError) {
        guard let (pointer, count) = try fetchMalloced(key) else { return }
        defer { free(pointer) }
        body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Looks a key up and hands the value, one trailing NUL dropped, to `body` without copying it. Wraps
    /// `gdbm_fetch`.
    ///
    /// The hot-path form of ``valueWithoutTrailingNUL(forKey:)``: the only allocation is libgdbm's own copy of the
    /// value (freed after `body` returns), none on a miss. Not generic, so callers in other modules call it
    /// directly, without looking up type metadata.
    ///
    /// - Returns: Whether the key was found (and `body` called).
    /// - Throws: ``GDBMError`` when the read fails (a missing key is not an error).
    public func visitValueWithoutTrailingNUL(
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(GDBMError) -> Bool {
        guard let (pointer, fetched) = try fetchMalloced(key) else { return false }
        Self.visitWithoutTrailingNUL(pointer, fetched, body)
        return true
    }

    /// Looks a key up and copies the value, dropping one trailing NUL (the form makemap `-N` stores).
    /// Wraps `gdbm_fetch`.
    ///
    /// The hot-path variant of ``withValue(forKey:_:)``: not generic, so it compiles to a direct call, and it
    /// allocates nothing on a miss; a hit allocates the returned array (and libgdbm its own copy, freed here).
    ///
    /// - Returns: The value without a trailing NUL, or `nil` when the key is absent.
    /// - Throws: ``GDBMError`` when the read fails (a missing key is not an error).
    public func valueWithoutTrailingNUL(forKey key: UnsafeRawBufferPointer) throws(GDBMError) -> [UInt8]? {
        var value: [UInt8] = []
        return try visitValueWithoutTrailingNUL(forKey: key, { value = Array($0) }) ? value : nil
    }

    /// Looks a key up. Wraps `gdbm_fetch`.
    ///
    /// - Returns: A copy of the stored value, or `nil` when the key is absent.
    public func fetch(_ key: some Collection<UInt8>) throws(GDBMError) -> [UInt8]? {
        let bytes = Array(key)
        let outcome = bytes.withUnsafeBytes { (raw) -> Result<Result<[UInt8], Never>?, GDBMError> in
            do throws(GDBMError) {
                return .success(try withValue(forKey: raw) { (value) -> [UInt8] in Array(value) })
            } catch {
                return .failure(error)
            }
        }
        guard case .success(let value)? = try outcome.get() else { return nil }
        return value
    }

    /// Looks a UTF-8 key up. Convenience over ``fetch(_:)-(some Collection<UInt8>)``.
    public func fetch(_ key: String) throws(GDBMError) -> [UInt8]? {
        try fetch(Array(key.utf8))
    }

    /// Stores a record. Wraps `gdbm_store`.
    ///
    /// - Parameters:
    ///   - value: The value bytes.
    ///   - key: The key bytes.
    ///   - replace: `true` replaces an existing value (`GDBM_REPLACE`); `false` keeps it (`GDBM_INSERT`).
    /// - Returns: `true` when stored, `false` when the key existed and `replace` was `false`.
    /// - Throws: ``GDBMError`` on an I/O or library failure.
    @discardableResult
    public func store(
        _ value: UnsafeRawBufferPointer,
        forKey key: UnsafeRawBufferPointer,
        replace: Bool
    ) throws(GDBMError) -> Bool {
        guard let keySize = Int32(exactly: key.count), let valueSize = Int32(exactly: value.count) else {
            throw GDBMError(kind: .tooLarge, path: path, operation: .store)
        }
        // gdbm_store does not write through dptr; the C prototype just lacks `const`.
        let keyDatum = datum(
            dptr: UnsafeMutablePointer(mutating: key.baseAddress?.assumingMemoryBound(to: CChar.self)),
            dsize: keySize
        )
        let valueDatum = datum(
            dptr: UnsafeMutablePointer(mutating: value.baseAddress?.assumingMemoryBound(to: CChar.self)),
            dsize: valueSize
        )
        let rc = gdbm_store(handle, keyDatum, valueDatum, replace ? GDBM_REPLACE : GDBM_INSERT)
        if rc == 0 { return true }
        if rc == 1 { return false }
        throw lastError(.store)
    }

    /// Stores a record from byte arrays. See ``store(_:forKey:replace:)-(UnsafeRawBufferPointer,_,_)``.
    @discardableResult
    public func store(_ value: [UInt8], forKey key: [UInt8], replace: Bool) throws(GDBMError) -> Bool {
        // An empty value still needs a non-nil pointer: libgdbm rejects a NULL dptr.
        let padded = value.isEmpty ? [0] : value
        let result = key.withUnsafeBytes { (k) -> Result<Bool, GDBMError> in
            padded.withUnsafeBytes { (raw) -> Result<Bool, GDBMError> in
                let slice = UnsafeRawBufferPointer(rebasing: raw[0..<value.count])
                do throws(GDBMError) {
                    return .success(try store(slice, forKey: k, replace: replace))
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }

    /// Calls `body` with every key/value pair, in the database's (hash) order.
    /// Wraps `gdbm_firstkey`, `gdbm_nextkey` and `gdbm_fetch`.
    ///
    /// - Throws: ``GDBMError`` when the walk fails, or what `body` throws.
    public func forEach(
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var key = gdbm_firstkey(handle)
        while let keyPointer = key.dptr {
            defer { free(keyPointer) }
            let keyBuffer = UnsafeRawBufferPointer(start: keyPointer, count: Int(key.dsize))
            let value = gdbm_fetch(handle, key)
            if let valuePointer = value.dptr {
                defer { free(valuePointer) }
                try body(keyBuffer, UnsafeRawBufferPointer(start: valuePointer, count: Int(value.dsize)))
            }
            let next = gdbm_nextkey(handle, key)
            if next.dptr == nil {
                let code = Int32(gdbm_last_errno(handle))
                if code != GDBM_ITEM_NOT_FOUND && code != GDBM_NO_ERROR { throw lastError(.iterate) }
            }
            key = next
        }
        let code = Int32(gdbm_last_errno(handle))
        if code != GDBM_ITEM_NOT_FOUND && code != GDBM_NO_ERROR { throw lastError(.iterate) }
    }

    /// The number of records. Wraps `gdbm_count`.
    public func count() throws(GDBMError) -> Int {
        var n: gdbm_count_t = 0
        if gdbm_count(handle, &n) != 0 { throw lastError(.count) }
        return Int(n)
    }

    /// Flushes all changes to disk (including `fsync`). Wraps `gdbm_sync`.
    public func sync() throws(GDBMError) {
        if gdbm_sync(handle) != 0 { throw lastError(.sync) }
    }

    /// Sets the bucket cache size (number of buckets kept in memory). Wraps `gdbm_setopt(GDBM_CACHESIZE)`.
    public func setCacheSize(_ buckets: Int) throws(GDBMError) {
        var value = buckets
        let rc = withUnsafeMutableBytes(of: &value) { raw in
            gdbm_setopt(handle, GDBM_CACHESIZE, raw.baseAddress, Int32(raw.count))
        }
        if rc != 0 { throw lastError(.setOption) }
    }

    /// The file descriptor libgdbm uses (for `fstat`, `fsync`). Wraps `gdbm_fdesc`.
    public var fileDescriptor: Int32 { gdbm_fdesc(handle) }
}

@available(*, unavailable)
extension GDBMDatabase: Sendable {}
