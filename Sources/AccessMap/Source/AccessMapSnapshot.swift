public import GDBMStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable in-memory copy of a whole access map, for look-ups several times faster than GDBM.
///
/// **Layout.** Records are grouped into *partitions* by their tag, the bytes before the key's first `:` (`connect`,
/// `tls_clt`, `from`, …): the (at most ``maximumTaggedPartitions``) most frequent tags of at most 15 bytes each get
/// a partition; keys without a `:` in their first 16 bytes and keys of other tags share one more partition. A
/// partition has its own blocked Bloom filter (8 bits per record, one 64-bit word per block, 4 bits per key: about
/// 2–3 % false positives), its own bucket index (one 4-byte start offset per filter word: the records whose filter
/// bits are in word w form bucket w, 8 on average) and its own slice of the record arena, ordered by bucket
/// (`keyLength`, `valueLength` — 4 bytes each — key, value; a tagged partition stores keys without their `tag:`
/// prefix). The keys of one ruleset's search share a tag, so one decision touches one small partition: for the
/// 100,818 `tls_clt:` records of the 1,000,000-line benchmark map, 98 KiB of filter, 49 KiB of index and 3.4 MiB of
/// records. Filters, indexes and
/// records are one allocation, mapped with transparent huge pages on Linux when it is 4 MiB or more.
///
/// **Look-up.** Finding the partition reads the first 16 key bytes as two words; the rest of the key is hashed
/// 8 bytes at a time; the filter rejects most absent keys without touching index or records; otherwise the
/// bucket's records (about 8, contiguous, about 300 bytes) are compared, length first, then byte for byte, up to
/// the match. A miss usually reads one filter word; a hit one filter word, two index entries (one line) and the
/// bucket's records up to the match. Nothing is allocated on a look-up.
///
/// **Memory**: ``memoryFootprint`` bytes = Σ over records (8 + stored key bytes + value bytes) for the arena
/// + per partition 8 × ⌈n / 8⌉ bytes of filter and 4 × (⌈n / 8⌉ + 1) bytes of index (1.5 bytes per record in
/// all), n being the partition's records, rounded up to 2 MiB when mapped. For the 1,000,000-line benchmark map
/// (35 MB of text): 36.0 MiB measured (about 34 MiB of records, 0.5 MiB of index, 1 MiB of filters). Loading it
/// from GDBM took 0.65–0.8 s here (2 cores, shared VM); it needs a staging copy of the records (about 40 MB more)
/// while they are regrouped.
///
/// As in a GDBM map read by sendmail, keys are stored and compared byte for byte, a trailing NUL included (maps
/// built with makemap `-N`; ``SnapshotAccessMapSource`` tries both forms as sendmail does); a trailing NUL is
/// removed from values. When a key occurs twice (only possible with ``init(records:)``) the first one is kept.
///
/// Use it through ``SnapshotAccessMapSource``, or let ``AutoReloadingAccessMapSource`` load and swap it.
///
/// `@unchecked Sendable`: the snapshot is immutable. Its one allocation (`storage`, and the `index`, `filter` and
/// `arena` pointers into it) is written only by the initializer, before `self` can be shared, and freed only by
/// `deinit`, when no reference (and so no look-up) remains; look-ups only read it.
public final class AccessMapSnapshot: @unchecked Sendable {
    /// One allocation: the filter words, the bucket indexes, then the records.
    private let storage: Storage
    /// Bucket indexes of all partitions: where each bucket's records start in the partition's arena; one more
    /// entry per partition gives the end of the last bucket.
    private let index: UnsafePointer<UInt32>
    /// Bloom filter words of all partitions.
    private let filter: UnsafePointer<UInt64>
    /// Records of all partitions, partition after partition.
    private let arena: UnsafeRawBufferPointer
    /// `partitions[i]` holds the keys tagged `tags[i]`; the last one holds every other key.
    private let partitions: [Partition]
    /// The tags that have a partition, most frequent first.
    private let tags: [PartitionTag]
    /// The number of records.
    public let count: Int

    /// At most this many tags get a partition of their own.
    public static let maximumTaggedPartitions = 15

    /// The tag of a key: the bytes before its first `:`, when that `:` is among the first 16 bytes, as two
    /// little-endian words (bytes past the tag are zero) and a length.
    struct PartitionTag: Hashable {
        var low: UInt64
        var high: UInt64
        var length: Int
    }

