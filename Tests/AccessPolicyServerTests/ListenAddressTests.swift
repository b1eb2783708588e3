import Foundation
import NIOCore
import Testing

@testable import AccessPolicyServer

#if canImport(Glibc)
import Glibc
#endif

@Suite("Listen addresses")
struct ListenAddressTests {
    @Test(
        "the MTAs' spellings parse",
        arguments: [
            ("inet:9901@127.0.0.1", ListenAddress.tcp(host: "127.0.0.1", port: 9901)),
            ("inet:127.0.0.1:9902", .tcp(host: "127.0.0.1", port: 9902)),
            ("127.0.0.1:0", .tcp(host: "127.0.0.1", port: 0)),
            ("[::1]:25", .tcp(host: "::1", port: 25)),
            ("inet6:25@::1", .tcp(host: "::1", port: 25)),
            ("unix:/run/ap.sock", .unix(path: "/run/ap.sock")),
            ("local:/run/ap.sock", .unix(path: "/run/ap.sock")),
        ]
    )
    func parses(text: String, expected: ListenAddress) throws {
        #expect(try ListenAddress(parsing: text) == expected)
    }

    @Test(
        "bad spellings are errors that say what is accepted",
        arguments: ["9901", "inet:x@h", "h:70000", "unix:", ":25"]
    )
    func rejects(text: String) {
        #expect(throws: ListenAddressError(text: text)) { try ListenAddress(parsing: text) }
    }

    @Test("loopback detection")
    func loopback() throws {
        #expect(try ListenAddress(parsing: "127.0.0.2:1").isLocal)
        #expect(try ListenAddress(parsing: "[::1]:1").isLocal)
        #expect(try !ListenAddress(parsing: "0.0.0.0:1").isLocal)
        #expect(try !ListenAddress(parsing: "192.0.2.1:1").isLocal)
    }

    @Test("a Unix-domain socket listener serves look-ups")
    func unixSocket() async throws {
        let map = try TemporaryMap(["k": "v"])
        let path = map.directory.appendingPathComponent("s.sock").path
        let source = try map.source(handleCount: 1)
        let server = try await AccessPolicyServer.start(
            configuration: .init(socketmapAddress: .unix(path: path), reloadCheckInterval: nil, threadCount: 1),
            socketmap: .standard(source: source),
            logger: quietLogger
        )
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(connected == 0)
        let request = Array(netstring("access k").utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        #expect(n > 0 && String(decoding: buffer[0..<max(0, n)], as: UTF8.self) == "4:OK v,")
        await server.shutdown()
    }
}
