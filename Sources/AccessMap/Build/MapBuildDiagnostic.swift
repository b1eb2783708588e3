/// An input line the builder did not store, with its line number.
public enum MapBuildDiagnostic: Hashable, Sendable, CustomStringConvertible {
    /// The line does not follow the grammar (see ``AccessMapSyntaxError``).
    case syntax(AccessMapSyntaxError)
    /// The key was already stored (by an earlier line, or in the map being appended to) and duplicates are
    /// rejected: the earlier value is kept. `key` is the key as stored (folded, NUL removed).
    case duplicateKey(key: [UInt8], line: Int)

    /// The 1-based line number.
    public var line: Int {
        switch self {
        case .syntax(let error): return error.line
        case .duplicateKey(_, let line): return line
        }
    }

    /// The reason in words, without position.
    public var message: String {
        switch self {
        case .syntax(let error): return error.message
        case .duplicateKey(let key, _):
            return "duplicate key \(AccessMapText.quoted(key)); the first value is kept (-r replaces, -d ignores)"
        }
    }

    /// `LINE: reason`; a caller that knows the file name writes `FILE:LINE: reason`.
    public var description: String { "\(line): \(message)" }
}

/// Where a build is, reported every 65,536 lines and records.
public enum MapBuildProgress: Hashable, Sendable {
    /// Reading and checking the text: lines read so far.
    case reading(lines: Int)
    /// Storing records in hash order: records done and the total.
    case storing(done: Int, total: Int)
    /// Flushing the new file to disk and putting it in place.
    case syncing
}

/// The outcome of a build that produced a database.
public struct MapBuildSummary: Hashable, Sendable {
    /// Physical lines read.
    public var lines: Int
    /// Entries accepted by the grammar.
    public var entries: Int
    /// Records written (new keys plus replaced values).
    public var stored: Int
    /// Later occurrences of a key that were dropped silently (``DuplicateKeyPolicy/keepFirst``) or replaced.
    public var duplicatesResolved: Int
    /// Lines rejected (syntax errors and rejected duplicates).
    public var rejected: Int
    /// The database file written.
    public var path: String

    /// `EX_OK` when every line was stored, else `EX_DATAERR` (65), as makemap.
    public var exitStatus: Int32 { rejected == 0 ? SysExit.ok.rawValue : SysExit.dataError.rawValue }
}