    /// Where a partition's filter words, index entries and records are.
    private struct Partition {
        var indexBase: Int
        /// Where the partition's records start in the arena.
        var arenaBase: Int
        var filterBase: Int
        var filterWords: Int
        /// Bytes to drop from the front of a key: the tag and its `:`, or 0 for the last partition.
        var prefixLength: Int
    }

    /// Loads every record of a GDBM file. Wraps `gdbm_firstkey`/`gdbm_nextkey`/`gdbm_fetch`.
    ///
    /// Opens its own read-only handle (`GDBM_NOLOCK`) and closes it before returning.
    ///
    /// - Throws: ``GDBMStore/GDBMError`` when the file cannot be opened or read.
    public convenience init(path: String) throws(GDBMError) {
        let database = try GDBMDatabase(path: path, mode: .readOnly, lock: false)
        var builder = Builder(expectedCount: (try? database.count()) ?? 0)
        do {
            // swift-format-ignore: ReplaceForEachWithForLoop
            // (GDBMDatabase.forEach walks the file with gdbm_firstkey/gdbm_nextkey; it is not a Sequence.)
            try database.forEach { key, value in builder.add(key: key, value: value) }
        } catch let error as GDBMError {
            throw error
        } catch {
            preconditionFailure("the snapshot builder does not throw")
        }
        try database.close()
        self.init(builder)
    }

    /// Builds a snapshot from key/value pairs (keys compared byte for byte; a trailing NUL is removed from values).
    public convenience init(records: some Sequence<([UInt8], [UInt8])>) {
        var builder = Builder(expectedCount: records.underestimatedCount)
        for (key, value) in records {
            key.withUnsafeBytes { k in value.withUnsafeBytes { v in builder.add(key: k, value: v) } }
        }
        self.init(builder)
    }

