public import AccessMap
import Logging

/// The socket-map protocol: netstring requests `<map> <key>`, netstring replies `OK …`/`NOTFOUND `/`TEMP …`/
/// `PERM …`, any number per connection.
///
/// A request for a map name not in ``tables`` gets `PERM unknown map <name>`; a payload without a space gets
/// `PERM malformed request`; both keep the connection. Framing errors (bad netstrings) get a `PERM` reply and
/// close it, since the stream can no longer be trusted to be in step.
public struct SocketmapService: RequestService {
    /// The tables by map name (compared case-insensitively).
    public let tables: [String: any SocketmapTable]

    /// Creates the service; map names are lower-cased for matching.
    public init(tables: [String: any SocketmapTable]) {
        self.tables = Dictionary(tables.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
    }

    var protocolName: String { "socketmap" }

    func makeFramer(limits: ServerLimits) -> NetstringFramer {
        NetstringFramer(maximumPayloadBytes: limits.maximumRequestBytes)
    }

    /// Answers one request payload.
    public func reply(to payload: [UInt8]) -> (SocketmapReply, SocketmapRequest?) {
        guard let request = SocketmapRequest(payload: payload) else {
            return (.permanentFailure("malformed request: expected '<map> <key>'"), nil)
        }
        guard let table = tables[request.mapName.lowercased()] else {
            return (.permanentFailure("unknown map \(request.mapName)"), request)
        }
        return (table.lookup(request.key), request)
    }

    func answer(_ frame: [UInt8]) -> ServiceAnswer {
        let (reply, request) = reply(to: frame)
        return ServiceAnswer(
            bytes: NetstringFramer.encode(Array(reply.description.utf8)),
            kind: reply.kind,
            metadata: [
                "map": "\(request?.mapName ?? "")", "key": "\(request?.key ?? "")", "reply": "\(reply)",
            ]
        )
    }

    func framingErrorReply(_ error: FramingError) -> [UInt8] {
        NetstringFramer.encode(Array("PERM \(error)".utf8))
    }
}

extension SocketmapService {
    /// The tables `accesspolicy serve` offers: `exactMapName` (default `access`) for sendmail's exact
    /// look-ups, `search` (key `Tag:value`, raw right-hand side), and `connect`, `from`, `to` (Postfix
    /// check_*_access keys, Postfix actions), all on the same reloading map.
    public static func standard(
        source: any AccessMapSource,
        exactMapName: String = "access",
        foldCase: Bool = true,
        options: AccessLookupOptions = []
    ) -> SocketmapService {
        SocketmapService(tables: [
            exactMapName: ExactAccessTable(source: source, foldCase: foldCase),
            "search": SearchOrderTable(source: source, options: options, flavour: .raw),
            "connect": SearchOrderTable(source: source, options: options, flavour: .postfixAccess(.connect)),
            "from": SearchOrderTable(source: source, options: options, flavour: .postfixAccess(.from)),
            "to": SearchOrderTable(source: source, options: options, flavour: .postfixAccess(.to)),
        ])
    }
}
