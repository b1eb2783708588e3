/// sendmail's access-map search routines over an ``AccessMapSource``: D (domain), A (address), E (exact),
/// F (full address), U (local part), SearchList and bare-tag look-ups, with their exact key orders.
///
/// Keys are token lists (``Tokenizer``), as in sendmail: a host name loses one leading label at a time, an
/// address one trailing octet or group, bracketed literals stay bracketed. Each key is assembled into a reusable
/// byte buffer and folded to lower case there, so a search does not build intermediate strings unless a value
/// is found or a trace is requested.
///
/// The value is cheap to create; make one per evaluation (it is a mutable scratchpad, not shared). Set
/// ``trace`` to an empty array to record every key looked up, in order, with its answer.
public struct AccessLookup {
    /// Where the keys are looked up.
    public let source: any AccessMapSource
    /// access_db options (`skip`, `lookupdotdomain`).
    public let options: AccessLookupOptions
    /// When not `nil`, every key looked up is appended, in order, with the map's answer.
    public var trace: [AccessLookupTraceEntry]?

    /// The tokens of the map's last answer as sendmail would insert them: the value's tokens after `%`
    /// substitution when found (even for `?` or a `<TMPF>` ending), the key followed by `<TMPF>` (sendmail's
    /// `-T<TMPF>` appended to the key) after a temporary failure, empty when not found.
    ///
    /// Rulesets whose workspace shows the raw answer (an empty key that D cannot normalise) need it.
    public private(set) var lastAnswerTokens: [Token] = []

    private var sentKey: [UInt8] = []
    private var foldedKey: [UInt8] = []

    /// Creates a searcher.
    ///
    /// - Parameters:
    ///   - source: The map.
    ///   - options: access_db options.
    ///   - tracing: Record every key looked up in ``trace``.
    public init(source: any AccessMapSource, options: AccessLookupOptions = [], tracing: Bool = false) {
        self.source = source
        self.options = options
        self.trace = tracing ? [] : nil
        sentKey.reserveCapacity(128)
        foldedKey.reserveCapacity(128)
    }

    // MARK: - Routines

    /// D — LookUpDomain: `Tag:h1.h2…hn`, then (with `lookupdotdomain`) `Tag:.h2…hn`, then the parent
    /// `h2…hn`, and so on; a bracketed literal `[a.b.c.d]` becomes `[a.b.c]` … `[a]`, `[IPv6:x:y]` loses one
    /// group (or everything after a `::`) at a time, never unbracketed. With ``AccessLookupMark/tagThenUntagged``
    /// every key is also tried without the tag right after the tagged one.
    ///
    /// An empty key looks up the bare `Tag:` only (what sendmail does with an empty macro).
    public mutating func domain(_ key: [Token], tag: AccessTag, mark: AccessLookupMark) -> AccessLookupResult {
        // Parents are slices of the caller's array; only a shortened bracketed literal needs new storage.
        var key = key[...]
        while true {
            var step = lookupCandidate(tag: tag, dot: false, key, mark: mark)
            if case .notFound = step, options.contains(.lookupDotDomain), let rest = Self.afterFirstDot(key) {
                step = lookupCandidate(tag: tag, dot: true, rest, mark: mark)
                // The `.rest` look-up runs on D's workspace for the whole name.
                if case .found(var value) = step, value.unusable != nil {
                    value.unusable?.key = Array(key)
                    step = .found(value)
                }
            }
            if case .found(let value) = step {
                if options.contains(.skip) && value.isKeyword("SKIP") { return .notFound }
                return step
            }
            if case .temporaryFailure = step { return step }
            if key.isEmpty { return .notFound }
            let n = key.count
            let s = key.startIndex
            if n >= 3 && key[s].text == "[" && key[s + n - 1].text == "]" {
                var cut = 0
                if n >= 5 && key[s + n - 3].text == "." {
                    cut = 3
                } else if n >= 6 && key[s + n - 4].text == ":" && key[s + n - 3].text == ":" {
                    cut = 4
                } else if n >= 5 && key[s + n - 3].text == ":" {
                    cut = 3
                }
                if cut > 0 {
                    key = (Array(key[s..<(s + n - cut)]) + [Token.closeBracket])[...]
                    continue
                }
            }
            guard let rest = Self.afterFirstDot(key) else { return .notFound }
            key = rest
        }
    }

    /// A — LookUpAddress: `Tag:10.2.3.4`, `Tag:10.2.3`, `Tag:10.2`, `Tag:10`; `IPv6:…:g` loses one group at a
    /// time and `…::g` drops back to the part before `::`.
    ///
    /// An empty key is ``AccessLookupResult/notSearched`` (sendmail's routine does no look-up).
    public mutating func address(_ key: [Token], tag: AccessTag, mark: AccessLookupMark) -> AccessLookupResult {
        var key = key[...]
        while true {
            if key.isEmpty { return .notSearched }
            let step = lookupCandidate(tag: tag, dot: false, key, mark: mark)
            if case .found(let value) = step {
                if options.contains(.skip) && value.isKeyword("SKIP") { return .notFound }
                return step
            }
            if case .temporaryFailure = step { return step }
            let n = key.count
            let s = key.startIndex
            if n >= 4 && key[s + n - 3].text == ":" && key[s + n - 2].text == ":" {
                key = key[s..<(s + n - 3)]
            } else if n >= 3 && (key[s + n - 2].text == ":" || key[s + n - 2].text == ".") {
                key = key[s..<(s + n - 2)]
            } else {
                return .notFound
            }
        }
    }

