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
