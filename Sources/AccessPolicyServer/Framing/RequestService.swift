import Logging

/// What a listener does with the requests its framer cuts out: the protocol-specific half of a connection.
protocol RequestService: Sendable {
    associatedtype Framer: RequestFramer where Framer.Frame: Sendable

    /// `socketmap` or `policy`: the counter and log name.
    var protocolName: String { get }

    /// A framer for one new connection.
    func makeFramer(limits: ServerLimits) -> Framer

    /// Answers one request. Blocking (map look-ups): the handler calls it on the server's thread pool.
    func answer(_ frame: Framer.Frame) -> ServiceAnswer

    /// The bytes sent before closing a connection whose input is not a valid request.
    func framingErrorReply(_ error: FramingError) -> [UInt8]
}

/// One answer, ready for the wire, with what the decision log line and the counters need.
struct ServiceAnswer: Sendable {
    /// The reply bytes, framing included.
    var bytes: [UInt8]
    /// Decision kind for the counters (`ok`, `notfound`, `reject`, …).
    var kind: String
    /// Fields of the one log line written for this decision.
    var metadata: Logger.Metadata
}
