/// Eight bytes at a time in one 64-bit word ("SWAR"): the fast paths' check, fold and separator scan of host names,
/// addresses and local parts.
///
/// Each test sets the high bit of every byte (lane) it holds for and clears the other bits, so tests combine with
/// `&`, `|` and `~` and a lane's position is its bit offset ÷ 8. The range tests are exact only for bytes under
/// 0x80; ``scan(_:count:into:separators:offsets:base:capacity:)`` turns words holding a byte of 0x80 or more away
/// before it trusts them (every such byte is outside the fast paths' alphabet anyway).
///
/// A byte-at-a-time loop over a 20-byte name (table look-up, fold, separator bookkeeping) ran about 25 instructions
/// per byte; here one word costs about as much as two bytes did.
enum ByteLanes {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let high: UInt64 = 0x8080_8080_8080_8080
    static let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// Lanes whose byte is in `lower...upper` (bytes under 0x80, bounds at most 0x7F).
    @inline(__always)
    static func inRange(_ x: UInt64, _ lower: UInt8, _ upper: UInt8) -> UInt64 {
        // b + (128 - lower) reaches 128 exactly when b >= lower; b + (127 - upper) stays under 128 exactly when
        // b <= upper. Neither sum carries into the next lane.
        (x &+ ones &* UInt64(128 - lower)) & ~(x &+ ones &* UInt64(127 - upper)) & high
    }

    /// Lanes whose byte equals `byte` (exact for every byte value).
    @inline(__always)
    static func equal(_ x: UInt64, _ byte: UInt8) -> UInt64 {
        let t = x ^ (ones &* UInt64(byte))
        // A lane of t is zero exactly when neither its low seven bits (which cannot carry out of the lane when
        // 0x7F is added) nor its high bit are set.
        return ~(((t & low7) &+ low7) | t) & high
    }

    /// Which bytes separate words: any of ``dot``, ``colon``, ``plus``.
    struct Separators: OptionSet {
        let rawValue: UInt8
        static let dot = Separators(rawValue: 1)
        static let colon = Separators(rawValue: 2)
        static let plus = Separators(rawValue: 4)
    }

    /// Checks `count` bytes at `input`: runs of word bytes (letters, digits, `-`, `_`) separated by single
    /// separator bytes, neither first nor last.
    ///
    /// - Parameters:
    ///   - output: Where to write the bytes with ASCII upper case folded to lower case (the same offsets; it may
    ///     be `input` itself), or `nil`.
    ///   - offsets: Where to write each separator's offset plus `base`, in order (at most `capacity` of them), or
    ///     `nil`.
    /// - Returns: The number of separators, or `nil` when the bytes are anything else, or (with `offsets`) hold
    ///   more than `capacity` separators.
    @inline(__always)
    static func scan(
        _ input: UnsafeRawPointer,
        count n: Int,
        into output: UnsafeMutableRawPointer?,
        separators: Separators,
        offsets: UnsafeMutablePointer<UInt8>? = nil,
        base: Int = 0,
        capacity: Int = 0
    ) -> Int? {
        guard n > 0 else { return nil }
        var i = 0
        // The lane before the first byte counts as a separator, so a leading separator is two in a row.
        var previous: UInt64 = 0x80
        var bad: UInt64 = 0
        var found = 0
        var lastIsSeparator: UInt64 = 0
        while i < n {
            let remaining = n - i
            var x: UInt64 = 0
            let lanes: UInt64
            if remaining >= 8 {
                x = input.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                lanes = high
            } else {
                withUnsafeMutableBytes(of: &x) { $0.baseAddress!.copyMemory(from: input + i, byteCount: remaining) }
                lanes = high & ((1 << UInt64(8 * remaining)) &- 1)
            }
            x = UInt64(littleEndian: x)
            if x & high != 0 { return nil }
            let upper = inRange(x, 0x41, 0x5A)
            let word =
                upper | inRange(x, 0x61, 0x7A) | inRange(x, 0x30, 0x39) | equal(x, UInt8(ascii: "-"))
                | equal(x, UInt8(ascii: "_"))
            var separator: UInt64 = 0
            if separators.contains(.dot) { separator |= equal(x, UInt8(ascii: ".")) }
            if separators.contains(.colon) { separator |= equal(x, UInt8(ascii: ":")) }
            if separators.contains(.plus) { separator |= equal(x, UInt8(ascii: "+")) }
            separator &= lanes
            bad |= lanes & ~(word | separator)
            bad |= separator & ((separator << 8) | previous)
            previous = separator >> 56
            if let output {
                let folded = (x | (upper >> 2)).littleEndian  // 0x80 >> 2 is the case bit, 0x20
                if remaining >= 8 {
                    output.storeBytes(of: folded, toByteOffset: i, as: UInt64.self)
                } else {
                    withUnsafeBytes(of: folded) { (output + i).copyMemory(from: $0.baseAddress!, byteCount: remaining) }
                }
            }
            if let offsets {
                var m = separator
                while m != 0 {
                    guard found < capacity else { return nil }
                    offsets[found] = UInt8(truncatingIfNeeded: base + i + m.trailingZeroBitCount / 8)
                    found += 1
                    m &= m &- 1
                }
            } else {
                found &+= separator.nonzeroBitCount
            }
            if remaining <= 8 { lastIsSeparator = (separator >> UInt64(8 * (remaining - 1))) & 0x80 }
            i += 8
        }
        return bad | lastIsSeparator == 0 ? found : nil
    }
}