    /// E — LookUpExact: `Tag:key` only (an empty key gives the bare `Tag:`).
    public mutating func exact(_ key: [Token], tag: AccessTag, mark: AccessLookupMark) -> AccessLookupResult {
        lookupCandidate(tag: tag, dot: false, key[...], mark: mark)
    }

    /// F — LookUpFull: `Tag:user+detail@domain`, then `Tag:user+*@domain` and `Tag:user@domain` when the local
    /// part has a `+` (user = the part before the first `+`).
    public mutating func fullAddress(_ key: [Token], tag: AccessTag, mark: AccessLookupMark) -> AccessLookupResult {
        if key.isEmpty { return .notSearched }
        let first = lookupCandidate(tag: tag, dot: false, key[...], mark: mark)
        guard case .notFound = first else { return first }
        let n = key.count
        var p = 1
        while p < n {
            if key[p].text == "+" {
                var q = p + 1
                while q < n - 1 && key[q].text != "@" { q += 1 }
                if q < n - 1 {
                    let user = key[0..<p]
                    let domain = key[(q + 1)..<n]
                    let star = Array(user) + [Token.plus, Token("*"), Token.at] + Array(domain)
                    let second = lookupCandidate(tag: tag, dot: false, star[...], mark: mark)
                    guard case .notFound = second else { return Self.stoppedAt(key, second) }
                    let plain = Array(user) + [Token.at] + Array(domain)
                    return Self.stoppedAt(key, lookupCandidate(tag: tag, dot: false, plain[...], mark: mark))
                }
            }
            p += 1
        }
        return .notFound
    }

    /// U — LookUpUser: the key ends in `@`: `Tag:user+detail@`, then `Tag:user+*@` and `Tag:user@` when the
    /// local part has a `+`.
    public mutating func localPart(_ key: [Token], tag: AccessTag, mark: AccessLookupMark) -> AccessLookupResult {
        if key.isEmpty { return .notSearched }
        let first = lookupCandidate(tag: tag, dot: false, key[...], mark: mark)
        guard case .notFound = first else { return first }
        let n = key.count
        guard n >= 3, key[n - 1].text == "@" else { return .notFound }
        var p = 1
        while p < n - 1 {
            if key[p].text == "+" {
                let user = key[0..<p]
                let star = Array(user) + [Token.plus, Token("*"), Token.at]
                let second = lookupCandidate(tag: tag, dot: false, star[...], mark: mark)
                guard case .notFound = second else { return Self.stoppedAt(key, second) }
                let plain = Array(user) + [Token.at]
                return Self.stoppedAt(key, lookupCandidate(tag: tag, dot: false, plain[...], mark: mark))
            }
            p += 1
        }
        return .notFound
    }

    /// A `+*` or `+detail`-less try of F or U that met a value sendmail cannot use: the routine stops with its
    /// own workspace, which still holds the whole `user+detail@…` key and, after the first try's miss, starts with
    /// `<?>`.
    static func stoppedAt(_ key: [Token], _ result: AccessLookupResult) -> AccessLookupResult {
        guard case .found(var value) = result, value.unusable != nil else { return result }
        value.unusable = UnusableValue(key: key, afterNotFound: true)
        return .found(value)
    }

    /// One item of a SearchList: which routine, on which key.
    public enum SearchItem: Hashable, Sendable {
        /// `<E:key>`
        case exact([Token])
        /// `<F:user@domain>`
        case fullAddress([Token])
        /// `<D:domain>`
        case domain([Token])
        /// `<U:user@>`
        case localPart([Token])
        /// `<A:address>` (only with ratecontrol/conncontrol)
        case address([Token])
    }

    /// SearchList: the items left to right, first hit (or temporary failure) wins; ``AccessLookupResult/notFound``
    /// when none matches.
    public mutating func searchList(
        _ items: [SearchItem],
        tag: AccessTag,
        mark: AccessLookupMark
    )
        -> AccessLookupResult
    {
        for item in items {
            let result: AccessLookupResult
            switch item {
            case .exact(let key): result = exact(key, tag: tag, mark: mark)
            case .fullAddress(let key): result = fullAddress(key, tag: tag, mark: mark)
            case .domain(let key): result = domain(key, tag: tag, mark: mark)
            case .localPart(let key): result = localPart(key, tag: tag, mark: mark)
            case .address(let key): result = address(key, tag: tag, mark: mark)
            }
            if case .notFound = result { continue }
            return result
        }
        return .notFound
    }

