import AccessMap

/// The allocation-free path of the typed tls_client and tls_server decisions (``PolicyEngine/tlsClient(_:phase:)``,
/// ``PolicyEngine/tlsServer(_:)``).
///
/// The general engine (``RulesetEvaluator``) works on token lists, as sendmail does; that is exact for every input
/// but allocates for every token. Almost every real session has plain macro values — a host name or a bracketed
/// address literal, a dotted address, a one-word `{verify}`, digits for `{cipher_bits}` — and almost every map value
/// is a plain requirement such as `VERIFY:128` or `PERM+ENCR:112`. For those, this path walks the same key chain
/// directly on bytes: each key is written into one stack buffer and folded there, the map lends its value without a
/// copy (``AccessMap/AccessMapSource/visitValue(foldedKey:_:)``), and the value is read in place. Nothing is
/// allocated unless the decision is a refusal (its reply text).
///
/// Anything else — other characters in a macro or value, a temporary failure, a `{verify}` that names a failed
/// handshake, extensions other than a lone `+CN`, an encryption-strength refusal — makes ``decide`` return `nil`,
/// and the caller asks the general engine, which then answers the whole decision. Both paths are checked against
/// each other on random sessions and maps (`TLSFastPathTests`); the general engine is the one checked against
/// sendmail.
struct TLSPeerFastPath: Sendable {
    /// Class `Tls`, folded to lower case.
    private let tlsWords: [[UInt8]]
    /// Class `TlsVerified`, folded.
    private let verifiedWords: [[UInt8]]
    /// Reply code and status without `PERM+`/`TEMP+` (TLS_PERM_ERR).
    private let permanentByDefault: Bool
    private let lookupDotDomain: Bool
    private let skip: Bool

    /// The longest key built (bytes); longer names and addresses take the general path.
    private static let maximumKey = 400
    /// The longest macro value read.
    private static let maximumMacro = 255

    init(configuration: PolicyConfiguration) {
        func folded(_ name: String) -> [[UInt8]] {
            configuration.members(of: name).words.map { $0.utf8.map(Token.asciiLowercased) }
        }
        tlsWords = folded("Tls")
        verifiedWords = folded("TlsVerified")
        permanentByDefault = configuration.features.tlsPermanentErrors
        lookupDotDomain = configuration.features.accessLookup.contains(.lookupDotDomain)
        skip = configuration.features.accessLookup.contains(.skip)
    }

    /// The peer macros of one ruleset.
    struct Peer {
        var name: MacroName
        var address: MacroName
        var tag: AccessTag
    }

    static let client = Peer(name: .clientName, address: .clientAddr, tag: .tlsClient)
    static let server = Peer(name: .serverName, address: .serverAddr, tag: .tlsServer)

