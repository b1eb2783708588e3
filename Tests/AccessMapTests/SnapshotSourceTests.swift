import AccessMap
import Foundation
import GDBMStore
import Testing

/// The in-memory snapshot and sendmail's NUL rule, on GDBM files built in a per-test directory.
@Suite("Access map snapshot")
final class SnapshotSourceTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func makeMap(_ entries: [([UInt8], [UInt8])], name: String = "access.db") throws -> String {
        let path = directory.appendingPathComponent(name).path
        let db = try GDBMDatabase(path: path, mode: .truncate)
        for (key, value) in entries { _ = try db.store(value, forKey: key, replace: true) }
        try db.close()
        return path
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func answer(_ source: some AccessMapSource, _ key: String) -> AccessMapSourceResult {
        Array(key.utf8).withUnsafeBytes { source.lookup(foldedKey: $0) }
    }

    @Test("answers every key of a GDBM file exactly as the GDBM source does, hits and misses")
    func sameAnswersAsGDBM() throws {
        var entries: [([UInt8], [UInt8])] = []
        for i in 0..<5_000 {
            entries.append((Self.bytes("connect:host\(i).example.net"), Self.bytes(i % 3 == 0 ? "REJECT" : "OK \(i)")))
        }
        entries.append((Self.bytes("tls_clt:"), Self.bytes("VERIFY")))
        entries.append((Self.bytes("x"), []))  // empty value
        let path = try makeMap(entries)
        let snapshot = try AccessMapSnapshot(path: path)
        #expect(snapshot.count == entries.count)
        #expect(snapshot.memoryFootprint > 5_000 * 8)
        let gdbm = try GDBMAccessMapSource(path: path, handleCount: 1)
        let memory = SnapshotAccessMapSource(snapshot)
        var keys = entries.map { String(decoding: $0.0, as: UTF8.self) }
        keys += (0..<5_000).map { "connect:host\($0).example.org" } + ["", "connect:", "tls_clt", "tls_clt:x"]
        for key in keys { #expect(answer(memory, key) == answer(gdbm, key), "\(key)") }
        #expect(answer(memory, "connect:host3.example.net") == .found(Self.bytes("REJECT")))
        #expect(answer(memory, "x") == .found([]))
        #expect(answer(memory, "connect:host3.example.org") == .notFound)
    }

    @Test("builds from records without a file; keys compared byte for byte")
    func fromRecords() {
        let snapshot = AccessMapSnapshot(records: [
            (Self.bytes("a"), Self.bytes("1")), (Self.bytes("ab"), Self.bytes("2")),
        ])
        #expect(snapshot.value(forKey: Self.bytes("a")) == Self.bytes("1"))
        #expect(snapshot.value(forKey: Self.bytes("ab")) == Self.bytes("2"))
        #expect(snapshot.value(forKey: Self.bytes("A")) == nil)
        #expect(snapshot.value(forKey: Self.bytes("abc")) == nil)
    }

    @Test("a -N map (keys and values with a trailing NUL) answers plain keys")
    func nulTerminatedMap() throws {
        let path = try makeMap([(Self.bytes("tls_clt:nul.example") + [0], Self.bytes("VERIFY") + [0])])
        for source: any AccessMapSource in [
            try SnapshotAccessMapSource(path: path), try GDBMAccessMapSource(path: path),
        ] {
            #expect(answer(source, "tls_clt:nul.example") == .found(Self.bytes("VERIFY")))
            #expect(answer(source, "tls_clt:other.example") == .notFound)
        }
    }

    /// Recorded from sendmail 8.17.1.9 (`-bt -d60.1`, hash map with `connect:example.net REJECT` plain and
    /// `tls_clt:nul.example VERIFY` stored by `makemap -N -o`): after `Connect:example.net` was found,
    /// `map_lookup(access, TLS_Clt:nul.example) => NOT FOUND`; when `TLS_Clt:nul.example` is asked first it is
    /// found (`=> VERIFY`) and `Connect:example.net` afterwards is NOT FOUND. The first hit fixes the NUL form.
    @Test(
        "the first hit decides whether keys are tried with or without a NUL (sendmail's rule)",
        arguments: [false, true]
    )
    func firstHitFixesNULForm(snapshot: Bool) throws {
        let path = try makeMap([
            (Self.bytes("connect:example.net"), Self.bytes("REJECT")),
            (Self.bytes("tls_clt:nul.example") + [0], Self.bytes("VERIFY") + [0]),
        ])
        func open() throws -> any AccessMapSource {
            snapshot ? try SnapshotAccessMapSource(path: path) : try GDBMAccessMapSource(path: path)
        }
        let plainFirst = try open()
        #expect(answer(plainFirst, "connect:example.net") == .found(Self.bytes("REJECT")))
        #expect(answer(plainFirst, "tls_clt:nul.example") == .notFound)
        let nulFirst = try open()
        #expect(answer(nulFirst, "tls_clt:nul.example") == .found(Self.bytes("VERIFY")))
        #expect(answer(nulFirst, "connect:example.net") == .notFound)
        // Misses before any hit decide nothing.
        let undecided = try open()
        #expect(answer(undecided, "connect:missing.example") == .notFound)
        #expect(answer(undecided, "tls_clt:nul.example") == .found(Self.bytes("VERIFY")))
    }
}

/// The operator test used when keys are built must agree with the documented operator set.
@Suite("Token operator classification")
struct TokenOperatorTests {
    @Test(
        "every byte: a single-byte token is an operator exactly when it is one of . : % @ ! ^ / [ ] + ( ) < > , ; \\ \""
    )
    func operatorsMatchTheSet() {
        let operators = Set(".:%@!^/[]+()<>,;\\\"".utf8)
        for byte in UInt8(0x21)...UInt8(0x7E) {
            let token = Token(String(decoding: [byte], as: UTF8.self))
            #expect(token.isOperator == operators.contains(byte), "\(UnicodeScalar(byte))")
        }
    }
}
