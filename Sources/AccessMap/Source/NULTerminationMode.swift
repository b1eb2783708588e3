import Synchronization

/// sendmail's rule for keys with and without a trailing NUL, per open map.
///
/// A map declared without `-N`/`-O` (the access map's default) tries each key first as is, then with a trailing
/// NUL (maps built with makemap `-N`). The first hit settles the question for the rest of the map's life: after a
/// hit without NUL only plain keys are tried, after a hit with NUL only NUL-terminated ones. Recorded from
/// sendmail 8.17.1.9 (`-d60.1`, a hash map holding `connect:example.net` plain and `tls_clt:nul.example` with
/// NUL): after `Connect:example.net` was found, `TLS_Clt:nul.example` is NOT FOUND; in the other order,
/// `Connect:example.net` is NOT FOUND.
///
/// So a miss costs one fetch once the map has answered one hit, as in sendmail. The state changes at most twice
/// and is read with a relaxed atomic load: threads do not write to it in the steady state.
final class NULTerminationMode: Sendable {
    private static let plain: UInt8 = 1
    private static let terminated: UInt8 = 2
    private let mode = Atomic<UInt8>(plain | terminated)

    init() {}

    /// Looks `key` up the way the current mode says; `fetch` answers one exact key.
    @inline(__always)
    func lookup<T, E: Error>(
        _ key: UnsafeRawBufferPointer,
        _ fetch: (UnsafeRawBufferPointer) throws(E) -> T?
    ) throws(E) -> T? {
        let current = mode.load(ordering: .relaxed)
        if current & Self.plain != 0, let value = try fetch(key) {
            if current & Self.terminated != 0 { mode.bitwiseAnd(~Self.terminated, ordering: .relaxed) }
            return value
        }
        guard current & Self.terminated != 0 else { return nil }
        let value = try withUnsafeTemporaryAllocation(byteCount: key.count + 1, alignment: 1) {
            (buffer) throws(E) -> T? in
            if let base = key.baseAddress { buffer.baseAddress!.copyMemory(from: base, byteCount: key.count) }
            buffer[key.count] = 0
            return try fetch(UnsafeRawBufferPointer(buffer))
        }
        if value != nil, current & Self.plain != 0 { mode.bitwiseAnd(~Self.plain, ordering: .relaxed) }
        return value
    }
}
