public import NIOCore

/// Bounds that keep one client, or many, from taking the server down.
///
/// Every limit applies per server (connections) or per connection (the rest). The defaults suit an MTA on the
/// same host: sendmail keeps one socket-map connection per SMTP session process, Postfix one per smtpd process.
public struct ServerLimits: Hashable, Sendable {
    /// Connections open at once, over all listeners; a connection beyond it is closed at once (and counted).
    public var maximumConnections: Int
    /// The largest request, framing included: a socket-map netstring payload, or a whole policy request.
    public var maximumRequestBytes: Int
    /// The most attributes in one policy request.
    public var maximumAttributes: Int
    /// A connection with no request in progress is closed after this long without a byte. sendmail keeps its
    /// socket-map connection for a whole SMTP session: keep this above its command timeouts.
    public var idleTimeout: TimeAmount
    /// A request must be complete this long after its first byte arrived, else the connection is closed
    /// (slow or stalled clients).
    public var requestTimeout: TimeAmount
    /// On shutdown, connections with a request in progress get this long to finish before they are closed.
    public var shutdownGracePeriod: TimeAmount

    /// Creates limits; every parameter has a default.
    public init(
        maximumConnections: Int = 512,
        maximumRequestBytes: Int = 64 * 1024,
        maximumAttributes: Int = 256,
        idleTimeout: TimeAmount = .seconds(300),
        requestTimeout: TimeAmount = .seconds(10),
        shutdownGracePeriod: TimeAmount = .seconds(10)
    ) {
        self.maximumConnections = maximumConnections
        self.maximumRequestBytes = maximumRequestBytes
        self.maximumAttributes = maximumAttributes
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
