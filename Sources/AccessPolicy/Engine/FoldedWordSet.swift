import AccessMap

/// The words of a class of any size (`w`, `R`, `m`, `TrustAuthMech`), folded to lower case, in one open-addressing
/// hash table over one byte array: a membership test on bytes hashes and compares in place and allocates nothing.
///
/// Membership is ``ClassSet/contains(_:)``'s: ASCII case is ignored, other bytes compare exactly.
struct FoldedWordSet: Sendable {
    /// The folded words, back to back.
    private var storage: [UInt8] = []
    /// `start << 16 | length` of a word, or 0 for an empty slot; the count is a power of two.
    private var slots: [UInt64] = []
    /// Bit `min(length, 63)` is set when a word has that length: most candidates are refused without hashing.
    private var lengths: UInt64 = 0
    /// The number of words.
    private(set) var count = 0
    /// Every word fitted (a word longer than 65 535 bytes does not).
    private(set) var isComplete = true

    init(_ words: [String]) {
        var folded: [[UInt8]] = []
        for word in words {
            let bytes = word.utf8.map(Token.asciiLowercased)
            guard !bytes.isEmpty else { continue }
            guard bytes.count <= Int(UInt16.max) else {
                isComplete = false
                continue
            }
            folded.append(bytes)
        }
        var size = 8
        while size < folded.count * 2 { size *= 2 }
        slots = [UInt64](repeating: 0, count: size)
        for bytes in folded {
            let present = bytes.withUnsafeBytes { contains($0) }
            if present { continue }
            let start = UInt64(storage.count)
            storage.append(contentsOf: bytes)
            var i = bytes.withUnsafeBytes { Int(truncatingIfNeeded: Self.hash($0)) } & (size - 1)
            while slots[i] != 0 { i = (i + 1) & (size - 1) }
            slots[i] = start << 16 | UInt64(bytes.count)
            lengths |= 1 << UInt64(min(bytes.count, 63))
            count += 1
        }
    }

    /// FNV-1a over the folded bytes.
    @inline(__always)
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h ^= UInt64(Token.asciiLowercased(byte))
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// `word` is a member, ignoring ASCII case.
    func contains(_ word: UnsafeRawBufferPointer) -> Bool {
        guard count > 0, lengths & (1 << UInt64(min(word.count, 63))) != 0 else { return false }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(word)) & mask
        return slots.withUnsafeBufferPointer { slots in
            storage.withUnsafeBufferPointer { storage in
                while true {
                    let entry = slots[i]
                    if entry == 0 { return false }
                    if Int(entry & 0xFFFF) == word.count {
                        let start = Int(entry >> 16)
                        var k = 0
                        while k < word.count && Token.asciiLowercased(word[k]) == storage[start + k] { k += 1 }
                        if k == word.count { return true }
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    /// A suffix of `bytes` that starts on a token boundary (a member such as `.example.com` or `example.com`
    /// matches `mx.example.com`) is a member: sendmail's `$* $=X`. `bytes` holds word characters and one-byte
    /// operators only (a plain name or address), so the boundaries are the edges of every non-word byte.
    func containsSuffix(of bytes: UnsafeRawBufferPointer) -> Bool {
        guard count > 0 else { return false }
        var start = bytes.count - 1
        while start >= 0 {
            if start == 0 || !TLSPeerFastPath.isWordByte(bytes[start])
                || !TLSPeerFastPath.isWordByte(bytes[start - 1])
            {
                if contains(UnsafeRawBufferPointer(rebasing: bytes[start...])) { return true }
            }
            start -= 1
        }
        return false
    }

    /// A prefix of `bytes` that ends on a token boundary is a member: sendmail's `$=X $*`.
    func containsPrefix(of bytes: UnsafeRawBufferPointer) -> Bool {
        guard count > 0 else { return false }
        var end = 1
        while end <= bytes.count {
            if end == bytes.count || !TLSPeerFastPath.isWordByte(bytes[end])
                || !TLSPeerFastPath.isWordByte(bytes[end - 1])
            {
                if contains(UnsafeRawBufferPointer(rebasing: bytes[0..<end])) { return true }
            }
            end += 1
        }
        return false
    }
}
