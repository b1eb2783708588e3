/// An access map held in memory: a snapshot of entries, for tests and for callers that load a map themselves.
///
/// Keys are folded to lower case (ASCII) when the source is built, as makemap does without `-f`. Individual keys
/// can be marked to fail temporarily, to exercise the tempfail paths key by key.
public struct InMemoryAccessMapSource: AccessMapSource {
    private let entries: [[UInt8]: [UInt8]]
    private let failingKeys: Set<[UInt8]>

    /// Creates a snapshot.
    ///
    /// - Parameters:
    ///   - entries: Key → value pairs; keys are folded to lower case, values kept verbatim.
    ///   - temporarilyFailing: Keys whose look-up reports a temporary failure (folded as well).
    public init(_ entries: [String: String], temporarilyFailing: Set<String> = []) {
        var folded: [[UInt8]: [UInt8]] = [:]
        for (key, value) in entries { folded[Self.fold(key)] = Array(value.utf8) }
        self.entries = folded
        self.failingKeys = Set(temporarilyFailing.map(Self.fold))
    }

    /// Creates a snapshot from raw bytes; keys must already be folded.
    public init(foldedEntries: [[UInt8]: [UInt8]]) {
        self.entries = foldedEntries
        self.failingKeys = []
    }

    public func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
        let key = Array(foldedKey)
        if failingKeys.contains(key) { return .temporaryFailure }
        if let value = entries[key] { return .found(value) }
        return .notFound
    }

    private static func fold(_ key: String) -> [UInt8] { key.utf8.map(Token.asciiLower) }
}
