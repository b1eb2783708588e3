// Load test for the socket-map and policy servers: loopback only, bounded in time and count, stops by itself.
//
//   swift run -c release accesspolicy-loadtest [--clients 64] [--seconds 10] [--entries 20000] [--protocol socketmap|policy]
//
// Builds a GDBM map in a temporary directory, starts the server in-process on an ephemeral 127.0.0.1 port,
// runs N concurrent clients (one blocking socket and thread each) sending look-ups back to back for the given
// time (each client also stops after 2,000,000 requests), checks every reply, then does the same look-ups
// in-process (no sockets) for comparison. Prints throughput and latency percentiles; exits 1 on any error.
import AccessMap
import AccessPolicy
import AccessPolicyServer
import Foundation
import GDBMStore
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var clients = 64
    var seconds = 10.0
    var entries = 20_000
    var protocolName = "socketmap"

    init(_ arguments: [String]) {
        var index = 1
        func value() -> String {
            index += 1
            guard index < arguments.count else { fatalError("missing value for \(arguments[index - 1])") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--clients": clients = max(1, min(1000, Int(value()) ?? clients))
            case "--seconds": seconds = max(1, min(300, Double(value()) ?? seconds))
            case "--entries": entries = max(10, min(1_000_000, Int(value()) ?? entries))
            case "--protocol": protocolName = value()
            default: fatalError("unknown option \(arguments[index])")
            }
            index += 1
        }
    }
}

/// Latencies in microseconds, summarised.
struct Summary {
    var count: Int
    var seconds: Double
    var sorted: [Int]

    init(_ latencies: [Int], seconds: Double) {
        count = latencies.count
        self.seconds = seconds
        sorted = latencies.sorted()
    }

    func percentile(_ p: Double) -> Int {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p / 100))]
    }

    var line: String {
        String(
            format: "%9d requests in %5.1f s = %9.0f req/s; latency µs p50 %d p90 %d p99 %d p99.9 %d max %d",
            count,
            seconds,
            Double(count) / seconds,
            percentile(50),
            percentile(90),
            percentile(99),
            percentile(99.9),
            sorted.last ?? 0
        )
    }
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func key(_ i: Int) -> String { "connect:10.\(i / 65536 % 256).\(i / 256 % 256).\(i % 256)" }

/// One blocking client connection.
final class Connection {
    let fd: Int32
    var buffer = [UInt8](repeating: 0, count: 65536)

    init(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        precondition(result == 0, "connect failed: \(errno)")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `request` and reads until `complete` accepts the bytes; `nil` on error or close.
    func exchange(_ request: [UInt8], complete: ([UInt8]) -> Bool) -> [UInt8]? {
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return nil }
        var reply: [UInt8] = []
        while !complete(reply) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            reply.append(contentsOf: buffer[0..<n])
        }
        return reply
    }
}

func netstringComplete(_ bytes: [UInt8]) -> Bool {
    guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
        let length = Int(String(decoding: bytes[..<colon], as: UTF8.self))
    else { return false }
    return bytes.count >= colon + length + 2
}

func policyComplete(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[bytes.count - 1] == 10 && bytes[bytes.count - 2] == 10
}

let options = Options(CommandLine.arguments)
var logger = Logger(label: "loadtest")
logger.logLevel = .warning

// The map: `entries` Connect: entries; look-ups alternate hits and misses.
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aps-load-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let mapPath = directory.appendingPathComponent("access.db").path
do {
    let db = try GDBMDatabase(path: mapPath, mode: .truncate)
    for i in 0..<options.entries { _ = try db.store(Array("REJECT".utf8), forKey: Array(key(i).utf8), replace: true) }
    try db.close()
}

let source = try AutoReloadingAccessMapSource(
    existingFileAt: mapPath,
    storage: .gdbm(handleCount: 8),
    checkInterval: nil
)
let server = try await AccessPolicyServer.start(
    configuration: .init(
        socketmapAddress: .tcp(host: "127.0.0.1", port: 0),
        policyAddress: .tcp(host: "127.0.0.1", port: 0),
        limits: ServerLimits(maximumConnections: options.clients + 16),
        reloadCheckInterval: nil,
        threadCount: 2,
        eventLoopCount: 2
    ),
    socketmap: .standard(source: source),
    policy: PolicyService(
        decider: SendmailPolicyDecider.standard(source: source, configuration: ConfigFile())
    ),
    mapSource: source,
    logger: logger
)
let port = server.boundAddresses[options.protocolName == "policy" ? "policy" : "socketmap"]!.port!

