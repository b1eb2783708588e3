import Foundation
import GDBMStore
import Testing

@testable import AccessMap

/// Noticing a rebuilt map file and switching to it, for both storages.
@Suite("Auto-reloading access map source")
final class AutoReloadingSourceTests {
    let directory: URL
    let path: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("access.db").path
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Builds a map beside the target and renames it over (as makemap does).
    func publish(_ value: String, extra: Int = 0) throws {
        let temporary = path + ".new"
        let db = try GDBMDatabase(path: temporary, mode: .truncate)
        try db.store(Array(value.utf8), forKey: Array("tls_clt:host.example".utf8), replace: true)
        for i in 0..<extra { try db.store(Array("OK".utf8), forKey: Array("connect:h\(i)".utf8), replace: true) }
        try db.close()
        #expect(rename(temporary, path) == 0)
    }

    func answer(_ source: some AccessMapSource) -> AccessMapSourceResult { Self.answer(source) }

    static func answer(_ source: some AccessMapSource) -> AccessMapSourceResult {
        Array("tls_clt:host.example".utf8).withUnsafeBytes { source.lookup(foldedKey: $0) }
    }

    /// `false`: GDBM handles, `true`: in-memory snapshot.
    static let storages = [false, true]

    static func storage(_ snapshot: Bool) -> AutoReloadingAccessMapSource.Storage {
        snapshot ? .snapshot : .gdbm(handleCount: 2)
    }

    @Test("switches to a rebuilt file; an unchanged file is not reloaded", arguments: storages)
    func switchesOnRebuild(snapshot: Bool) throws {
        try publish("VERIFY")
        let source = AutoReloadingAccessMapSource(path: path, storage: Self.storage(snapshot), checkInterval: nil)
        #expect(answer(source) == .found(Array("VERIFY".utf8)))
        #expect(source.current.generation == 0)
        #expect(source.reloadIfChanged() == false)
        let pinned = source.current
        try publish("ENCR:256", extra: 10)
        #expect(source.reloadIfChanged() == true)
        #expect(answer(source) == .found(Array("ENCR:256".utf8)))
        #expect(source.current.generation == 1)
        #expect(source.current.identity == MapFileIdentity(path: path))
        // A decision that pinned the old version finishes on it.
        #expect(answer(pinned.source) == .found(Array("VERIFY".utf8)))
    }

    @Test("a replaced version is kept by the source for a grace period, not released by the decision that drops it")
    func replacedVersionIsRetired() throws {
        try publish("VERIFY")
        let source = AutoReloadingAccessMapSource(path: path, storage: .snapshot, checkInterval: nil)
        weak var oldSnapshot: AccessMapSnapshot?
        do {
            let pinned = try #require(source.current.source as? SnapshotAccessMapSource)
            oldSnapshot = pinned.snapshot
        }
        try publish("ENCR:256", extra: 5)
        #expect(source.reloadIfChanged())
        // Nobody pins the old version any more, yet it is still alive: the reloading side releases it later.
        #expect(oldSnapshot != nil)
        #expect(source.retiredCount == 1)
    }

