import AccessMap

/// The allocation-free path of the typed tls_client and tls_server decisions (``PolicyEngine/tlsClient(_:phase:)``,
/// ``PolicyEngine/tlsServer(_:)``).
///
/// The general engine (``RulesetEvaluator``) works on token lists, as sendmail does; that is exact for every input
/// but allocates for every token. Almost every real session has plain macro values — a host name or a bracketed
/// address literal, a dotted address, a one-word `{verify}`, digits for `{cipher_bits}` — and almost every map value
/// is a plain requirement such as `VERIFY:128` or `PERM+ENCR:112`. For those, this path walks the same key chain
/// directly on bytes: the name and the address are checked, folded and split at their dots in one pass, eight bytes
/// at a time (``ByteLanes``), each key is then written into one stack buffer by plain copies, the map lends its
/// value without a copy (``AccessMap/AccessMapSource/visitValue(foldedKey:_:)``), and the value is read in place.
/// Nothing is allocated unless the decision is a refusal that names the peer (its reply text).
///
/// Anything else — other characters in a macro or value, a temporary failure, a `{verify}` that names a failed
/// handshake, extensions other than a lone `+CN`, an encryption-strength refusal — makes ``decide`` return `nil`,
/// and the caller asks the general engine, which then answers the whole decision. Both paths are checked against
/// each other on random sessions and maps (`TLSFastPathTests`); the general engine is the one checked against
/// sendmail.
struct TLSPeerFastPath: Sendable {
    /// Class `Tls`, folded to lower case.
    private let tlsWords: FoldedWords
    /// Class `TlsVerified`, folded.
    private let verifiedWords: FoldedWords
    /// The `{verify}` words of a failed handshake (``RulesetEvaluator/handshakeFailureMessages``), folded.
    let handshakeFailureWords = FoldedWords(RulesetEvaluator.handshakeFailureMessages.map(\.0))
    /// Reply code and status without `PERM+`/`TEMP+` (TLS_PERM_ERR).
    private let permanentByDefault: Bool
    private let lookupDotDomain: Bool
    private let skip: Bool
    /// Off when a class is too large to hold inline (``FoldedWords``): every decision then takes the general engine.
    let enabled: Bool

    /// The longest macro value read.
    private static let maximumMacro = 255

    init(configuration: PolicyConfiguration) {
        tlsWords = FoldedWords(configuration.members(of: "Tls").words)
        verifiedWords = FoldedWords(configuration.members(of: "TlsVerified").words)
        enabled = tlsWords.isComplete && verifiedWords.isComplete && handshakeFailureWords.isComplete
        permanentByDefault = configuration.features.tlsPermanentErrors
        lookupDotDomain = configuration.features.accessLookup.contains(.lookupDotDomain)
        skip = configuration.features.accessLookup.contains(.skip)
    }

    /// The peer macros of one ruleset.
    struct Peer {
        var name: HotMacros.Slot
        var address: HotMacros.Slot
        /// `tag:` folded to lower case (`AccessTag.tlsClient` …), as the keys start.
        var prefix: StaticString
    }

    static let client = Peer(name: .clientName, address: .clientAddr, prefix: "tls_clt:")
    static let server = Peer(name: .serverName, address: .serverAddr, prefix: "tls_srv:")
    /// The key prefix of tls_rcpt.
    static let recipientPrefix: StaticString = "tls_rcpt:"

    /// The decision on the map's version in service (``AccessMap/AccessMapSource/withPinnedSource(_:)``), or `nil`
    /// when the general engine must answer.
    func decide(_ session: SessionMacros, peer: Peer, in source: any AccessMapSource) -> TLSPolicyDecision? {
        var decision: TLSPolicyDecision? = nil
        source.withPinnedSource { pinned in decision = decide(session, peer: peer, source: pinned) }
        return decision
    }