    private init(_ builder: consuming Builder) {
        let staging = builder.arena
        let offsets = builder.offsets
        var tags: [PartitionTag] = []
        var partitionOf = [UInt8](repeating: 0, count: offsets.count)
        var arenaSize = 0
        var partitionCounts: [Int] = []
        staging.withUnsafeBytes { staging in
            // Count the tags; the most frequent get a partition.
            var tagCounts: [PartitionTag: Int] = [:]
            for offset in offsets {
                if let tag = Self.tag(of: Self.key(in: staging, at: offset)) { tagCounts[tag, default: 0] += 1 }
            }
            tags = tagCounts.sorted { a, b in
                a.value != b.value
                    ? a.value > b.value
                    : (a.key.length, a.key.low, a.key.high) < (b.key.length, b.key.low, b.key.high)
            }.prefix(Self.maximumTaggedPartitions).map(\.key)
            var index: [PartitionTag: UInt8] = [:]
            for (i, tag) in tags.enumerated() { index[tag] = UInt8(i) }
            partitionCounts = [Int](repeating: 0, count: tags.count + 1)
            for (r, offset) in offsets.enumerated() {
                let key = Self.key(in: staging, at: offset)
                var p = tags.count
                var prefix = 0
                if let tag = Self.tag(of: key), let i = index[tag] {
                    p = Int(i)
                    prefix = tag.length + 1
                }
                partitionOf[r] = UInt8(p)
                partitionCounts[p] += 1
                let valueLength = Int(staging.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                arenaSize += 8 + key.count - prefix + valueLength
            }
        }
        // Lay the partitions out and order the records by partition (stable: the first of equal keys wins).
        var partitions: [Partition] = []
        var indexCount = 0
        var filterCount = 0
        var orderStart = [0]
        for (p, n) in partitionCounts.enumerated() {
            // One bucket per filter word: the records whose filter bits are in word w form bucket w.
            let wordsNeeded = max(1, (n * Self.filterBitsPerRecord + 63) / 64)
            partitions.append(
                Partition(
                    indexBase: indexCount,
                    arenaBase: 0,
                    filterBase: filterCount,
                    filterWords: wordsNeeded,
                    prefixLength: p < tags.count ? tags[p].length + 1 : 0
                )
            )
            indexCount += wordsNeeded + 1
            filterCount += wordsNeeded
            orderStart.append(orderStart[p] + n)
        }
        var order = [Int32](repeating: 0, count: offsets.count)
        var next = orderStart
        for r in 0..<offsets.count {
            let p = Int(partitionOf[r])
            order[next[p]] = Int32(r)
            next[p] += 1
        }
        // Filters first (the part every look-up reads), then bucket indexes, then records.
        let indexStart = filterCount * 8
        let arenaStart = (indexStart + indexCount * 4 + 7) & ~7
        let storage = Storage(byteCount: arenaStart + arenaSize)
        let filter = storage.bytes.baseAddress!.bindMemory(to: UInt64.self, capacity: filterCount)
        filter.initialize(repeating: 0, count: filterCount)
        let index = (storage.bytes.baseAddress! + indexStart).bindMemory(to: UInt32.self, capacity: indexCount)
        index.initialize(repeating: 0, count: indexCount)
        let arena = UnsafeMutableRawBufferPointer(rebasing: storage.bytes[arenaStart...])
        var used = 0
        var distinct = 0
        staging.withUnsafeBytes { staging in
            for p in partitions.indices {
                let partition = partitions[p]
                partitions[p].arenaBase = used
                // Order the partition's records by bucket (stable), then write them bucket after bucket.
                let records = order[orderStart[p]..<orderStart[p + 1]]
                var bucketOf = [Int32](repeating: 0, count: records.count)
                var bucketStart = [Int](repeating: 0, count: partition.filterWords + 1)
                for (i, r) in records.enumerated() {
                    let key = Self.key(in: staging, at: offsets[Int(r)])
                    let hash = Self.hash(UnsafeRawBufferPointer(rebasing: key[partition.prefixLength...]))
                    let bucket = Self.filterWord(hash, partition.filterWords)
                    bucketOf[i] = Int32(bucket)
                    bucketStart[bucket + 1] += 1
                    filter[partition.filterBase + Self.filterWord(hash, partition.filterWords)] |= Self.filterBits(hash)
                }
                for b in 0..<partition.filterWords { bucketStart[b + 1] += bucketStart[b] }
                var byBucket = [Int32](repeating: 0, count: records.count)
                var position = bucketStart
                for (i, r) in records.enumerated() {
                    byBucket[position[Int(bucketOf[i])]] = r
                    position[Int(bucketOf[i])] += 1
                }
                for b in 0..<partition.filterWords {
                    let start = used - partitions[p].arenaBase
                    precondition(start <= UInt32.max, "a snapshot partition holds less than 4 GiB")
                    index[partition.indexBase + b] = UInt32(start)
                    for r in byBucket[bucketStart[b]..<bucketStart[b + 1]] {
                        let offset = offsets[Int(r)]
                        let key = Self.key(in: staging, at: offset)
                        let stored = UnsafeRawBufferPointer(rebasing: key[partition.prefixLength...])
                        let valueLength = Int(staging.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                        // Equal keys share a bucket: keep the first.
                        var other = partitions[p].arenaBase + start
                        var duplicate = false
                        while other < used {
                            let otherKey = Self.key(in: UnsafeRawBufferPointer(arena), at: other)
                            if otherKey.elementsEqual(stored) {
                                duplicate = true
                                break
                            }
                            other +=
                                8 + otherKey.count
                                + Int(arena.loadUnaligned(fromByteOffset: other + 4, as: UInt32.self))
                        }
                        if duplicate { continue }
                        arena.storeBytes(of: UInt32(stored.count).littleEndian, toByteOffset: used, as: UInt32.self)
                        arena.storeBytes(of: UInt32(valueLength).littleEndian, toByteOffset: used + 4, as: UInt32.self)
                        // Key and value follow each other in the staging record too.
                        let source = UnsafeRawBufferPointer(
                            rebasing: staging[
                                (offset + 8 + partition.prefixLength)..<(offset + 8 + key.count + valueLength)
                            ]
                        )
                        UnsafeMutableRawBufferPointer(rebasing: arena[(used + 8)...]).copyMemory(from: source)
                        used += 8 + source.count
                        distinct += 1
                    }
                }
                let end = used - partitions[p].arenaBase
                precondition(end <= UInt32.max, "a snapshot partition holds less than 4 GiB")
                index[partition.indexBase + partition.filterWords] = UInt32(end)
            }
        }
        self.storage = storage
        self.index = UnsafePointer(index)
        self.filter = UnsafePointer(filter)
        self.arena = UnsafeRawBufferPointer(arena)
        self.partitions = partitions
        self.tags = tags
        self.count = distinct
    }

    deinit { storage.deallocate() }

    /// Bytes held: the records, the bucket indexes and the filters (see the type's discussion).
    public var memoryFootprint: Int {
        storage.bytes.count + partitions.capacity * MemoryLayout<Partition>.stride + tags.capacity
            * MemoryLayout<PartitionTag>.stride
    }

    /// Looks a key up and hands the stored value (trailing NUL removed) to `body`, without copying it.
    ///
    /// - Returns: `body`'s result, or `nil` when the key is absent.
    @inline(__always)
    public func withValue<R>(
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> R
    )
        rethrows -> R?
    {
        // `self` is borrowed for the whole call: the value's memory stays valid while `body` runs.
        guard let value = value(bytesFor: key) else { return nil }
        return try body(value)
    }

    /// The stored value of `key` (trailing NUL removed), in the snapshot's memory: valid while the snapshot is.
    /// Not generic, so that callers that are (``SnapshotAccessMapSource``) run specialized code.
    func value(bytesFor key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let (start, length) = locate(key) else { return nil }
        return UnsafeRawBufferPointer(start: arena.baseAddress! + start, count: length)
    }

    /// The value stored for `key` (trailing NUL removed), or `nil`.
    public func value(forKey key: [UInt8]) -> [UInt8]? {
        key.withUnsafeBytes { k in withValue(forKey: k) { Array($0) } }
    }

    /// The tags that have a partition, most frequent first (for tests).
    var partitionTags: [[UInt8]] {
        tags.map { tag in
            withUnsafeBytes(of: (tag.low.littleEndian, tag.high.littleEndian)) { Array($0.prefix(tag.length)) }
        }
    }

    /// Whether the filter of `key`'s partition lets it through to the bucket (for tests).
    func filterAdmits(_ key: UnsafeRawBufferPointer) -> Bool {
        let partition = partitions[self.partition(of: key)]
        let hash = Self.hash(UnsafeRawBufferPointer(rebasing: key[partition.prefixLength...]))
        let bits = Self.filterBits(hash)
        return filter[partition.filterBase + Self.filterWord(hash, partition.filterWords)] & bits == bits
    }

    /// The partition of `key`: the index in ``partitions``.
    @inline(__always)
    private func partition(of key: UnsafeRawBufferPointer) -> Int {
        tags.withUnsafeBufferPointer { tags in
            guard let tag = Self.tag(of: key) else { return tags.count }
            for i in 0..<tags.count where tags[i] == tag { return i }
            return tags.count
        }
    }

    /// The value's arena range of `key`, if stored.
    @inline(__always)
    private func locate(_ key: UnsafeRawBufferPointer) -> (Int, Int)? {
        let partition = partitions.withUnsafeBufferPointer { $0[self.partition(of: key)] }
        let stored = UnsafeRawBufferPointer(rebasing: key[partition.prefixLength...])
        let hash = Self.hash(stored)
        let bits = Self.filterBits(hash)
        let word = filter[partition.filterBase + Self.filterWord(hash, partition.filterWords)]
        if word & bits != bits { return nil }
        let bucket = partition.indexBase + Self.filterWord(hash, partition.filterWords)
        let base = arena.baseAddress! + partition.arenaBase
        var record = Int(index[bucket])
        let end = Int(index[bucket + 1])
        let keyLength = stored.count
        while record < end {
            let recordKeyLength = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: record, as: UInt32.self)))
            let valueLength = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: record + 4, as: UInt32.self)))
            if recordKeyLength == keyLength,
                keyLength == 0 || memcmp(base + record + 8, stored.baseAddress!, keyLength) == 0
            {
                return (partition.arenaBase + record + 8 + keyLength, valueLength)
            }
            record += 8 + recordKeyLength + valueLength
        }
        return nil
    }

    private static func key(in arena: UnsafeRawBufferPointer, at offset: Int) -> UnsafeRawBufferPointer {
        let keyLength = Int(UInt32(littleEndian: arena.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        return UnsafeRawBufferPointer(rebasing: arena[(offset + 8)..<(offset + 8 + keyLength)])
    }

    /// The tag of `key` (see ``PartitionTag``), or `nil` when its first 16 bytes hold no `:`.
    @inline(__always)
    static func tag(of key: UnsafeRawBufferPointer) -> PartitionTag? {
        let n = key.count
        var low: UInt64 = 0
        var high: UInt64 = 0
        if n >= 16 {
            low = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            high = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        } else if n >= 8 {
            // Bytes 8..<n are the top n - 8 bytes of the (overlapping) last word.
            low = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            let last = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
            high = n > 8 ? last >> UInt64(8 * (16 - n)) : 0
        } else if n >= 4 {
            let first = UInt64(UInt32(littleEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
            let last = UInt64(UInt32(littleEndian: key.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)))
            low = first | (last >> UInt64(8 * (8 - n))) << 32
        } else {
            for i in 0..<n { low |= UInt64(key[i]) << UInt64(8 * i) }
        }
        // Bytes past the key are zero, never ':'.
        if let at = firstColon(low) {
            return PartitionTag(low: at == 0 ? 0 : low & (~0 >> UInt64(64 - 8 * at)), high: 0, length: at)
        }
        if let at = firstColon(high) {
            return PartitionTag(low: low, high: at == 0 ? 0 : high & (~0 >> UInt64(64 - 8 * at)), length: 8 + at)
        }
        return nil
    }

    /// The index of the first `:` byte of a little-endian word.
    @inline(__always)
    static func firstColon(_ word: UInt64) -> Int? {
        let x = word ^ 0x3A3A_3A3A_3A3A_3A3A
        // High bit of each zero byte of x (a borrow can flag a byte above a zero byte, never below the first).
        let found = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
        return found == 0 ? nil : found.trailingZeroBitCount >> 3
    }

    /// The filter word (and bucket) of a hash within its partition.
    @inline(__always)
    static func filterWord(_ hash: UInt64, _ words: Int) -> Int {
        Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(truncatingIfNeeded: words)) >> 32)
    }

    /// Filter bits per record: 8 bits, 4 per key, give about 2–3 % false positives (a 64-bit block holds about
    /// 8 keys) in 128 KiB per 128,000 records, so a partition's filter is small enough to stay cached.
    static let filterBitsPerRecord = 8

    /// The 4 filter bits of a hash.
    @inline(__always)
    static func filterBits(_ hash: UInt64) -> UInt64 {
        (1 &<< (hash & 63)) | (1 &<< ((hash >> 6) & 63)) | (1 &<< ((hash >> 12) & 63)) | (1 &<< ((hash >> 18) & 63))
    }

    /// A 64-bit hash, 8 bytes per step (multiply–xorshift; the last word overlaps the one before it), with a final
    /// avalanche: bits 0–23 pick the filter bits, bits 32–63 the filter word and bucket.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        let n = key.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        if n >= 8 {
            var i = 0
            while i + 8 < n {
                h =
                    (h ^ UInt64(littleEndian: key.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                    &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 31
                i += 8
            }
            h =
                (h ^ UInt64(littleEndian: key.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)))
                &* 0x94D0_49BB_1331_11EB
        } else if n >= 4 {
            let first = UInt64(UInt32(littleEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
            let last = UInt64(UInt32(littleEndian: key.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)))
            h = (h ^ (first | last << 32)) &* 0x94D0_49BB_1331_11EB
        } else if n > 0 {
            let bytes = UInt64(key[0]) | UInt64(key[n >> 1]) << 8 | UInt64(key[n - 1]) << 16
            h = (h ^ bytes) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return h
    }

    /// The snapshot's one allocation. Large ones are mapped on 2 MiB boundaries and offered transparent huge pages
    /// (`madvise(MADV_HUGEPAGE)`, Linux): a look-up then rarely misses the TLB, whose misses cost most in a VM.
    private struct Storage {
        static let hugePage = 2 << 20
        let bytes: UnsafeMutableRawBufferPointer
        /// Mapped with `mmap` (else allocated).
        let mapped: Bool

        init(byteCount: Int) {
            #if os(Linux)
            if byteCount >= 2 * Self.hugePage {
                let length = (byteCount + Self.hugePage - 1) & ~(Self.hugePage - 1)
                // Map one huge page more and trim both ends to a huge-page boundary.
                let raw = mmap(nil, length + Self.hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                if let raw, raw != MAP_FAILED {
                    let address = UInt(bitPattern: raw)
                    let aligned = (address + UInt(Self.hugePage) - 1) & ~UInt(Self.hugePage - 1)
                    if aligned > address { munmap(raw, Int(aligned - address)) }
                    let end = aligned + UInt(length)
                    let mappedEnd = address + UInt(length + Self.hugePage)
                    if mappedEnd > end { munmap(UnsafeMutableRawPointer(bitPattern: end), Int(mappedEnd - end)) }
                    let base = UnsafeMutableRawPointer(bitPattern: aligned)!
                    _ = madvise(base, length, MADV_HUGEPAGE)  // a hint: without it, 4 KiB pages
                    bytes = UnsafeMutableRawBufferPointer(start: base, count: length)
                    mapped = true
                    return
                }
            }
            #endif
            bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(8, byteCount), alignment: 8)
            mapped = false
        }

        func deallocate() {
            #if os(Linux)
            if mapped {
                munmap(bytes.baseAddress, bytes.count)
                return
            }
            #endif
            bytes.deallocate()
        }
    }

    /// Collects records into a staging arena, in input order.
    private struct Builder: ~Copyable {
        var arena: [UInt8] = []
        var offsets: [Int] = []

        init(expectedCount: Int) {
            offsets.reserveCapacity(expectedCount)
            arena.reserveCapacity(expectedCount * 40)
        }

        mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
            let value = value.last == 0 ? UnsafeRawBufferPointer(rebasing: value.dropLast()) : value
            precondition(
                key.count <= UInt32.max && value.count <= UInt32.max,
                "an access map record is less than 4 GiB"
            )
            offsets.append(arena.count)
            withUnsafeBytes(of: UInt32(key.count).littleEndian) { arena.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt32(value.count).littleEndian) { arena.append(contentsOf: $0) }
            arena.append(contentsOf: key)
            arena.append(contentsOf: value)
        }
    }
}

