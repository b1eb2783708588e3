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
///    arena, a 16-byte sort entry and a 4-byte line number per entry; rejected lines are reported at once.
/// 2. **Order** the records by libgdbm's key hash (``GDBMHash``; a stable radix sort, so records with equal keys
///    stay in line order).
/// 3. **Store** them with `gdbm_store` into a new file beside the target, in that order (gathered in batches of
///    4,096): buckets are then filled one after the other while they are in libgdbm's cache, which makes the
///    stores several times faster than in file order. The file is synced and renamed over the target.
///
/// Memory therefore grows with the input: the key and value bytes (at most the input file's size) plus 20 bytes
/// per entry, 16 more per entry while sorting, plus what libgdbm maps of the output file (about 100 bytes per
/// record). A 1,000,000-line, 35 MB access file builds with a peak resident size of about 96 MB.
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

/// The accepted entries of one build: key and value bytes in one arena, a 16-byte sort entry per record that
/// holds everything the store loop needs (so it reads the entries sequentially), and each record's line number.
private struct RecordStore {
    struct Entry {
        /// `hash << 32 | record index`: sorting on it sorts by hash; the radix sort is stable, so equal keys stay
        /// in line order.
        var order: UInt64
        /// `offset << 20 | key length << 10 | value length` (lengths ≤ 1023: a line is at most 1022 bytes).
        var location: UInt64
    }

    var arena: [UInt8] = []
    var entries: [Entry] = []
    var lines: [UInt32] = []
    let nulTerminate: Bool
    var lastLine = 0

    init(sizeHint: Int, nulTerminate: Bool) {
        self.nulTerminate = nulTerminate
        arena.reserveCapacity(max(sizeHint, 4096))
        let lineGuess = max(sizeHint / 32, 1024)
        entries.reserveCapacity(lineGuess)
        lines.reserveCapacity(lineGuess)
    }

    var count: Int { entries.count }

    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, line: Int) {
        let offset = arena.count
        arena.append(contentsOf: key.assumingMemoryBound(to: UInt8.self))
        if nulTerminate { arena.append(0) }
        let keyLength = arena.count - offset
        arena.append(contentsOf: value.assumingMemoryBound(to: UInt8.self))
        if nulTerminate { arena.append(0) }
        let valueLength = arena.count - offset - keyLength
        let hash: UInt32
        if nulTerminate {
            hash = arena.withUnsafeBytes {
                GDBMHash.computed(of: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + keyLength]))
            }
        } else {
            hash = GDBMHash.computed(of: key)
        }
        guard let index = UInt32(exactly: entries.count), let lineNumber = UInt32(exactly: line) else {
            preconditionFailure("more than 4 billion lines in one map")
        }
        let location = UInt64(offset) << 20 | UInt64(keyLength) << 10 | UInt64(valueLength)
        entries.append(Entry(order: UInt64(hash) << 32 | UInt64(index), location: location))
        lines.append(lineNumber)
        lastLine = line
    }

    /// Stable LSD radix sort on the 31 hash bits (bits 32...62), three passes of 11 bits.
    mutating func sortByHash() {
        let n = entries.count
        if n < 2 { return }
        var scratch = [Entry](repeating: Entry(order: 0, location: 0), count: n)
        var counts = [Int](repeating: 0, count: 2048)
        for shift in [UInt64(32), 43, 54] {
            entries.withUnsafeMutableBufferPointer { source in
                scratch.withUnsafeMutableBufferPointer { target in
                    counts.withUnsafeMutableBufferPointer { count in
                        for i in 0..<2048 { count[i] = 0 }
                        for entry in source { count[Int((entry.order >> shift) & 0x7FF)] += 1 }
                        var total = 0
                        for i in 0..<2048 {
                            let c = count[i]
                            count[i] = total
                            total += c
                        }
                        for entry in source {
                            let digit = Int((entry.order >> shift) & 0x7FF)
                            target[count[digit]] = entry
                            count[digit] += 1
                        }
                    }
                }
            }
            swap(&entries, &scratch)
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
        var storedCount = 0
        var resolved = 0
        var duplicateIndices: [Int] = []
        let total = entries.count
        let replace = policy == .replace
        // The arena is in line order and the stores go in hash order, so each record's bytes are a cache (and
        // TLB) miss. Gathering a batch of records into a small buffer first lets the processor overlap those
        // misses, instead of taking them one by one between two gdbm_store calls.
        let batchSize = 4096
        var batch: [UInt8] = []
        batch.reserveCapacity(1 << 18)
        try arena.withUnsafeBytes { raw in
            let source = raw.assumingMemoryBound(to: UInt8.self)
            try entries.withUnsafeBufferPointer { entries in
                for batchStart in stride(from: 0, to: total, by: batchSize) {
                    let batchEnd = min(total, batchStart + batchSize)
                    if batchStart > 0 {
                        if cancellation?.isCancelled == true { throw MapBuildError.cancelled }
                        if batchStart & 0xFFFF == 0 { progress?(.storing(done: batchStart, total: total)) }
                    }
                    batch.removeAll(keepingCapacity: true)
                    for entry in entries[batchStart..<batchEnd] {
                        let offset = Int(truncatingIfNeeded: entry.location >> 20)
                        let length = Int(
                            truncatingIfNeeded: ((entry.location >> 10) & 0x3FF) + (entry.location & 0x3FF)
                        )
                        batch.append(contentsOf: UnsafeBufferPointer(rebasing: source[offset..<offset + length]))
                    }
                    try batch.withUnsafeBytes { bytes in
                        var position = 0
                        for entry in entries[batchStart..<batchEnd] {
                            let keyEnd = position + Int(truncatingIfNeeded: (entry.location >> 10) & 0x3FF)
                            let valueEnd = keyEnd + Int(truncatingIfNeeded: entry.location & 0x3FF)
                            let key = UnsafeRawBufferPointer(rebasing: bytes[position..<keyEnd])
                            let value = UnsafeRawBufferPointer(rebasing: bytes[keyEnd..<valueEnd])
                            position = valueEnd
                            if try database.store(value, forKey: key, replace: replace) {
                                storedCount += 1
                                stored?(key, value)
                            } else if policy == .reject {
                                duplicateIndices.append(Int(truncatingIfNeeded: entry.order & 0xFFFF_FFFF))
                            } else {
                                resolved += 1
                            }
                        }
                    }
                }
            }
        }
        var outcome = StoreOutcome(stored: storedCount, resolved: resolved)
        if replace {
            outcome.resolved = total - (try database.count() - countBefore)
        }
        // Entries were added in line order, so sorting the record indices sorts the diagnostics by line. The
        // entries themselves are in hash order now: find each duplicate's key through a map from index to entry.
        duplicateIndices.sort()
        if !duplicateIndices.isEmpty {
            var locationOf: [Int: UInt64] = [:]
            let wanted = Set(duplicateIndices)
            for entry in entries where wanted.contains(Int(truncatingIfNeeded: entry.order & 0xFFFF_FFFF)) {
                locationOf[Int(truncatingIfNeeded: entry.order & 0xFFFF_FFFF)] = entry.location
            }
            outcome.rejectedDuplicates = duplicateIndices.map { index in
                let location = locationOf[index] ?? 0
                let offset = Int(truncatingIfNeeded: location >> 20)
                var key = Array(arena[offset..<offset + Int(truncatingIfNeeded: (location >> 10) & 0x3FF)])
                if nulTerminate { key.removeLast() }
                return (Int(lines[index]), key)
            }
        }
        return outcome
    }
}
