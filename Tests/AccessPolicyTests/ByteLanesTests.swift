import Testing

@testable import AccessPolicy

/// The eight-bytes-at-a-time scanner against a byte-at-a-time reference.
@Suite struct ByteLanesTests {
    static func isWord(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
    }

    static func isSeparator(_ b: UInt8, _ separators: ByteLanes.Separators) -> Bool {
        (separators.contains(.dot) && b == UInt8(ascii: "."))
            || (separators.contains(.colon) && b == UInt8(ascii: ":"))
            || (separators.contains(.plus) && b == UInt8(ascii: "+"))
    }

    /// The reference: the separators' offsets when the bytes are separated words, else `nil`.
    static func reference(_ bytes: [UInt8], _ separators: ByteLanes.Separators) -> [Int]? {
        guard !bytes.isEmpty else { return nil }
        var offsets: [Int] = []
        var previousSeparator = true
        for (i, b) in bytes.enumerated() {
            if isSeparator(b, separators) {
                if previousSeparator { return nil }
                offsets.append(i)
                previousSeparator = true
            } else if isWord(b) {
                previousSeparator = false
            } else {
                return nil
            }
        }
        return previousSeparator ? nil : offsets
    }

    static func folded(_ bytes: [UInt8]) -> [UInt8] { bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }

    /// Runs the scanner with output and offsets, and without either; checks both against the reference.
    static func check(_ bytes: [UInt8], _ separators: ByteLanes.Separators, capacity: Int = 64, base: Int = 0) {
        let expected = reference(bytes, separators)
        var output = [UInt8](repeating: 0xEE, count: bytes.count + 16)
        var offsets = [UInt8](repeating: 0, count: capacity)
        let count = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                offsets.withUnsafeMutableBufferPointer { off in
                    ByteLanes.scan(
                        input.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!,
                        count: bytes.count,
                        into: out.baseAddress!,
                        separators: separators,
                        offsets: off.baseAddress!,
                        base: base,
                        capacity: capacity
                    )
                }
            }
        }
        let bare = bytes.withUnsafeBytes { input in
            ByteLanes.scan(
                input.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!,
                count: bytes.count,
                into: nil,
                separators: separators
            )
        }
        #expect(bare == expected?.count, "\(bytes) \(separators.rawValue)")
        if let expected, expected.count <= capacity {
            #expect(count == expected.count, "\(bytes) \(separators.rawValue)")
            #expect(offsets.prefix(expected.count).map { Int($0) - base } == expected, "\(bytes)")
            #expect(Array(output.prefix(bytes.count)) == folded(bytes), "\(bytes)")
            #expect(output.dropFirst(bytes.count).allSatisfy { $0 == 0xEE }, "no write past the end: \(bytes)")
        } else {
            #expect(count == nil, "\(bytes) \(separators.rawValue) capacity \(capacity)")
        }
    }

    static let allSeparatorSets: [ByteLanes.Separators] = [[], .dot, [.dot, .colon], [.dot, .plus], .plus]

    /// Every byte value at every position of the first two words, in an otherwise plain name.
    @Test func everyByteAtEveryPosition() {
        for length in [1, 2, 7, 8, 9, 15, 16, 17] {
            for position in 0..<length {
                for value in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = value
                    for separators in Self.allSeparatorSets { Self.check(bytes, separators) }
                }
            }
        }
    }

    /// The short copy moves exactly the bytes asked, for every length up to 40 and every alignment.
    @Test func copiesExactly() {
        let source = (0..<64).map { UInt8($0 + 1) }
        for count in 0...40 {
            for offset in 0..<8 {
                var target = [UInt8](repeating: 0, count: 64)
                source.withUnsafeBytes { from in
                    target.withUnsafeMutableBytes { to in
                        ByteLanes.copy(from.baseAddress! + offset, to: to.baseAddress! + 3, count: count)
                    }
                }
                #expect(target[3..<(3 + count)] == source[offset..<(offset + count)], "\(count) from \(offset)")
                #expect(target[0..<3].allSatisfy { $0 == 0 } && target[(3 + count)...].allSatisfy { $0 == 0 })
            }
        }
    }

    /// The search finds the first occurrence at every position, and only inside the buffer.
    @Test func findsTheFirstByte() {
        for length in 0...30 {
            for position in 0...length {
                // An `@` at `position` (none when it is `length`), another after it, and one just past the end.
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length + 1)
                bytes[position] = UInt8(ascii: "@")
                if position + 3 < length { bytes[position + 3] = UInt8(ascii: "@") }
                let found = bytes.withUnsafeBytes {
                    ByteLanes.firstIndex(of: UInt8(ascii: "@"), in: UnsafeRawBufferPointer(rebasing: $0[0..<length]))
                }
                #expect(found == (position < length ? position : nil), "\(length) \(position)")
            }
        }
    }

    /// Two separators in a row, a separator first or last, at every position: across a word boundary too.
    @Test func separatorsInARowAtEveryPosition() {
        for length in 2...25 {
            for position in 0..<(length - 1) {
                var bytes = [UInt8](repeating: UInt8(ascii: "b"), count: length)
                bytes[position] = UInt8(ascii: ".")
                bytes[position + 1] = UInt8(ascii: ".")
                Self.check(bytes, .dot)
                #expect(Self.reference(bytes, .dot) == nil)
                bytes[position + 1] = UInt8(ascii: "b")
                Self.check(bytes, .dot)
                #expect((Self.reference(bytes, .dot) == nil) == (position == 0))
            }
            var last = [UInt8](repeating: UInt8(ascii: "b"), count: length)
            last[length - 1] = UInt8(ascii: ".")
            Self.check(last, .dot)
        }
    }

    /// Seeded random mixes of the bytes that matter, lengths 0 to 40, with the offsets' base and a small capacity.
    @Test func randomStrings() {
        var r = TLSFastPathTests.Random(seed: 11)
        let alphabet: [UInt8] =
            Array("aZz09-_.:+.@[]/`{ ".utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xFF, 0x40, 0x5B, 0x2F, 0x3A]
        let wordBytes = Array("abXY09-_".utf8)
        for _ in 0..<40_000 {
            // Mostly word bytes, so that many strings pass.
            let bytes = (0..<r.below(41)).map { _ in r.chance(25) ? r.pick(alphabet) : r.pick(wordBytes) }
            Self.check(bytes, r.pick(Self.allSeparatorSets), capacity: 1 + r.below(6), base: 1)
        }
    }
}
