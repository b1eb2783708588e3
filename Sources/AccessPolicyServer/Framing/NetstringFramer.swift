import NIOCore

/// Netstrings (`<length>:<bytes>,`) as sendmail's and Postfix's socket maps send them.
///
/// The length is decimal without leading zeros (`0:,` is the empty string). Anything else is a ``FramingError``,
/// reported as soon as it is seen: a length with more digits than ``maximumPayloadBytes`` allows fails before the
/// client sends its `:`, so a client cannot make the server wait for (or buffer) an oversized payload.
struct NetstringFramer: RequestFramer {
    /// The largest payload accepted.
    let maximumPayloadBytes: Int

    init(maximumPayloadBytes: Int) {
        precondition(maximumPayloadBytes >= 0, "a negative netstring limit")
        self.maximumPayloadBytes = maximumPayloadBytes
    }

    var maximumRequestBytes: Int { String(maximumPayloadBytes).utf8.count + 2 + maximumPayloadBytes }

    mutating func nextFrame(from buffer: inout ByteBuffer) throws(FramingError) -> [UInt8]? {
        let view = buffer.readableBytesView
        var length = 0
        var digits = 0
        var index = view.startIndex
        while true {
            guard index < view.endIndex else { return nil }  // length not complete yet
            let byte = view[index]
            if byte == UInt8(ascii: ":") { break }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw FramingError(.nonDigitLength, offset: digits)
            }
            if digits == 1, length == 0 { throw FramingError(.leadingZero, offset: 0) }
            length = length &* 10 &+ Int(byte - UInt8(ascii: "0"))
            digits += 1
            if length > maximumPayloadBytes || digits > 18 {
                throw FramingError(.tooLarge(limit: maximumPayloadBytes), offset: digits)
            }
            index = view.index(after: index)
        }
        guard digits > 0 else { throw FramingError(.emptyLength, offset: 0) }
        let payloadStart = digits + 1
        guard view.count >= payloadStart + length + 1 else { return nil }
        let commaIndex = view.index(view.startIndex, offsetBy: payloadStart + length)
        guard view[commaIndex] == UInt8(ascii: ",") else {
            throw FramingError(.missingComma, offset: payloadStart + length)
        }
        buffer.moveReaderIndex(forwardBy: payloadStart)
        let payload = buffer.readBytes(length: length) ?? []
        buffer.moveReaderIndex(forwardBy: 1)
        return payload
    }

    /// The netstring for `payload`.
    static func encode(_ payload: some Collection<UInt8>) -> [UInt8] {
        var out = Array(String(payload.count).utf8)
        out.reserveCapacity(out.count + payload.count + 2)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: payload)
        out.append(UInt8(ascii: ","))
        return out
    }
}
