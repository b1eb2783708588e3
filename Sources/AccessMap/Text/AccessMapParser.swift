#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One key/value pair read from access-map text, with the line it came from.
public struct AccessMapEntry: Hashable, Sendable {
    /// The key as it is stored (folded unless the syntax says otherwise).
    public var key: [UInt8]
    /// The value, verbatim.
    public var value: [UInt8]
    /// The 1-based line number.
    public var line: Int

    /// Creates an entry.
    public init(key: [UInt8], value: [UInt8], line: Int) {
        self.key = key
        self.value = value
        self.line = line
    }
}

/// The input could not be read.
public struct AccessMapReadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `errno` of the failed `read(2)`.
    public var systemErrno: Int32

    /// Creates the error from an `errno` value.
    public init(systemErrno: Int32) { self.systemErrno = systemErrno }

    public var description: String { "read error: \(String(cString: strerror(systemErrno)))" }
}

/// Reads access-map text (the input of sendmail's `makemap`) as a stream of bytes.
///
/// The parser never holds more than one read buffer (1 MiB) of the input: lines are handed to the caller as they
/// are found, so a file of any size is read in constant memory. Lines end at a line feed; a carriage return just
/// before it is dropped (CRLF files, see below), and the last line needs no line feed.
///
/// Deliberate differences from makemap, which reads with `fgets` into a 1024-byte buffer:
/// - **CRLF**: the carriage return of a CRLF line end is removed; makemap keeps it as the last byte of the value.
/// - **Over-long lines**: a line longer than ``maximumLineLength`` bytes (makemap's own limit, not counting the
///   line end) is reported once and skipped as a whole; makemap reads the rest of such a line as a new line.
/// - **NUL bytes**: a line containing NUL is reported (``AccessMapSyntaxError/Reason/nulByte``); makemap cuts the
///   line at the NUL and reports it as too long.
/// - Bytes are never interpreted as text: invalid UTF-8 is stored as it is.
public struct AccessMapParser: Sendable {
    /// The longest line accepted, in bytes, without its line end: 1022, as in makemap (whose buffer holds 1024
    /// bytes including the line feed and the terminating NUL). A key is therefore at most 1020 bytes long (a
    /// separator and a value byte must follow), or 1022 bytes with empty values allowed.
    public static let maximumLineLength = 1022

    /// The line grammar.
    public var syntax: AccessMapSyntax

    /// Creates a parser for a grammar.
    public init(syntax: AccessMapSyntax = AccessMapSyntax()) {
        self.syntax = syntax
    }

    /// Reads `fileDescriptor` to its end and hands every entry and every rejected line to the callbacks, in
    /// line order.
    ///
    /// - Parameters:
    ///   - fileDescriptor: An open file descriptor, read with `read(2)` until end of file (not closed).
    ///   - entry: Called with the key (already folded when the syntax folds), the value and the line number. The
    ///     buffers are valid only during the call.
    ///   - rejected: Called with each line that cannot be stored.
    /// - Throws: ``AccessMapReadError`` when reading fails, or what a callback throws.
    public func parse(
        fileDescriptor: Int32,
        entry: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ line: Int) throws -> Void,
        rejected: (AccessMapSyntaxError) throws -> Void
    ) throws {
        let splitter = LineSplitter()
        defer { splitter.deallocate() }
        try splitter.run(
            read: { buffer in
                while true {
                    let n = read(fileDescriptor, buffer.baseAddress, buffer.count)
                    if n >= 0 { return n }
                    if errno != EINTR { throw AccessMapReadError(systemErrno: errno) }
                }
            },
            line: { line, number in try handle(line, number, entry: entry, rejected: rejected) },
            tooLong: { length, number in
                try rejected(
                    AccessMapSyntaxError(
                        reason: .lineTooLong(length: length),
                        line: number,
                        column: Self.maximumLineLength + 1
                    )
                )
            }
        )
    }

    /// Parses text held in memory. See ``parse(fileDescriptor:entry:rejected:)``.
    public func parse(
        _ text: [UInt8],
        entry: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ line: Int) throws -> Void,
        rejected: (AccessMapSyntaxError) throws -> Void
    ) throws {
        let splitter = LineSplitter()
        defer { splitter.deallocate() }
        var offset = 0
        try splitter.run(
            read: { buffer in
                let n = min(buffer.count, text.count - offset)
                text.withUnsafeBytes { source in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + n]))
                }
                offset += n
                return n
            },
            line: { line, number in try handle(line, number, entry: entry, rejected: rejected) },
            tooLong: { length, number in
                try rejected(
                    AccessMapSyntaxError(
                        reason: .lineTooLong(length: length),
                        line: number,
                        column: Self.maximumLineLength + 1
                    )
                )
            }
        )
    }

    /// All entries and all rejected lines of a text held in memory.
    public func entries(in text: [UInt8]) -> (entries: [AccessMapEntry], errors: [AccessMapSyntaxError]) {
        var entries: [AccessMapEntry] = []
        var errors: [AccessMapSyntaxError] = []
        do {
            try parse(
                text,
                entry: { key, value, line in
                    entries.append(AccessMapEntry(key: Array(key), value: Array(value), line: line))
                },
                rejected: { errors.append($0) }
            )
        } catch {
            preconditionFailure("parsing memory with non-throwing callbacks cannot fail: \(error)")
        }
        return (entries, errors)
    }

    private func handle(
        _ line: UnsafeMutableRawBufferPointer,
        _ number: Int,
        entry: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, Int) throws -> Void,
        rejected: (AccessMapSyntaxError) throws -> Void
    ) throws {
        let classified: AccessMapLine
        do {
            classified = try AccessMapLine.classify(UnsafeRawBufferPointer(line), syntax: syntax, line: number)
        } catch {
            try rejected(error)
            return
        }
        guard case .entry(let keyRange, let valueRange) = classified else { return }
        let key = UnsafeMutableRawBufferPointer(rebasing: line[keyRange])
        if syntax.foldKeys {
            for index in key.indices where key[index] &- 0x41 < 26 { key[index] |= 0x20 }
        }
        try entry(UnsafeRawBufferPointer(key), UnsafeRawBufferPointer(rebasing: line[valueRange]), number)
    }
}

