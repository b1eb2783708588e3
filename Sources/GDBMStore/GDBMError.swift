internal import CGDBM

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The operation that failed, named after the libgdbm call it wraps.
public enum GDBMOperation: String, Hashable, Sendable {
    case open = "gdbm_open"
    case fetch = "gdbm_fetch"
    case store = "gdbm_store"
    case iterate = "gdbm_firstkey/gdbm_nextkey"
    case sync = "gdbm_sync"
    case close = "gdbm_close"
    case setOption = "gdbm_setopt"
    case count = "gdbm_count"
}

/// An error reported by libgdbm, with the file and the operation it happened in.
///
/// Every value carries the GDBM error code (`gdbm_error`), the system `errno` where GDBM recorded one,
/// the database path and the ``GDBMOperation``. ``description`` reads like
/// `gdbm_open /var/db/access.db: File open error (No such file or directory)`.
public struct GDBMError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The closed set of GDBM conditions callers commonly react to; everything else is ``Kind/library(code:)``.
    public enum Kind: Hashable, Sendable {
        /// `GDBM_FILE_OPEN_ERROR`: the file could not be opened (see ``GDBMError/systemErrno``).
        case fileOpen
        /// `GDBM_BAD_MAGIC_NUMBER`, `GDBM_BAD_HEADER`, … : the file is not a GDBM database or is corrupt.
        case notADatabase
        /// `GDBM_FILE_WRITE_ERROR`, `GDBM_FILE_SYNC_ERROR`, … : an I/O failure while writing.
        case write
        /// `GDBM_FILE_READ_ERROR`, `GDBM_FILE_SEEK_ERROR`, `GDBM_FILE_EOF`: an I/O failure while reading.
        case read
        /// `GDBM_CANNOT_REPLACE`: the key exists and the store asked not to replace it.
        case keyExists
        /// `GDBM_READER_CANT_STORE`: a store on a read-only handle.
        case readOnly
        /// `GDBM_CANT_BE_READER`, `GDBM_CANT_BE_WRITER`: the file is locked by another process.
        case locked
        /// `GDBM_MALLOC_ERROR`: libgdbm ran out of memory.
        case outOfMemory
        /// A datum longer than libgdbm can take (`Int32.max` bytes).
        case tooLarge
        /// Any other `gdbm_error` code.
        case library(code: Int32)
    }

    /// What went wrong.
    public var kind: Kind
    /// The raw `gdbm_error` code (0 when the error was raised by this wrapper).
    public var code: Int32
    /// The `errno` recorded with the error, or 0.
    public var systemErrno: Int32
    /// The database path.
    public var path: String
    /// The failing operation.
    public var operation: GDBMOperation

    /// Maps a GDBM error code (and the system errno recorded with it) to a ``GDBMError``.
    public init(code: Int32, systemErrno: Int32, path: String, operation: GDBMOperation) {
        self.code = code
        self.systemErrno = systemErrno
        self.path = path
        self.operation = operation
        switch code {
        case Int32(GDBM_FILE_OPEN_ERROR), Int32(GDBM_FILE_STAT_ERROR), Int32(GDBM_ERR_REALPATH): kind = .fileOpen
        case Int32(GDBM_BAD_MAGIC_NUMBER), Int32(GDBM_EMPTY_DATABASE), Int32(GDBM_BYTE_SWAPPED),
            Int32(GDBM_BAD_HEADER), Int32(GDBM_BAD_BUCKET), Int32(GDBM_BAD_AVAIL), Int32(GDBM_BAD_HASH_TABLE),
            Int32(GDBM_BAD_DIR_ENTRY), Int32(GDBM_BAD_FILE_OFFSET), Int32(GDBM_BAD_HASH_ENTRY),
            Int32(GDBM_NEED_RECOVERY), Int32(GDBM_BLOCK_SIZE_ERROR):
            kind = .notADatabase
        case Int32(GDBM_FILE_WRITE_ERROR), Int32(GDBM_FILE_SYNC_ERROR), Int32(GDBM_FILE_TRUNCATE_ERROR),
            Int32(GDBM_FILE_CLOSE_ERROR):
            kind = .write
        case Int32(GDBM_FILE_READ_ERROR), Int32(GDBM_FILE_SEEK_ERROR), Int32(GDBM_FILE_EOF): kind = .read
        case Int32(GDBM_CANNOT_REPLACE): kind = .keyExists
        case Int32(GDBM_READER_CANT_STORE), Int32(GDBM_READER_CANT_DELETE): kind = .readOnly
        case Int32(GDBM_CANT_BE_READER), Int32(GDBM_CANT_BE_WRITER): kind = .locked
        case Int32(GDBM_MALLOC_ERROR): kind = .outOfMemory
        default: kind = .library(code: code)
        }
    }

    init(kind: Kind, path: String, operation: GDBMOperation) {
        self.kind = kind
        self.code = 0
        self.systemErrno = 0
        self.path = path
        self.operation = operation
    }

    /// libgdbm's own text for ``code``.
    public var message: String {
        switch kind {
        case .tooLarge: return "datum too large"
        default: return String(cString: gdbm_strerror(code))
        }
    }

    public var description: String {
        var text = "\(operation.rawValue) \(path): \(message)"
        if systemErrno != 0 { text += " (\(String(cString: strerror(systemErrno))))" }
        return text
    }
}