/// An ``AccessMapSource`` answering from an ``AccessMapSnapshot``: no I/O, no lock, no allocation except the
/// returned value.
///
/// Keys are tried as is and with a trailing NUL until the first hit settles which form the map uses, exactly as
/// ``GDBMAccessMapSource`` (and sendmail) do.
///
/// A class, not a struct: a look-up through `any AccessMapSource` then borrows one reference, where a struct's two
/// references (snapshot, NUL mode) were each retained and released per look-up.
public final class SnapshotAccessMapSource: AccessMapSource {
    /// The snapshot.
    public let snapshot: AccessMapSnapshot
    private let nulMode = NULTerminationMode()
    // Unretained views of the two references above (which keep them alive as long as `self`): a look-up reads
    // through these and so writes no reference count, even while it calls the caller's closure.
    private let snapshotView: Unmanaged<AccessMapSnapshot>
    private let nulModeView: Unmanaged<NULTerminationMode>

    /// Wraps a snapshot.
    public init(_ snapshot: AccessMapSnapshot) {
        self.snapshot = snapshot
        snapshotView = Unmanaged.passUnretained(snapshot)
        nulModeView = Unmanaged.passUnretained(nulMode)
    }

    /// Loads a GDBM map into memory. See ``AccessMapSnapshot/init(path:)``.
    public convenience init(path: String) throws(GDBMError) { self.init(try AccessMapSnapshot(path: path)) }

