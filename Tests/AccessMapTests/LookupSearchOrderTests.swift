import AccessMap
import Testing

/// Search orders of the D, A, E, F, U and SearchList routines. Every expected key list was read off
/// `sendmail -C base.cf -d60.1 -bt` (sendmail 8.17.1.9) with the same entries.
@Suite("Access lookup search orders")
struct LookupSearchOrderTests {
    static let base = InMemoryAccessMapSource([
        "Connect:example.net": "REJECT",
        "legacy.example.org": "REJECT",
        "Connect:[192.0.2.10]": "REJECT",
        "Connect:10.2": "RELAY",
        "Connect:IPv6:2001:db8:1": "OK",
        "Connect:IPv6:2001:db8::5": "OK",
        "From:joe+*@": "ERROR:550 joe-star",
        "TLS_Rcpt:rebels.org": "ENCR:256",
        "TLS_Clt:IPv6:2001:db8:5": "VERIFY",
        "TLS_Clt:q.example": "?",
        "Connect:pct.example": "ERROR:550 %0 denied %1 100%% %x 50%",
        "Connect:tmpval.example": "foo <TMPF>",
    ])

    func keys(_ lookup: AccessLookup) -> [String] { lookup.trace?.map(\.key) ?? [] }

    /// check_relay's D(+Connect) then A(+Connect), as sendmail runs it.
    func connect(
        _ name: String,
        _ addr: String,
        source: any AccessMapSource = Self.base,
        options: AccessLookupOptions = []
    )
        -> (AccessLookupResult, [String])
    {
        var lookup = AccessLookup(source: source, options: options, tracing: true)
        var result = lookup.domain(Tokenizer.tokenize(name), tag: .connect, mark: .tagThenUntagged)
        if case .notFound = result {
            result = lookup.address(Tokenizer.tokenize(addr), tag: .connect, mark: .tagThenUntagged)
        }
        return (result, keys(lookup))
    }

    static func both(_ keys: [String]) -> [String] { keys.flatMap { ["Connect:" + $0, $0] } }

