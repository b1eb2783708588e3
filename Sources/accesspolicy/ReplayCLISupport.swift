import PolicyReplay
import RecordedSessions

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Output plumbing shared by `replay`, `diff` and `test` (no policy logic here).
enum ReplayCLI {
    /// Writes text to standard error.
    static func standardError(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Standard error is a terminal (progress lines are drawn only then).
    static var progressWanted: Bool { isatty(2) == 1 }

    /// Opens each log (`-` = standard input) and calls `body` with a reader; closes it afterwards.
    static func withLogs(_ paths: [String], _ body: (String, LogLineReader) throws -> Void) throws {
        for path in paths {
            if path == "-" {
                try body(path, LogLineReader(fileDescriptor: 0))
                continue
            }
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw CLIError("\(path): cannot open the log: \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            try body(path, LogLineReader(fileDescriptor: fd))
        }
    }

    /// A progress line (`\r`, no newline) for a terminal.
    static func progress(_ name: String, _ statistics: ParseStatistics, sessions: Int) {
        let megabytes = Double(statistics.bytesRead) / 1_048_576
        let text = "\r\(name): \(statistics.linesRead) lines, \(Int(megabytes)) MB, \(sessions) sessions"
        standardError(text)
    }

    /// Clears the progress line.
    static func endProgress() { standardError("\r\u{1B}[K") }
}

/// An error the CLI reports as is.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
