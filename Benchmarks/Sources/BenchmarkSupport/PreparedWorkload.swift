public import AccessMap
public import AccessPolicy

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A generated workload on disk: the access text, the GDBM map built from it, the sessions and their key chains.
///
/// Files are generated once per (lines, seed, generator version) into ``WorkloadFiles/directory`` and reused.
public final class PreparedWorkload: Sendable {
    public let workload: Workload
    /// The makemap input.
    public let textPath: String
    /// The GDBM map built from it (by ``AccessMap/MapBuilder``).
    public let databasePath: String
    /// tls_client chains: `TLS_Clt:` + name and parents, address and prefixes, bare `TLS_Clt:`.
    public let tlsClientChains: KeyChains
    /// tls_server chains: `TLS_Srv:` + server name and parents, address and prefixes, bare `TLS_Srv:`.
    public let tlsServerChains: KeyChains
    /// tls_rcpt chains: `TLS_Rcpt:user@domain`, `TLS_Rcpt:user@`, domain and parents, bare `TLS_Rcpt:`.
    public let tlsRecipientChains: KeyChains
    /// check_rcpt sessions: `{client_name}`, `{client_addr}` and the recipient.
    public let relaySessions: [(SessionMacros, String)]
    /// check_rcpt chains: every key the engine looks up when nothing is found (its trace on an empty map).
    public let relayChains: KeyChains
    /// tls_client sessions' tokens (name, address), for the bare-chain benchmark.
    public let tlsClientTokens: [([Token], [Token])]

    /// Generates (or reuses) the files for a map of `lines` lines.
    public init(lines: Int, sessions: Int = 50_000) throws {
        let workload = Workload(lines: lines, sessions: sessions)
        let stem = WorkloadFiles.stem(lines: lines)
        textPath = stem + ".txt"
        databasePath = stem + ".db"
        if !WorkloadFiles.exists(textPath) { try WorkloadFiles.write(workload.text, to: textPath) }
        if !WorkloadFiles.exists(databasePath) {
            var rejected: [String] = []
            let summary = try MapBuilder().build(
                from: workload.text,
                into: databasePath,
                diagnostics: {
                    rejected.append($0.description)
                }
            )
            guard rejected.isEmpty, summary.rejected == 0, summary.stored == summary.entries else {
                throw WorkloadError("generated map not stored whole: \(summary), \(rejected.prefix(3))")
            }
        }
        tlsClientTokens = workload.tlsClientPeers.map { (Tokenizer.tokenize($0.name), Tokenizer.tokenize($0.address)) }
        tlsClientChains = KeyChains(workload.tlsClientPeers) { lookup, peer in
            Self.tlsPeerChain(&lookup, peer, tag: .tlsClient)
        }
        tlsServerChains = KeyChains(workload.tlsServerPeers) { lookup, peer in
            Self.tlsPeerChain(&lookup, peer, tag: .tlsServer)
        }
        tlsRecipientChains = KeyChains(workload.tlsRecipients) { lookup, recipient in
            let tokens = Tokenizer.tokenize(recipient)
            guard let at = tokens.lastIndex(where: { $0.text == "@" }) else { return }
            let local = Array(tokens[..<at])
            let domain = Array(tokens[(at + 1)...])
            _ = lookup.searchList(
                [.fullAddress(tokens), .localPart(local + [tokens[at]]), .domain(domain), .exact([])],
                tag: .tlsRecipient,
                mark: .tagOnly
            )
        }
        relaySessions = zip(workload.relayClients, workload.relayRecipients).map { client, recipient in
            (SessionMacros([.clientName: client.name, .clientAddr: client.address, .clientResolve: "OK"]), recipient)
        }
        let emptyEngine = PolicyEngine(source: EmptyAccessMapSource())
        relayChains = KeyChains(relaySessions) { session, recipient in
            let run = emptyEngine.run(.checkRcpt, input: Tokenizer.tokenize(recipient), session: session, tracing: true)
            return (run?.trace ?? []).map(\.key)
        }
        let chainsPath = stem + ".tls_client.chains"
        if !WorkloadFiles.exists(chainsPath) { try WorkloadFiles.write(tlsClientChains.text, to: chainsPath) }
        self.workload = workload
    }

    /// The searches tls_client / tls_server make: D(name, !Tag), A(address, !Tag), bare `Tag:`.
    public static func tlsPeerChain(_ lookup: inout AccessLookup, _ peer: PeerSession, tag: AccessTag) {
        if case .notFound = lookup.domain(Tokenizer.tokenize(peer.name), tag: tag, mark: .tagOnly),
            lookup.address(Tokenizer.tokenize(peer.address), tag: tag, mark: .tagOnly) != .temporaryFailure
        {
            _ = lookup.bareTag(tag)
        }
    }
}
