#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One physical line of a log, as bytes, before any decoding.
public struct RawLogLine: Hashable, Sendable {
    /// 1-based line number in the input.
    public var number: Int
    /// The line's bytes without the line feed, without a trailing carriage return, and cut at
    /// ``LogLineReader/maximumLineLength``.
    public var bytes: [UInt8]
    /// The line ended in CR LF.
    public var hadCarriageReturn: Bool
    /// The line was longer than the reader's limit and was cut.
    public var wasCut: Bool
    /// The input ended without a final line feed after this line (a truncated last line).
    public var lacksLineFeed: Bool
}

/// An error reading the input (not a parse problem: those are counted, never thrown).
public struct LogReadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `errno` of the failed `read(2)`.
    public var systemErrno: Int32
    public var description: String { "cannot read the log: errno \(systemErrno)" }
}

/// Reads a log line by line from a file descriptor or from bytes in memory, in bounded memory.
///
/// Lines are split on LF only; a CR before the LF is removed and reported. Lines are bytes: decoding is
/// lenient and happens later (``LogLineDecoder``), so invalid UTF-8, NUL bytes and binary garbage never stop
/// the reader. A line longer than ``maximumLineLength`` is cut (the rest is skipped up to the next LF), so a
/// file without line feeds cannot make memory grow. Memory use is one read buffer plus one line.
public struct LogLineReader {
    /// Longest line kept, in bytes; sendmail's own syslog lines are far shorter (about 1 KiB at most).
    public let maximumLineLength: Int
    private enum Source {
        case descriptor(Int32)
        case memory([UInt8])
    }
    private let source: Source
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    private var lineNumber = 0
    /// Bytes read so far (for progress reports).
    public private(set) var bytesRead = 0

    /// A reader over an open file descriptor (`0` for standard input). The descriptor is not closed.
    public init(
        fileDescriptor: Int32,
        maximumLineLength: Int = 16 * 1024,
        bufferSize: Int = 256 * 1024
    ) {
        precondition(maximumLineLength > 0 && bufferSize > 0)
        self.source = .descriptor(fileDescriptor)
        self.maximumLineLength = maximumLineLength
        self.buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    /// A reader over bytes in memory (tests, small inputs).
    public init(bytes: [UInt8], maximumLineLength: Int = 16 * 1024) {
        precondition(maximumLineLength > 0)
        self.source = .memory(bytes)
        self.maximumLineLength = maximumLineLength
        self.buffer = []
    }

    /// A reader over text in memory.
    public init(text: String, maximumLineLength: Int = 16 * 1024) {
        self.init(bytes: Array(text.utf8), maximumLineLength: maximumLineLength)
    }

    /// The next line, or `nil` at the end of the input.
    ///
    /// - Throws: ``LogReadError`` when `read(2)` fails (other than `EINTR`).
    public mutating func next() throws(LogReadError) -> RawLogLine? {
        if case .memory(let all) = source {
            return nextFromMemory(all)
        }
        var line: [UInt8] = []
        var cut = false
        while true {
            if start < end {
                // Look for LF in the buffered bytes.
                var index = start
                var found = -1
                while index < end {
                    if buffer[index] == 0x0A {
                        found = index
                        break
                    }
                    index += 1
                }
                let stop = found >= 0 ? found : end
                append(&line, &cut, buffer[start..<stop])
                start = found >= 0 ? found + 1 : end
                if found >= 0 {
                    return finish(line, cut: cut, lacksLineFeed: false)
                }
            }
            if atEOF {
                if line.isEmpty && !cut { return nil }
                return finish(line, cut: cut, lacksLineFeed: true)
            }
            try fill()
        }
    }

    private mutating func append(_ line: inout [UInt8], _ cut: inout Bool, _ bytes: ArraySlice<UInt8>) {
        let room = maximumLineLength - line.count
        if bytes.count <= room {
            line.append(contentsOf: bytes)
        } else {
            if room > 0 { line.append(contentsOf: bytes.prefix(room)) }
            cut = true
        }
    }

    private mutating func finish(_ line: [UInt8], cut: Bool, lacksLineFeed: Bool) -> RawLogLine {
        lineNumber += 1
        var bytes = line
        var cr = false
        if bytes.last == 0x0D {
            bytes.removeLast()
            cr = true
        }
        return RawLogLine(
            number: lineNumber,
            bytes: bytes,
            hadCarriageReturn: cr,
            wasCut: cut,
            lacksLineFeed: lacksLineFeed
        )
    }

    private mutating func fill() throws(LogReadError) {
        guard case .descriptor(let fd) = source else { return }
        start = 0
        end = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress, raw.count)
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw LogReadError(systemErrno: code)
            }
            if count == 0 { atEOF = true }
            end = count
            bytesRead += count
            return
        }
    }

    private mutating func nextFromMemory(_ all: [UInt8]) -> RawLogLine? {
        guard start < all.count else { return nil }
        var index = start
        while index < all.count && all[index] != 0x0A { index += 1 }
        var line: [UInt8] = []
        var cut = false
        append(&line, &cut, all[start..<index])
        let lacksLF = index == all.count
        start = lacksLF ? all.count : index + 1
        bytesRead = start
        return finish(line, cut: cut, lacksLineFeed: lacksLF)
    }
}

@available(*, unavailable, message: "a reader owns its buffer and position; use one per input")
extension LogLineReader: Sendable {}
