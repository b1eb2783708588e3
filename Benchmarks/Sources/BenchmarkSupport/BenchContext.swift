public import AccessMap
public import AccessPolicy
import CFloor
import Synchronization

/// Everything a lookup benchmark needs, opened once per process and shared by all iterations (package-benchmark
/// calls a benchmark's closure once per iteration: opening the map there would measure cold caches).
public final class BenchContext: Sendable {
    public let work: PreparedWorkload
    /// The C floor's handles (`GDBM_FILE`), one per thread index, as address bits. Each is used by one thread at
    /// a time: thread index `t` of a benchmark uses `cHandles[t]` only.
    private let cHandles: [UInt]
    /// The engine's GDBM source over the same file.
    public let gdbm: GDBMAccessMapSource
    /// The in-memory snapshot of the same file.
    public let snapshot: SnapshotAccessMapSource
    /// tls_client sessions as the engine takes them (`{client_name}`, `{client_addr}`, `{verify}` OK, 256 bits).
    public let tlsClientSessions: [SessionMacros]
    /// tls_server sessions.
    public let tlsServerSessions: [SessionMacros]
    /// The tls_client peers for the C decision floor (`cfloor_decide_peer`), in session order.
    public let tlsClientCPeers: CPeers
    /// Where each benchmark continues in the session list, so iterations walk all sessions.
    private let cursors = Mutex<[String: Int]>([:])

    public init(lines: Int, threads: Int = 2) throws {
        work = try SharedWorkload.get(lines: lines)
        var handles: [UInt] = []
        for _ in 0..<threads {
            guard let db = cfloor_open(work.databasePath) else { throw WorkloadError("cfloor_open failed") }
            handles.append(UInt(bitPattern: db))
        }
        cHandles = handles
        gdbm = try GDBMAccessMapSource(path: work.databasePath, handleCount: threads)
        snapshot = try SharedWorkload.snapshot(work)
        tlsClientSessions = work.workload.tlsClientPeers.map {
            Self.session($0, name: .clientName, address: .clientAddr)
        }
        tlsServerSessions = work.workload.tlsServerPeers.map {
            Self.session($0, name: .serverName, address: .serverAddr)
        }
        tlsClientCPeers = CPeers(work.workload.tlsClientPeers)
        try checkChains()
        try checkDecisionFloor()
    }

    /// A peer's session: its name and address (fresh copies of the strings, made in session order like the C
    /// decision floor's `CPeers`, so both read their sessions' memory with the same locality), `{verify}` OK and
    /// 256 bits.
    private static func session(_ peer: PeerSession, name: MacroName, address: MacroName) -> SessionMacros {
        func fresh(_ text: String) -> String { String(decoding: Array(text.utf8), as: UTF8.self) }
        var session = SessionMacros()
        session[name] = fresh(peer.name)
        session[address] = fresh(peer.address)
        session[.verify] = "OK"
        session[.cipherBits] = "256"
        return session
    }

    /// The C decision floor must fetch exactly the keys of the C floor's chains: for every tls_client session, the
    /// same number of fetches and the same hit or miss.
    private func checkDecisionFloor() throws {
        let chains = work.tlsClientChains
        let db = cHandle()
        try chains.withC { c in
            for s in 0..<chains.count {
                let at = cfloor_decide(db, c, UInt32(s))
                let expected = at >= 0 ? -(Int(at) + 1) : Int(chains.chainStart[s + 1] - chains.chainStart[s])
                let got = Int(cfloor_decide_peer(db, "tls_clt:", tlsClientCPeers.peers + s))
                guard got == expected else {
                    throw WorkloadError("C decision floor, session \(s): \(got) fetches, the chain says \(expected)")
                }
            }
        }
    }

    /// The C floor must walk exactly the keys the engine looks up: compare the engine's trace on the real map with
    /// each chain up to its first hit, for a sample of sessions of every ruleset.
    private func checkChains() throws {
        let engine = PolicyEngine(source: GDBMAccessMapSource.open(path: work.databasePath, optional: false))
        func compare(_ label: String, _ chains: KeyChains, _ index: Int, _ trace: [AccessLookupTraceEntry]?) throws {
            let engineKeys = (trace ?? []).map {
                String(
                    $0.key.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }.map { Character(UnicodeScalar($0)) }
                )
            }
            let chain = chains.keys(of: index)
            guard engineKeys.count <= chain.count, Array(chain.prefix(engineKeys.count)) == engineKeys,
                engineKeys.count == chain.count || trace?.last?.outcome != .notFound
            else {
                throw WorkloadError("\(label) session \(index): engine looked up \(engineKeys), chain is \(chain)")
            }
        }
        let mail = [Token("$|"), Token("MAIL")]
        for i in stride(from: 0, to: tlsClientSessions.count, by: 97) {
            let session = tlsClientSessions[i]
            let run = engine.run(.tlsClient, input: session.tokens(.verify) + mail, session: session, tracing: true)
            try compare("tls_client", work.tlsClientChains, i, run?.trace)
        }
        for i in stride(from: 0, to: tlsServerSessions.count, by: 97) {
            let session = tlsServerSessions[i]
            let run = engine.run(.tlsServer, input: session.tokens(.verify), session: session, tracing: true)
            try compare("tls_server", work.tlsServerChains, i, run?.trace)
        }
        for i in stride(from: 0, to: work.relaySessions.count, by: 97) {
            let (session, recipient) = work.relaySessions[i]
            let run = engine.run(.checkRcpt, input: Tokenizer.tokenize(recipient), session: session, tracing: true)
            try compare("check_rcpt", work.relayChains, i, run?.trace)
        }
        for i in stride(from: 0, to: work.workload.tlsRecipients.count, by: 97) {
            let session = tlsServerSessions[i]
            let input = Tokenizer.tokenize(work.workload.tlsRecipients[i])
            let run = engine.run(.tlsRecipient, input: input, session: session, tracing: true)
            try compare("tls_rcpt", work.tlsRecipientChains, i, run?.trace)
        }
    }

    deinit {
        for handle in cHandles { cfloor_close(UnsafeMutableRawPointer(bitPattern: handle)) }
    }

    /// The C handle for thread index `t`.
    public func cHandle(_ t: Int = 0) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: cHandles[t])! }

    /// Takes `count` consecutive positions (modulo `modulo`) for benchmark `name`; returns the first.
    public func advance(_ name: String, by count: Int, modulo: Int) -> Int {
        cursors.withLock { cursors in
            let first = cursors[name, default: 0]
            cursors[name] = (first + count) % modulo
            return first
        }
    }

    private static let shared = Mutex<[Int: BenchContext]>([:])

    /// The context for a map of `lines` lines (created once).
    public static func get(lines: Int) throws -> BenchContext {
        if let context = shared.withLock({ $0[lines] }) { return context }
        let context = try BenchContext(lines: lines)
        shared.withLock { $0[lines] = context }
        return context
    }
}