    public func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
        guard let value = nulMode.lookup(foldedKey, { snapshot.value(bytesFor: $0) }) else { return .notFound }
        return .found(Array(value))
    }

    public func visitValue(
        foldedKey: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> AccessMapSourceStatus {
        PinnedSnapshotSource(snapshot: snapshotView, nulMode: nulModeView).visitValue(foldedKey: foldedKey, body)
    }

    /// Runs `body` with an unretained view of this source: handing it on touches no reference count, so threads
    /// deciding at once on one snapshot do not write a shared cache line.
    public func withPinnedSource(_ body: (any AccessMapSource) -> Void) {
        body(PinnedSnapshotSource(snapshot: snapshotView, nulMode: nulModeView))
    }
}

/// A ``SnapshotAccessMapSource`` seen through unretained references, for one decision
/// (``SnapshotAccessMapSource/withPinnedSource(_:)``): valid only while that source lives.
struct PinnedSnapshotSource: AccessMapSource {
    let snapshot: Unmanaged<AccessMapSnapshot>
    let nulMode: Unmanaged<NULTerminationMode>

    func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
        var value: [UInt8] = []
        return visitValue(foldedKey: foldedKey, { value = Array($0) }) == .found ? .found(value) : .notFound
    }

    func visitValue(
        foldedKey: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> AccessMapSourceStatus {
        // The views keep ARC from retaining the snapshot around `body` (the source that made them holds it).
        nulMode._withUnsafeGuaranteedRef { mode in
            snapshot._withUnsafeGuaranteedRef { snapshot in
                guard let value = mode.lookup(foldedKey, { snapshot.value(bytesFor: $0) }) else { return .notFound }
                body(value)
                return .found
            }
        }
    }

    func pinned() -> any AccessMapSource { self }

    func withPinnedSource(_ body: (any AccessMapSource) -> Void) { body(self) }
}
