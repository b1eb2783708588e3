import AccessMap
import AccessPolicy
import Benchmark
import BenchmarkSupport
import CFloor
import Dispatch
import GDBMStore

#if canImport(Glibc)
import Glibc
#endif

// The hot lookup path on a generated 1,000,000-line access map (BenchmarkSupport/Workload.swift), each figure
// next to its C floor measured in the same run: the same map file, the same key chains, raw gdbm_fetch.
// One operation is one decision (one key chain) or one fetch; "x2 threads" operations are one decision on each
// of two threads. scripts/ratios.py turns a run into the README's ratio table.

private let mapLines = 1_000_000

private func context() throws -> BenchContext { try BenchContext.get(lines: mapLines) }

// (.cpuUser is not listed: it is measured in whole microseconds per iteration and shows 0 here.)
private let metrics: [BenchmarkMetric] = [.wallClock, .mallocCountTotal, .peakMemoryResident, .throughput]

private func configuration(_ scaling: BenchmarkScalingFactor = .kilo) -> Benchmark.Configuration {
    .init(metrics: metrics, warmupIterations: 2, scalingFactor: scaling, maxDuration: .seconds(2), maxIterations: 400)
}

/// The two-thread benchmarks count no allocations: the harness counts them in process-wide atomic counters, which
/// two threads allocating at once would contend on, slowing exactly what these benchmarks compare (the
/// single-thread rows report the allocations of the same decisions).
private func twoThreadConfiguration() -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .peakMemoryResident, .throughput],
        warmupIterations: 2,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 400
    )
}

/// Runs `count` operations of benchmark `name`, handing each the next position (0..<modulo).
@inline(__always)
private func each(_ ctx: BenchContext, _ name: String, _ count: Int, modulo: Int, _ body: (Int) -> Void) {
    var i = ctx.advance(name, by: count, modulo: modulo)
    for _ in 0..<count {
        body(i)
        i += 1
        if i == modulo { i = 0 }
    }
}

/// Two threads, each running `body(thread)`; returns when both are done (``TwoThreads``: no thread wake-up inside
/// the measurement).
private func onTwoThreads(_ body: @Sendable (Int) -> Void) {
    TwoThreads.shared.run(body)
}

private func floorChain(_ name: String, _ pick: @escaping @Sendable (BenchContext) -> KeyChains) {
    Benchmark("\(name) chain: C floor", configuration: configuration()) { benchmark, ctx in
        let chains = pick(ctx)
        let n = benchmark.scaledIterations.count
        let first = ctx.advance(benchmark.name, by: n, modulo: chains.count)
        chains.withC { c in
            benchmark.startMeasurement()
            blackHole(cfloor_run(ctx.cHandle(), c, UInt32(first), UInt64(n), nil))
            benchmark.stopMeasurement()
        }
    } setup: {
        try context()
    }
}

