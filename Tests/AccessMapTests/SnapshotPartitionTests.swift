import Testing

@testable import AccessMap

/// The snapshot's partitions (by tag), filters and hash, checked against a dictionary of the same records.
@Suite("Access map snapshot partitions and filters")
struct SnapshotPartitionTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// Every key of `records` answers its (first) value; every key of `misses` answers nothing.
    static func expectSameAnswers(
        _ snapshot: AccessMapSnapshot,
        _ records: [([UInt8], [UInt8])],
        misses: [[UInt8]],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var reference: [[UInt8]: [UInt8]] = [:]
        for (key, value) in records where reference[key] == nil {
            reference[key] = value.last == 0 ? Array(value.dropLast()) : value
        }
        #expect(snapshot.count == reference.count, sourceLocation: sourceLocation)
        for (key, value) in reference {
            #expect(
                snapshot.value(forKey: key) == value,
                "\(String(decoding: key, as: UTF8.self))",
                sourceLocation: sourceLocation
            )
        }
        for key in misses where reference[key] == nil {
            #expect(
                snapshot.value(forKey: key) == nil,
                "\(String(decoding: key, as: UTF8.self))",
                sourceLocation: sourceLocation
            )
        }
    }

    @Test("keys with and without a tag, an empty tag, only a tag, ':' in odd places, the empty key")
    func oddKeys() {
        let keys = [
            "", ":", "::", ":x", "x:", "tls_clt:", "tls_clt", "tls_clt:a", "tls_clt:a:b", "tls_clt::", "Tls_clt:a",
            "tls_clt2:a", "tls_cl:a", "a", "ab", "abc", "abcd", "abcdefg", "abcdefgh", "abcdefghi",
            "example.com", "192.168.1", "ipv6:2001:db8::1", "connect:host.example.com",
            // ':' at byte 15 (a 15-byte tag: partitioned), 16 and later (untagged, shared partition).
            "fifteen_bytes_t:x", "sixteen_bytes_ta:x", "seventeen_bytes_t:x", "fifteen_bytes_t:", "sixteen_bytes_ta:",
            "a_much_longer_tag_than_sixteen:x", "seven_b:01234567", "eight_by:0123456789abcdef",
        ]
        var records = keys.enumerated().map { (Self.bytes($0.element), Self.bytes("v\($0.offset)")) }
        // Many records per tag so that those tags get partitions of their own.
        for i in 0..<200 {
            records.append((Self.bytes("tls_clt:host\(i).example"), Self.bytes("VERIFY")))
            records.append((Self.bytes("fifteen_bytes_t:\(i)"), Self.bytes("F\(i)")))
            records.append((Self.bytes("seven_b:\(i)"), Self.bytes("S\(i)")))
        }
        let snapshot = AccessMapSnapshot(records: records)
        let tags = snapshot.partitionTags
        #expect(tags.contains(Self.bytes("tls_clt")))
        #expect(tags.contains(Self.bytes("fifteen_bytes_t")))
        #expect(tags.contains(Self.bytes("seven_b")))
        #expect(tags.contains([]))  // ":", "::", ":x"
        #expect(!tags.contains(Self.bytes("sixteen_bytes_ta")))  // its ':' is byte 17
        let misses =
            [
                "tls_clt:b", "tls_clt:host200.example", "tls_clt", "tls_cl", "tls_clt:host1.example\0", ":y", ":::",
                "x", "x::", "sixteen_bytes_ta:", "sixteen_bytes_ta:y", "fifteen_bytes_t:200", "fifteen_bytes_t",
                "seven_b:012345678", "seven_b:0123456", "eight_by:0123456789abcdeF", "abcdefghij", "b",
            ].map(Self.bytes) + [[0], [0x3A, 0], Self.bytes("tls_clt:") + [0]]
        Self.expectSameAnswers(snapshot, records, misses: misses)
        // Tags are case-sensitive bytes too: "Tls_clt" is another tag (its key is not in the tls_clt partition).
        #expect(snapshot.value(forKey: Self.bytes("Tls_clt:a")) == Self.bytes("v10"))
        #expect(snapshot.value(forKey: Self.bytes("TLS_CLT:a")) == nil)
    }

    @Test("more tags than partitions: the rarest share the untagged partition")
    func manyTags() {
        var records: [([UInt8], [UInt8])] = []
        // Tag t has t + 1 records: tags 0...4 are the rarest of 20.
        for t in 0..<20 {
            for i in 0...t { records.append((Self.bytes("tag\(t):key\(i)"), Self.bytes("\(t).\(i)"))) }
        }
        records.append((Self.bytes("untagged"), Self.bytes("U")))
        let snapshot = AccessMapSnapshot(records: records)
        let tags = snapshot.partitionTags
        #expect(tags.count == AccessMapSnapshot.maximumTaggedPartitions)
        #expect(tags.first == Self.bytes("tag19"))
        #expect(!tags.contains(Self.bytes("tag0")) && tags.contains(Self.bytes("tag5")))
        let misses = (0..<22).flatMap { t in [Self.bytes("tag\(t):key\(t + 1)"), Self.bytes("tag\(t):")] }
        Self.expectSameAnswers(snapshot, records, misses: misses + [Self.bytes("untagged2"), Self.bytes("tag0")])
    }

    @Test("the first of two equal keys wins; values lose one trailing NUL; keys keep theirs")
    func duplicatesAndNUL() {
        let records = [
            (Self.bytes("connect:a"), Self.bytes("FIRST")), (Self.bytes("connect:a"), Self.bytes("SECOND")),
            (Self.bytes("connect:b") + [0], Self.bytes("NUL") + [0]), (Self.bytes("connect:c"), [0]),
            (Self.bytes("d"), Self.bytes("V") + [0, 0]),
        ]
        let snapshot = AccessMapSnapshot(records: records)
        #expect(snapshot.count == 4)
        #expect(snapshot.value(forKey: Self.bytes("connect:a")) == Self.bytes("FIRST"))
        #expect(snapshot.value(forKey: Self.bytes("connect:b") + [0]) == Self.bytes("NUL"))
        #expect(snapshot.value(forKey: Self.bytes("connect:b")) == nil)
        #expect(snapshot.value(forKey: Self.bytes("connect:c")) == [])
        #expect(snapshot.value(forKey: Self.bytes("d")) == Self.bytes("V") + [0])
    }

    @Test("misses that pass the filter are still misses; the filter rejects most misses")
    func filterFalsePositives() {
        let records = (0..<20_000).map { (Self.bytes("tls_clt:host\($0).example.net"), Self.bytes("VERIFY:\($0)")) }
        let snapshot = AccessMapSnapshot(records: records)
        for (key, _) in records { #expect(key.withUnsafeBytes { snapshot.filterAdmits($0) }) }
        var admitted: [[UInt8]] = []
        let misses = (0..<20_000).map { Self.bytes("tls_clt:host\($0).example.org") }
        for key in misses where key.withUnsafeBytes({ snapshot.filterAdmits($0) }) { admitted.append(key) }
        // About 2–3 % at 8 bits per record; an all-ones (or absent) filter would admit all of them.
        #expect(admitted.count > 0 && admitted.count < misses.count / 10, "\(admitted.count)")
        for key in admitted { #expect(snapshot.value(forKey: key) == nil) }
    }

    @Test("a large map with keys of every length answers like a dictionary")
    func largeMap() {
        var generator = SystemRandomNumberGenerator()
        let tags = ["connect:", "from:", "to:", "tls_clt:", "tls_srv:", "spam:", "", "ipv6:"]
        var records: [([UInt8], [UInt8])] = []
        var misses: [[UInt8]] = []
        for i in 0..<120_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let body = (0..<length).map { _ in UInt8.random(in: 0x2D...0x7A, using: &generator) }
            let key = Self.bytes(tags[i % tags.count]) + body
            if i % 4 == 0 { misses.append(key + [0x2E]) } else { records.append((key, Self.bytes("\(i)"))) }
        }
        let snapshot = AccessMapSnapshot(records: records)
        Self.expectSameAnswers(snapshot, records, misses: misses)
        // Records, slots (2–4 per record, 8 bytes) and filter: more than the slots alone, well under 3× that.
        #expect(snapshot.memoryFootprint > snapshot.count * 16)
        #expect(snapshot.memoryFootprint < snapshot.count * 16 * 3 + 4 << 20)
    }

    @Test("a key's tag is the bytes before its first ':' when that is among the first 16 bytes", arguments: 0...20)
    func tags(length: Int) {
        // Every position of the first ':' (or none), with ':' also later on, and bytes of every value around it.
        for colon in [nil] + Array(0..<length) {
            var key = (0..<length).map { UInt8(truncatingIfNeeded: 0x41 + $0 * 37) | 0x80 }
            if let colon {
                key[colon] = 0x3A
                if colon + 2 < length { key[colon + 2] = 0x3A }
            }
            let tag = key.withUnsafeBytes { AccessMapSnapshot.tag(of: $0) }
            if let colon, colon < 16 {
                let expected = key.prefix(colon) + [UInt8](repeating: 0, count: 16 - colon)
                let words = expected.withUnsafeBytes {
                    (
                        UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                        UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                    )
                }
                #expect(tag == .init(low: words.0, high: words.1, length: colon), "colon at \(colon)")
            } else {
                #expect(tag == nil, "colon at \(String(describing: colon))")
            }
        }
    }

    @Test("an empty snapshot answers nothing")
    func empty() {
        let snapshot = AccessMapSnapshot(records: [([UInt8], [UInt8])]())
        #expect(snapshot.count == 0)
        for key in ["", ":", "tls_clt:", "x"] { #expect(snapshot.value(forKey: Self.bytes(key)) == nil) }
    }

    @Test("the hash reads every byte of keys of every length up to 40", arguments: 1...40)
    func hashUsesEveryByte(length: Int) {
        let key = [UInt8](repeating: 0x61, count: length)
        let hash = key.withUnsafeBytes { AccessMapSnapshot.hash($0) }
        for i in 0..<length {
            var changed = key
            changed[i] = 0x62
            #expect(changed.withUnsafeBytes { AccessMapSnapshot.hash($0) } != hash, "byte \(i)")
        }
        let longer = key + [0]
        #expect(longer.withUnsafeBytes { AccessMapSnapshot.hash($0) } != hash)
    }
}
