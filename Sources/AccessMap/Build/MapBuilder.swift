import GDBMStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds a GDBM access map from makemap text — sendmail's `makemap hash` for GDBM files.
///
/// A build has three steps:
/// 1. **Read** the text as a byte stream (``AccessMapParser``), keeping every accepted key and value in one byte
///    arena and a 16-byte record per entry; rejected lines are reported at once.
/// 2. **Order** the records by libgdbm's key hash (``GDBMHash``; a stable radix sort, so records with equal keys
///    stay in line order).
/// 3. **Store** them with `gdbm_store` into a new file beside the target, in that order: buckets are then filled
///    one after the other while they are in libgdbm's cache, which makes the stores several times faster than in
///    file order. The file is synced and renamed over the target (``MapFileReplacement``).
///
/// Memory therefore grows with the input: the key and value bytes (at most the input file's size) plus 24 bytes
/// per entry (record and sort key, and a sort buffer of 8 bytes per entry), plus what libgdbm maps of the output
/// file. A 1,000,000-line, 35 MB access file builds with a peak resident size of about 150 MB.
///
/// Duplicate keys are found by libgdbm itself (`GDBM_INSERT`), also against the records of an existing map in
/// append mode. Because stores happen in hash order, duplicate-key diagnostics are reported after all syntax
/// diagnostics, sorted by line.
public struct MapBuilder: Sendable {
    /// The makemap options.
    public var options: MapBuilderOptions

    /// Creates a builder.
    public init(options: MapBuilderOptions = MapBuilderOptions()) {
        self.options = options
    }

    /// The database file for a makemap map name: the name plus `.db`, unless it already ends in `.db`.
    public static func databasePath(forMapName name: String) -> String {
        name.hasSuffix(".db") ? name : name + ".db"
    }

