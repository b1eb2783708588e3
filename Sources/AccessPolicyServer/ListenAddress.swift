/// Where a listener accepts connections.
///
/// Spelled like the MTAs spell the client side: `inet:PORT@HOST` (sendmail), `inet:HOST:PORT` (Postfix),
/// `HOST:PORT`, `[IPV6]:PORT`, or `unix:/path` / `local:/path` for a Unix-domain socket.
public enum ListenAddress: Hashable, Sendable, CustomStringConvertible {
    /// A TCP socket; port 0 picks a free port (see ``AccessPolicyServer/boundAddresses``).
    case tcp(host: String, port: Int)
    /// A Unix-domain socket at a path (a stale socket file there is removed).
    case unix(path: String)

    /// Parses one of the spellings above.
    ///
    /// - Throws: ``ListenAddressError`` with the text when it is none of them or the port is out of range.
    public init(parsing text: String) throws(ListenAddressError) {
        func port(_ s: Substring) throws(ListenAddressError) -> Int {
            guard let p = Int(s), (0...65535).contains(p) else { throw ListenAddressError(text: text) }
            return p
        }
        if text.hasPrefix("unix:") || text.hasPrefix("local:") {
            let path = text.drop(while: { $0 != ":" }).dropFirst()
            guard !path.isEmpty else { throw ListenAddressError(text: text) }
            self = .unix(path: String(path))
            return
        }
        var rest = Substring(text)
        if rest.hasPrefix("inet:") || rest.hasPrefix("inet6:") { rest = rest.drop(while: { $0 != ":" }).dropFirst() }
        if let at = rest.firstIndex(of: "@") {  // sendmail: PORT@HOST
            self = .tcp(host: String(rest[rest.index(after: at)...]), port: try port(rest[..<at]))
            return
        }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {  // [::1]:PORT
            let host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { throw ListenAddressError(text: text) }
            self = .tcp(host: String(host), port: try port(after.dropFirst()))
            return
        }
        guard let colon = rest.lastIndex(of: ":") else { throw ListenAddressError(text: text) }
        let host = rest[..<colon]
        guard !host.isEmpty else { throw ListenAddressError(text: text) }
        self = .tcp(host: String(host), port: try port(rest[rest.index(after: colon)...]))
    }

    /// `inet:HOST:PORT` or `unix:PATH`.
    public var description: String {
        switch self {
        case .tcp(let host, let port): "inet:\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    /// Whether the address is on loopback (127.0.0.0/8, ::1, `localhost`) or a Unix socket.
    public var isLocal: Bool {
        switch self {
        case .unix: true
        case .tcp(let host, _): host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }
}

/// A listen address that cannot be parsed.
public struct ListenAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text as given.
    public var text: String
    /// Explains the accepted forms.
    public var description: String {
        "cannot parse listen address '\(text)': use inet:PORT@HOST, HOST:PORT, [IPV6]:PORT or unix:/path"
    }
}
