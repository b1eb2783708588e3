import AccessMap
import AccessPolicy
import Foundation
import Testing

/// The engine asks its source for the version to use once per decision (`AccessMapSource.pinned()`).
@Suite("Pinned map version per decision")
struct PinnedSourceTests {
    /// A source that answers nothing itself but hands out a pinned map with an entry.
    struct Switching: AccessMapSource {
        let pinnedMap: InMemoryAccessMapSource
        func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult { .notFound }
        func pinned() -> any AccessMapSource { pinnedMap }
    }

    @Test("decisions look keys up in the pinned source, not the outer one")
    func decisionsUsePinnedSource() {
        let source = Switching(pinnedMap: InMemoryAccessMapSource(["TLS_Clt:mx.example.net": "VERIFY"]))
        let engine = PolicyEngine(source: source)
        var session = SessionMacros()
        session[.clientName] = "mx.example.net"
        session[.clientAddr] = "192.0.2.7"
        session[.verify] = "NO"
        var rejected = false
        if case .reject = engine.tlsClient(session, phase: .mail) { rejected = true }
        #expect(rejected, "the VERIFY entry of the pinned map was not applied")
    }

    /// A source whose map changes after every `pinned()`: the first version has the entry, later ones do not.
    final class Versions: AccessMapSource, @unchecked Sendable {
        // @unchecked: `handedOut` is only touched under `lock`.
        private let lock = NSLock()
        private var handedOut = 0
        func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
            pinned().lookup(foldedKey: foldedKey)
        }
        func pinned() -> any AccessMapSource {
            lock.lock()
            defer { lock.unlock() }
            handedOut += 1
            return handedOut == 1
                ? InMemoryAccessMapSource(["TLS_Clt:mx.example.net": "VERIFY"]) : EmptyAccessMapSource()
        }
    }

    @Test("an engine pinned once keeps that map version for every later decision")
    func pinnedEngineKeepsItsVersion() {
        let engine = PolicyEngine(source: Versions()).pinned()
        var session = SessionMacros()
        session[.clientName] = "mx.example.net"
        session[.clientAddr] = "192.0.2.7"
        session[.verify] = "NO"
        for _ in 0..<3 {
            var rejected = false
            if case .reject = engine.tlsClient(session, phase: .mail) { rejected = true }
            #expect(rejected, "the pinned version's VERIFY entry was not applied")
        }
    }
}