let benchmarks: @Sendable () -> Void = {
    // `ACCESSPOLICY_PROFILE=N .build/release/LookupBenchmarks` runs N tls_client decisions on a small map and
    // exits: a target for valgrind --tool=callgrind or perf, outside the harness.
    if let count = getenv("ACCESSPOLICY_PROFILE").flatMap({ Int(String(cString: $0)) }) {
        Profile.run(decisions: count)
    }
    // MARK: raw key fetch (all keys of all tls_client chains, in order)

    Benchmark("fetch: C floor gdbm_fetch", configuration: configuration()) { benchmark, ctx in
        let chains = ctx.work.tlsClientChains
        chains.withC { c in
            let db = ctx.cHandle()
            benchmark.startMeasurement()
            each(ctx, benchmark.name, benchmark.scaledIterations.count, modulo: chains.keyCount) { k in
                let start = Int(chains.keyStart[k])
                blackHole(cfloor_fetch(db, c.pointee.bytes + start, Int32(Int(chains.keyStart[k + 1]) - start)))
            }
            benchmark.stopMeasurement()
        }
    } setup: {
        try context()
    }

    Benchmark("fetch: Swift GDBMDatabase.withValue", configuration: configuration()) { benchmark, ctx in
        let chains = ctx.work.tlsClientChains
        ctx.gdbm.pool.withDatabase { db in
            chains.bytes.withUnsafeBytes { bytes in
                benchmark.startMeasurement()
                each(ctx, benchmark.name, benchmark.scaledIterations.count, modulo: chains.keyCount) { k in
                    let key = UnsafeRawBufferPointer(
                        rebasing: bytes[Int(chains.keyStart[k])..<Int(chains.keyStart[k + 1])]
                    )
                    blackHole(try? db.withValue(forKey: key) { $0.count })
                }
                benchmark.stopMeasurement()
            }
        }
    } setup: {
        try context()
    }

    for (label, pick) in [
        ("GDBMAccessMapSource", { (ctx: BenchContext) -> any AccessMapSource in ctx.gdbm }),
        ("snapshot", { (ctx: BenchContext) -> any AccessMapSource in ctx.snapshot }),
    ] {
        Benchmark("fetch: Swift \(label)", configuration: configuration()) { benchmark, ctx in
            let chains = ctx.work.tlsClientChains
            let source = pick(ctx)
            chains.bytes.withUnsafeBytes { bytes in
                benchmark.startMeasurement()
                each(ctx, benchmark.name, benchmark.scaledIterations.count, modulo: chains.keyCount) { k in
                    let key = UnsafeRawBufferPointer(
                        rebasing: bytes[Int(chains.keyStart[k])..<Int(chains.keyStart[k + 1])]
                    )
                    blackHole(source.lookup(foldedKey: key))
                }
                benchmark.stopMeasurement()
            }
        } setup: {
            try context()
        }
    }

    // MARK: key chains: C floor, bare lookup chain, full decisions

    floorChain("tls_client") { $0.work.tlsClientChains }
    floorChain("tls_server") { $0.work.tlsServerChains }
    floorChain("tls_rcpt") { $0.work.tlsRecipientChains }
    floorChain("check_rcpt") { $0.work.relayChains }

    // The C decision floor: the same tls_client decisions made in C from the peers' strings (keys written and
    // folded per decision, as the engine must), on the same map file.
    Benchmark("tls_client decision: C floor from session strings", configuration: configuration()) { benchmark, ctx in
        let peers = ctx.tlsClientCPeers
        let n = benchmark.scaledIterations.count
        let first = ctx.advance(benchmark.name, by: n, modulo: peers.count)
        benchmark.startMeasurement()
        blackHole(
            cfloor_run_peers(ctx.cHandle(), "tls_clt:", peers.peers, UInt32(peers.count), UInt32(first), UInt64(n))
        )
        benchmark.stopMeasurement()
    } setup: {
        try context()
    }

    for (label, pick) in [
        ("GDBM", { (ctx: BenchContext) -> any AccessMapSource in ctx.gdbm }),
        ("snapshot", { (ctx: BenchContext) -> any AccessMapSource in ctx.snapshot }),
    ] {
        // The C floor's key chains through the source's pinned, allocation-free look-up: the map layer alone.
        Benchmark("tls_client chain: Swift source visitValue \(label)", configuration: configuration()) {
            benchmark,
            ctx in
            let source = pick(ctx)
            let chains = ctx.work.tlsClientChains
            benchmark.startMeasurement()
            each(ctx, benchmark.name, benchmark.scaledIterations.count, modulo: chains.count) { c in
                blackHole(SharedWorkload.rawChain(source, chains, c))
            }
            benchmark.stopMeasurement()
        } setup: {
            try context()
        }
    }

    for (label, pick) in [
        ("GDBM", { (ctx: BenchContext) -> any AccessMapSource in ctx.gdbm }),
        ("snapshot", { (ctx: BenchContext) -> any AccessMapSource in ctx.snapshot }),
    ] {
        Benchmark("tls_client chain: Swift lookup layer \(label)", configuration: configuration()) { benchmark, ctx in
            var lookup = AccessLookup(source: pick(ctx))
            let tokens = ctx.work.tlsClientTokens
            benchmark.startMeasurement()
            each(ctx, benchmark.name, benchmark.scaledIterations.count, modulo: tokens.count) { s in
                blackHole(SharedWorkload.chain(&lookup, tokens[s].0, tokens[s].1, tag: .tlsClient))
            }
            benchmark.stopMeasurement()
        } setup: {
            try context()
        }

        Benchmark("tls_client decision: Swift \(label)", configuration: configuration()) { benchmark, ctx in
            let engine = PolicyEngine(source: pick(ctx))
            let sessions = ctx.tlsClientSessions
            benchmark.startMeasurement()
            each(ctx, benchmark.name, benchmark.scaledIterations.count, modulo: sessions.count) { s in
                blackHole(engine.tlsClient(sessions[s], phase: .mail))
            }
            benchmark.stopMeasurement()
        } setup: {
            try context()
        }

        Benchmark("tls_server decision: Swift \(label)", configuration: configuration()) { benchmark, ctx in
            let engine = PolicyEngine(source: pick(ctx))
            let sessions = ctx.tlsServerSessions
            benchmark.startMeasurement()
            each(ctx, benchmark.name, benchmark.scaledIterations.count, modulo: sessions.count) { s in
                blackHole(engine.tlsServer(sessions[s]))
            }
            benchmark.stopMeasurement()
        } setup: {
            try context()
        }

        Benchmark("check_rcpt decision: Swift \(label)", configuration: configuration()) { benchmark, ctx in
            let engine = PolicyEngine(source: pick(ctx))
            let sessions = ctx.work.relaySessions
            benchmark.startMeasurement()
            each(ctx, benchmark.name, benchmark.scaledIterations.count, modulo: sessions.count) { s in
                blackHole(engine.checkRcpt(sessions[s].1, session: sessions[s].0))
            }
            benchmark.stopMeasurement()
        } setup: {
            try context()
        }

        Benchmark("tls_rcpt decision: Swift \(label)", configuration: configuration()) { benchmark, ctx in
            let engine = PolicyEngine(source: pick(ctx))
            let sessions = ctx.tlsServerSessions
            let recipients = ctx.work.workload.tlsRecipients
            benchmark.startMeasurement()
            each(ctx, benchmark.name, benchmark.scaledIterations.count, modulo: recipients.count) { s in
                blackHole(engine.tlsRecipient(recipients[s], session: sessions[s]))
            }
            benchmark.stopMeasurement()
        } setup: {
            try context()
        }
    }

    // MARK: two threads

    Benchmark("tls_client chain x2 threads: C floor", configuration: twoThreadConfiguration()) { benchmark, ctx in
        let chains = ctx.work.tlsClientChains
        let n = benchmark.scaledIterations.count
        let first = ctx.advance(benchmark.name, by: n, modulo: chains.count)
        chains.withC { c in
            let handles = [UInt(bitPattern: ctx.cHandle(0)), UInt(bitPattern: ctx.cHandle(1))]
            let address = UInt(bitPattern: c)
            benchmark.startMeasurement()
            onTwoThreads { t in
                let start = UInt32((first + t * chains.count / 2) % chains.count)
                let c = UnsafePointer<cfloor_chains>(bitPattern: address)!
                blackHole(cfloor_run(UnsafeMutableRawPointer(bitPattern: handles[t]), c, start, UInt64(n), nil))
            }
            benchmark.stopMeasurement()
        }
    } setup: {
        try context()
    }

    for (label, pick) in [
        ("GDBM", { (ctx: BenchContext) -> any AccessMapSource in ctx.gdbm }),
        ("snapshot", { (ctx: BenchContext) -> any AccessMapSource in ctx.snapshot }),
    ] {
        Benchmark("tls_client decision x2 threads: Swift \(label)", configuration: twoThreadConfiguration()) {
            benchmark,
            ctx in
            let engine = PolicyEngine(source: pick(ctx))
            let sessions = ctx.tlsClientSessions
            let n = benchmark.scaledIterations.count
            let first = ctx.advance(benchmark.name, by: n, modulo: sessions.count)
            benchmark.startMeasurement()
            onTwoThreads { t in
                var s = (first + t * sessions.count / 2) % sessions.count
                for _ in 0..<n {
                    blackHole(engine.tlsClient(sessions[s], phase: .mail))
                    s += 1
                    if s == sessions.count { s = 0 }
                }
            }
            benchmark.stopMeasurement()
        } setup: {
            try context()
        }
    }

    // MARK: ratios measured interleaved

    InterleavedRatios.register(context: context)

    // MARK: reload

    ReloadBenchmarks.register(context: context)
}