    @Test("look-ups notice the new file by themselves after the check interval", arguments: storages)
    func checksPeriodically(snapshot: Bool) async throws {
        try publish("VERIFY")
        let source = AutoReloadingAccessMapSource(
            path: path,
            storage: Self.storage(snapshot),
            checkInterval: .milliseconds(10)
        )
        #expect(answer(source) == .found(Array("VERIFY".utf8)))
        try publish("ENCR:128", extra: 3)
        var switched = false
        for _ in 0..<500 where !switched {
            switched = answer(source) == .found(Array("ENCR:128".utf8))
            if !switched { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(switched)
        #expect(source.current.generation == 1)
    }

    @Test("a missing file is empty when optional, a temporary failure otherwise; it is picked up once it appears")
    func missingFile() throws {
        let optional = AutoReloadingAccessMapSource(path: path, optional: true, checkInterval: nil)
        let required = AutoReloadingAccessMapSource(path: path, optional: false, checkInterval: nil)
        #expect(answer(optional) == .notFound)
        #expect(answer(required) == .temporaryFailure)
        try publish("VERIFY")
        #expect(required.reloadIfChanged())
        #expect(answer(required) == .found(Array("VERIFY".utf8)))
        try FileManager.default.removeItem(atPath: path)
        #expect(required.reloadIfChanged())
        #expect(answer(required) == .temporaryFailure)
    }

    @Test("a required file must open at start; later a missing or broken file keeps the version in service")
    func requiredFile() throws {
        #expect(throws: GDBMError.self) { try AutoReloadingAccessMapSource(existingFileAt: path, checkInterval: nil) }
        try Data("not a gdbm file\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: GDBMError.self) { try AutoReloadingAccessMapSource(existingFileAt: path, checkInterval: nil) }
        try publish("VERIFY")
        let source = try AutoReloadingAccessMapSource(existingFileAt: path, checkInterval: nil)
        #expect(source.optional == false)
        #expect(source.checkForReplacement() == .unchanged)
        try FileManager.default.removeItem(atPath: path)
        guard case .failed = source.checkForReplacement() else {
            Issue.record("a missing required file should be reported as failed")
            return
        }
        #expect(answer(source) == .found(Array("VERIFY".utf8)))
        #expect(source.current.generation == 0)
        try publish("ENCR:256")
        #expect(source.checkForReplacement() == .reloaded(generation: 1))
        #expect(answer(source) == .found(Array("ENCR:256".utf8)))
    }

    @Test("checkForReplacement says what a check did")
    func outcomes() throws {
        try publish("VERIFY")
        let source = AutoReloadingAccessMapSource(path: path, checkInterval: nil)
        #expect(source.checkForReplacement() == .unchanged)
        try Data("not a gdbm file\n".utf8).write(to: URL(fileURLWithPath: path + ".bad"))
        #expect(rename(path + ".bad", path) == 0)
        guard case .failed(let reason) = source.checkForReplacement() else {
            Issue.record("a broken replacement should be reported as failed")
            return
        }
        #expect(reason.contains(path))
        try publish("ENCR:256")
        #expect(source.checkForReplacement() == .reloaded(generation: 1))
        try FileManager.default.removeItem(atPath: path)
        #expect(source.checkForReplacement() == .reloaded(generation: 2))  // not required: unavailable from now on
        #expect(answer(source) == .temporaryFailure)
    }

    @Test("a replacement that is not a GDBM file keeps the previous version in service", arguments: storages)
    func unreadableReplacementKeepsOld(snapshot: Bool) throws {
        try publish("VERIFY")
        let source = AutoReloadingAccessMapSource(path: path, storage: Self.storage(snapshot), checkInterval: nil)
        try Data("not a gdbm file\n".utf8).write(to: URL(fileURLWithPath: path + ".bad"))
        #expect(rename(path + ".bad", path) == 0)
        #expect(source.reloadIfChanged() == false)
        #expect(answer(source) == .found(Array("VERIFY".utf8)))
        #expect(source.current.generation == 0)
    }

    @Test("look-ups from other threads keep answering while a version is loaded and swapped")
    func concurrentLookupsDuringReload() async throws {
        try publish("VERIFY", extra: 20_000)
        let source = AutoReloadingAccessMapSource(path: path, storage: .snapshot, checkInterval: nil)
        let valid: Set<AccessMapSourceResult> = [.found(Array("VERIFY".utf8)), .found(Array("ENCR:256".utf8))]
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var bad = 0
                    for _ in 0..<20_000 where !valid.contains(Self.answer(source)) { bad += 1 }
                    return bad
                }
            }
            try publish("ENCR:256", extra: 20_000)
            #expect(source.reloadIfChanged())
            for try await bad in group { #expect(bad == 0) }
        }
        #expect(answer(source) == .found(Array("ENCR:256".utf8)))
    }
}
