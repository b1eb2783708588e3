/// Wraps a source and makes chosen look-ups fail temporarily: every key containing `marker` (ASCII
/// case-insensitive) and every key whose stored value is exactly `TMPF`.
///
/// This reproduces the socketmap the reference observations used to provoke `<TMPF>` (keys with `tmpf` in
/// them, or entries valued `TMPF`), so recorded tempfail cases can be replayed against a GDBM map.
public struct TemporaryFailureInjectingSource: AccessMapSource {
    /// The wrapped map.
    public let base: any AccessMapSource
    /// The folded marker bytes.
    private let marker: [UInt8]

    /// Creates the wrapper.
    ///
    /// - Parameters:
    ///   - base: The map answering every other look-up.
    ///   - marker: Keys containing this text fail (default `tmpf`); empty disables the key rule.
    public init(base: any AccessMapSource, marker: String = "tmpf") {
        self.base = base
        self.marker = marker.utf8.map(Token.asciiLower)
    }

    public func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
        if !marker.isEmpty, Self.contains(foldedKey, marker) { return .temporaryFailure }
        let answer = base.lookup(foldedKey: foldedKey)
        if case .found(let value) = answer, value == Array("TMPF".utf8) { return .temporaryFailure }
        return answer
    }

    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) {
            var i = 0
            while i < needle.count && haystack[start + i] == needle[i] { i += 1 }
            if i == needle.count { return true }
        }
        return false
    }
}
