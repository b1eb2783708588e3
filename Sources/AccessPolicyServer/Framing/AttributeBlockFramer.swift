import NIOCore

/// Postfix policy-delegation requests: `name=value` lines ended by `\n`, one empty line ending the request.
///
/// A `\r` before `\n` is dropped (for people typing into `nc -C`). Attribute names are kept as sent; a repeated
/// name keeps its last value, as Postfix's own attribute reader does. A request that grows past
/// ``maximumRequestBytes`` or ``maximumAttributes`` fails as soon as that is seen.
struct AttributeBlockFramer: RequestFramer {
    let maximumRequestBytes: Int
    let maximumAttributes: Int

    /// Where scanning stopped in the current, incomplete request (so bytes are not scanned twice).
    private var scanned = 0

    init(maximumRequestBytes: Int, maximumAttributes: Int) {
        self.maximumRequestBytes = maximumRequestBytes
        self.maximumAttributes = maximumAttributes
    }

    mutating func nextFrame(from buffer: inout ByteBuffer) throws(FramingError) -> [(name: String, value: String)]? {
        let view = buffer.readableBytesView
        // Find the end of the request: "\n\n" (or a request that is only "\n").
        var end: Int?
        var position = scanned
        let count = view.count
        while position < count {
            let byte = view[view.startIndex + position]
            if byte == UInt8(ascii: "\n") {
                // An empty line: "\n" at the very start, or "\n" (optionally "\r\n") right after another "\n".
                if position == 0 || view[view.startIndex + position - 1] == UInt8(ascii: "\n")
                    || (position >= 2 && view[view.startIndex + position - 1] == UInt8(ascii: "\r")
                        && view[view.startIndex + position - 2] == UInt8(ascii: "\n"))
                    || (position == 1 && view[view.startIndex] == UInt8(ascii: "\r"))
                {
                    end = position
                    break
                }
            }
            position += 1
            if position > maximumRequestBytes {
                throw FramingError(.tooLarge(limit: maximumRequestBytes), offset: position)
            }
        }
        guard let end else {
            scanned = count
            return nil
        }
        scanned = 0
        let bytes = buffer.readBytes(length: end + 1) ?? []
        var attributes: [(name: String, value: String)] = []
        var lineStart = 0
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            var line = bytes[lineStart..<offset]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            defer { lineStart = offset + 1 }
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else {
                throw FramingError(.lineWithoutEquals, offset: lineStart)
            }
            guard attributes.count < maximumAttributes else {
                throw FramingError(.tooManyAttributes(limit: maximumAttributes), offset: lineStart)
            }
            attributes.append(
                (
                    name: String(decoding: line[line.startIndex..<equals], as: UTF8.self),
                    value: String(decoding: line[(equals + 1)...], as: UTF8.self)
                )
            )
        }
        return attributes
    }
}
