/// A small seeded random number generator (SplitMix64): the same seed gives the same sequence everywhere, so the
/// generated maps and sessions are identical on every machine and in every run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<n` (modulo bias is irrelevant for a workload generator and keeps the sequence simple).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// One element of `items`.
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Base-36 text of a number: short unique labels for generated names.
func base36(_ value: Int) -> String { String(value, radix: 36) }