/// Cuts a byte stream into lines, in a fixed buffer.
private struct LineSplitter {
    static let capacity = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LineSplitter.capacity, alignment: 16)

    func deallocate() { buffer.deallocate() }

    /// - Parameters:
    ///   - read: Fills the buffer it is given and returns the byte count, 0 at the end.
    ///   - line: A complete line without LF or CRLF, mutable (keys are folded in place), and its number.
    ///   - tooLong: A line longer than the limit (its length without line end) and its number.
    func run(
        read: (UnsafeMutableRawBufferPointer) throws -> Int,
        line: (UnsafeMutableRawBufferPointer, Int) throws -> Void,
        tooLong: (Int, Int) throws -> Void
    ) throws {
        let limit = AccessMapParser.maximumLineLength
        guard let base = buffer.baseAddress else { return }
        var filled = 0
        var start = 0
        var number = 1
        var skipping = 0  // > 0: inside an over-long line, that many bytes seen so far
        while true {
            let n = try read(UnsafeMutableRawBufferPointer(start: base + filled, count: buffer.count - filled))
            let atEnd = n == 0
            filled += n
            while start < filled {
                guard let hit = memchr(base + start, 0x0A, filled - start) else { break }
                let end = base.distance(to: UnsafeMutableRawPointer(hit))
                if skipping > 0 {
                    let length = skipping + (end - start)
                    try tooLong(length - (base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x0D ? 1 : 0), number)
                    skipping = 0
                } else {
                    try emit(base, start, end, number, limit, line, tooLong)
                }
                number += 1
                start = end + 1
            }
            if atEnd {
                if start < filled {
                    if skipping > 0 {
                        try tooLong(skipping + (filled - start), number)
                    } else {
                        try emit(base, start, filled, number, limit, line, tooLong)
                    }
                } else if skipping > 0 {
                    try tooLong(skipping, number)
                }
                return
            }
            // Keep the unfinished line: too long already → count and drop it; else move it to the front.
            let pending = filled - start
            if skipping > 0 || pending > limit + 1 {
                // Keep the last byte: it may be the CR of a CRLF.
                skipping += pending - 1
                base.storeBytes(of: base.load(fromByteOffset: filled - 1, as: UInt8.self), as: UInt8.self)
                filled = 1
            } else {
                if start > 0 { memmove(base, base + start, pending) }
                filled = pending
            }
            start = 0
        }
    }

    private func emit(
        _ base: UnsafeMutableRawPointer,
        _ start: Int,
        _ end: Int,
        _ number: Int,
        _ limit: Int,
        _ line: (UnsafeMutableRawBufferPointer, Int) throws -> Void,
        _ tooLong: (Int, Int) throws -> Void
    ) throws {
        var stop = end
        if stop > start && base.load(fromByteOffset: stop - 1, as: UInt8.self) == 0x0D { stop -= 1 }
        if stop - start > limit {
            try tooLong(stop - start, number)
        } else {
            try line(UnsafeMutableRawBufferPointer(start: base + start, count: stop - start), number)
        }
    }
}

/// The offset of the first NUL byte in `count` bytes at `base`, if any.
func memchrNUL(_ base: UnsafeRawPointer, _ count: Int) -> Int? {
    guard let hit = memchr(base, 0, count) else { return nil }
    return base.distance(to: UnsafeRawPointer(hit))
}
