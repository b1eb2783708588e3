public import AccessMap

/// One map name a socket-map server answers for.
///
/// Implementations are called on the server's thread pool and may block (GDBM reads).
public protocol SocketmapTable: Sendable {
    /// Answers a look-up of `key` (as the MTA sent it).
    func lookup(_ key: String) -> SocketmapReply
}

/// Exact look-ups in the access map, as sendmail's `socket` map class expects: sendmail's own rulesets do the
/// search order (tags, domain and IP-prefix walks) and ask one key at a time.
///
/// Keys are lower-cased before the look-up when ``foldCase`` is set (the default, matching `makemap` without
/// `-f`, whose keys are all lower case; sendmail already lower-cases keys of maps without `-f`).
public struct ExactAccessTable: SocketmapTable {
    /// The map (usually an ``AccessMap/AutoReloadingAccessMapSource``, so each look-up reads the version in
    /// service).
    public let source: any AccessMapSource
    /// Whether keys are lower-cased before the look-up.
    public let foldCase: Bool

    /// Creates the table.
    public init(source: any AccessMapSource, foldCase: Bool = true) {
        self.source = source
        self.foldCase = foldCase
    }

    public func lookup(_ key: String) -> SocketmapReply {
        let bytes = Array((foldCase ? key.lowercased() : key).utf8)
        let answer = bytes.withUnsafeBytes { source.lookup(foldedKey: $0) }
        switch answer {
        case .found(let value): return .found(String(decoding: value, as: UTF8.self))
        case .notFound: return .notFound
        case .temporaryFailure: return .temporaryFailure("access map read failed")
        }
    }
}
