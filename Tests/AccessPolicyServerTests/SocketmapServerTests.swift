import AccessMap
import Foundation
import GDBMStore
import Logging
import NIOCore
import Synchronization
import Testing

@testable import AccessPolicyServer

@Suite("Socket-map server")
struct SocketmapServerTests {
    @Test("answers OK, NOTFOUND and PERM, pipelined requests in order, keys folded to lower case")
    func lookups() async throws {
        let map = try TemporaryMap(["connect:10.1.2.3": "REJECT", "tls_clt:client.example": "VERIFY", "nul": "V\0"])
        let (server, _) = try await startServer(map: map)
        defer { Task { await server.shutdown() } }
        let client = try RawClient(port: server.port("socketmap"))
        #expect(client.lookup("access", "connect:10.1.2.3") == "OK REJECT")
        #expect(client.lookup("access", "Connect:10.1.2.3") == "OK REJECT")
        #expect(client.lookup("access", "connect:10.1.2.4") == "NOTFOUND ")
        #expect(client.lookup("access", "nul") == "OK V")
        #expect(client.lookup("other", "x")?.hasPrefix("PERM unknown map other") == true)
        client.send(netstring("nospace"))
        #expect(client.netstring()?.hasPrefix("PERM malformed request") == true)
        // Pipelined: three requests in one write, three replies in order.
        client.send(
            netstring("access connect:10.1.2.3") + netstring("access missing")
                + netstring("access tls_clt:client.example")
        )
        var replies: [String] = []
        for _ in 0..<3 { replies.append(client.netstring() ?? "<none>") }
        #expect(replies == ["OK REJECT", "NOTFOUND ", "OK VERIFY"])
        #expect(server.metrics.snapshot().decisions["socketmap.ok"] == 5)
        await server.shutdown()
    }

    @Test(
        "malformed netstrings get a PERM reply and the connection is closed",
        arguments: ["x:access a,", "4:abcdX", ":,", "007:access,", "9999999999:", "-5:", "12:access a\n"]
    )
    func malformed(input: String) async throws {
        let map = try TemporaryMap([:])
        let (server, _) = try await startServer(map: map, limits: ServerLimits(maximumRequestBytes: 4096))
        let client = try RawClient(port: server.port("socketmap"))
        client.send(input + "............................................")
        let (bytes, closed) = client.receive(timeout: 5)
        #expect(String(decoding: bytes, as: UTF8.self).contains("PERM "))
        #expect(closed)
        // The server is still serving others.
        let other = try RawClient(port: server.port("socketmap"))
        #expect(other.lookup("access", "a") == "NOTFOUND ")
        #expect(server.metrics.snapshot().protocolErrors == 1)
        await server.shutdown()
    }

    @Test("an oversized length is refused at once, without waiting for or buffering the payload")
    func oversized() async throws {
        let map = try TemporaryMap([:])
        let (server, _) = try await startServer(map: map, limits: ServerLimits(maximumRequestBytes: 1024))
        let client = try RawClient(port: server.port("socketmap"))
        client.send("1025:")
        let (bytes, closed) = client.receive(timeout: 3)
        #expect(closed)
        #expect(String(decoding: bytes, as: UTF8.self).contains("larger than 1024"))
        await server.shutdown()
    }

    @Test("a half-sent request is closed after the request timeout while other clients are served")
    func halfSent() async throws {
        let map = try TemporaryMap(["k": "v"])
        let (server, _) = try await startServer(
            map: map,
            limits: ServerLimits(requestTimeout: .milliseconds(300))
        )
        let slow = try RawClient(port: server.port("socketmap"))
        slow.send("20:access ")
        let other = try RawClient(port: server.port("socketmap"))
        #expect(other.lookup("access", "k") == "OK v")
        // A trickle of bytes does not extend the deadline.
        slow.send("k")
        #expect(slow.closedByPeer(within: 3))
        #expect(other.lookup("access", "k") == "OK v")
        #expect(server.metrics.snapshot().timeouts >= 1)
        await server.shutdown()
    }

