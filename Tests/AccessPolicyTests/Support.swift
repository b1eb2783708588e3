import AccessMap
import Foundation
import GDBMStore

/// Test helpers: fixture paths and GDBM maps built from access-map text in a per-test directory.
enum Support {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Fixtures")

    /// A map source and its label in test messages.
    typealias NamedSource = (label: String, source: any AccessMapSource)

    /// One map (folded keys) as the three sources the fast-path tests compare on: in memory (keys containing `tmpf`
    /// fail temporarily), as a snapshot, and as a GDBM file written at `path`.
    static func threeSources(_ entries: [[UInt8]: [UInt8]], gdbmPath path: String) throws -> [NamedSource] {
        let db = try GDBMDatabase(path: path, mode: .truncate)
        for (key, value) in entries { _ = try db.store(value, forKey: key, replace: true) }
        try db.close()
        return [
            ("memory", TemporaryFailureInjectingSource(base: InMemoryAccessMapSource(foldedEntries: entries))),
            ("snapshot", SnapshotAccessMapSource(AccessMapSnapshot(records: entries.map { ($0.key, $0.value) }))),
            ("gdbm", try GDBMAccessMapSource(path: path, handleCount: 1)),
        ]
    }

    /// A fresh directory removed by the caller.
    static func makeDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a GDBM map from access text the way makemap reads it (comment and blank lines skipped, key up to
    /// the first white space folded to lower case, first value of a duplicate key kept).
    static func buildMap(text: String, at path: String) throws {
        let db = try GDBMDatabase(path: path, mode: .truncate)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let bytes = Array(line.utf8)
            guard let first = bytes.first, first != UInt8(ascii: "#"), !Tokenizer.isSpace(first) else { continue }
            guard let split = bytes.firstIndex(where: Tokenizer.isSpace) else { continue }
            var start = split
            while start < bytes.count && Tokenizer.isSpace(bytes[start]) { start += 1 }
            guard start < bytes.count else { continue }
            let key = bytes[..<split].map(Token.asciiLowercased)
            _ = try db.store(Array(bytes[start...]), forKey: key, replace: false)
        }
        try db.close()
    }

    /// An in-memory source from access text (same reading as ``buildMap(text:at:)``).
    static func memoryMap(_ text: String) -> InMemoryAccessMapSource {
        var entries: [[UInt8]: [UInt8]] = [:]
        for line in text.split(separator: "\n") {
            let bytes = Array(line.utf8)
            guard let first = bytes.first, first != UInt8(ascii: "#"), !Tokenizer.isSpace(first),
                let split = bytes.firstIndex(where: Tokenizer.isSpace)
            else { continue }
            var start = split
            while start < bytes.count && Tokenizer.isSpace(bytes[start]) { start += 1 }
            guard start < bytes.count else { continue }
            let key = bytes[..<split].map(Token.asciiLowercased)
            if entries[key] == nil { entries[key] = Array(bytes[start...]) }
        }
        return InMemoryAccessMapSource(foldedEntries: entries)
    }
}
