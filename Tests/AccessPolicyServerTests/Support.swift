import AccessMap
import Foundation
import GDBMStore
import Logging
import NIOCore
import Synchronization
import Testing

@testable import AccessPolicyServer

#if canImport(Glibc)
import Glibc
#endif

/// A per-test temporary directory with a GDBM access map built from key/value pairs.
final class TemporaryMap {
    let directory: URL
    var path: String { directory.appendingPathComponent("access.db").path }

    init(_ entries: [String: String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("aps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try write(entries, to: path)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Writes a new database to a temporary name and renames it over `path` (the way makemap replaces maps).
    func replace(with entries: [String: String]) throws {
        let staging = directory.appendingPathComponent("access.db.new-\(UUID().uuidString)").path
        try write(entries, to: staging)
        guard rename(staging, path) == 0 else { throw POSIXError(.EIO) }
    }

    /// The map as the server serves it: required to exist, checked for replacement only through the server.
    func source(handleCount: Int = 2) throws -> AutoReloadingAccessMapSource {
        try AutoReloadingAccessMapSource(
            existingFileAt: path,
            storage: .gdbm(handleCount: handleCount),
            checkInterval: nil
        )
    }

    private func write(_ entries: [String: String], to file: String) throws {
        let db = try GDBMDatabase(path: file, mode: .truncate)
        for (key, value) in entries {
            _ = try db.store(Array(value.utf8), forKey: Array(key.utf8), replace: true)
        }
        try db.close()
    }
}

/// A logger that drops everything (tests assert on replies and counters, not on log text).
let quietLogger: Logger = {
    var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

/// A log handler that keeps every message with its level, for tests that check what is logged.
final class RecordingLogHandlerStore: Sendable {
    private let lines = Mutex<[(Logger.Level, String)]>([])

    var logger: Logger {
        let store = self
        var logger = Logger(label: "test.recording", factory: { _ in RecordingLogHandler(store: store) })
        logger.logLevel = .trace
        return logger
    }

    func append(_ level: Logger.Level, _ text: String) { lines.withLock { $0.append((level, text)) } }

    func contains(level: Logger.Level, _ fragment: String) -> Bool {
        lines.withLock { $0.contains { $0.0 == level && $0.1.contains(fragment) } }
    }
}

struct RecordingLogHandler: LogHandler {
    let store: RecordingLogHandlerStore
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        store.append(event.level, ([event.message.description] + fields).joined(separator: " "))
    }
}

/// Starts a server with a socket-map listener (and a policy listener when `policy` is given) on ephemeral ports.
func startServer(
    map: TemporaryMap,
    limits: ServerLimits = ServerLimits(),
    policy: PolicyService? = nil,
    reloadCheckInterval: TimeAmount? = nil,
    logger: Logger = quietLogger
) async throws -> (AccessPolicyServer, AutoReloadingAccessMapSource) {
    let source = try map.source()
    let socketmap = SocketmapService(tables: ["access": ExactAccessTable(source: source)])
    let server = try await AccessPolicyServer.start(
        configuration: .init(
            socketmapAddress: .tcp(host: "127.0.0.1", port: 0),
            policyAddress: policy == nil ? nil : .tcp(host: "127.0.0.1", port: 0),
            statsAddress: .tcp(host: "127.0.0.1", port: 0),
            limits: limits,
            reloadCheckInterval: reloadCheckInterval,
            threadCount: 2
        ),
        socketmap: socketmap,
        policy: policy,
        mapSource: source,
        logger: logger
    )
    return (server, source)
}

extension AccessPolicyServer {
    func port(_ listener: String) -> Int { boundAddresses[listener]!.port! }
}

/// A blocking loopback TCP client with receive timeouts, for talking raw bytes to the servers.
final class RawClient {
    private let fd: Int32
    /// Bytes received but not yet consumed by ``netstring(timeout:)`` / ``policyReply(timeout:)``.
    private var pending: [UInt8] = []

    /// `receiveBufferBytes` pins the socket's receive buffer (turning off the kernel's autotuning, which can grow
    /// it to tens of megabytes) so that tests about backpressure do not depend on the host's `tcp_rmem`.
    init(port: Int, receiveBufferBytes: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads until `complete` says the bytes so far are enough, the peer closes, or `timeout` passes.
    /// Returns the bytes and whether the peer closed the connection.
    func receive(
        timeout: Double = 5,
        until complete: ([UInt8]) -> Bool = { _ in false }
    ) -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            if !out.isEmpty, complete(out) { return (out, false) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&pfd, 1, min(remaining, 100)) > 0 else { continue }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (out, true) }
            out.append(contentsOf: chunk[0..<n])
        }
        return (out, false)
    }

    /// Reads one netstring reply and returns its payload as text (`nil` when the connection closed first).
    /// Bytes after it (pipelined replies) are kept for the next call.
    func netstring(timeout: Double = 5) -> String? {
        func complete(_ bytes: [UInt8]) -> Int? {
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
                let length = Int(String(decoding: bytes[..<colon], as: UTF8.self)),
                bytes.count >= colon + 1 + length + 1
            else { return nil }
            return colon
        }
        if complete(pending) == nil {
            let (bytes, _) = receive(timeout: timeout) { complete(self.pending + $0) != nil }
            pending += bytes
        }
        guard let colon = complete(pending),
            let length = Int(String(decoding: pending[..<colon], as: UTF8.self))
        else { return nil }
        let text = String(decoding: pending[(colon + 1)..<(colon + 1 + length)], as: UTF8.self)
        pending.removeFirst(colon + 1 + length + 1)
        return text
    }

    /// Sends one socket-map request and reads the reply.
    func lookup(_ map: String, _ key: String) -> String? {
        send(AccessPolicyServerTests.netstring("\(map) \(key)"))
        return netstring()
    }

    /// Reads one policy reply (up to and including the empty line); later bytes are kept for the next call.
    func policyReply(timeout: Double = 5) -> String? {
        func end(_ bytes: [UInt8]) -> Int? {
            var index = 1
            while index < bytes.count {
                if bytes[index] == 10, bytes[index - 1] == 10 { return index + 1 }
                index += 1
            }
            return nil
        }
        if end(pending) == nil {
            let (bytes, _) = receive(timeout: timeout) { end(self.pending + $0) != nil }
            pending += bytes
        }
        guard let stop = end(pending) else { return nil }
        let text = String(decoding: pending[..<stop], as: UTF8.self)
        pending.removeFirst(stop)
        return text
    }

    /// Whether the server closes the connection within `timeout` seconds.
    func closedByPeer(within timeout: Double) -> Bool { receive(timeout: timeout).closed }
}

func netstring(_ text: String) -> String { "\(text.utf8.count):\(text)," }