func request(_ i: Int) -> ([UInt8], String) {
    let index = i % (options.entries * 2)  // half of the keys are not in the map
    if options.protocolName == "policy" {
        let address = "10.\(index / 65536 % 256).\(index / 256 % 256).\(index % 256)"
        let text =
            "request=smtpd_access_policy\nprotocol_state=CONNECT\nclient_address=\(address)\nclient_name=unknown\n\n"
        return (Array(text.utf8), index < options.entries ? "action=550 5.7.1 Access denied\n\n" : "action=DUNNO\n\n")
    }
    let payload = "access \(key(index))"
    return (
        Array("\(payload.utf8.count):\(payload),".utf8),
        index < options.entries ? "9:OK REJECT," : "9:NOTFOUND ,"
    )
}

print(
    "load test: \(options.clients) clients, \(options.seconds) s, protocol \(options.protocolName), "
        + "\(options.entries) entries, server on 127.0.0.1:\(port)"
)
let errors = Atomic<Int>(0)
let results = Mutex<[Int]>([])
let deadline = now() + UInt64(options.seconds * 1e9)
let started = now()
let group = DispatchGroup()
for client in 0..<options.clients {
    group.enter()
    let thread = Thread {
        let connection = Connection(port: port)
        var latencies: [Int] = []
        latencies.reserveCapacity(200_000)
        var i = client * 7919
        while now() < deadline, latencies.count < 2_000_000 {
            let (bytes, expected) = request(i)
            let t0 = now()
            let reply = connection.exchange(
                bytes,
                complete: options.protocolName == "policy" ? policyComplete : netstringComplete
            )
            latencies.append(Int((now() - t0) / 1000))
            if reply.map({ String(decoding: $0, as: UTF8.self) }) != expected {
                errors.add(1, ordering: .relaxed)
                if errors.load(ordering: .relaxed) < 5 {
                    print(
                        "unexpected reply: \(reply.map { String(decoding: $0, as: UTF8.self) } ?? "<closed>") expected \(expected)"
                    )
                }
                break
            }
            i &+= 1
        }
        results.withLock { $0.append(contentsOf: latencies) }
        group.leave()
    }
    thread.start()
}
group.wait()
let wire = Summary(results.withLock { $0 }, seconds: Double(now() - started) / 1e9)
print("server (\(options.protocolName) over loopback): " + wire.line)
print("server counters: \(server.metrics.snapshot())")
await server.shutdown()

// The same look-ups in-process: the socket-map table (or the policy decider) called directly, 2 threads.
let inProcessDeadline = now() + UInt64(min(options.seconds, 5) * 1e9)
let inProcessResults = Mutex<[Int]>([])
let inProcessStart = now()
let table = ExactAccessTable(source: source)
let decider = SendmailPolicyDecider.standard(source: source, configuration: ConfigFile())
let inProcessGroup = DispatchGroup()
for worker in 0..<2 {
    inProcessGroup.enter()
    Thread {
        var latencies: [Int] = []
        var i = worker * 7919
        while now() < inProcessDeadline, latencies.count < 5_000_000 {
            let index = i % (options.entries * 2)
            let t0 = now()
            if options.protocolName == "policy" {
                let address = "10.\(index / 65536 % 256).\(index / 256 % 256).\(index % 256)"
                _ = decider.decide(
                    PostfixPolicyRequest(attributes: [
                        ("request", "smtpd_access_policy"), ("protocol_state", "CONNECT"),
                        ("client_address", address), ("client_name", "unknown"),
                    ])
                )
            } else {
                _ = table.lookup(key(index))
            }
            latencies.append(Int((now() - t0) / 1000))
            i &+= 1
        }
        inProcessResults.withLock { $0.append(contentsOf: latencies) }
        inProcessGroup.leave()
    }.start()
}
inProcessGroup.wait()
let local = Summary(inProcessResults.withLock { $0 }, seconds: Double(now() - inProcessStart) / 1e9)
print("in-process (same look-ups, 2 threads):   " + local.line)
let errorCount = errors.load(ordering: .relaxed)
print("errors: \(errorCount)")
exit(errorCount == 0 ? 0 : 1)