    /// The decision on a pinned source, or `nil` when the general engine must answer.
    func decide(_ session: SessionMacros, peer: Peer, source: any AccessMapSource) -> TLSPolicyDecision? {
        guard enabled else { return nil }
        // One stack buffer: the folded key being built, the name and the address folded (with their separators'
        // offsets), and `{verify}` as given.
        // 1 KiB: stack memory (withUnsafeTemporaryAllocation allocates on the stack up to this size).
        return withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 8) { buffer in
            let keyArea = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<320])
            let nameArea = UnsafeMutableRawBufferPointer(rebasing: buffer[320..<576])
            let addressArea = UnsafeMutableRawBufferPointer(rebasing: buffer[576..<832])
            let verifyArea = UnsafeMutableRawBufferPointer(rebasing: buffer[832..<896])
            let nameDots = UnsafeMutableRawBufferPointer(rebasing: buffer[896..<960])
            let addressSeparators = UnsafeMutableRawBufferPointer(rebasing: buffer[960..<1024])
            // Each value is read, folded, copied and checked in one pass (``scanHost(_:to:offsets:)``).
            let name = session.hot.withBytes(peer.name) { Self.scanHost($0, to: nameArea, offsets: nameDots) }
            let address = session.hot.withBytes(peer.address) {
                Self.scanAddress($0, to: addressArea, offsets: addressSeparators)
            }
            guard let name, let address, let verifyBytes = Self.copy(session.hot, .verify, into: verifyArea) else {
                return nil
            }
            // `{verify}`: empty or one word.
            let verifyWord: UnsafeRawBufferPointer? = verifyBytes.isEmpty ? nil : verifyBytes
            guard verifyBytes.allSatisfy(Self.isWordByte) else { return nil }
            // A handshake failure refuses whatever the map says: its text comes from the general engine.
            if let word = verifyWord, handshakeFailureWords.contains(word) { return nil }

            var key = KeyBuilder(area: keyArea, prefix: peer.prefix)
            let found: Found
            switch chain(&key, name: name, address: address, source: source) {
            case .found(let value): found = value
            case .notFound: return .accept
            case .giveUp: return nil
            }
            return judge(found, verify: verifyWord, session: session, peerName: peer.name)
        }
    }

    // MARK: - The key chain

    /// The answer of one look-up or one search.
    enum Lookup {
        case found(Found)
        case notFound
        /// Not for this path (temporary failure, a value that is not plain, a key too long).
        case giveUp
    }

    /// D on the name, A on the address, the bare tag: the first hit.
    private func chain(
        _ key: inout KeyBuilder,
        name: Scanned,
        address: Scanned,
        source: any AccessMapSource
    ) -> Lookup {
        let domain = domainSearch(&key, host: name, source: source)
        guard case .notFound = domain else { return domain }
        // A: the address, then its prefixes up to each `.` or `:`, the longest first.
        var k = address.separatorCount
        while true {
            let end = k == address.separatorCount ? address.bytes.count : address.separator(k)
            switch lookup(&key, UnsafeRawBufferPointer(rebasing: address.bytes[0..<end]), source) {
            case .found(let value):
                if skip && value.isSkip { return lookup(&key, Self.empty, source) }
                return .found(value)
            case .giveUp: return .giveUp
            case .notFound: break
            }
            guard k > 0 else { break }
            k -= 1
        }
        // The bare tag.
        return lookup(&key, Self.empty, source)
    }

    static var empty: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    /// D: the name and its parents (a bracketed literal loses its last part inside the brackets), each followed by
    /// `.parent` with `lookupdotdomain`; a `SKIP` hit with `skip` ends the search as not found.
    func domainSearch(_ key: inout KeyBuilder, host: Scanned, source: any AccessMapSource) -> Lookup {
        let name = host.bytes
        let dots = host.separatorCount
        // Plain: the key is name[start...], start after dot k - 1. Bracketed: the key is name[0..<end] + `]`, end
        // at dot k (the whole literal first).
        var k = host.shape == .plain ? 0 : dots
        while true {
            var result: Lookup
            switch host.shape {
            case .plain:
                let start = k == 0 ? 0 : host.separator(k - 1) + 1
                result = lookup(&key, UnsafeRawBufferPointer(rebasing: name[start...]), source)
                // `.parent`: from the first dot of this key.
                if case .notFound = result, lookupDotDomain, k < dots {
                    result = lookup(&key, UnsafeRawBufferPointer(rebasing: name[host.separator(k)...]), source)
                }
            case .bracketed:
                let end = k == dots ? name.count - 1 : host.separator(k)
                result = lookup(&key, UnsafeRawBufferPointer(rebasing: name[0..<end]), closeBracket: true, source)
                // `.parent`: from the literal's first dot, when one is left.
                if case .notFound = result, lookupDotDomain, k > 0 {
                    let dot = host.separator(0)
                    result = lookup(
                        &key,
                        UnsafeRawBufferPointer(rebasing: name[dot..<end]),
                        closeBracket: true,
                        source
                    )
                }
            }
            switch result {
            case .found(let value):
                if skip && value.isSkip { return .notFound }
                return .found(value)
            case .giveUp: return .giveUp
            case .notFound: break
            }
            switch host.shape {
            case .plain:
                guard k < dots else { return .notFound }
                k += 1
            case .bracketed:
                guard k > 0 else { return .notFound }
                k -= 1
            }
        }
    }

    /// One key (tag, `:`, the part, `]` when asked) through the map; the value is read in place.
    @inline(__always)
    func lookup(
        _ key: inout KeyBuilder,
        _ part: UnsafeRawBufferPointer,
        closeBracket: Bool = false,
        _ source: any AccessMapSource
    ) -> Lookup {
        guard let folded = key.build(part, closeBracket: closeBracket) else { return .giveUp }
        return lookup(folded: folded, source)
    }

    /// One built key through the map.
    func lookup(folded: UnsafeRawBufferPointer, _ source: any AccessMapSource) -> Lookup {
        var value = Found()
        let status = source.visitValue(foldedKey: folded) { bytes in value = Found(parsing: bytes, tlsWords: tlsWords) }
        switch status {
        case .notFound: return .notFound
        case .temporaryFailure: return .giveUp
        case .found:
            if value.isComplex { return .giveUp }
            if value.isQuestion { return .notFound }  // `?` reads as "not found"
            return .found(value)
        }
    }

    // MARK: - TLS_connection on a plain requirement

    func judge(
        _ found: Found,
        verify: UnsafeRawBufferPointer?,
        session: SessionMacros,
        peerName peerSlot: HotMacros.Slot
    ) -> TLSPolicyDecision? {
        // (A handshake failure in `verify` never reaches here: the callers hand it to the general engine.)
        guard let severity = found.severity else { return .accept }  // not a requirement
        let (code, status): (Int, String)
        switch severity {
        case .permanent: (code, status) = (503, "5.7.0")
        case .temporary: (code, status) = (403, "4.7.0")
        case .standard: (code, status) = permanentByDefault ? (554, "5.7.0") : (454, "4.7.0")
        }
        guard let base = found.base else { return .accept }
        let verified = verify.map { verifiedWords.contains($0) } ?? false
        let required: Int
        switch base {
        case .verify:
            guard verified else { return verificationFailure(verify, code: code, status: status, found: found) }
            if !found.commonNameExtension { return .accept }
            required = 0
        case .verifyBits(let bits):
            guard verified else { return verificationFailure(verify, code: code, status: status, found: found) }
            required = bits
        case .encryption(let bits):
            required = bits
        case .other:
            return .accept
        }
        // max({cipher_bits}, {auth_ssf}) against the requirement; a refusal's text comes from the general engine.
        guard let cipherBits = session.hot.withBytes(.cipherBits, Self.number),
            let authSSF = session.hot.withBytes(.authSSF, Self.number)
        else {
            return nil
        }
        let strength: Int
        switch (cipherBits, authSSF) {
        case (nil, nil): strength = 0
        case (let a?, nil): strength = a
        case (nil, let b?): strength = b
        case (let a?, let b?): strength = a < b ? b : a
        }
        if strength < required { return nil }
        guard found.commonNameExtension else { return .accept }
        // `+CN`: {cn_subject} must be the peer's name ({TLS_Name}), token for token, ignoring case. Compared in
        // place: only a refusal makes strings (its text).
        let matches: Bool? = session.hot.withBytes(peerSlot) { peer in
            session.hot.withBytes(.cnSubject) { subject in
                guard !peer.isEmpty, HostShape(peer) != nil, subject.count <= Self.maximumMacro,
                    subject.isEmpty || HostShape(subject) != nil
                else { return nil }
                return subject.count == peer.count
                    && zip(subject, peer).allSatisfy { KeyBuilder.folded($0) == KeyBuilder.folded($1) }
            }
        }
        guard let matches else { return nil }
        if matches { return .accept }
        // Both are plain, so their tokens print as their bytes.
        let subject = session.hot.cnSubject ?? ""
        let peerName = session.hot[peerSlot] ?? ""
        return .reject(
            SMTPReply(
                code: code,
                enhancedStatus: status,
                text: (subject.isEmpty ? "CN" : "CN " + subject) + " does not match " + peerName
            )
        )
    }

    /// A `VERIFY` requirement and `{verify}` not OK/TRUSTED.
    private func verificationFailure(
        _ verify: UnsafeRawBufferPointer?,
        code: Int,
        status: String,
        found: Found
    ) -> TLSPolicyDecision? {
        // The texts are literals: the reply allocates nothing.
        let reason: String
        if let verify {
            guard let known = RulesetEvaluator.verifyFailureWords.first(where: { Self.equalFolded(verify, $0.0) })
            else { return nil }  // "authentication failure" + the extensions: general engine
            reason = known.1
        } else {
            reason = RulesetEvaluator.verificationRequired
        }
        return .reject(SMTPReply(code: code, enhancedStatus: status, text: reason))
    }

    // MARK: - Reading values in place

    /// What a plain map value says, read without copying it.
    struct Found: Equatable {
        enum Severity { case permanent, temporary, standard }
        enum Base: Equatable {
            case verify
            case verifyBits(Int)
            case encryption(Int)
            case other
        }

        /// Not plain: the general engine reads it.
        var isComplex = false
        /// `?`: not found.
        var isQuestion = false
        /// The single word `SKIP`.
        var isSkip = false
        var severity: Severity?
        var base: Base?
        /// A lone `CN` extension.
        var commonNameExtension = false

        static func isOperator(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "+") || byte == UInt8(ascii: ":") }

        init() {}

        /// Reads a value in place, allocating nothing: ``readPlain(_:count:tlsWords:)`` when it can, else
        /// ``init(readingPieces:tlsWords:)``.
        @inline(__always)
        init(parsing value: UnsafeRawBufferPointer, tlsWords: FoldedWords) {
            if let base = value.baseAddress, let plain = Self.readPlain(base, count: value.count, tlsWords: tlsWords) {
                self = plain
            } else {
                self.init(readingPieces: value, tlsWords: tlsWords)
            }
        }

        /// Reads any value in place, piece by piece: its pieces (words, `+`, `:`) go to fixed vectors, no closure,
        /// no allocation.
        init(readingPieces value: UnsafeRawBufferPointer, tlsWords: FoldedWords) {
            var lower = 0
            var upper = value.count
            while lower < upper && Tokenizer.isSpace(value[lower]) { lower += 1 }
            while upper > lower && Tokenizer.isSpace(value[upper - 1]) { upper -= 1 }
            if upper - lower == 1 && value[lower] == UInt8(ascii: "?") {
                isQuestion = true
                return
            }
            // Up to 8 pieces; anything but word characters, `+` and `:` is not plain.
            var pieces = Pieces()
            var i = lower
            while i < upper {
                let byte = value[i]
                let start = i
                if Self.isOperator(byte) {
                    i += 1
                } else if TLSPeerFastPath.isWordByte(byte) {
                    while i < upper && TLSPeerFastPath.isWordByte(value[i]) { i += 1 }
                } else {
                    isComplex = true
                    return
                }
                guard pieces.count < 8 else {
                    isComplex = true
                    return
                }
                pieces.append(start, i, isWord: !Self.isOperator(byte))
            }
            let count = pieces.count
            if count == 1 && pieces.matches(0, "skip", in: value) { isSkip = true }
            // [PERM+|TEMP+] word of class Tls …
            var b = 0
            if count >= 3 && pieces.isOperator(1, UInt8(ascii: "+"), in: value)
                && pieces.inClass(2, tlsWords, in: value)
                && (pieces.matches(0, "perm", in: value) || pieces.matches(0, "temp", in: value))
            {
                severity = pieces.matches(0, "perm", in: value) ? .permanent : .temporary
                b = 2
            } else if pieces.inClass(0, tlsWords, in: value) {
                severity = .standard
            } else {
                return
            }
            let n = count - b
            var extensionStart: Int? = nil
            if n == 1 && pieces.matches(b, "verify", in: value) {
                base = .verify
            } else if n >= 3 && pieces.matches(b, "verify", in: value)
                && pieces.isOperator(b + 1, UInt8(ascii: "+"), in: value)
            {
                base = .verify
                extensionStart = b + 2
            } else if (n == 3 || (n >= 5 && pieces.isOperator(b + 3, UInt8(ascii: "+"), in: value)))
                && pieces.inClass(b, tlsWords, in: value) && pieces.isOperator(b + 1, UInt8(ascii: ":"), in: value)
            {
                // `kind:bits`; the bits are any token (`ENCR:abc` is `ENCR:0`).
                let bits = Workspace.strtol(bytes: pieces.bytes(b + 2, in: value))
                if pieces.matches(b, "verify", in: value) {
                    base = .verifyBits(bits)
                } else if pieces.matches(b, "encr", in: value) {
                    base = .encryption(bits)
                } else {
                    base = .other
                }
                if n >= 5 { extensionStart = b + 4 }
            } else {
                return
            }
            if let e = extensionStart {
                // Only a lone `CN` is read here.
                if count == e + 1 && pieces.matches(e, "cn", in: value) {
                    commonNameExtension = true
                } else {
                    isComplex = true
                }
            }
        }
    }

    /// The pieces of a value: start and end offsets in two vectors (kept in registers or on the stack).
    struct Pieces {
        var starts = SIMD8<Int32>()
        var ends = SIMD8<Int32>()
        var words: UInt8 = 0
        var count = 0

        mutating func append(_ start: Int, _ end: Int, isWord: Bool) {
            starts[count] = Int32(truncatingIfNeeded: start)
            ends[count] = Int32(truncatingIfNeeded: end)
            if isWord { words |= 1 << UInt8(count) }
            count += 1
        }

        func bytes(_ k: Int, in value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: value[Int(starts[k])..<Int(ends[k])])
        }

        func isWord(_ k: Int) -> Bool { k < count && words & (1 << UInt8(k)) != 0 }

        func isOperator(_ k: Int, _ byte: UInt8, in value: UnsafeRawBufferPointer) -> Bool {
            k < count && !isWord(k) && value[Int(starts[k])] == byte
        }

        /// Word `k` equals a lower-case keyword, ignoring ASCII case.
        func matches(_ k: Int, _ keyword: StaticString, in value: UnsafeRawBufferPointer) -> Bool {
            isWord(k) && TLSPeerFastPath.equalFolded(bytes(k, in: value), keyword)
        }

        func inClass(_ k: Int, _ words: FoldedWords, in value: UnsafeRawBufferPointer) -> Bool {
            isWord(k) && words.contains(bytes(k, in: value))
        }
    }

    // MARK: - Bytes

    /// The shape of a plain `{client_name}`/`{server_name}`.
    enum HostShape {
        /// `label(.label)*` with word characters.
        case plain
        /// `[label(.label)*]`.
        case bracketed

        init?(_ name: UnsafeRawBufferPointer) {
            guard !name.isEmpty else { return nil }
            if name[0] == UInt8(ascii: "[") {
                guard name.count >= 3, name[name.count - 1] == UInt8(ascii: "]"),
                    TLSPeerFastPath.isDottedLabels(UnsafeRawBufferPointer(rebasing: name[1..<(name.count - 1)]))
                else { return nil }
                self = .bracketed
            } else {
                guard TLSPeerFastPath.isDottedLabels(name) else { return nil }
                self = .plain
            }
        }
    }

    /// Word characters that need no care: letters, digits, `-`, `_`.
    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool {
        // One bit per byte value 0–127: `-` (45), `0`–`9` (48–57) in the low word; `A`–`Z` (65–90), `_` (95),
        // `a`–`z` (97–122) in the high word. No branch per character class.
        let low: UInt64 = 0x03FF_2000_0000_0000
        let high: UInt64 = 0x07FF_FFFE_87FF_FFFE
        let word = byte < 64 ? low : high
        return byte < 128 && (word >> UInt64(byte & 63)) & 1 != 0
    }

    /// `label(.label)*`: no empty label.
    static func isDottedLabels(_ bytes: UnsafeRawBufferPointer) -> Bool {
        isSeparatedWords(bytes, separators: .dot)
    }

    /// Runs of word characters separated by single separator bytes (any of `separators`), neither first nor last
    /// (``ByteLanes/scan(_:count:into:separators:offsets:base:capacity:)``, eight bytes at a time).
    static func isSeparatedWords(_ bytes: UnsafeRawBufferPointer, separators: ByteLanes.Separators) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        return ByteLanes.scan(base, count: bytes.count, into: nil, separators: separators) != nil
    }

    /// A macro value copied into scratch memory, folded to lower case, checked, with the offsets of its
    /// separators (the dots of a host name; the dots and colons of an address).
    struct Scanned {
        /// The folded bytes.
        var bytes: UnsafeRawBufferPointer
        var shape: HostShape
        /// Offsets of the separators in ``bytes``, in order.
        var separators: UnsafePointer<UInt8>
        var separatorCount: Int

        @inline(__always)
        func separator(_ k: Int) -> Int { Int(separators[k]) }
    }

    /// A plain host name or bracketed literal (``HostShape``), copied folded into `area` with the offsets of its
    /// dots in `offsets`, in one pass; `nil` when it is anything else, longer than ``maximumMacro`` bytes, or
    /// has more dots than `offsets` holds.
    static func scanHost(
        _ input: UnsafeRawBufferPointer,
        to area: UnsafeMutableRawBufferPointer,
        offsets: UnsafeMutableRawBufferPointer
    ) -> Scanned? {
        let n = input.count
        guard n > 0, n <= area.count else { return nil }
        guard input[0] == UInt8(ascii: "[") else {
            return scan(input, 0..<n, to: area, offsets: offsets, separators: .dot, shape: .plain)
        }
        guard n >= 3, input[n - 1] == UInt8(ascii: "]") else { return nil }
        area[0] = input[0]
        area[n - 1] = input[n - 1]
        return scan(input, 1..<(n - 1), to: area, offsets: offsets, separators: .dot, shape: .bracketed)
    }

    /// A plain address — `label((.|:)label)*`: a dotted IPv4 address or an `IPv6:` address without `::` —
    /// copied folded into `area` with the offsets of its dots and colons in `offsets`, in one pass; `nil` otherwise
    /// (see ``scanHost(_:to:offsets:)``).
    static func scanAddress(
        _ input: UnsafeRawBufferPointer,
        to area: UnsafeMutableRawBufferPointer,
        offsets: UnsafeMutableRawBufferPointer
    ) -> Scanned? {
        scan(input, 0..<input.count, to: area, offsets: offsets, separators: [.dot, .colon], shape: .plain)
    }

    /// ``ByteLanes/scan(_:count:into:separators:offsets:base:capacity:)`` on `input[range]`, written to the same
    /// offsets of `area`; the whole of `input` (at most ``maximumMacro`` bytes) is the value.
    private static func scan(
        _ input: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        to area: UnsafeMutableRawBufferPointer,
        offsets: UnsafeMutableRawBufferPointer,
        separators: ByteLanes.Separators,
        shape: HostShape
    ) -> Scanned? {
        let n = input.count
        guard n > 0, n <= maximumMacro, n <= area.count, !range.isEmpty, let positions = offsets.baseAddress else {
            return nil
        }
        let dots = positions.assumingMemoryBound(to: UInt8.self)
        guard
            let count = ByteLanes.scan(
                input.baseAddress! + range.lowerBound,
                count: range.count,
                into: area.baseAddress! + range.lowerBound,
                separators: separators,
                offsets: dots,
                base: range.lowerBound,
                capacity: offsets.count
            )
        else { return nil }
        return Scanned(
            bytes: UnsafeRawBufferPointer(rebasing: area[0..<n]),
            shape: shape,
            separators: UnsafePointer(dots),
            separatorCount: count
        )
    }

    /// A number macro: `.some(nil)` when empty (or unset), the value when only digits, `nil` otherwise.
    static func number(_ bytes: UnsafeRawBufferPointer) -> Int?? {
        guard !bytes.isEmpty else { return .some(nil) }
        var value = 0
        var count = 0
        for byte in bytes {
            guard byte &- UInt8(ascii: "0") < 10, count < 18 else { return nil }
            value = value * 10 + Int(byte &- UInt8(ascii: "0"))
            count += 1
        }
        // A leading 0 makes strtol read octal (`0128` is 10).
        if bytes[0] == UInt8(ascii: "0") { return .some(Workspace.strtol(bytes: bytes)) }
        return .some(value)
    }

    /// Equal to a lower-case ASCII keyword, ignoring ASCII case.
    static func equalFolded(_ bytes: UnsafeRawBufferPointer, _ keyword: StaticString) -> Bool {
        guard bytes.count == keyword.utf8CodeUnitCount else { return false }
        let k = keyword.utf8Start
        for i in 0..<bytes.count where Token.asciiLowercased(bytes[i]) != k[i] { return false }
        return true
    }

    static func equalFolded(_ bytes: UnsafeRawBufferPointer, _ keyword: String) -> Bool {
        guard bytes.count == keyword.utf8.count else { return false }
        var i = 0
        for k in keyword.utf8 {
            if Token.asciiLowercased(bytes[i]) != Token.asciiLowercased(k) { return false }
            i += 1
        }
        return true
    }

    static func firstDot(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        var i = range.lowerBound
        while i < range.upperBound {
            if bytes[i] == UInt8(ascii: ".") { return i }
            i += 1
        }
        return nil
    }

    static func lastDot(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        var i = range.upperBound - 1
        while i >= range.lowerBound {
            if bytes[i] == UInt8(ascii: ".") { return i }
            i -= 1
        }
        return nil
    }

    /// Copies a macro slot's bytes into a scratch area as they are; `nil` when they do not fit. (Names and
    /// addresses that become key parts are folded while they are copied: ``scanHost(_:to:offsets:)``.)
    static func copy(
        _ hot: HotMacros,
        _ slot: HotMacros.Slot,
        into area: UnsafeMutableRawBufferPointer
    ) -> UnsafeRawBufferPointer? {
        hot.withBytes(slot) { bytes in copy(bytes, into: area) }
    }

    /// Copies bytes into a scratch area; `nil` when they do not fit.
    static func copy(
        _ bytes: UnsafeRawBufferPointer,
        into area: UnsafeMutableRawBufferPointer
    )
        -> UnsafeRawBufferPointer?
    {
        let n = bytes.count
        guard n <= area.count else { return nil }
        if n > 0 { ByteLanes.copy(bytes.baseAddress!, to: area.baseAddress!, count: n) }
        return UnsafeRawBufferPointer(rebasing: area[0..<n])
    }

    /// Copies a string's UTF-8 bytes into a scratch area; `nil` when they do not fit.
    static func copy(_ text: String, into area: UnsafeMutableRawBufferPointer) -> UnsafeRawBufferPointer? {
        if let copied = text.utf8.withContiguousStorageIfAvailable({ copy(UnsafeRawBufferPointer($0), into: area) }) {
            return copied
        }
        // A string without contiguous UTF-8 (bridged): byte by byte.
        let n = text.utf8.count
        guard n <= area.count else { return nil }
        for (i, byte) in text.utf8.enumerated() { area[i] = byte }
        return UnsafeRawBufferPointer(rebasing: area[0..<n])
    }
}

