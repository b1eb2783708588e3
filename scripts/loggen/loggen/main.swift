import LogGenerator
import RecordedSessions

// loggen — generate realistic mail logs, or parse one into sessions (a measuring driver).
//
//   loggen generate --sessions N [--seed S] [--garbage-every K] > mail.log
//   loggen parse FILE|-            (prints statistics; progress on stderr when it is a terminal)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { exit(3) }
        offset += n
    }
}

func err(_ text: String) { writeAll(2, Array(text.utf8)) }

func fail(_ message: String) -> Never {
    err("loggen: \(message)\n")
    exit(2)
}

func value(_ name: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "generate":
    let sessions = value("--sessions", in: arguments).flatMap { Int($0) } ?? 1000
    let seed = value("--seed", in: arguments).flatMap { UInt64($0) } ?? 1
    let garbage = value("--garbage-every", in: arguments).flatMap { Int($0) } ?? 400
    var generator = LogGenerator(
        options: .init(sessions: sessions, seed: seed, garbageEvery: garbage)
    )
    var buffer: [UInt8] = []
    buffer.reserveCapacity(1 << 16)
    generator.run { line in
        buffer.append(contentsOf: line)
        buffer.append(0x0A)
        if buffer.count > 60_000 {
            writeAll(1, buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }
    writeAll(1, buffer)
    err("generated \(generator.summary.lines) lines, \(generator.summary.garbageLines) garbage\n")
    for (kind, count) in generator.summary.sessionsByKind.sorted(by: { $0.key < $1.key }) {
        err("  \(kind): \(count)\n")
    }
case "parse":
    guard arguments.count >= 2 else { fail("parse needs a file or -") }
    let path = arguments[1]
    let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
    if fd < 0 { fail("cannot open \(path)") }
    let progress = isatty(2) != 0
    let start = now()
    var stream = RecordedSessionStream(reader: LogLineReader(fileDescriptor: fd))
    var byDirection: [String: Int] = [:]
    do {
        try stream.forEachSession(
            progress: progress
                ? { stats in
                    err("\r\(stats.linesRead) lines, \(stats.sessionsEmitted) sessions")
                } : nil
        ) { session in
            byDirection["\(session.source.rawValue) \(session.direction.rawValue)", default: 0] += 1
        }
    } catch {
        fail("\(error)")
    }
    if progress { err("\n") }
    let elapsed = now() - start
    let stats = stream.statistics
    print(stats)
    for (key, count) in byDirection.sorted(by: { $0.key < $1.key }) { print("  \(key): \(count)") }
    print(
        "elapsed: \(Int(elapsed * 1000)) ms, \(Int(Double(stats.linesRead) / max(elapsed, 1e-9))) lines/s"
    )
default:
    fail("usage: loggen generate --sessions N [--seed S] [--garbage-every K] | loggen parse FILE|-")
}