    @Test("host names lose one leading label at a time, tagged then untagged")
    func hostNames() {
        let (result, keys) = connect("host.sub.example.net", "198.51.100.1")
        #expect(
            keys == [
                "Connect:host.sub.example.net", "host.sub.example.net", "Connect:sub.example.net", "sub.example.net",
                "Connect:example.net",
            ]
        )
        #expect(result.value?.text == "REJECT")
        #expect(result.value?.key == "Connect:example.net")
        let (legacy, legacyKeys) = connect("www.legacy.example.org", "198.51.100.1")
        #expect(legacyKeys.last == "legacy.example.org")
        #expect(legacy.value?.text == "REJECT")
    }

    @Test("bracketed IPv4 literals stay bracketed, then the address loses octets")
    func bracketedIPv4() {
        let (result, keys) = connect("[10.3.4.6]", "10.3.4.6")
        #expect(keys == Self.both(["[10.3.4.6]", "[10.3.4]", "[10.3]", "[10]", "10.3.4.6", "10.3.4", "10.3", "10"]))
        #expect(result == .notFound)
        #expect(connect("[192.0.2.10]", "192.0.2.10").0.value?.text == "REJECT")
    }

    @Test("IPv6 literals and addresses lose one group at a time; :: drops back")
    func ipv6() {
        let (result, keys) = connect("[IPv6:2001:db8:1:0:0:0:0:9]", "IPv6:2001:db8:1:0:0:0:0:9")
        let bracketed = [
            "[IPv6:2001:db8:1:0:0:0:0:9]", "[IPv6:2001:db8:1:0:0:0:0]", "[IPv6:2001:db8:1:0:0:0]",
            "[IPv6:2001:db8:1:0:0]", "[IPv6:2001:db8:1:0]", "[IPv6:2001:db8:1]", "[IPv6:2001:db8]", "[IPv6:2001]",
            "[IPv6]",
        ]
        let plain = [
            "IPv6:2001:db8:1:0:0:0:0:9", "IPv6:2001:db8:1:0:0:0:0", "IPv6:2001:db8:1:0:0:0", "IPv6:2001:db8:1:0:0",
            "IPv6:2001:db8:1:0",
        ]
        #expect(keys == Self.both(bracketed + plain) + ["Connect:IPv6:2001:db8:1"])
        #expect(result.value?.text == "OK")

        let (compressed, compressedKeys) = connect("x", "IPv6:2001:db8::7")
        #expect(compressedKeys == Self.both(["x", "IPv6:2001:db8::7", "IPv6:2001:db8", "IPv6:2001", "IPv6"]))
        #expect(compressed == .notFound)
        #expect(connect("x", "IPv6:2001:db8::5").0.value?.key == "Connect:IPv6:2001:db8::5")

        let (_, mapped) = connect("[IPv6:::ffff:1.2.3.4]", "1.2.3.4")
        #expect(
            mapped
                == Self.both([
                    "[IPv6:::ffff:1.2.3.4]", "[IPv6:::ffff:1.2.3]", "[IPv6:::ffff:1.2]", "[IPv6:::ffff:1]",
                    "[IPv6:::ffff]",
                    "[IPv6:]", "1.2.3.4", "1.2.3", "1.2", "1",
                ])
        )
    }

    @Test("odd host names follow sendmail's token patterns")
    func oddNames() {
        #expect(connect(".a.b", "1.2").1 == Self.both([".a.b", "b", "1.2", "1"]))
        #expect(connect("a..b", "1").1 == Self.both(["a..b", ".b", "1"]))
        #expect(connect("[a.b.]", "1").1 == Self.both(["[a.b.]", "b.]", "]", "1"]))
    }

    @Test("values: %0 is the key as sent, %1-%9 vanish, %% is %, other % stay; <TMPF> ending is a tempfail")
    func valueProcessing() {
        let (result, _) = connect("X.PCT.Example", "1")
        #expect(result.value?.text == "ERROR:550 Connect:PCT.Example denied 100%%x 50%")
        #expect(connect("tmpval.example", "1").0 == .temporaryFailure)
    }

    @Test("a value without tokens cannot be used: the result says where the routine stood; an empty one can")
    func unusableValues() {
        let source = InMemoryAccessMapSource([
            "Connect:a.example": "(comment)", "b.example": ")", "Connect:10.1": "(x", "Connect:e.example": "%1",
        ])
        var lookup = AccessLookup(source: source)
        let d = lookup.domain(Tokenizer.tokenize("x.a.example"), tag: .connect, mark: .tagThenUntagged)
        #expect(d.value?.tokens == [])
        #expect(d.value?.unusable == UnusableValue(key: Tokenizer.tokenize("a.example"), afterNotFound: false))
        let untagged = lookup.domain(Tokenizer.tokenize("b.example"), tag: .connect, mark: .tagThenUntagged)
        #expect(untagged.value?.unusable == UnusableValue(key: Tokenizer.tokenize("b.example"), afterNotFound: true))
        let a = lookup.address(Tokenizer.tokenize("10.1.2.3"), tag: .connect, mark: .tagOnly)
        #expect(a.value?.unusable == UnusableValue(key: Tokenizer.tokenize("10.1"), afterNotFound: false))
        // `%1` becomes nothing: an empty value, which the rulesets can use.
        let empty = lookup.domain(Tokenizer.tokenize("e.example"), tag: .connect, mark: .tagOnly)
        #expect(empty.value?.tokens == [])
        #expect(empty.value?.unusable == nil)
    }

    @Test("a stored value of ? reads as not found and the search goes on")
    func questionMarkValue() {
        var lookup = AccessLookup(source: Self.base, tracing: true)
        #expect(lookup.domain(Tokenizer.tokenize("q.example"), tag: .tlsClient, mark: .tagOnly) == .notFound)
        let result = lookup.address(Tokenizer.tokenize("IPv6:2001:db8:5:0:0:0:0:1"), tag: .tlsClient, mark: .tagOnly)
        #expect(result.value?.text == "VERIFY")
        #expect(
            keys(lookup) == [
                "TLS_Clt:q.example", "TLS_Clt:example", "TLS_Clt:IPv6:2001:db8:5:0:0:0:0:1",
                "TLS_Clt:IPv6:2001:db8:5:0:0:0:0", "TLS_Clt:IPv6:2001:db8:5:0:0:0", "TLS_Clt:IPv6:2001:db8:5:0:0",
                "TLS_Clt:IPv6:2001:db8:5:0", "TLS_Clt:IPv6:2001:db8:5",
            ]
        )
    }

    @Test("SearchList F, U, D with +detail variants (check_mail order)")
    func searchListFrom() {
        var lookup = AccessLookup(source: Self.base, tracing: true)
        let result = lookup.searchList(
            [
                .fullAddress(Tokenizer.tokenize("joe+abc@nowhere.example")), .localPart(Tokenizer.tokenize("joe+abc@")),
                .domain(Tokenizer.tokenize("nowhere.example")),
            ],
            tag: .from,
            mark: .tagThenUntagged
        )
        #expect(
            keys(lookup) == [
                "From:joe+abc@nowhere.example", "joe+abc@nowhere.example", "From:joe+*@nowhere.example",
                "joe+*@nowhere.example", "From:joe@nowhere.example", "joe@nowhere.example", "From:joe+abc@", "joe+abc@",
                "From:joe+*@",
            ]
        )
        #expect(result.value?.text == "ERROR:550 joe-star")
    }

    @Test("SearchList with ! mark and a final bare tag (tls_rcpt order)")
    func searchListRecipient() {
        var lookup = AccessLookup(source: Self.base, tracing: true)
        let result = lookup.searchList(
            [
                .fullAddress(Tokenizer.tokenize("leia@base.rebels.org")), .localPart(Tokenizer.tokenize("leia@")),
                .domain(Tokenizer.tokenize("base.rebels.org")), .exact([]),
            ],
            tag: .tlsRecipient,
            mark: .tagOnly
        )
        #expect(
            keys(lookup) == [
                "TLS_Rcpt:leia@base.rebels.org", "TLS_Rcpt:leia@", "TLS_Rcpt:base.rebels.org", "TLS_Rcpt:rebels.org",
            ]
        )
        #expect(result.value?.text == "ENCR:256")
        var bare = AccessLookup(source: Self.base, tracing: true)
        #expect(bare.searchList([.exact([])], tag: .tlsRecipient, mark: .tagOnly) == .notFound)
        #expect(keys(bare) == ["TLS_Rcpt:"])
    }

    static let options = InMemoryAccessMapSource([
        "Connect:dotted2.example": "OK",
        ".dotted2.example": "REJECT",
        "Connect:dotted3.example": "OK",
        "Connect:.dotted3.example": "REJECT",
        "Connect:skiphost.example.net": "SKIP",
        "Connect:10.9": "SKIP",
        "Connect:10": "REJECT",
    ])

    @Test("lookupdotdomain tries .parent before the parent")
    func lookupDotDomain() {
        let (result, keys) = connect(
            "b.a.dotted2.example",
            "1",
            source: Self.options,
            options: [.skip, .lookupDotDomain]
        )
        #expect(
            keys == Self.both(["b.a.dotted2.example", ".a.dotted2.example", "a.dotted2.example", ".dotted2.example"])
        )
        #expect(result.value?.key == ".dotted2.example")
        let (dotted, dottedKeys) = connect("x.dotted3.example", "1", source: Self.options, options: [.lookupDotDomain])
        #expect(dottedKeys == ["Connect:x.dotted3.example", "x.dotted3.example", "Connect:.dotted3.example"])
        #expect(dotted.value?.text == "REJECT")
        let (_, literal) = connect("[1.2.3.4]", "1", source: Self.options, options: [.lookupDotDomain])
        #expect(
            literal == Self.both(["[1.2.3.4]", ".2.3.4]", "[1.2.3]", ".2.3]", "[1.2]", ".2]", "[1]", "1"])
        )
    }

    @Test("skip: SKIP ends a D or A search as not found; without the option it is a value")
    func skip() {
        let (result, keys) = connect(
            "sub.skiphost.example.net",
            "10.9.1.1",
            source: Self.options,
            options: [.skip, .lookupDotDomain]
        )
        #expect(
            keys == [
                "Connect:sub.skiphost.example.net", "sub.skiphost.example.net", "Connect:.skiphost.example.net",
                ".skiphost.example.net", "Connect:skiphost.example.net", "Connect:10.9.1.1", "10.9.1.1",
                "Connect:10.9.1", "10.9.1", "Connect:10.9",
            ]
        )
        #expect(result == .notFound)
        let (plain, _) = connect("sub.skiphost.example.net", "1", source: Self.options)
        #expect(plain.value?.text == "SKIP")
    }

    @Test("empty keys: D looks up the bare tag, A does not search")
    func emptyKeys() {
        var lookup = AccessLookup(source: InMemoryAccessMapSource(["TLS_Clt:": "ENCR:56"]), tracing: true)
        #expect(lookup.domain([], tag: .tlsClient, mark: .tagThenUntagged).value?.text == "ENCR:56")
        #expect(lookup.address([], tag: .tlsClient, mark: .tagOnly) == .notSearched)
        #expect(keys(lookup) == ["TLS_Clt:"])
    }

    @Test("keys are folded before the map sees them; the trace keeps the case as sent")
    func caseFolding() {
        var lookup = AccessLookup(source: InMemoryAccessMapSource(["connect:example.net": "OK"]), tracing: true)
        let result = lookup.domain(Tokenizer.tokenize("EXAMPLE.Net"), tag: .connect, mark: .tagOnly)
        #expect(result.value?.key == "Connect:EXAMPLE.Net")
        #expect(keys(lookup) == ["Connect:EXAMPLE.Net"])
    }

    @Test("a map that cannot be read ends the search with a temporary failure at the first key")
    func temporaryFailure() {
        let (result, keys) = connect("a.b.example", "1.2.3.4", source: UnavailableAccessMapSource())
        #expect(result == .temporaryFailure)
        #expect(keys == ["Connect:a.b.example"])
        let failingOne = InMemoryAccessMapSource(["Connect:b.example": "OK"], temporarilyFailing: ["b.example"])
        let (second, secondKeys) = connect("a.b.example", "1", source: failingOne)
        #expect(second.value?.text == "OK")
        #expect(secondKeys.count == 3)
        let (third, thirdKeys) = connect(
            "x.b.example",
            "1",
            source: InMemoryAccessMapSource([:], temporarilyFailing: ["b.example"])
        )
        #expect(third == .temporaryFailure)
        #expect(thirdKeys == ["Connect:x.b.example", "x.b.example", "Connect:b.example", "b.example"])
    }

    @Test("tracing off records nothing")
    func noTrace() {
        var lookup = AccessLookup(source: Self.base)
        _ = lookup.domain(Tokenizer.tokenize("a.example.net"), tag: .connect, mark: .tagOnly)
        #expect(lookup.trace == nil)
    }
}