/// The words of a small class (`Tls`, `TlsVerified`), folded, held inline: up to 4 words of up to 16 bytes. Reading
/// them touches no shared reference count (an array of arrays would, from every thread at once).
struct FoldedWords: Sendable {
    private var bytes = SIMD64<UInt8>()
    private var lengths = SIMD4<UInt8>()
    /// The same words packed (``PackedWord``): slot `k`'s two words, length `lengths[k]`. Unused slots are zero
    /// with length 0, which no word has.
    private var lows = SIMD4<UInt64>()
    private var highs = SIMD4<UInt64>()
    private var count = 0
    /// Every word fitted.
    private(set) var isComplete = true

    init(_ words: [String]) {
        for word in words {
            let utf8 = Array(word.utf8)
            guard count < 4, utf8.count <= 16, !utf8.isEmpty else {
                isComplete = false
                continue
            }
            for (i, byte) in utf8.enumerated() { bytes[count * 16 + i] = Token.asciiLowercased(byte) }
            lengths[count] = UInt8(utf8.count)
            let packed = utf8.map(Token.asciiLowercased).withUnsafeBytes { PackedWord($0) }
            lows[count] = packed.low
            highs[count] = packed.high
            count += 1
        }
    }

    /// `word` (folded to lower case already) is a member.
    @inline(__always)
    func contains(_ word: PackedWord) -> Bool {
        let equal =
            (lows .== SIMD4(repeating: word.low)) .& (highs .== SIMD4(repeating: word.high))
            .& (SIMD4<UInt64>(truncatingIfNeeded: lengths) .== SIMD4(repeating: UInt64(truncatingIfNeeded: word.length)))
        return any(equal)
    }

