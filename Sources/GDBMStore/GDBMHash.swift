internal import CGDBM

/// libgdbm's key hash, which decides the bucket a key lands in.
///
/// GDBM files are extendible hash tables: a key's bucket is given by the top bits of this 31-bit hash (as many
/// bits as the directory is deep), and its slot inside the bucket by the hash modulo the bucket size. Storing
/// records in ascending hash order therefore fills the buckets one after the other, so each bucket is read,
/// filled, split and written while it is in libgdbm's cache — several times faster than storing them in
/// arbitrary order, where nearly every store touches a different bucket.
public enum GDBMHash {
    /// The hash libgdbm computes for `key`. Wraps `_gdbm_hash` (exported by libgdbm 1.23, not in `gdbm.h`).
    ///
    /// - Parameter key: The key bytes exactly as they will be stored.
    /// - Returns: A value in `0..<2³¹`; ascending values are ascending bucket order at every directory depth.
    public static func value(of key: UnsafeRawBufferPointer) -> UInt32 {
        guard let count = Int32(exactly: key.count) else {
            preconditionFailure("a GDBM key is shorter than 2 GiB")
        }
        return UInt32(cgdbm_hash(key.baseAddress, count))
    }

    /// The hash libgdbm computes for `key`. See ``value(of:)-(UnsafeRawBufferPointer)``.
    public static func value(of key: [UInt8]) -> UInt32 {
        key.withUnsafeBytes { value(of: $0) }
    }
}

extension GDBMHash {
    /// The same hash as ``value(of:)-(UnsafeRawBufferPointer)``, computed in Swift (about twice as fast: no
    /// call into libgdbm and no division per byte).
    ///
    /// libgdbm 1.23 starts from `0x238F13AF × length`, adds each byte — as a *signed* `char`, so bytes ≥ 0x80
    /// count as negative — shifted left by `(index × 5) mod 24`, keeping 31 bits, and finishes with one linear
    /// congruential step. A test checks this against `_gdbm_hash` on random keys. Should a future libgdbm hash
    /// differently, only the speed of an ordered build would suffer, never its result.
    @inlinable
    public static func computed(of key: UnsafeRawBufferPointer) -> UInt32 {
        var value = UInt32(truncatingIfNeeded: 0x238F_13AF &* key.count)
        var shift: UInt32 = 0
        for byte in key {
            let signed = UInt32(bitPattern: Int32(Int8(bitPattern: byte)))
            value = (value &+ (signed << shift)) & 0x7FFF_FFFF
            shift += 5
            if shift >= 24 { shift -= 24 }
        }
        return (1_103_515_243 &* value &+ 12345) & 0x7FFF_FFFF
    }
}