    /// The decision, or `nil` when the general engine must answer.
    func decide(_ session: SessionMacros, peer: Peer, source: any AccessMapSource) -> TLSPolicyDecision? {
        let name = session[peer.name] ?? ""
        let address = session[peer.address] ?? ""
        let verify = session[.verify] ?? ""
        guard name.utf8.count <= Self.maximumMacro, address.utf8.count <= Self.maximumMacro,
            verify.utf8.count <= Self.maximumMacro
        else { return nil }
        // One stack buffer: the folded key being built, then the name and the address as given.
        // 1 KiB: stack memory (withUnsafeTemporaryAllocation allocates on the stack up to this size).
        return withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 8) { buffer in
            let keyArea = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<448])
            let nameArea = UnsafeMutableRawBufferPointer(rebasing: buffer[448..<704])
            let addressArea = UnsafeMutableRawBufferPointer(rebasing: buffer[704..<960])
            let verifyArea = UnsafeMutableRawBufferPointer(rebasing: buffer[960..<1024])
            guard let nameBytes = Self.copy(name, into: nameArea),
                let addressBytes = Self.copy(address, into: addressArea),
                let verifyBytes = Self.copy(verify, into: verifyArea)
            else { return nil }
            // `{verify}`: empty or one word.
            let verifyWord: UnsafeRawBufferPointer? = verifyBytes.isEmpty ? nil : verifyBytes
            guard verifyBytes.allSatisfy(Self.isWordByte) else { return nil }
            // A handshake failure refuses whatever the map says: its text comes from the general engine.
            if let word = verifyWord, Self.isHandshakeFailure(word) { return nil }
            guard let shape = HostShape(nameBytes), Self.isPlainAddress(addressBytes) else { return nil }

            var key = KeyBuilder(area: keyArea, tag: peer.tag)
            let found: Found
            switch chain(&key, shape: shape, name: nameBytes, address: addressBytes, source: source.pinned()) {
            case .found(let value): found = value
            case .notFound: return .accept
            case .giveUp: return nil
            }
            return judge(found, verify: verifyWord, session: session, peerName: name)
        }
    }

    // MARK: - The key chain

    private enum ChainOutcome {
        case found(Found)
        case notFound
        case giveUp
    }

    /// D on the name, A on the address, the bare tag: the first hit.
    private func chain(
        _ key: inout KeyBuilder,
        shape: HostShape,
        name: UnsafeRawBufferPointer,
        address: UnsafeRawBufferPointer,
        source: any AccessMapSource
    ) -> ChainOutcome {
        // D: the name and its parents (bracketed literals lose their last part inside the brackets).
        domain: do {
            var end = name.count - 1  // bracketed: the key is name[0..<end] + `]`
            var start = 0  // plain: the key is name[start...]
            while true {
                let outcome: Lookup
                switch shape {
                case .plain: outcome = lookup(&key, UnsafeRawBufferPointer(rebasing: name[start...]), source)
                case .bracketed:
                    outcome = lookup(&key, UnsafeRawBufferPointer(rebasing: name[0..<end]), closeBracket: true, source)
                }
                var result = outcome
                if case .notFound = result, lookupDotDomain {
                    // `.parent`: from the first dot of this key (one with something on both sides).
                    switch shape {
                    case .plain:
                        if let dot = Self.firstDot(name, start..<name.count) {
                            result = lookup(&key, UnsafeRawBufferPointer(rebasing: name[dot...]), source)
                        }
                    case .bracketed:
                        if let dot = Self.firstDot(name, 1..<end) {
                            result = lookup(
                                &key,
                                UnsafeRawBufferPointer(rebasing: name[dot..<end]),
                                closeBracket: true,
                                source
                            )
                        }
                    }
                }
                switch result {
                case .found(let value):
                    if skip && value.isSkip { break domain }
                    return .found(value)
                case .giveUp: return .giveUp
                case .notFound: break
                }
                switch shape {
                case .plain:
                    guard let dot = Self.firstDot(name, start..<name.count) else { break domain }
                    start = dot + 1
                case .bracketed:
                    guard let dot = Self.lastDot(name, 1..<end) else { break domain }
                    end = dot
                }
            }
        }
        // A: the address and its shorter prefixes.
        var end = address.count
        address: while true {
            switch lookup(&key, UnsafeRawBufferPointer(rebasing: address[0..<end]), source) {
            case .found(let value):
                if skip && value.isSkip { break address }
                return .found(value)
            case .giveUp: return .giveUp
            case .notFound: break
            }
            var i = end - 1
            while i > 0 && address[i] != UInt8(ascii: ".") && address[i] != UInt8(ascii: ":") { i -= 1 }
            guard i > 0 else { break address }
            end = i
        }
        // The bare tag.
        switch lookup(&key, UnsafeRawBufferPointer(start: nil, count: 0), source) {
        case .found(let value): return .found(value)
        case .giveUp: return .giveUp
        case .notFound: return .notFound
        }
    }

    private enum Lookup {
        case found(Found)
        case notFound
        case giveUp
    }

    /// One key (tag, `:`, the part, `]` when asked) through the map; the value is read in place.
    private func lookup(
        _ key: inout KeyBuilder,
        _ part: UnsafeRawBufferPointer,
        closeBracket: Bool = false,
        _ source: any AccessMapSource
    ) -> Lookup {
        guard let folded = key.build(part, closeBracket: closeBracket) else { return .giveUp }
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

    private func judge(
        _ found: Found,
        verify: UnsafeRawBufferPointer?,
        session: SessionMacros,
        peerName: String
    ) -> TLSPolicyDecision? {
        guard let severity = found.severity else { return .accept }  // not a requirement
        let (code, status): (Int, String)
        switch severity {
        case .permanent: (code, status) = (503, "5.7.0")
        case .temporary: (code, status) = (403, "4.7.0")
        case .standard: (code, status) = permanentByDefault ? (554, "5.7.0") : (454, "4.7.0")
        }
        guard let base = found.base else { return .accept }
        let verified = verify.map { word in verifiedWords.contains { Self.equalFolded(word, $0) } } ?? false
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
        guard let cipherBits = Self.number(session[.cipherBits]), let authSSF = Self.number(session[.authSSF]) else {
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
        // `+CN`: {cn_subject} must be the peer's name ({TLS_Name}), token for token, ignoring case.
        let subject = session[.cnSubject] ?? ""
        guard subject.utf8.count <= Self.maximumMacro, Self.isPlainText(subject) else { return nil }
        if Token.asciiCaseInsensitiveEqual(subject, peerName) { return .accept }
        // Both are plain, so their tokens print as their bytes.
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
        let reason: String
        if let verify {
            guard let known = RulesetEvaluator.verifyFailureWords.first(where: { Self.equalFolded(verify, $0.0) })
            else { return nil }  // "authentication failure" + the extensions: general engine
            reason = known.1
        } else {
            reason = " authentication required"
        }
        return .reject(SMTPReply(code: code, enhancedStatus: status, text: String(reason.dropFirst())))
    }

    // MARK: - Reading values in place

    /// What a plain map value says, read without copying it.
    struct Found {
        enum Severity { case permanent, temporary, standard }
        enum Base {
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

        /// A word, `+` or `:` (ranges in the value).
        private struct Piece {
            var start: Int
            var end: Int
            var isWord: Bool { end - start != 1 || !Found.isOperator(byte) }
            var byte: UInt8
        }

        static func isOperator(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "+") || byte == UInt8(ascii: ":") }

        init() {}

        init(parsing value: UnsafeRawBufferPointer, tlsWords: [[UInt8]]) {
            var lower = 0
            var upper = value.count
            while lower < upper && Tokenizer.isSpace(value[lower]) { lower += 1 }
            while upper > lower && Tokenizer.isSpace(value[upper - 1]) { upper -= 1 }
            if upper - lower == 1 && value[lower] == UInt8(ascii: "?") {
                isQuestion = true
                return
            }
            // Split into at most 8 pieces; anything but word characters, `+` and `:` is not plain.
            var pieces: (Piece, Piece, Piece, Piece, Piece, Piece, Piece, Piece) = (
                Piece(start: 0, end: 0, byte: 0), Piece(start: 0, end: 0, byte: 0), Piece(start: 0, end: 0, byte: 0),
                Piece(start: 0, end: 0, byte: 0), Piece(start: 0, end: 0, byte: 0), Piece(start: 0, end: 0, byte: 0),
                Piece(start: 0, end: 0, byte: 0), Piece(start: 0, end: 0, byte: 0)
            )
            var count = 0
            let complex: Bool = withUnsafeMutableBytes(of: &pieces) { raw in
                let list = raw.bindMemory(to: Piece.self)
                var i = lower
                while i < upper {
                    let byte = value[i]
                    let start = i
                    if Self.isOperator(byte) {
                        i += 1
                    } else if TLSPeerFastPath.isWordByte(byte) {
                        while i < upper && TLSPeerFastPath.isWordByte(value[i]) { i += 1 }
                    } else {
                        return true
                    }
                    guard count < list.count else { return true }
                    list[count] = Piece(start: start, end: i, byte: byte)
                    count += 1
                }
                return false
            }
            if complex {
                isComplex = true
                return
            }
            withUnsafeBytes(of: &pieces) { raw in
                let p = raw.bindMemory(to: Piece.self)
                func word(_ k: Int) -> UnsafeRawBufferPointer? {
                    guard k < count, p[k].isWord else { return nil }
                    return UnsafeRawBufferPointer(rebasing: value[p[k].start..<p[k].end])
                }
                func isOperator(_ k: Int, _ byte: UInt8) -> Bool { k < count && !p[k].isWord && p[k].byte == byte }
                func matches(_ k: Int, _ keyword: String) -> Bool {
                    guard let w = word(k) else { return false }
                    return TLSPeerFastPath.equalFolded(w, keyword)
                }
                func inTls(_ k: Int) -> Bool {
                    guard let w = word(k) else { return false }
                    return tlsWords.contains { TLSPeerFastPath.equalFolded(w, $0) }
                }
                if count == 1 && matches(0, "SKIP") { isSkip = true }
                // [PERM+|TEMP+] word of class Tls …
                var b = 0
                if count >= 3 && isOperator(1, UInt8(ascii: "+")) && inTls(2)
                    && (matches(0, "PERM") || matches(0, "TEMP"))
                {
                    severity = matches(0, "PERM") ? .permanent : .temporary
                    b = 2
                } else if inTls(0) {
                    severity = .standard
                } else {
                    return
                }
                let n = count - b
                var extensionStart: Int? = nil
                if n == 1 && matches(b, "VERIFY") {
                    base = .verify
                } else if n >= 3 && matches(b, "VERIFY") && isOperator(b + 1, UInt8(ascii: "+")) {
                    base = .verify
                    extensionStart = b + 2
                } else if (n == 3 || (n >= 5 && isOperator(b + 3, UInt8(ascii: "+")))) && inTls(b)
                    && isOperator(b + 1, UInt8(ascii: ":"))
                {
                    // `kind:bits`; the bits are any token (`ENCR:abc` is `ENCR:0`, `ENCR::` compares `:`).
                    let bits = Workspace.strtol(
                        bytes: UnsafeRawBufferPointer(rebasing: value[p[b + 2].start..<p[b + 2].end])
                    )
                    if matches(b, "VERIFY") {
                        base = .verifyBits(bits)
                    } else if matches(b, "ENCR") {
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
                    if count == e + 1 && matches(e, "CN") {
                        commonNameExtension = true
                    } else {
                        isComplex = true
                    }
                }
            }
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
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    /// `label(.label)*`: no empty label.
    static func isDottedLabels(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var previousWasDot = true
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if previousWasDot { return false }
                previousWasDot = true
            } else if isWordByte(byte) {
                previousWasDot = false
            } else {
                return false
            }
        }
        return !previousWasDot
    }

    /// `label((.|:)label)*`: a dotted IPv4 address or an `IPv6:` address without `::`.
    static func isPlainAddress(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var previousWasSeparator = true
        for byte in bytes {
            if byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") {
                if previousWasSeparator { return false }
                previousWasSeparator = true
            } else if isWordByte(byte) {
                previousWasSeparator = false
            } else {
                return false
            }
        }
        return !previousWasSeparator
    }

    /// Empty or `label(.label)*` or `[label(.label)*]` (a name whose tokens match its bytes one for one).
    static func isPlainText(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { bytes in bytes.isEmpty || HostShape(UnsafeRawBufferPointer(bytes)) != nil }
    }

    static func isHandshakeFailure(_ word: UnsafeRawBufferPointer) -> Bool {
        RulesetEvaluator.handshakeFailureMessages.contains { equalFolded(word, $0.0) }
    }

    /// A number macro: `.some(nil)` when empty, the value when only digits, `nil` otherwise.
    static func number(_ text: String?) -> Int?? {
        guard let text, !text.isEmpty else { return .some(nil) }
        guard text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return .some(Workspace.strtol(bytes: text.utf8))
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

    static func equalFolded(_ bytes: UnsafeRawBufferPointer, _ folded: [UInt8]) -> Bool {
        guard bytes.count == folded.count else { return false }
        for i in 0..<folded.count where Token.asciiLowercased(bytes[i]) != folded[i] { return false }
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

    /// Copies a macro value into a scratch area; `nil` when it does not fit.
    static func copy(_ text: String, into area: UnsafeMutableRawBufferPointer) -> UnsafeRawBufferPointer? {
        var n = 0
        for byte in text.utf8 {
            guard n < area.count else { return nil }
            area[n] = byte
            n += 1
        }
        return UnsafeRawBufferPointer(rebasing: area[0..<n])
    }
}

/// Builds `tag:` + parts in a scratch area, folded to lower case.
private struct KeyBuilder {
    let area: UnsafeMutableRawBufferPointer
    let prefixLength: Int

    init(area: UnsafeMutableRawBufferPointer, tag: AccessTag) {
        self.area = area
        var n = 0
        for byte in tag.rawValue.utf8 where n < 64 {
            area[n] = Token.asciiLowercased(byte)
            n += 1
        }
        area[n] = UInt8(ascii: ":")
        prefixLength = n + 1
    }

    func build(_ part: UnsafeRawBufferPointer, closeBracket: Bool) -> UnsafeRawBufferPointer? {
        var n = prefixLength
        guard n + part.count + 1 <= area.count else { return nil }
        for byte in part {
            area[n] = Token.asciiLowercased(byte)
            n += 1
        }
        if closeBracket {
            area[n] = UInt8(ascii: "]")
            n += 1
        }
        return UnsafeRawBufferPointer(rebasing: area[0..<n])
    }
}