    /// `word` is a member, ignoring ASCII case.
    func contains(_ word: UnsafeRawBufferPointer) -> Bool {
        var k = 0
        search: while k < count {
            defer { k += 1 }
            guard Int(lengths[k]) == word.count else { continue }
            for i in 0..<word.count where Token.asciiLowercased(word[i]) != bytes[k * 16 + i] { continue search }
            return true
        }
        return false
    }
}

/// Builds `tag:` + parts in a scratch area. The parts come folded to lower case already (the fast paths fold each
/// value once while copying and checking it, ``TLSPeerFastPath/scanHost(_:to:offsets:)``), so a key is built by
/// plain copies.
struct KeyBuilder {
    let area: UnsafeMutableRawBufferPointer
    let prefixLength: Int

    /// - Parameters:
    ///   - area: Where keys are built.
    ///   - prefix: `tag:`, lower case.
    init(area: UnsafeMutableRawBufferPointer, prefix: StaticString) {
        self.area = area
        prefixLength = prefix.utf8CodeUnitCount
        area.baseAddress!.copyMemory(from: prefix.utf8Start, byteCount: prefixLength)
    }

    /// ASCII upper case to lower case.
    @inline(__always)
    static func folded(_ byte: UInt8) -> UInt8 { byte &- 0x41 < 26 ? byte | 0x20 : byte }

