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
/// Every record is copied once (``init(path:)``) into one byte arena — `keyLength`, `valueLength` (4 bytes each),
/// key, value — and indexed by an open-addressing hash table of 8-byte slots (load factor at most ½, linear
/// probing; a slot holds 24 bits of the key's hash and the record's arena offset). A look-up hashes the key
/// 8 bytes at a time, probes the table, and compares the key only when the 24 hash bits agree: a miss usually
/// touches one cache line, a hit two. Nothing is allocated on a look-up.
///
/// **Memory**: ``memoryFootprint`` bytes = key and value bytes + 8 bytes per record (arena) + 8 bytes per slot,
/// 2–4 slots per record; for a 1,000,000-line access map (about 30 MB of keys and values) about 55–70 MB.
///
/// As in a GDBM map read by sendmail, keys are stored and compared byte for byte, a trailing NUL included (maps
/// built with makemap `-N`; ``SnapshotAccessMapSource`` tries both forms as sendmail does); a trailing NUL is
/// removed from values.
///
/// Use it through ``SnapshotAccessMapSource``, or let ``AutoReloadingAccessMapSource`` load and swap it.
public final class AccessMapSnapshot: Sendable {
    private let arena: [UInt8]
    private let slots: [UInt64]
    private let mask: Int
    /// The number of records.
    public let count: Int

    private static let offsetBits: UInt64 = 40
    private static let offsetMask: UInt64 = (1 << offsetBits) - 1

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
        var slots = [UInt64](repeating: 0, count: builder.capacity)
        let mask = builder.capacity - 1
        builder.arena.withUnsafeBytes { arena in
            for offset in builder.offsets {
                let keyLength = Int(arena.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                let key = UnsafeRawBufferPointer(rebasing: arena[(offset + 8)..<(offset + 8 + keyLength)])
                let hash = Self.hash(key)
                let tag = (hash >> Self.offsetBits) << Self.offsetBits
                var slot = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let current = slots[slot]
                    if current == 0 {
                        slots[slot] = tag | UInt64(offset + 1)
                        break
                    }
                    if current & ~Self.offsetMask == tag {
                        let other = Int(current & Self.offsetMask) - 1
                        if Self.key(in: arena, at: other).elementsEqual(key) { break }  // GDBM keys are unique
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        var distinct = 0
        for slot in slots where slot != 0 { distinct += 1 }
        self.arena = builder.arena
        self.slots = slots
        self.mask = mask
        self.count = distinct
    }

    /// Bytes held: the arena (records) and the slot table.
    public var memoryFootprint: Int { arena.capacity + slots.capacity * 8 }

    /// Looks a key up and hands the stored value (trailing NUL removed) to `body`, without copying it.
    ///
    /// - Returns: `body`'s result, or `nil` when the key is absent.
    public func withValue<R>(
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> R
    )
        rethrows -> R?
    {
        guard let (offset, keyLength, valueLength) = locate(key) else { return nil }
        return try arena.withUnsafeBytes { arena in
            try body(
                UnsafeRawBufferPointer(
                    rebasing: arena[(offset + 8 + keyLength)..<(offset + 8 + keyLength + valueLength)]
                )
            )
        }
    }

    /// The value stored for `key` (trailing NUL removed), or `nil`.
    public func value(forKey key: [UInt8]) -> [UInt8]? {
        key.withUnsafeBytes { k in withValue(forKey: k) { Array($0) } }
    }

    private func locate(_ key: UnsafeRawBufferPointer) -> (offset: Int, keyLength: Int, valueLength: Int)? {
        let hash = Self.hash(key)
        let tag = (hash >> Self.offsetBits) << Self.offsetBits
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBytes { arena in
                var slot = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let current = slots[slot]
                    if current == 0 { return nil }
                    if current & ~Self.offsetMask == tag {
                        let offset = Int(current & Self.offsetMask) - 1
                        let keyLength = Int(arena.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                        if keyLength == key.count,
                            key.count == 0
                                || memcmp(arena.baseAddress! + offset + 8, key.baseAddress!, key.count) == 0
                        {
                            let valueLength = Int(arena.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                            return (offset, keyLength, valueLength)
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    private static func key(in arena: UnsafeRawBufferPointer, at offset: Int) -> UnsafeRawBufferPointer {
        let keyLength = Int(arena.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        return UnsafeRawBufferPointer(rebasing: arena[(offset + 8)..<(offset + 8 + keyLength)])
    }

    /// A 64-bit hash, 8 bytes per step (multiply–xorshift), with a final avalanche: low bits pick the slot,
    /// high bits are the slot's tag.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        var i = 0
        let n = key.count
        while i + 8 <= n {
            h = (h ^ key.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(key[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return h
    }

    /// Collects records into the arena.
    private struct Builder: ~Copyable {
        var arena: [UInt8] = []
        var offsets: [Int] = []

        init(expectedCount: Int) {
            offsets.reserveCapacity(expectedCount)
            arena.reserveCapacity(expectedCount * 40)
        }

        var capacity: Int {
            var capacity = 16
            while capacity < offsets.count * 2 { capacity <<= 1 }
            return capacity
        }

        mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
            let value = value.last == 0 ? UnsafeRawBufferPointer(rebasing: value.dropLast()) : value
            precondition(
                arena.count + 8 + key.count + value.count < Int(AccessMapSnapshot.offsetMask),
                "an access map snapshot holds less than 1 TiB"
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
public struct SnapshotAccessMapSource: AccessMapSource {
    /// The snapshot.
    public let snapshot: AccessMapSnapshot
    private let nulMode = NULTerminationMode()

    /// Wraps a snapshot.
    public init(_ snapshot: AccessMapSnapshot) { self.snapshot = snapshot }

    /// Loads a GDBM map into memory. See ``AccessMapSnapshot/init(path:)``.
    public init(path: String) throws(GDBMError) { snapshot = try AccessMapSnapshot(path: path) }

    public func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
        let value = nulMode.lookup(foldedKey) { (key) -> [UInt8]? in snapshot.withValue(forKey: key) { Array($0) } }
        guard let value else { return .notFound }
        return .found(value)
    }

    public func visitValue(
        foldedKey: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> AccessMapSourceStatus {
        let found = nulMode.lookup(foldedKey) { (key) -> Bool? in snapshot.withValue(forKey: key, body).map { true } }
        return found == nil ? .notFound : .found
    }
}