    /// The bare-tag default look-up `Tag:` (e.g. `TLS_Clt:` after D and A found nothing).
    public mutating func bareTag(_ tag: AccessTag) -> AccessLookupResult {
        lookupCandidate(tag: tag, dot: false, [][...], mark: .tagOnly)
    }

    /// One literal key built from a tag and a key text (`CERTISSUER:` + DN, `CITag` look-ups).
    public mutating func exactKey(tag: AccessTag, _ key: [Token]) -> AccessLookupResult {
        lookupCandidate(tag: tag, dot: false, key[...], mark: .tagOnly)
    }

    // MARK: - Candidates

    /// The tagged key, then (with `+` and a non-empty key) the untagged one.
    private mutating func lookupCandidate(
        tag: AccessTag,
        dot: Bool,
        _ key: ArraySlice<Token>,
        mark: AccessLookupMark
    ) -> AccessLookupResult {
        let tagged = lookupOne(tag: tag, dot: dot, key)
        if case .notFound = tagged, mark == .tagThenUntagged, !key.isEmpty {
            return lookupOne(tag: nil, dot: dot, key)
        }
        return tagged
    }

    /// Builds one key in the buffers, folds it, asks the source, processes the value.
    private mutating func lookupOne(tag: AccessTag?, dot: Bool, _ key: ArraySlice<Token>) -> AccessLookupResult {
        sentKey.removeAll(keepingCapacity: true)
        if let tag {
            sentKey.append(contentsOf: tag.rawValue.utf8)
            sentKey.append(UInt8(ascii: ":"))
        }
        if dot { sentKey.append(UInt8(ascii: ".")) }
        key.appendKeyBytes(to: &sentKey)
        foldedKey.removeAll(keepingCapacity: true)
        for byte in sentKey { foldedKey.append(Token.asciiLower(byte)) }
        let answer = foldedKey.withUnsafeBytes { source.lookup(foldedKey: $0) }
        if trace != nil {
            let keyText = String(decoding: sentKey, as: UTF8.self)
            let outcome: AccessLookupTraceEntry.Outcome
            switch answer {
            case .found(let bytes): outcome = .found(String(decoding: bytes, as: UTF8.self))
            case .notFound: outcome = .notFound
            case .temporaryFailure: outcome = .temporaryFailure
            }
            trace?.append(AccessLookupTraceEntry(key: keyText, outcome: outcome))
        }
        switch answer {
        case .notFound:
            lastAnswerTokens = []
            return .notFound
        case .temporaryFailure:
            lastAnswerTokens = Tokenizer.tokenize(bytes: sentKey + Array("<TMPF>".utf8))
            return .temporaryFailure
        case .found(let bytes):
            let substituted = Self.substitutePercent(bytes, key: sentKey)
            let tokens = Tokenizer.tokenize(bytes: substituted)
            lastAnswerTokens = tokens
            if tokens.count == 1 && tokens[0].text == "?" { return .notFound }
            if Self.endsWithTemporaryFailureMark(tokens) { return .temporaryFailure }
            // Text without tokens (a comment, an unclosed `(`, a stray `)`) cannot be used; an empty text can.
            let unusable =
                tokens.isEmpty && !substituted.isEmpty
                ? UnusableValue(key: Array(key), afterNotFound: tag == nil || dot) : nil
            return .found(
                AccessMapValue(tokens: tokens, key: String(decoding: sentKey, as: UTF8.self), unusable: unusable)
            )
        }
    }

    /// `%0` → key as sent, `%1`…`%9` → nothing, `%%` → `%`; any other `%` stays.
    static func substitutePercent(_ value: [UInt8], key: [UInt8]) -> [UInt8] {
        guard value.contains(UInt8(ascii: "%")) else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.count + key.count)
        var i = 0
        while i < value.count {
            let byte = value[i]
            if byte == UInt8(ascii: "%"), i + 1 < value.count {
                let next = value[i + 1]
                if next == UInt8(ascii: "0") {
                    out.append(contentsOf: key)
                    i += 2
                    continue
                }
                if next >= UInt8(ascii: "1") && next <= UInt8(ascii: "9") {
                    i += 2
                    continue
                }
                if next == UInt8(ascii: "%") {
                    out.append(byte)
                    i += 2
                    continue
                }
            }
            out.append(byte)
            i += 1
        }
        return out
    }

    /// The tokens end in `< TMPF >` (ASCII case-insensitive), sendmail's temporary-failure mark.
    static func endsWithTemporaryFailureMark(_ tokens: [Token]) -> Bool {
        let n = tokens.count
        return n >= 3 && tokens[n - 3].text == "<" && tokens[n - 2].matches("TMPF") && tokens[n - 1].text == ">"
    }

    /// `<$+.$+>`: the tokens after the first `.` that has at least one token on each side.
    static func afterFirstDot<C: RandomAccessCollection<Token>>(_ key: C) -> C.SubSequence? where C.Index == Int {
        let s = key.startIndex
        let n = key.count
        guard n >= 3 else { return nil }
        var i = s + 1
        while i < s + n - 1 {
            if key[i].text == "." { return key[(i + 1)...] }
            i += 1
        }
        return nil
    }
}
