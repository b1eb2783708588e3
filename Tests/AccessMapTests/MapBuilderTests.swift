import AccessMap
import Foundation
import GDBMStore
import Testing

@Suite("makemap builder: options, duplicates, atomic replacement")
final class MapBuilderTests {
    let directory: TestDirectory

    init() throws { directory = try TestDirectory() }

    @Test("builds MAPNAME.db with folded keys and verbatim values")
    func basic() throws {
        let path = directory.path("access.db")
        let (summary, diagnostics) = try build(
            bytes("Connect:10.1\tOK\nTLS_Clt:Desktop.Example.NET  VERIFY:80  \n"),
            into: path
        )
        #expect(diagnostics.isEmpty)
        #expect(summary.stored == 2 && summary.entries == 2 && summary.rejected == 0 && summary.exitStatus == 0)
        #expect(
            try records(of: path) == [
                bytes("connect:10.1"): bytes("OK"), bytes("tls_clt:desktop.example.net"): bytes("VERIFY:80  "),
            ]
        )
        #expect(MapBuilder.databasePath(forMapName: "/etc/mail/access") == "/etc/mail/access.db")
        #expect(MapBuilder.databasePath(forMapName: "t14.db") == "t14.db")
    }

    @Test("new maps are created with mode 0640 and no temporary file stays")
    func modeAndNoTemporary() throws {
        let path = directory.path("m.db")
        _ = try build(bytes("k v\n"), into: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        #expect(try directory.files() == ["m.db"])
    }

    @Test("duplicates: rejected by default (first kept, error at the later line)")
    func duplicatesRejected() throws {
        let path = directory.path("d.db")
        let (summary, diagnostics) = try build(bytes("a one\nB two\nA three\nb four\n"), into: path)
        #expect(try records(of: path) == [bytes("a"): bytes("one"), bytes("b"): bytes("two")])
        #expect(diagnostics == [.duplicateKey(key: bytes("a"), line: 3), .duplicateKey(key: bytes("b"), line: 4)])
        #expect(summary.rejected == 2 && summary.exitStatus == 65)
        #expect(diagnostics[0].description == "3: duplicate key 'a'; the first value is kept (-r replaces, -d ignores)")
    }

    @Test("-d keeps the first value without an error; -r keeps the last")
    func duplicatePolicies() throws {
        let text = bytes("a one\na two\na three\n")
        let first = directory.path("first.db")
        let (keep, keepDiagnostics) = try build(text, into: first, options: MapBuilderOptions(duplicates: .keepFirst))
        #expect(keepDiagnostics.isEmpty && keep.exitStatus == 0 && keep.duplicatesResolved == 2)
        #expect(try records(of: first) == [bytes("a"): bytes("one")])
        let last = directory.path("last.db")
        let (replace, replaceDiagnostics) = try build(
            text,
            into: last,
            options: MapBuilderOptions(duplicates: .replace)
        )
        #expect(replaceDiagnostics.isEmpty && replace.exitStatus == 0 && replace.duplicatesResolved == 2)
        #expect(try records(of: last) == [bytes("a"): bytes("three")])
    }

    @Test("-N stores a trailing NUL in key and value; the dump hides it; query finds it")
    func nulTerminated() throws {
        let path = directory.path("n.db")
        _ = try build(bytes("Key value\n"), into: path, options: MapBuilderOptions(nulTerminate: true))
        #expect(try records(of: path) == [bytes("key") + [0]: bytes("value") + [0]])
        var dumped: [UInt8] = []
        try MapDumper.dump(databaseAt: path) { dumped += $0 }
        #expect(dumped == bytes("key\tvalue\n"))
        let query = try MapQuery(databaseAt: path)
        #expect(try query.value(forKey: "KEY") == bytes("value"))
    }

    @Test("-f keeps the key's case; the default query folds, so it does not find upper case keys")
    func noFolding() throws {
        let path = directory.path("f.db")
        var syntax = AccessMapSyntax()
        syntax.foldKeys = false
        _ = try build(bytes("Connect:UP OK\n"), into: path, options: MapBuilderOptions(syntax: syntax))
        #expect(try records(of: path) == [bytes("Connect:UP"): bytes("OK")])
        #expect(try MapQuery(databaseAt: path).value(forKey: "Connect:UP") == nil)
        #expect(try MapQuery(databaseAt: path, foldKeys: false).value(forKey: "Connect:UP") == bytes("OK"))
    }

    @Test("-e stores empty values")
    func emptyValues() throws {
        let path = directory.path("e.db")
        var syntax = AccessMapSyntax()
        syntax.allowEmptyValues = true
        let (summary, diagnostics) = try build(
            bytes("alone\nk v\n"),
            into: path,
            options: MapBuilderOptions(syntax: syntax)
        )
        #expect(diagnostics.isEmpty && summary.stored == 2)
        #expect(try records(of: path) == [bytes("alone"): [], bytes("k"): bytes("v")])
    }

    @Test("-t and -D change separator and comment character")
    func separatorAndComment() throws {
        let path = directory.path("t.db")
        let syntax = AccessMapSyntax(separator: UInt8(ascii: "|"), commentCharacter: UInt8(ascii: ";"))
        _ = try build(
            bytes("; comment\n#Key With Space||a b\n"),
            into: path,
            options: MapBuilderOptions(syntax: syntax)
        )
        #expect(try records(of: path) == [bytes("#key with space"): bytes("a b")])
        var dumped: [UInt8] = []
        try MapDumper.dump(databaseAt: path, separator: UInt8(ascii: "|")) { dumped += $0 }
        #expect(dumped == bytes("#key with space|a b\n"))
    }

    @Test("-c sets the cache size; the map is the same")
    func cacheSize() throws {
        let path = directory.path("c.db")
        _ = try build(bytes("k v\n"), into: path, options: MapBuilderOptions(cacheSize: 10))
        #expect(try records(of: path) == [bytes("k"): bytes("v")])
    }

    @Test("-o appends to the existing map; duplicates against it are reported; -o -r replaces")
    func append() throws {
        let path = directory.path("o.db")
        _ = try build(bytes("old 1\nshared old\n"), into: path)
        let (summary, diagnostics) = try build(
            bytes("new 2\nshared new\n"),
            into: path,
            options: MapBuilderOptions(append: true)
        )
        #expect(diagnostics == [.duplicateKey(key: bytes("shared"), line: 2)] && summary.exitStatus == 65)
        #expect(
            try records(of: path) == [
                bytes("old"): bytes("1"), bytes("new"): bytes("2"), bytes("shared"): bytes("old"),
            ]
        )
        _ = try build(
            bytes("shared newer\n"),
            into: path,
            options: MapBuilderOptions(duplicates: .replace, append: true)
        )
        #expect(try records(of: path)[bytes("shared")] == bytes("newer"))
        #expect(try directory.files() == ["o.db"])
    }

    @Test("-o on a missing map fails with 73 and creates nothing")
    func appendMissing() throws {
        let path = directory.path("missing.db")
        let error = #expect(throws: MapBuildError.self) {
            _ = try build(bytes("k v\n"), into: path, options: MapBuilderOptions(append: true))
        }
        #expect(error == .missingDatabase(path: path))
        #expect(error?.exitStatus == 73)
        #expect(try directory.files().isEmpty)
    }

    @Test("a symbolic link is refused without -s; with -s its target is replaced and the link kept")
    func symbolicLink() throws {
        let target = directory.path("real.db")
        let link = directory.path("link.db")
        _ = try build(bytes("k old\n"), into: target)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let error = #expect(throws: MapBuildError.self) { _ = try build(bytes("k new\n"), into: link) }
        #expect(error == .symbolicLink(path: link) && error?.exitStatus == 73)
        #expect(try records(of: target) == [bytes("k"): bytes("old")])
        _ = try build(bytes("k new\n"), into: link, options: MapBuilderOptions(allowSymbolicLink: true))
        #expect(try records(of: target) == [bytes("k"): bytes("new")])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
    }

    @Test("a failed build leaves the previous map untouched and no temporary file")
    func failureKeepsPrevious() throws {
        let path = directory.path("keep.db")
        _ = try build(bytes("k old\n"), into: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let cancellation = MapBuildCancellation()
        cancellation.cancel()
        var text: [UInt8] = []
        for i in 0..<10_000 { text += bytes("key\(i) value\(i)\n") }
        #expect(throws: MapBuildError.cancelled) {
            _ = try MapBuilder().build(from: text, into: path, diagnostics: { _ in }, cancellation: cancellation)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try directory.files() == ["keep.db"])
    }

    @Test("a directory that cannot be written fails with 73")
    func cannotCreate() throws {
        let path = directory.path("no/such/dir/x.db")
        let error = #expect(throws: MapBuildError.self) { _ = try build(bytes("k v\n"), into: path) }
        #expect(error?.exitStatus == 73)
    }

    @Test("a reader that has the old map open keeps reading it while the map is rebuilt")
    func readersSurviveRebuild() throws {
        let path = directory.path("live.db")
        _ = try build(bytes("k old\n"), into: path)
        let reader = try GDBMReaderPool(path: path, handleCount: 1)
        _ = try build(bytes("k new\n"), into: path)
        #expect(try reader.fetch("k") == bytes("old"))
        #expect(try MapQuery(databaseAt: path).value(forKey: "k") == bytes("new"))
    }

    @Test("many records in hash order: every key stored once, duplicates found across the whole map")
    func manyRecords() throws {
        let path = directory.path("many.db")
        var text: [UInt8] = []
        for i in 0..<50_000 { text += bytes("Connect:host\(i).example\tvalue\(i)\n") }
        for i in stride(from: 0, to: 50_000, by: 5_000) { text += bytes("connect:HOST\(i).example\tdup\n") }
        let (summary, diagnostics) = try build(text, into: path)
        #expect(summary.stored == 50_000)
        #expect(diagnostics.map(\.line) == Array(50_001...50_010))
        let all = try records(of: path)
        #expect(all.count == 50_000)
        #expect(all[bytes("connect:host12345.example")] == bytes("value12345"))
        #expect(all[bytes("connect:host5000.example")] == bytes("value5000"))
    }

    @Test("the stored callback (-v) sees every record; progress is reported")
    func verboseAndProgress() throws {
        let path = directory.path("v.db")
        var text: [UInt8] = []
        for i in 0..<70_000 { text += bytes("k\(i) v\(i)\n") }
        var seen = 0
        var progress: [MapBuildProgress] = []
        _ = try MapBuilder().build(
            from: text,
            into: path,
            diagnostics: { _ in },
            stored: { _, _ in seen += 1 },
            progress: { progress.append($0) }
        )
        #expect(seen == 70_000)
        #expect(progress.contains(.reading(lines: 65_536)))
        #expect(progress.contains(.storing(done: 65_536, total: 70_000)))
        #expect(progress.last == .syncing)
    }

    @Test("dump and query of a missing map fail with 73")
    func missingForReading() throws {
        let path = directory.path("nothing.db")
        #expect(throws: MapBuildError.missingDatabase(path: path)) { try MapDumper.dump(databaseAt: path) { _ in } }
        #expect(throws: MapBuildError.missingDatabase(path: path)) { _ = try MapQuery(databaseAt: path) }
    }

    @Test("libgdbm hash values are 31 bits and differ for different keys")
    func hashOrder() {
        #expect(GDBMHash.value(of: bytes("connect:10.1")) < 1 << 31)
        #expect(GDBMHash.value(of: bytes("a")) != GDBMHash.value(of: bytes("b")))
    }
}

@Suite("GDBM hash order")
struct GDBMHashTests {
    @Test("the Swift hash equals libgdbm's _gdbm_hash, including bytes >= 0x80 and empty keys")
    func sameAsLibgdbm() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<80 {
            for _ in 0..<50 {
                let key = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let viaLibrary = GDBMHash.value(of: key)
                let computed = key.withUnsafeBytes { GDBMHash.computed(of: $0) }
                #expect(viaLibrary == computed, "key \(key)")
            }
        }
    }
}
