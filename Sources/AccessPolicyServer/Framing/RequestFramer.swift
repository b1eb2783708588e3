import NIOCore

/// Cuts complete requests out of the bytes a client has sent so far.
///
/// A framer never holds bytes of its own: it reads from the connection's buffer and moves the reader index only
/// past a complete request. It reports a malformed or oversized request as soon as the bytes show it, so that a
/// client cannot make the server buffer more than ``maximumRequestBytes`` for one request.
protocol RequestFramer {
    /// One complete request, as the protocol's parser sees it.
    associatedtype Frame

    /// The largest number of bytes one request may take on the wire, framing included.
    var maximumRequestBytes: Int { get }

    /// Takes the next complete request out of `buffer`.
    ///
    /// - Returns: the request, or `nil` when `buffer` holds only the beginning of one (nothing is consumed then).
    /// - Throws: ``FramingError`` when the bytes cannot be the start of a valid request.
    mutating func nextFrame(from buffer: inout ByteBuffer) throws(FramingError) -> Frame?
}

/// Why a client's bytes cannot be a request of the protocol; the connection is closed after the reply.
public struct FramingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Hashable, Sendable {
        /// A netstring length contains something other than decimal digits before its `:`.
        case nonDigitLength
        /// A netstring length is empty (`:` first).
        case emptyLength
        /// A netstring length has a leading zero (`007:`), which netstrings forbid.
        case leadingZero
        /// A request announces or reaches more bytes than the server accepts.
        case tooLarge(limit: Int)
        /// The byte after a netstring's payload is not `,`.
        case missingComma
        /// A Postfix policy line has no `=`.
        case lineWithoutEquals
        /// A Postfix policy request has more attributes than the server accepts.
        case tooManyAttributes(limit: Int)
    }

    /// What is wrong.
    public var reason: Reason
    /// Byte offset, from the start of the request, where the problem was seen.
    public var offset: Int

    /// Creates an error.
    public init(_ reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// A one-line explanation, safe to send to the client.
    public var description: String {
        switch reason {
        case .nonDigitLength: "netstring length contains a non-digit at byte \(offset)"
        case .emptyLength: "netstring length is empty"
        case .leadingZero: "netstring length has a leading zero"
        case .tooLarge(let limit): "request larger than \(limit) bytes"
        case .missingComma: "netstring does not end with ',' at byte \(offset)"
        case .lineWithoutEquals: "attribute line without '=' at byte \(offset)"
        case .tooManyAttributes(let limit): "more than \(limit) attributes"
        }
    }
}