    @Test("an idle connection is closed after the idle timeout")
    func idle() async throws {
        let map = try TemporaryMap(["k": "v"])
        let (server, _) = try await startServer(map: map, limits: ServerLimits(idleTimeout: .milliseconds(300)))
        let client = try RawClient(port: server.port("socketmap"))
        #expect(client.lookup("access", "k") == "OK v")
        #expect(client.closedByPeer(within: 3))
        await server.shutdown()
    }

    @Test("a flood of connections beyond the limit is closed; admitted clients keep being served")
    func flood() async throws {
        let map = try TemporaryMap(["k": "v"])
        let (server, _) = try await startServer(map: map, limits: ServerLimits(maximumConnections: 5))
        var admitted: [RawClient] = []
        for _ in 0..<5 {
            let client = try RawClient(port: server.port("socketmap"))
            #expect(client.lookup("access", "k") == "OK v")
            admitted.append(client)
        }
        var refused = 0
        for _ in 0..<20 {
            let extra = try RawClient(port: server.port("socketmap"))
            extra.send(netstring("access k"))
            if extra.netstring(timeout: 2) == nil { refused += 1 }
        }
        #expect(refused == 20)
        for client in admitted { #expect(client.lookup("access", "k") == "OK v") }
        #expect(server.metrics.snapshot().connectionsRefused == 20)
        admitted.removeAll()
        // Slots free up when clients leave.
        try await Task.sleep(nanoseconds: 200_000_000)
        let late = try RawClient(port: server.port("socketmap"))
        #expect(late.lookup("access", "k") == "OK v")
        await server.shutdown()
    }

    @Test("a client that pipelines without reading is throttled: the server stops reading instead of buffering")
    func noReader() async throws {
        let map = try TemporaryMap(["k": "v"])
        let (server, _) = try await startServer(map: map, limits: ServerLimits(maximumRequestBytes: 256))
        // The client's receive buffer is pinned small; the kernel may still give the server's receive buffer up to
        // `tcp_rmem` max (32 MB on some hosts) and its send buffer up to `tcp_wmem` max (4 MB, ~600k replies, ~7 MB
        // of requests). So the connection itself can absorb some 45 MB of requests. The writer offers up to 220 MB
        // and never reads a reply: with backpressure it stalls well short of that; a server that kept reading (and
        // buffering replies) would take it all.
        let client = try RawClient(port: server.port("socketmap"), receiveBufferBytes: 16384)
        let chunk = Array(String(repeating: netstring("access k"), count: 1000).utf8)  // 11 kB
        let chunks = 20_000
        let finished = Flag()
        let sentChunks = Counter()
        let writer = Task.detached {
            for _ in 0..<chunks {
                client.send(chunk)
                sentChunks.value.add(1, ordering: .releasing)
            }
            finished.value.store(true, ordering: .releasing)
        }
        // Wait until the writer stops making progress (or finishes); give up after 30 s.
        var last = -1
        for _ in 0..<60 {
            try await Task.sleep(nanoseconds: 500_000_000)
            let now = sentChunks.value.load(ordering: .acquiring)
            if now == last || finished.value.load(ordering: .acquiring) { break }
            last = now
        }
        let sentBytes = sentChunks.value.load(ordering: .acquiring) * chunk.count
        let writerDone = finished.value.load(ordering: .acquiring)
        #expect(!writerDone)
        #expect(sentBytes < 100_000_000, "the connection absorbed \(sentBytes) bytes of requests")
        let other = try RawClient(port: server.port("socketmap"))
        #expect(other.lookup("access", "k") == "OK v")
        await server.shutdown()  // closes the connection: the writer's sends fail and it ends
        _ = await writer.value
    }

    @Test("a replaced map file is swapped in; the same connection sees the new value; old snapshots still read")
    func reload() async throws {
        let map = try TemporaryMap(["k": "old"])
        let (server, source) = try await startServer(map: map, reloadCheckInterval: .milliseconds(100))
        let client = try RawClient(port: server.port("socketmap"))
        #expect(client.lookup("access", "k") == "OK old")
        let before = source.current
        try map.replace(with: ["k": "new", "added": "RELAY"])
        var value: String?
        for _ in 0..<50 {
            value = client.lookup("access", "k")
            if value == "OK new" { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        #expect(value == "OK new")
        #expect(client.lookup("access", "added") == "OK RELAY")
        // A request that started on the old map still reads the old file.
        #expect(Array("k".utf8).withUnsafeBytes { before.source.lookup(foldedKey: $0) } == .found(Array("old".utf8)))
        #expect(source.current.generation == 1)
        #expect(server.metrics.snapshot().reloads == 1)
        #expect(server.metrics.snapshot().connectionsAccepted == 1)
        await server.shutdown()
    }

    @Test("a broken replacement keeps the old map in service")
    func brokenReload() async throws {
        let map = try TemporaryMap(["k": "old"])
        let log = RecordingLogHandlerStore()
        let (server, source) = try await startServer(map: map, logger: log.logger)
        try "not a gdbm file".write(toFile: map.path + ".junk", atomically: false, encoding: .utf8)
        #expect(rename(map.path + ".junk", map.path) == 0)
        let outcome = try await server.reloadMap()
        guard case .failed = outcome else {
            Issue.record("expected a failed reload, got \(outcome)")
            return
        }
        let client = try RawClient(port: server.port("socketmap"))
        #expect(client.lookup("access", "k") == "OK old")
        #expect(source.current.generation == 0)
        #expect(server.metrics.snapshot().reloads == 0)
        #expect(log.contains(level: .error, "keeping the loaded map"))
        await server.shutdown()
    }

    @Test("a map file that disappears keeps the old map in service until a new one is installed; reloads are logged")
    func vanishedMap() async throws {
        let map = try TemporaryMap(["k": "old"])
        let log = RecordingLogHandlerStore()
        let (server, source) = try await startServer(map: map, logger: log.logger)
        try FileManager.default.removeItem(atPath: map.path)
        guard case .failed = try await server.reloadMap() else {
            Issue.record("expected a failed reload for a missing map file")
            return
        }
        let client = try RawClient(port: server.port("socketmap"))
        #expect(client.lookup("access", "k") == "OK old")
        #expect(source.current.generation == 0)
        try map.replace(with: ["k": "new"])
        #expect(try await server.reloadMap() == .reloaded(generation: 1))
        #expect(try await server.reloadMap() == .unchanged)
        #expect(client.lookup("access", "k") == "OK new")
        #expect(server.metrics.snapshot().reloads == 1)
        #expect(log.contains(level: .notice, "map reloaded"))
        await server.shutdown()
    }

    @Test("a server cannot be given a map file that is missing")
    func missingAtStart() throws {
        let map = try TemporaryMap([:])
        try FileManager.default.removeItem(atPath: map.path)
        #expect(throws: GDBMError.self) {
            try AutoReloadingAccessMapSource(
                existingFileAt: map.path,
                storage: .gdbm(handleCount: 1),
                checkInterval: nil
            )
        }
    }

    @Test("shutdown closes the listener and open connections")
    func shutdown() async throws {
        let map = try TemporaryMap(["k": "v"])
        let (server, _) = try await startServer(map: map)
        let port = server.port("socketmap")
        let client = try RawClient(port: port)
        #expect(client.lookup("access", "k") == "OK v")
        await server.shutdown()
        #expect(client.closedByPeer(within: 3))
        #expect(throws: (any Error).self) { try RawClient(port: port) }
    }

    @Test("the stats listener reports counters while running")
    func stats() async throws {
        let map = try TemporaryMap(["k": "v"])
        let (server, _) = try await startServer(map: map)
        let client = try RawClient(port: server.port("socketmap"))
        _ = client.lookup("access", "k")
        _ = client.lookup("access", "zz")
        let stats = try RawClient(port: server.port("stats"))
        let text = String(decoding: stats.receive(timeout: 3).bytes, as: UTF8.self)
        #expect(text.contains("decisions.socketmap.ok=1"))
        #expect(text.contains("decisions.socketmap.notfound=1"))
        #expect(text.contains("latency_us.p99"))
        await server.shutdown()
    }
}

/// A flag shared with a detached task.
final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

/// A counter shared with a detached task.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