    /// Builds the database at `path` from the text read from `fileDescriptor`.
    ///
    /// - Parameters:
    ///   - fileDescriptor: The text source, read to its end (not closed).
    ///   - path: The database file (see ``databasePath(forMapName:)``).
    ///   - diagnostics: Called for every line that is not stored.
    ///   - stored: Called for every record written, in store (hash) order (makemap `-v`).
    ///   - progress: Called every 65,536 lines and records.
    ///   - cancellation: Checked every 4,096 lines and records.
    /// - Returns: Counts, and the exit status makemap would use (0, or 65 when lines were rejected).
    /// - Throws: ``MapBuildError`` when no database could be produced; the previous file is then untouched.
    public func build(
        from fileDescriptor: Int32,
        into path: String,
        diagnostics: (MapBuildDiagnostic) -> Void,
        stored: ((_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void)? = nil,
        progress: ((MapBuildProgress) -> Void)? = nil,
        cancellation: MapBuildCancellation? = nil
    ) throws(MapBuildError) -> MapBuildSummary {
        var info = stat()
        let sizeHint = fstat(fileDescriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 0
        return try run(
            into: path,
            sizeHint: sizeHint,
            input: .fileDescriptor(fileDescriptor),
            diagnostics: diagnostics,
            stored: stored,
            progress: progress,
            cancellation: cancellation
        )
    }

    /// Builds the database at `path` from text held in memory. See ``build(from:into:diagnostics:stored:progress:cancellation:)-(Int32,_,_,_,_,_)``.
    public func build(
        from text: [UInt8],
        into path: String,
        diagnostics: (MapBuildDiagnostic) -> Void,
        stored: ((_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void)? = nil,
        progress: ((MapBuildProgress) -> Void)? = nil,
        cancellation: MapBuildCancellation? = nil
    ) throws(MapBuildError) -> MapBuildSummary {
        try run(
            into: path,
            sizeHint: text.count,
            input: .bytes(text),
            diagnostics: diagnostics,
            stored: stored,
            progress: progress,
            cancellation: cancellation
        )
    }

    private enum Input {
        case fileDescriptor(Int32)
        case bytes([UInt8])
    }

    private func run(
        into path: String,
        sizeHint: Int,
        input: Input,
        diagnostics: (MapBuildDiagnostic) -> Void,
        stored: ((UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void)?,
        progress: ((MapBuildProgress) -> Void)?,
        cancellation: MapBuildCancellation?
    ) throws(MapBuildError) -> MapBuildSummary {
        let replacement = try MapFileReplacement(
            path: path,
            copyExisting: options.append,
            allowSymbolicLink: options.allowSymbolicLink
        )
        var records = RecordStore(sizeHint: sizeHint, nulTerminate: options.nulTerminate)
        var lines = 0
        var rejected = 0
        let parser = AccessMapParser(syntax: options.syntax)
        do {
            let entry = { (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, line: Int) throws in
                    records.add(key: key, value: value, line: line)
                    lines = line
                    if line & 0xFFF == 0 {
                        if cancellation?.isCancelled == true { throw MapBuildError.cancelled }
                        if line & 0xFFFF == 0 { progress?(.reading(lines: line)) }
                    }
            }
            let reject = { (error: AccessMapSyntaxError) in
                rejected += 1
                lines = error.line
                diagnostics(.syntax(error))
            }
            switch input {
            case .fileDescriptor(let fd): try parser.parse(fileDescriptor: fd, entry: entry, rejected: reject)
            case .bytes(let text): try parser.parse(text, entry: entry, rejected: reject)
            }
        } catch let error as MapBuildError {
            throw error
        } catch let error as AccessMapReadError {
            throw .read(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        records.sortByHash()

        let database = try openDatabase(replacement.temporary)
        let outcome: RecordStore.StoreOutcome
        do {
            let before = options.duplicates == .replace ? try database.count() : 0
            outcome = try records.store(
                into: database,
                policy: options.duplicates,
                stored: stored,
                progress: progress,
                cancellation: cancellation,
                countBefore: before
            )
            progress?(.syncing)
            try database.sync()
            if fsync(database.fileDescriptor) != 0 {
                throw MapBuildError.fileSystem(operation: "fsync", path: replacement.temporary, systemErrno: errno)
            }
            try database.close()
        } catch let error as MapBuildError {
            throw error
        } catch let error as GDBMError {
            throw .write(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        try replacement.commit()

        for (line, key) in outcome.rejectedDuplicates {
            diagnostics(.duplicateKey(key: key, line: line))
        }
        rejected += outcome.rejectedDuplicates.count
        return MapBuildSummary(
            lines: max(lines, records.lastLine),
            entries: records.count,
            stored: outcome.stored,
            duplicatesResolved: outcome.resolved,
            rejected: rejected,
            path: replacement.target
        )
    }
}

extension MapBuilder {
    fileprivate func openDatabase(_ path: String) throws(MapBuildError) -> GDBMDatabase {
        do {
            let database = try GDBMDatabase(
                path: path,
                mode: options.append ? .readWrite : .truncate,
                lock: false,
                blockSize: options.append ? nil : options.blockSize
            )
            if let cacheSize = options.cacheSize { try database.setCacheSize(cacheSize) }
            return database
        } catch {
            throw .cannotOpen(error)
        }
    }
}

/// The accepted entries of one build: key and value bytes in one arena, a small record per entry, and the
/// store order.
private struct RecordStore {
    struct Record {
        var offset: Int
        var keyLength: UInt16
        var valueLength: UInt16
        var line: UInt32
    }

    var arena: [UInt8] = []
    var records: [Record] = []
    /// `hash << 32 | record index`: sorting these sorts by hash, and keeps line order among equal hashes.
    var order: [UInt64] = []
    let nulTerminate: Bool
    var lastLine = 0

    init(sizeHint: Int, nulTerminate: Bool) {
        self.nulTerminate = nulTerminate
        arena.reserveCapacity(max(sizeHint, 4096))
        let lineGuess = max(sizeHint / 32, 1024)
        records.reserveCapacity(lineGuess)
        order.reserveCapacity(lineGuess)
    }

    var count: Int { records.count }

    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, line: Int) {
        let offset = arena.count
        arena.append(contentsOf: key.assumingMemoryBound(to: UInt8.self))
        if nulTerminate { arena.append(0) }
        let keyLength = arena.count - offset
        arena.append(contentsOf: value.assumingMemoryBound(to: UInt8.self))
        if nulTerminate { arena.append(0) }
        let valueLength = arena.count - offset - keyLength
        let hash = arena.withUnsafeBytes { GDBMHash.value(of: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + keyLength])) }
        guard let index = UInt32(exactly: records.count), let lineNumber = UInt32(exactly: line) else {
            preconditionFailure("more than 4 billion lines in one map")
        }
        // Lines are at most 1022 bytes, so both lengths fit in 16 bits.
        records.append(
            Record(offset: offset, keyLength: UInt16(keyLength), valueLength: UInt16(valueLength), line: lineNumber)
        )
        order.append(UInt64(hash) << 32 | UInt64(index))
        lastLine = line
    }

    /// Stable LSD radix sort on the 31 hash bits (bits 32...62), three passes of 11 bits.
    mutating func sortByHash() {
        let n = order.count
        if n < 2 { return }
        var scratch = [UInt64](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: 2048)
        for shift in [UInt64(32), 43, 54] {
            order.withUnsafeMutableBufferPointer { source in
                scratch.withUnsafeMutableBufferPointer { target in
                    counts.withUnsafeMutableBufferPointer { count in
                        for i in 0..<2048 { count[i] = 0 }
                        for value in source { count[Int((value >> shift) & 0x7FF)] += 1 }
                        var total = 0
                        for i in 0..<2048 {
                            let c = count[i]
                            count[i] = total
                            total += c
                        }
                        for value in source {
                            let digit = Int((value >> shift) & 0x7FF)
                            target[count[digit]] = value
                            count[digit] += 1
                        }
                    }
                }
            }
            swap(&order, &scratch)
        }
    }

    struct StoreOutcome {
        var stored = 0
        var resolved = 0
        var rejectedDuplicates: [(line: Int, key: [UInt8])] = []
    }

    func store(
        into database: borrowing GDBMDatabase,
        policy: DuplicateKeyPolicy,
        stored: ((UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void)?,
        progress: ((MapBuildProgress) -> Void)?,
        cancellation: MapBuildCancellation?,
        countBefore: Int
    ) throws -> StoreOutcome {
        var outcome = StoreOutcome()
        var duplicateIndices: [Int] = []
        let total = order.count
        let replace = policy == .replace
        try arena.withUnsafeBytes { raw in
            try records.withUnsafeBufferPointer { records in
                for (done, sortKey) in order.enumerated() {
                    if done & 0xFFF == 0 && done > 0 {
                        if cancellation?.isCancelled == true { throw MapBuildError.cancelled }
                        if done & 0xFFFF == 0 { progress?(.storing(done: done, total: total)) }
                    }
                    let index = Int(truncatingIfNeeded: sortKey & 0xFFFF_FFFF)
                    let record = records[index]
                    let keyEnd = record.offset + Int(record.keyLength)
                    let key = UnsafeRawBufferPointer(rebasing: raw[record.offset..<keyEnd])
                    let value = UnsafeRawBufferPointer(rebasing: raw[keyEnd..<keyEnd + Int(record.valueLength)])
                    if try database.store(value, forKey: key, replace: replace) {
                        outcome.stored += 1
                        stored?(key, value)
                    } else if policy == .reject {
                        duplicateIndices.append(index)
                    } else {
                        outcome.resolved += 1
                    }
                }
            }
        }
        if replace {
            outcome.resolved = total - (try database.count() - countBefore)
        }
        duplicateIndices.sort()  // record index order is line order
        outcome.rejectedDuplicates = duplicateIndices.map { index in
            let record = records[index]
            var key = Array(arena[record.offset..<record.offset + Int(record.keyLength)])
            if nulTerminate { key.removeLast() }
            return (Int(record.line), key)
        }
        return outcome
    }
}
