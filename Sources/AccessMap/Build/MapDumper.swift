import GDBMStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Lists a map's records as text, as `makemap -u` does: `key<TAB>value` per line (or the `-t` separator), in
/// the database's hash order.
///
/// A trailing NUL (maps built with `-N`) is not printed, whether or not `-N` is given, as makemap does.
public enum MapDumper {
    /// Calls `record` with every key and value of the database at `path`, without trailing NUL bytes.
    ///
    /// - Throws: ``MapBuildError/missingDatabase(path:)`` when the file does not exist,
    ///   ``MapBuildError/cannotOpen(_:)`` when it is not a GDBM file, ``MapBuildError/write(_:)`` when the
    ///   walk fails.
    public static func forEachRecord(
        inDatabaseAt path: String,
        _ record: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void
    ) throws(MapBuildError) {
        var info = stat()
        if stat(path, &info) != 0 && errno == ENOENT { throw .missingDatabase(path: path) }
        let database: GDBMDatabase
        do {
            database = try GDBMDatabase(path: path, mode: .readOnly, lock: false)
        } catch {
            throw .cannotOpen(error)
        }
        do {
            // swift-format-ignore: ReplaceForEachWithForLoop
            // (GDBMDatabase.forEach is a database walk, not Sequence.forEach.)
            try database.forEach { key, value in record(withoutTrailingNUL(key), withoutTrailingNUL(value)) }
        } catch let error as GDBMError {
            throw .write(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Writes every record as `key<separator>value<LF>` through `write`, in 64 KiB pieces.
    public static func dump(
        databaseAt path: String,
        separator: UInt8 = 0x09,
        write: (UnsafeRawBufferPointer) -> Void
    ) throws(MapBuildError) {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16 + 2048)
        try forEachRecord(inDatabaseAt: path) { key, value in
            buffer.append(contentsOf: key)
            buffer.append(separator)
            buffer.append(contentsOf: value)
            buffer.append(0x0A)
            if buffer.count >= 1 << 16 {
                buffer.withUnsafeBytes(write)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { buffer.withUnsafeBytes(write) }
    }

    static func withoutTrailingNUL(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if let last = bytes.last, last == 0 { return UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }
        return bytes
    }
}
