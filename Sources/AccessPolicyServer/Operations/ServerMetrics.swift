import Synchronization

/// Counters a running server keeps, readable at any time with ``snapshot()``.
///
/// Updates are lock-free atomics except the per-kind decision table and the latency histogram, which take a
/// short lock; reading takes a consistent-enough copy (each number is exact, they are not read at one instant).
public final class ServerMetrics: Sendable {
    private let connectionsAccepted = Atomic<Int>(0)
    private let connectionsRefused = Atomic<Int>(0)
    private let connectionsOpen = Atomic<Int>(0)
    private let protocolErrors = Atomic<Int>(0)
    private let timeouts = Atomic<Int>(0)
    private let reloads = Atomic<Int>(0)
    private let tables = Mutex(Tables())

    /// Bucket `i` counts latencies in [2^i, 2^(i+1)) microseconds (bucket 0 also holds 0).
    static let latencyBuckets = 32

    private struct Tables {
        var requests: [String: Int] = [:]
        var decisions: [String: Int] = [:]
        var latency = [Int](repeating: 0, count: ServerMetrics.latencyBuckets)
        var latencyCount = 0
        var latencySumMicroseconds = 0
        var latencyMaxMicroseconds = 0
    }

    /// Creates zeroed counters.
    public init() {}

    func connectionAccepted() {
        connectionsAccepted.add(1, ordering: .relaxed)
        connectionsOpen.add(1, ordering: .relaxed)
    }
    func connectionClosed() { connectionsOpen.subtract(1, ordering: .relaxed) }
    func connectionRefused() { connectionsRefused.add(1, ordering: .relaxed) }
    func protocolError() { protocolErrors.add(1, ordering: .relaxed) }
    func timeout() { timeouts.add(1, ordering: .relaxed) }
    func reloaded() { reloads.add(1, ordering: .relaxed) }

    /// Counts one answered request of `protocolName` with decision `kind`, taking `microseconds`.
    func record(protocolName: String, kind: String, microseconds: Int) {
        let bucket =
            microseconds <= 1 ? 0 : min(Self.latencyBuckets - 1, Int.bitWidth - 1 - microseconds.leadingZeroBitCount)
        tables.withLock { tables in
            tables.requests[protocolName, default: 0] += 1
            tables.decisions["\(protocolName).\(kind)", default: 0] += 1
            tables.latency[bucket] += 1
            tables.latencyCount += 1
            tables.latencySumMicroseconds += microseconds
            tables.latencyMaxMicroseconds = max(tables.latencyMaxMicroseconds, microseconds)
        }
    }

    /// A copy of every counter.
    public func snapshot() -> Snapshot {
        let copy = tables.withLock { $0 }
        return Snapshot(
            connectionsAccepted: connectionsAccepted.load(ordering: .relaxed),
            connectionsRefused: connectionsRefused.load(ordering: .relaxed),
            connectionsOpen: connectionsOpen.load(ordering: .relaxed),
            protocolErrors: protocolErrors.load(ordering: .relaxed),
            timeouts: timeouts.load(ordering: .relaxed),
            reloads: reloads.load(ordering: .relaxed),
            requests: copy.requests,
            decisions: copy.decisions,
            latencyBuckets: copy.latency,
            latencyCount: copy.latencyCount,
            latencySumMicroseconds: copy.latencySumMicroseconds,
            latencyMaxMicroseconds: copy.latencyMaxMicroseconds
        )
    }

    /// The counters at one moment.
    public struct Snapshot: Hashable, Sendable, CustomStringConvertible {
        /// Connections accepted since start.
        public var connectionsAccepted: Int
        /// Connections closed at once because ``ServerLimits/maximumConnections`` were open.
        public var connectionsRefused: Int
        /// Connections open now.
        public var connectionsOpen: Int
        /// Requests that could not be parsed (each closes its connection).
        public var protocolErrors: Int
        /// Connections closed for idleness or for a request that did not complete in time.
        public var timeouts: Int
        /// Map reloads done.
        public var reloads: Int
        /// Answered requests by protocol (`socketmap`, `policy`).
        public var requests: [String: Int]
        /// Answered requests by `protocol.kind` (`socketmap.ok`, `policy.reject`, …).
        public var decisions: [String: Int]
        /// Latency histogram; bucket `i` counts answers that took [2^i, 2^(i+1)) µs.
        public var latencyBuckets: [Int]
        /// Number of timed answers.
        public var latencyCount: Int
        /// Sum of answer times, µs.
        public var latencySumMicroseconds: Int
        /// Slowest answer, µs.
        public var latencyMaxMicroseconds: Int

        /// The upper bound (µs) of the histogram bucket holding the `p`-th percentile (0…100), 0 without data.
        public func latencyPercentileMicroseconds(_ p: Double) -> Int {
            guard latencyCount > 0 else { return 0 }
            let rank = max(1, Int((p / 100 * Double(latencyCount)).rounded(.up)))
            var seen = 0
            for (index, count) in latencyBuckets.enumerated() {
                seen += count
                if seen >= rank { return min(1 << (index + 1), max(latencyMaxMicroseconds, 1)) }
            }
            return latencyMaxMicroseconds
        }

        /// `key=value` pairs on one line, for logs and the stats listener.
        public var description: String {
            var parts = [
                "connections_accepted=\(connectionsAccepted)", "connections_open=\(connectionsOpen)",
                "connections_refused=\(connectionsRefused)", "protocol_errors=\(protocolErrors)",
                "timeouts=\(timeouts)", "reloads=\(reloads)",
            ]
            for (name, count) in requests.sorted(by: { $0.key < $1.key }) { parts.append("requests.\(name)=\(count)") }
            for (name, count) in decisions.sorted(by: { $0.key < $1.key }) {
                parts.append("decisions.\(name)=\(count)")
            }
            let mean = latencyCount == 0 ? 0 : latencySumMicroseconds / latencyCount
            parts.append("latency_us.mean=\(mean)")
            parts.append("latency_us.p50<=\(latencyPercentileMicroseconds(50))")
            parts.append("latency_us.p99<=\(latencyPercentileMicroseconds(99))")
            parts.append("latency_us.max=\(latencyMaxMicroseconds)")
            return parts.joined(separator: " ")
        }
    }
}
