/// A word of at most 16 bytes, folded to lower case, held as two little-endian machine words (the bytes past the
/// word zero) and its length: two words compare in two integer compares, with no loop over bytes.
struct PackedWord: Equatable {
    var low: UInt64
    var high: UInt64
    /// The word's length; a word longer than 16 bytes keeps its length (so it equals no packed keyword) and only
    /// its first 16 bytes.
    var length: Int

    /// A lower-case ASCII keyword of at most 16 bytes.
    init(_ keyword: StaticString) {
        precondition(keyword.utf8CodeUnitCount <= 16, "a packed keyword has at most 16 bytes")
        self.init(UnsafeRawBufferPointer(start: keyword.utf8Start, count: keyword.utf8CodeUnitCount))
    }

    /// Bytes as given (no folding), of which only the first 16 are kept.
    init(_ bytes: UnsafeRawBufferPointer) {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for (i, byte) in bytes.prefix(16).enumerated() {
            if i < 8 { low |= UInt64(byte) << UInt64(8 * i) } else { high |= UInt64(byte) << UInt64(8 * (i - 8)) }
        }
        self.init(low: low, high: high, length: bytes.count)
    }

    init(low: UInt64, high: UInt64, length: Int) {
        self.low = low
        self.high = high
        self.length = length
    }

    /// The `length` bytes at `start`, which must be readable for 16 bytes (scratch memory padded for it).
    @inline(__always)
    init(padded start: UnsafeRawPointer, length: Int) {
        var low = UInt64(littleEndian: start.loadUnaligned(as: UInt64.self))
        var high = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        if length < 8 {
            low &= (1 &<< UInt64(8 * length)) &- 1
            high = 0
        } else if length < 16 {
            high &= (1 &<< UInt64(8 * (length - 8))) &- 1
        }
        self.init(low: low, high: high, length: length)
    }

    static let skip = PackedWord("skip")
    static let perm = PackedWord("perm")
    static let temp = PackedWord("temp")
    static let verify = PackedWord("verify")
    static let encr = PackedWord("encr")
    static let cn = PackedWord("cn")
}

extension TLSPeerFastPath.Found {
    /// The longest value ``readPlain(_:count:tlsWords:)`` reads.
    static let maximumPlainValue = 32

    /// Reads a value that is word characters separated by single `+` and `:` and holds at most four words: the
    /// shape of almost every requirement (`VERIFY`, `ENCR:128`, `PERM+VERIFY:112`, `VERIFY+CN`). One eight-bytes-
    /// at-a-time pass checks the value, folds it and finds its separators (``ByteLanes``); each keyword and class
    /// test is then two integer compares per word.
    ///
    /// Returns `nil` for every other value, which ``init(parsing:tlsWords:)`` then reads piece by piece: spaces,
    /// `?`, other characters, separators first, last or in a row, more than four words, more than
    /// ``maximumPlainValue`` bytes. What it returns is what the piece-by-piece reading returns for the same
    /// value (`TLSFastPathTests` compares the two).
    static func readPlain(_ input: UnsafeRawPointer, count n: Int, tlsWords: FoldedWords) -> Self? {
        guard n <= maximumPlainValue else { return nil }
        // 0..<48: the folded value, zero-padded so that any word of it can be read as 16 bytes;
        // 48..<51: the separators' offsets.
        return withUnsafeTemporaryAllocation(byteCount: 56, alignment: 8) { area -> Self? in
            let p = area.baseAddress!
            p.initializeMemory(as: UInt64.self, repeating: 0, count: 7)
            let offsets = (p + 48).assumingMemoryBound(to: UInt8.self)
            guard
                let separators = ByteLanes.scan(
                    input,
                    count: n,
                    into: p,
                    separators: [.colon, .plus],
                    offsets: offsets,
                    capacity: 3
                )
            else { return nil }
            let words = separators + 1
            func start(_ j: Int) -> Int { j == 0 ? 0 : Int(offsets[j - 1]) + 1 }
            func end(_ j: Int) -> Int { j == separators ? n : Int(offsets[j]) }
            func word(_ j: Int) -> PackedWord { PackedWord(padded: p + start(j), length: end(j) - start(j)) }
            func isPlus(_ j: Int) -> Bool { p.load(fromByteOffset: Int(offsets[j]), as: UInt8.self) == 0x2B }
            var found = Self()
            let first = word(0)
            if words == 1 && first == .skip { found.isSkip = true }
            // [PERM+|TEMP+] word of class Tls …
            var b = 0
            if words >= 2 && isPlus(0) && (first == .perm || first == .temp) && tlsWords.contains(word(1)) {
                found.severity = first == .perm ? .permanent : .temporary
                b = 1
            } else if tlsWords.contains(first) {
                found.severity = .standard
            } else {
                return found
            }
            let kind = b == 0 ? first : word(b)
            let rest = words - b
            var extensionStart: Int? = nil
            if rest == 1 && kind == .verify {
                found.base = .verify
            } else if rest >= 2 && kind == .verify && isPlus(b) {
                found.base = .verify
                extensionStart = b + 1
            } else if (rest == 2 || (rest >= 3 && isPlus(b + 1))) && !isPlus(b) && tlsWords.contains(kind) {
                // `kind:bits`; the bits are any word (`ENCR:abc` is `ENCR:0`).
                let bits = Workspace.strtol(
                    bytes: UnsafeRawBufferPointer(start: p + start(b + 1), count: end(b + 1) - start(b + 1))
                )
                found.base = kind == .verify ? .verifyBits(bits) : kind == .encr ? .encryption(bits) : .other
                if rest >= 3 { extensionStart = b + 2 }
            } else {
                return found
            }
            if let e = extensionStart {
                // Only a lone `CN` is read here.
                if words == e + 1 && word(e) == .cn {
                    found.commonNameExtension = true
                } else {
                    found.isComplex = true
                }
            }
            return found
        }
    }
}
