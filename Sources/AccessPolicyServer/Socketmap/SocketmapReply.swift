/// An answer of the socket-map protocol, as sendmail (`socket` maps) and Postfix (`socketmap:` tables) read it.
public enum SocketmapReply: Hashable, Sendable, CustomStringConvertible {
    /// The key was found: `OK <value>`.
    case found(String)
    /// The key is not in the map: `NOTFOUND ` (with the trailing space both MTAs accept).
    case notFound
    /// A temporary failure: `TEMP <reason>`. sendmail turns it into its `-T` tempfail value (`<TMPF>` for
    /// access_db), Postfix into a deferral.
    case temporaryFailure(String)
    /// A permanent failure: `PERM <reason>` (for example an unknown map name).
    case permanentFailure(String)

    /// The reply text inside the netstring.
    public var description: String {
        switch self {
        case .found(let value): "OK \(value)"
        case .notFound: "NOTFOUND "
        case .temporaryFailure(let reason): "TEMP \(reason)"
        case .permanentFailure(let reason): "PERM \(reason)"
        }
    }

    /// The counter name for this kind of reply: `ok`, `notfound`, `temp`, `perm`.
    public var kind: String {
        switch self {
        case .found: "ok"
        case .notFound: "notfound"
        case .temporaryFailure: "temp"
        case .permanentFailure: "perm"
        }
    }
}

/// One socket-map look-up: `<map name> <key>`.
public struct SocketmapRequest: Hashable, Sendable {
    /// The map name the MTA was configured with (`access` for sendmail's access_db).
    public var mapName: String
    /// The key, as sent (sendmail lower-cases it unless the map has `-f`).
    public var key: String

    /// Creates a request.
    public init(mapName: String, key: String) {
        self.mapName = mapName
        self.key = key
    }

    /// Parses a netstring payload: the map name, one space, the key (which may contain spaces).
    ///
    /// - Returns: `nil` when the payload has no space or an empty map name.
    init?(payload: [UInt8]) {
        guard let space = payload.firstIndex(of: UInt8(ascii: " ")), space > 0 else { return nil }
        mapName = String(decoding: payload[..<space], as: UTF8.self)
        key = String(decoding: payload[(space + 1)...], as: UTF8.self)
    }
}
