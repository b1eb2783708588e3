import Foundation
import GDBMStore
import Testing

@Suite("GDBM wrapper")
final class GDBMDatabaseTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gdbm-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test("stores, fetches, iterates and counts byte keys and values")
    func roundTrip() throws {
        let file = path("a.db")
        do {
            let db = try GDBMDatabase(path: file, mode: .truncate)
            #expect(try db.store(Array("OK".utf8), forKey: Array("connect:10.1".utf8), replace: false))
            #expect(try db.store([0xff, 0x00, 0x41], forKey: [0x80, 0x00], replace: false))
            #expect(try db.store([], forKey: Array("empty".utf8), replace: false))
            try db.close()
        }
        let db = try GDBMDatabase(path: file, mode: .readOnly)
        #expect(try db.fetch("connect:10.1") == Array("OK".utf8))
        #expect(try db.fetch([0x80, 0x00]) == [0xff, 0x00, 0x41])
        #expect(try db.fetch("empty") == [])
        #expect(try db.fetch("missing") == nil)
        #expect(try db.count() == 3)
        var seen: [[UInt8]: [UInt8]] = [:]
        // swift-format-ignore: ReplaceForEachWithForLoop
        // (GDBMDatabase.forEach walks the database; it is not Sequence.forEach)
        try db.forEach { key, value in seen[Array(key)] = Array(value) }
        #expect(seen.count == 3)
        #expect(seen[Array("connect:10.1".utf8)] == Array("OK".utf8))
    }

    @Test("withValue hands over the stored bytes, skips its body on a miss and returns the body's error")
    func withValueOutcomes() throws {
        struct Refused: Error, Equatable { let length: Int }
        let file = path("v.db")
        do {
            let db = try GDBMDatabase(path: file, mode: .truncate)
            #expect(try db.store([0x4F, 0x4B, 0x00], forKey: Array("k".utf8), replace: false))
            try db.close()
        }
        let db = try GDBMDatabase(path: file, mode: .readOnly)
        let key = Array("k".utf8)
        let hit = try key.withUnsafeBytes { k in try db.withValue(forKey: k) { value in Array(value) } }
        #expect(hit?.get() == [0x4F, 0x4B, 0x00])  // as stored: the trailing NUL stays
        var calls = 0
        let miss = try Array("absent".utf8).withUnsafeBytes { k in
            try db.withValue(forKey: k) { _ in calls += 1 }
        }
        #expect(miss == nil && calls == 0)
        let refused = try key.withUnsafeBytes { k in
            try db.withValue(forKey: k) { (value) throws(Refused) -> Int in throw Refused(length: value.count) }
        }
        guard case .failure(let error) = refused else {
            Issue.record("expected the body's error, got \(String(describing: refused))")
            return
        }
        #expect(error == Refused(length: 3))
    }

    @Test("insert keeps the first value, replace overwrites")
    func insertVersusReplace() throws {
        let db = try GDBMDatabase(path: path("b.db"), mode: .truncate)
        #expect(try db.store(Array("one".utf8), forKey: Array("k".utf8), replace: false))
        #expect(try db.store(Array("two".utf8), forKey: Array("k".utf8), replace: false) == false)
        #expect(try db.fetch("k") == Array("one".utf8))
        #expect(try db.store(Array("three".utf8), forKey: Array("k".utf8), replace: true))
        #expect(try db.fetch("k") == Array("three".utf8))
    }

    @Test("opening a missing file read-only throws fileOpen with path and operation")
    func missingFile() throws {
        let file = path("missing.db")
        let error = #expect(throws: GDBMError.self) { _ = try GDBMDatabase(path: file, mode: .readOnly) }
        #expect(error?.kind == .fileOpen)
        #expect(error?.operation == .open)
        #expect(error?.path == file)
        #expect(error?.description.contains(file) == true)
    }

    @Test("a file that is not a GDBM database is reported as such")
    func notADatabase() throws {
        let file = path("garbage.db")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: GDBMError.self) { _ = try GDBMDatabase(path: file, mode: .readOnly) }
        #expect(error?.kind == .notADatabase)
    }

    @Test("storing through a read-only handle throws readOnly")
    func readOnlyStore() throws {
        let file = path("c.db")
        try GDBMDatabase(path: file, mode: .truncate).close()
        let db = try GDBMDatabase(path: file, mode: .readOnly)
        let error = #expect(throws: GDBMError.self) {
            try db.store(Array("v".utf8), forKey: Array("k".utf8), replace: true)
        }
        #expect(error?.kind == .readOnly)
    }

    @Test("the reader pool answers from many threads at once")
    func concurrentReaders() async throws {
        let file = path("d.db")
        do {
            let db = try GDBMDatabase(path: file, mode: .truncate)
            for i in 0..<1000 { try db.store(Array("v\(i)".utf8), forKey: Array("k\(i)".utf8), replace: false) }
        }
        let pool = try GDBMReaderPool(path: file, handleCount: 2)
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for t in 0..<8 {
                group.addTask {
                    var bad = 0
                    for i in stride(from: t, to: 1000, by: 8) {
                        if (try? pool.fetch("k\(i)")) != Array("v\(i)".utf8) { bad += 1 }
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test("a reader keeps its file after the path is replaced by rename")
    func readerSurvivesRename() throws {
        let file = path("e.db")
        do {
            let db = try GDBMDatabase(path: file, mode: .truncate)
            try db.store(Array("old".utf8), forKey: Array("k".utf8), replace: false)
        }
        let reader = try GDBMReaderPool(path: file, handleCount: 1)
        let replacement = path("e.db.new")
        do {
            let db = try GDBMDatabase(path: replacement, mode: .truncate)
            try db.store(Array("new".utf8), forKey: Array("k".utf8), replace: false)
        }
        #expect(rename(replacement, file) == 0)
        #expect(try reader.fetch("k") == Array("old".utf8))
        #expect(try GDBMDatabase(path: file, mode: .readOnly).fetch("k") == Array("new".utf8))
    }
}
