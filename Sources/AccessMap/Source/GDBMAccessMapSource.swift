public import GDBMStore

/// An access map in a GDBM file, read through a `GDBMReaderPool`.
///
/// Each key is tried as is and then with a trailing NUL (maps built with makemap's `-N`), as sendmail does for a
/// map declared without `-N`/`-O`; a trailing NUL is removed from values. A read error is reported as
/// ``AccessMapSourceResult/temporaryFailure``.
public struct GDBMAccessMapSource: AccessMapSource {
    /// The reader pool the look-ups go through.
    public let pool: GDBMReaderPool

    /// Wraps an open reader pool.
    public init(pool: GDBMReaderPool) { self.pool = pool }

    /// Opens a GDBM map file.
    ///
    /// - Parameters:
    ///   - path: The `.db` file.
    ///   - handleCount: Read handles kept open (about the number of concurrent readers).
    /// - Throws: `GDBMError` when the file cannot be opened.
    public init(path: String, handleCount: Int = 4) throws(GDBMError) {
        self.pool = try GDBMReaderPool(path: path, handleCount: handleCount)
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
        do {
            if let value = try pool.withValue(forKey: foldedKey, { Self.stripNUL($0) })?.get() {
                return .found(value)
            }
            var withNUL = [UInt8](foldedKey)
            withNUL.append(0)
            let second = try withNUL.withUnsafeBytes { (key) throws(GDBMError) in
                try pool.withValue(forKey: key, { Self.stripNUL($0) })?.get()
            }
            if let second { return .found(second) }
            return .notFound
        } catch {
            return .temporaryFailure
        }
    }

    private static func stripNUL(_ value: UnsafeRawBufferPointer) -> [UInt8] {
        var bytes = [UInt8](value)
        if bytes.last == 0 { bytes.removeLast() }
        return bytes
    }
}
