import AccessMap
import AccessPolicy
import Benchmark
import BenchmarkSupport
import CFloor

/// Ratio rows measured interleaved: each iteration times a chunk of the C floor and a chunk of the Swift decisions
/// right after one another (the order alternating from iteration to iteration) and records decision time ÷ floor
/// time, × 1000, as the metric "ratio to C floor (x1000)".
///
/// The other rows time the floor and the decision seconds or minutes apart, so on a shared host the load that
/// changes in between moves a ratio of two medians by ±0.3 from run to run. Here both halves of each sample see
/// the same load, and the p50 over the iterations is the ratio. The two halves walk different sessions (the
/// decisions start half the list further on), so neither warms the map pages the other reads.
enum InterleavedRatios {
    static let metric = BenchmarkMetric.custom(
        "ratio to C floor (x1000)",
        polarity: .prefersSmaller,
        useScalingFactor: false
    )
    /// Decisions per half: about a millisecond each.
    static let chunk = 500

    static func register(context: @escaping @Sendable () throws -> BenchContext) {
        let configuration = Benchmark.Configuration(
            metrics: [metric],
            warmupIterations: 4,
            scalingFactor: .one,
            maxDuration: .seconds(3),
            maxIterations: 1_000
        )
        // Each ruleset: its floor chains, and the decision of session `s` by an engine (the session lists are
        // taken out of the context once, as the other decision rows do).
        typealias Decide = @Sendable (PolicyEngine, BenchContext) -> (Int) -> Void
        let rulesets: [(String, @Sendable (BenchContext) -> KeyChains, Decide)] = [
            (
                "tls_client", { $0.work.tlsClientChains },
                { engine, ctx in
                    let sessions = ctx.tlsClientSessions
                    return { s in blackHole(engine.tlsClient(sessions[s], phase: .mail)) }
                }
            ),
            (
                "tls_server", { $0.work.tlsServerChains },
                { engine, ctx in
                    let sessions = ctx.tlsServerSessions
                    return { s in blackHole(engine.tlsServer(sessions[s])) }
                }
            ),
            (
                "tls_rcpt", { $0.work.tlsRecipientChains },
                { engine, ctx in
                    let sessions = ctx.tlsServerSessions
                    let recipients = ctx.work.workload.tlsRecipients
                    return { s in blackHole(engine.tlsRecipient(recipients[s], session: sessions[s])) }
                }
            ),
            (
                "check_rcpt", { $0.work.relayChains },
                { engine, ctx in
                    let sessions = ctx.work.relaySessions
                    return { s in blackHole(engine.checkRcpt(sessions[s].1, session: sessions[s].0)) }
                }
            ),
        ]
        for (label, pick) in [
            ("GDBM", { (ctx: BenchContext) -> any AccessMapSource in ctx.gdbm }),
            ("snapshot", { (ctx: BenchContext) -> any AccessMapSource in ctx.snapshot }),
        ] {
            for (ruleset, chains, decide) in rulesets {
                Benchmark("\(ruleset) decision interleaved with C floor: Swift \(label)", configuration: configuration)
                {
                    benchmark,
                    ctx in
                    measure(benchmark, ctx, chains(ctx), decide(PolicyEngine(source: pick(ctx)), ctx))
                } setup: {
                    try context()
                }
            }
        }
    }

    /// One sample: `chunk` floor chains and `chunk` decisions, timed separately; records their ratio.
    static func measure(
        _ benchmark: Benchmark,
        _ ctx: BenchContext,
        _ chains: KeyChains,
        _ decide: (Int) -> Void
    ) {
        let count = chains.count
        let first = ctx.advance(benchmark.name, by: chunk, modulo: count)
        let floorFirst = ctx.advance(benchmark.name + " (order)", by: 1, modulo: 2) == 0
        var floorTime = 0.0
        var decisionTime = 0.0
        chains.withC { c in
            func floor() {
                let start = cfloor_now()
                blackHole(cfloor_run(ctx.cHandle(), c, UInt32(first), UInt64(chunk), nil))
                floorTime = cfloor_now() - start
            }
            func decisions() {
                var s = (first + count / 2) % count
                let start = cfloor_now()
                for _ in 0..<chunk {
                    decide(s)
                    s += 1
                    if s == count { s = 0 }
                }
                decisionTime = cfloor_now() - start
            }
            if floorFirst {
                floor()
                decisions()
            } else {
                decisions()
                floor()
            }
        }
        benchmark.measurement(metric, Int((decisionTime / floorTime * 1000).rounded()))
    }
}
