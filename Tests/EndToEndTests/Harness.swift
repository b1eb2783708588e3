import AccessMap
import AccessPolicyServer
import Foundation
import GDBMStore
import Logging
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Paths and tools the end-to-end tests use.
enum E2E {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let scripts = packageRoot.appendingPathComponent("scripts/e2e")

    static func which(_ name: String) -> String? {
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] {
            let path = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// sendmail (which must run as root here), its cf macros, swaks and openssl.
    static let sendmailAvailable: Bool =
        getuid() == 0 && which("sendmail") != nil && which("swaks") != nil && which("openssl") != nil
        && which("m4") != nil && FileManager.default.fileExists(atPath: "/usr/share/sendmail/cf/m4/cf.m4")

    /// Postfix unpacked by `scripts/setup.sh --mta`.
    static let postfixRoot = ProcessInfo.processInfo.environment["POSTFIX_ROOT"] ?? "/var/tmp/accesspolicy-postfix"
    static let postfixAvailable: Bool =
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: postfixRoot + "/usr/sbin/postfix")
        && which("swaks") != nil && which("openssl") != nil

    /// A fresh work directory whose every ancestor is not world-writable (sendmail refuses certificates and
    /// maps below /tmp or /var/tmp).
    static func makeWorkDirectory() throws -> URL {
        let base = URL(fileURLWithPath: "/var/lib/accesspolicy-e2e")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        chmod(base.path, 0o755)
        let dir = base.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        chmod(dir.path, 0o755)
        return dir
    }

    /// Runs a program, returns its exit status and combined output; killed after `timeout` seconds.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], timeout: Double = 60) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["RES_OPTIONS"] = "timeout:1 attempts:1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A TCP port free on 127.0.0.1 right now.
    /// Starts a real MTA with its harness script (`scripts/e2e/<script> start WORK SMTPPORT SERVICEPORT`), talking to
    /// `server` on `servicePort`; if the MTA does not start, shuts the server down and throws with the script's log.
    static func startMTA(
        script: String,
        work: URL,
        smtpPort: Int,
        servicePort: Int,
        server: AccessPolicyServer
    ) async throws {
        let (started, log) = try run(
            "/bin/bash",
            [scripts.appendingPathComponent(script).path, "start", work.path, String(smtpPort), String(servicePort)]
        )
        guard started == 0 else {
            await server.shutdown()
            throw FixtureError("\(script) did not start: \(log)")
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Builds a GDBM access map the way makemap does (keys lower-cased).
    static func buildMap(_ entries: [String: String], at path: String) throws {
        let db = try GDBMDatabase(path: path, mode: .truncate, permissions: 0o644)
        for (key, value) in entries {
            _ = try db.store(Array(value.utf8), forKey: Array(key.lowercased().utf8), replace: true)
        }
        try db.close()
    }

    /// Builds the map (``buildMap(_:at:)``) and opens it as `accesspolicy serve` does.
    static func servedMap(_ entries: [String: String], at path: String) throws -> AutoReloadingAccessMapSource {
        try buildMap(entries, at: path)
        return try AutoReloadingAccessMapSource(
            existingFileAt: path,
            storage: .gdbm(handleCount: 2),
            checkInterval: nil
        )
    }

    /// Silent, unless `E2E_DEBUG` is set: then every decision is logged to standard error.
    static let logger: Logger = {
        if ProcessInfo.processInfo.environment["E2E_DEBUG"] != nil {
            var logger = Logger(label: "e2e", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = .info
            return logger
        }
        var logger = Logger(label: "e2e", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()
}

/// One swaks session: the server replies it saw, in order (`<-`, `<~` and their error forms), as
/// `"250 2.1.0 <a@b>... Sender ok"` strings, plus the raw transcript for failure messages.
struct SwaksSession {
    var replies: [String]
    var transcript: String

    /// The last line of each reply (the one that carries the final code).
    var finalReplies: [String] {
        replies.filter { line in
            line.count >= 4 && line[line.index(line.startIndex, offsetBy: 3)] != "-"
        }
    }

    /// The final reply line that follows the client command starting with `command` (e.g. `MAIL`, `RCPT`).
    func reply(to command: String) -> String? {
        var sawCommand = false
        for line in transcript.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = String(line)
            if text.hasPrefix(" -> \(command)") || text.hasPrefix(" ~> \(command)") {
                sawCommand = true
                continue
            }
            if sawCommand, let reply = Self.replyText(text), reply.count >= 4,
                reply[reply.index(reply.startIndex, offsetBy: 3)] != "-"
            {
                return reply
            }
        }
        return nil
    }

    static func replyText(_ line: String) -> String? {
        for prefix in ["<-  ", "<~  ", "<** ", "<~* "] where line.hasPrefix(prefix) {
            return String(line.dropFirst(prefix.count))
        }
        return nil
    }

    /// Runs swaks against `port` from source address `source`.
    static func run(
        port: Int,
        source: String,
        from: String = "sender@sender.test",
        to: String = "rcpt@remote.example",
        tls: Bool = false,
        certificate: (cert: String, key: String)? = nil
    ) throws -> SwaksSession {
        var arguments = [
            "--server", "127.0.0.1", "--port", String(port), "--local-interface", source, "--from", from, "--to", to,
            "--quit-after", "RCPT", "--timeout", "20", "--helo", "client.test",
        ]
        if tls { arguments.append("--tls") }
        if let certificate { arguments += ["--tls-cert", certificate.cert, "--tls-key", certificate.key] }
        let (_, output) = try E2E.run(E2E.which("swaks")!, arguments, timeout: 60)
        let replies = output.split(separator: "\n").compactMap { replyText(String($0)) }
        return SwaksSession(replies: replies, transcript: output)
    }
}
