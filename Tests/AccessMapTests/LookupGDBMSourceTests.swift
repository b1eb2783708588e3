import AccessMap
import Foundation
import GDBMStore
import Testing

/// The GDBM-backed source: folded keys, `-N` style NUL-terminated entries, missing files.
@Suite("GDBM access map source")
final class LookupGDBMSourceTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lookup-gdbm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func makeMap(_ entries: [([UInt8], [UInt8])]) throws -> String {
        let path = directory.appendingPathComponent("access.db").path
        let db = try GDBMDatabase(path: path, mode: .truncate)
        for (key, value) in entries { _ = try db.store(value, forKey: key, replace: true) }
        try db.close()
        return path
    }

    @Test("finds folded keys, with or without a trailing NUL")
    func lookups() throws {
        let path = try makeMap([
            (Array("connect:example.net".utf8), Array("REJECT".utf8)),
            (Array("tls_clt:nul.example".utf8) + [0], Array("VERIFY".utf8) + [0]),
        ])
        // One source per key: the first hit fixes which NUL form a source tries (sendmail's rule, see
        // SnapshotSourceTests.firstHitFixesNULForm).
        var lookup = AccessLookup(source: try GDBMAccessMapSource(path: path), tracing: true)
        #expect(
            lookup.domain(Tokenizer.tokenize("Host.Example.NET"), tag: .connect, mark: .tagOnly).value?.text == "REJECT"
        )
        lookup = AccessLookup(source: try GDBMAccessMapSource(path: path), tracing: true)
        #expect(
            lookup.domain(Tokenizer.tokenize("nul.example"), tag: .tlsClient, mark: .tagOnly).value?.text == "VERIFY"
        )
    }

    @Test("a missing file: optional gives an empty map, required gives temporary failures")
    func missingFile() {
        let path = directory.appendingPathComponent("missing.db").path
        var optional = AccessLookup(source: GDBMAccessMapSource.open(path: path, optional: true))
        #expect(optional.bareTag(.tlsClient) == .notFound)
        var required = AccessLookup(source: GDBMAccessMapSource.open(path: path, optional: false))
        #expect(required.bareTag(.tlsClient) == .temporaryFailure)
    }
}
