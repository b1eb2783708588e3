/// Where access-map look-ups go: a GDBM file, an in-memory snapshot, or a stand-in for a map that cannot be read.
///
/// A source answers one exact, already case-folded key at a time; search orders, tags and value parsing live in
/// ``AccessLookup``. Implementations must be safe to call from many threads at once.
public protocol AccessMapSource: Sendable {
    /// Looks one key up.
    ///
    /// - Parameter foldedKey: The key bytes, ASCII upper case already folded to lower case, without a trailing NUL.
    /// - Returns: The stored value (without a trailing NUL), not found, or a temporary failure when the map could
    ///   not be read.
    func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult

    /// Looks one key up and hands the stored value (trailing NUL removed) to `body` without copying it: the
    /// allocation-free form of ``lookup(foldedKey:)`` for the hot path. The buffer is valid only inside `body`,
    /// which runs only when the key is found.
    ///
    /// Not generic on purpose: a generic requirement called through `any AccessMapSource` looks its type metadata
    /// up at run time on every call. The default implementation calls ``lookup(foldedKey:)``; sources that can lend
    /// their storage (GDBM, snapshot) override it.
    func visitValue(
        foldedKey: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> AccessMapSourceStatus

    /// The source to use for one whole evaluation (one decision): a source that can switch to a new version of
    /// its map (``AutoReloadingAccessMapSource``) returns the version in service, so that every look-up of the
    /// decision sees the same map and pays for the switch check once. Other sources return themselves (the
    /// default).
    func pinned() -> any AccessMapSource

    /// Runs `body` with the source to use for one whole decision, like ``pinned()`` but scoped: a source may
    /// hold resources for the length of the call (a GDBM source holds one handle's lock, so its look-ups neither
    /// lock nor touch reference counts). The source handed to `body` is valid only inside it: do not keep it, and
    /// do not use the original source inside `body` (with a one-handle GDBM pool that would wait for the handle
    /// `body` holds).
    func withPinnedSource(_ body: (any AccessMapSource) -> Void)
}

extension AccessMapSource {
    /// Copies through ``lookup(foldedKey:)``.
    public func visitValue(
        foldedKey: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> AccessMapSourceStatus {
        switch lookup(foldedKey: foldedKey) {
        case .found(let value):
            value.withUnsafeBytes(body)
            return .found
        case .notFound: return .notFound
        case .temporaryFailure: return .temporaryFailure
        }
    }

    /// Runs `body` with ``pinned()``.
    public func withPinnedSource(_ body: (any AccessMapSource) -> Void) { body(pinned()) }

    /// Returns `self`: the source does not change between look-ups.
    public func pinned() -> any AccessMapSource { self }
}

/// The answer of an ``AccessMapSource`` for one key.
public enum AccessMapSourceResult: Hashable, Sendable {
    /// The key is stored with this value (bytes as stored, trailing NUL removed).
    case found([UInt8])
    /// The key is not in the map.
    case notFound
    /// The map could not be read: sendmail's `-T<TMPF>` answer, a temporary failure.
    case temporaryFailure
}

/// The answer of ``AccessMapSource/visitValue(foldedKey:_:)``.
public enum AccessMapSourceStatus: Hashable, Sendable {
    /// The key is stored (the body has seen its value).
    case found
    /// The key is not in the map.
    case notFound
    /// The map could not be read.
    case temporaryFailure
}

/// A map with no entries: every look-up is "not found".
///
/// This is how sendmail treats an optional (`-o`) map that cannot be opened: the access rules silently do nothing.
public struct EmptyAccessMapSource: AccessMapSource {
    /// Creates the empty source.
    public init() {}

    public func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult { .notFound }
}

/// A map that cannot be read: every look-up is a temporary failure.
///
/// This is how sendmail treats a non-optional map that cannot be opened, and how a test provokes the
/// `<TMPF>` path of every ruleset.
public struct UnavailableAccessMapSource: AccessMapSource {
    /// Creates the failing source.
    public init() {}

    public func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult { .temporaryFailure }
}