    @inline(__always)
    func build(_ part: UnsafeRawBufferPointer, closeBracket: Bool) -> UnsafeRawBufferPointer? {
        build(part, closeBracket ? Self.closeBracket : Self.nothing)
    }

    static let closeBracket: StaticString = "]"
    static let nothing: StaticString = ""

    /// `tag:` + `part` + `suffix` (folded).
    @inline(__always)
    func build(_ part: UnsafeRawBufferPointer, _ suffix: StaticString) -> UnsafeRawBufferPointer? {
        build(part, UnsafeRawBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
    }

    /// `tag:` + `part` + `suffix` (folded).
    @inline(__always)
    func build(_ part: UnsafeRawBufferPointer, _ suffix: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        build(part, UnsafeRawBufferPointer(start: nil, count: 0), suffix)
    }

    /// `tag:` + the parts, in order (folded); `nil` when the key does not fit.
    @inline(__always)
    func build(
        _ first: UnsafeRawBufferPointer,
        _ second: UnsafeRawBufferPointer,
        _ third: UnsafeRawBufferPointer
    ) -> UnsafeRawBufferPointer? {
        let total = prefixLength + first.count + second.count + third.count
        guard total <= area.count else { return nil }
        var out = area.baseAddress!.assumingMemoryBound(to: UInt8.self) + prefixLength
        Self.copy(first, to: &out)
        Self.copy(second, to: &out)
        Self.copy(third, to: &out)
        return UnsafeRawBufferPointer(start: area.baseAddress, count: total)
    }

    @inline(__always)
    private static func copy(_ part: UnsafeRawBufferPointer, to out: inout UnsafeMutablePointer<UInt8>) {
        guard let base = part.baseAddress else { return }
        ByteLanes.copy(base, to: UnsafeMutableRawPointer(out), count: part.count)
        out += part.count
    }
}
