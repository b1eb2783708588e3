public import GDBMStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit statuses from `<sysexits.h>`, as makemap uses them.
public enum SysExit: Int32, Hashable, Sendable {
    /// `EX_OK`: every line stored.
    case ok = 0
    /// `EX_USAGE`: bad option or argument count.
    case usage = 64
    /// `EX_DATAERR`: at least one input line was rejected.
    case dataError = 65
    /// `EX_NOINPUT`: an input file could not be opened.
    case noInput = 66
    /// `EX_CANTCREAT`: the database cannot be created or opened.
    case cannotCreate = 73
    /// `EX_IOERR`: reading the input, or writing, syncing or renaming the database failed.
    case ioError = 74
}

/// Why a map build (or dump) failed as a whole. Rejected lines are not errors of this kind: they are reported
/// as ``MapBuildDiagnostic``s and the build goes on.
///
/// Whatever the error, the previous database file is left as it was and the temporary file is removed.
public enum MapBuildError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The database file does not exist (needed by append and dump).
    case missingDatabase(path: String)
    /// The database path is a symbolic link and links were not allowed (makemap `-s` allows them).
    case symbolicLink(path: String)
    /// A file could not be created or opened; `systemErrno` says why.
    case cannotCreate(path: String, systemErrno: Int32)
    /// libgdbm refused to open the file (not a GDBM file, locked, …).
    case cannotOpen(GDBMError)
    /// Writing, syncing or closing the database failed.
    case write(GDBMError)
    /// A system call on the database file failed (copy, fsync, rename).
    case fileSystem(operation: String, path: String, systemErrno: Int32)
    /// Reading the input failed.
    case read(AccessMapReadError)
    /// The build was cancelled through ``MapBuildCancellation`` (for example on SIGINT).
    case cancelled

    /// The exit status makemap uses for this failure: 73 for files that cannot be created or opened, 74 for
    /// I/O errors, 75 (`EX_TEMPFAIL`) for a cancelled build.
    public var exitStatus: Int32 {
        switch self {
        case .missingDatabase, .symbolicLink, .cannotCreate, .cannotOpen: return SysExit.cannotCreate.rawValue
        case .write, .fileSystem, .read: return SysExit.ioError.rawValue
        case .cancelled: return 75
        }
    }

    public var description: String {
        switch self {
        case .missingDatabase(let path):
            return "\(path): no such database (-o and -u need an existing map)"
        case .symbolicLink(let path):
            return "\(path): is a symbolic link; refusing to replace it (-s allows it)"
        case .cannotCreate(let path, let code):
            return "\(path): cannot create: \(String(cString: strerror(code)))"
        case .cannotOpen(let error):
            return "cannot open database: \(error)"
        case .write(let error):
            return "cannot write database: \(error)"
        case .fileSystem(let operation, let path, let code):
            return "\(operation) \(path): \(String(cString: strerror(code)))"
        case .read(let error):
            return "input: \(error)"
        case .cancelled:
            return "build cancelled; the previous database is unchanged"
        }
    }
}
