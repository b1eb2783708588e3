import GDBMStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact look-ups in a built map, as sendmail's access map does them: the key is folded to ASCII lower case
/// (unless told not to), and tried first as is, then with a trailing NUL (maps built with `-N`).
///
/// This is one key, one answer: no search order, no parent domains (those are the policy engine's job).
public struct MapQuery: ~Copyable {
    private let database: GDBMDatabase
    /// Fold query keys to ASCII lower case (sendmail's access map does; maps built with `-f` may hold upper case).
    public var foldKeys: Bool

    /// Opens the map read-only.
    ///
    /// - Throws: ``MapBuildError/missingDatabase(path:)`` or ``MapBuildError/cannotOpen(_:)``.
    public init(databaseAt path: String, foldKeys: Bool = true) throws(MapBuildError) {
        var info = stat()
        if stat(path, &info) != 0 && errno == ENOENT { throw .missingDatabase(path: path) }
        do {
            database = try GDBMDatabase(path: path, mode: .readOnly, lock: false)
        } catch {
            throw .cannotOpen(error)
        }
        self.foldKeys = foldKeys
    }

    /// The value stored for `key` (without a trailing NUL), or `nil`.
    ///
    /// - Throws: ``MapBuildError/write(_:)`` when the read fails.
    public func value(forKey key: some Sequence<UInt8>) throws(MapBuildError) -> [UInt8]? {
        var bytes = Array(key)
        if foldKeys { AccessMapKey.foldASCII(&bytes) }
        do {
            if let value = try database.fetch(bytes) { return value }
            bytes.append(0)
            if var value = try database.fetch(bytes) {
                if value.last == 0 { value.removeLast() }
                return value
            }
            return nil
        } catch {
            throw .write(error)
        }
    }

    /// The value stored for a UTF-8 key. See ``value(forKey:)``.
    public func value(forKey key: String) throws(MapBuildError) -> [UInt8]? {
        try value(forKey: Array(key.utf8))
    }
}
