public import CFloor

/// The tls_client/tls_server peers as the C decision floor reads them (`cfloor_peer`): one record per peer, in
/// session order, each string inline when it has at most 15 bytes and otherwise in its own heap block — the layout
/// the engine's `SessionMacros` give the same strings, so both read comparably cold memory.
///
/// `@unchecked Sendable`: written only by the initializer, read-only afterwards, freed by `deinit`.
public final class CPeers: @unchecked Sendable {
    public let peers: UnsafeMutablePointer<cfloor_peer>
    public let count: Int
    private var heapBlocks: [UnsafeMutablePointer<CChar>] = []

    public init(_ list: [PeerSession]) {
        count = list.count
        peers = .allocate(capacity: max(1, list.count))
        let nameOffset = MemoryLayout<cfloor_peer>.offset(of: \.inlineName)!
        let addressOffset = MemoryLayout<cfloor_peer>.offset(of: \.inlineAddress)!
        for (i, peer) in list.enumerated() {
            let record = peers + i
            record.initialize(to: cfloor_peer())
            let raw = UnsafeMutableRawPointer(record)
            record.pointee.name = place(peer.name, inline: raw + nameOffset)
            record.pointee.address = place(peer.address, inline: raw + addressOffset)
        }
    }

    /// The string's bytes and a NUL, in the 16-byte inline field or a heap block of its own.
    private func place(_ text: String, inline: UnsafeMutableRawPointer) -> UnsafePointer<CChar> {
        let bytes = Array(text.utf8) + [0]
        let target: UnsafeMutablePointer<CChar>
        if bytes.count <= 16 {
            target = inline.assumingMemoryBound(to: CChar.self)
        } else {
            target = .allocate(capacity: bytes.count)
            heapBlocks.append(target)
        }
        bytes.withUnsafeBytes { UnsafeMutableRawPointer(target).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return UnsafePointer(target)
    }

    deinit {
        for block in heapBlocks { block.deallocate() }
        peers.deinitialize(count: count)
        peers.deallocate()
    }
}
