import AccessMap
import Benchmark
import BenchmarkSupport
import CFloor
import Dispatch
import Glibc
import GDBMStore

// The hot lookup path on a generated 1,000,000-line access map (see BenchmarkSupport/Workload.swift), every figure
// next to its C floor measured in the same run: the same map file, the same key chains, raw gdbm_fetch.
// One benchmark "operation" is one decision (one key chain) unless the name says otherwise; scripts/ratios.py
// turns a run into the README's ratio table.

private let mapLines = 1_000_000

// Thrown into the benchmark when the workload cannot be prepared.
private func prepared() throws -> PreparedWorkload { try SharedWorkload.get(lines: mapLines) }

private let lookupMetrics: [BenchmarkMetric] = [.wallClock, .mallocCountTotal, .peakMemoryResident, .throughput]
private func lookupConfiguration(scaling: BenchmarkScalingFactor = .kilo) -> Benchmark.Configuration {
    .init(
        metrics: lookupMetrics,
        warmupIterations: 3,
        scalingFactor: scaling,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )
}

/// Runs `body` with a C gdbm handle on the map.
private func withCHandle<R>(_ path: String, _ body: (UnsafeMutableRawPointer) throws -> R) throws -> R {
    guard let db = cfloor_open(path) else { throw WorkloadError("cfloor_open \(path) failed") }
    defer { cfloor_close(db) }
    return try body(db)
}

let benchmarks: @Sendable () -> Void = {
    if getenv("BENCH_PROBE") != nil, let work = try? prepared() {
        try? withCHandle(work.databasePath) { db in
            let chains = work.tlsClientChains
            chains.withC { c in
                let t = cfloor_now()
                var hits = 0
                for i in 0..<200_000 {
                    let k = i % chains.keyCount
                    let start = Int(chains.keyStart[k])
                    hits += Int(cfloor_fetch(db, c.pointee.bytes + start, Int32(Int(chains.keyStart[k + 1]) - start)))
                }
                print("probe: \((cfloor_now() - t) / 200_000 * 1e9) ns/fetch, hits \(hits)")
            }
        }
    }
    // MARK: raw key fetch

    Benchmark("fetch: C floor gdbm_fetch", configuration: lookupConfiguration()) { benchmark, work in
        try withCHandle(work.databasePath) { db in
            let chains = work.tlsClientChains
            var k = 0
            chains.withC { c in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    let start = Int(chains.keyStart[k])
                    let length = Int(chains.keyStart[k + 1]) - start
                    blackHole(cfloor_fetch(db, c.pointee.bytes + start, Int32(length)))
                    k += 1
                    if k == chains.keyCount { k = 0 }
                }
                benchmark.stopMeasurement()
            }
        }
    } setup: {
        try prepared()
    }

    Benchmark("fetch: Swift GDBMDatabase.withValue", configuration: lookupConfiguration()) { benchmark, work in
        let db = try GDBMDatabase(path: work.databasePath, mode: .readOnly, lock: false)
        let chains = work.tlsClientChains
        var k = 0
        try chains.bytes.withUnsafeBytes { bytes in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let key = UnsafeRawBufferPointer(rebasing: bytes[Int(chains.keyStart[k])..<Int(chains.keyStart[k + 1])])
                blackHole(try db.withValue(forKey: key) { $0.count })
                k += 1
                if k == chains.keyCount { k = 0 }
            }
            benchmark.stopMeasurement()
        }
    } setup: {
        try prepared()
    }

    Benchmark("fetch: Swift GDBMAccessMapSource.lookup", configuration: lookupConfiguration()) { benchmark, work in
        let source = try GDBMAccessMapSource(path: work.databasePath, handleCount: 1)
        let chains = work.tlsClientChains
        var k = 0
        chains.bytes.withUnsafeBytes { bytes in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let key = UnsafeRawBufferPointer(rebasing: bytes[Int(chains.keyStart[k])..<Int(chains.keyStart[k + 1])])
                blackHole(source.lookup(foldedKey: key))
                k += 1
                if k == chains.keyCount { k = 0 }
            }
            benchmark.stopMeasurement()
        }
    } setup: {
        try prepared()
    }

    Benchmark("fetch: Swift snapshot lookup", configuration: lookupConfiguration()) { benchmark, work in
        let source = try SharedWorkload.snapshot(work)
        let chains = work.tlsClientChains
        var k = 0
        chains.bytes.withUnsafeBytes { bytes in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let key = UnsafeRawBufferPointer(rebasing: bytes[Int(chains.keyStart[k])..<Int(chains.keyStart[k + 1])])
                blackHole(source.lookup(foldedKey: key))
                k += 1
                if k == chains.keyCount { k = 0 }
            }
            benchmark.stopMeasurement()
        }
    } setup: {
        try prepared()
    }

    // MARK: the tls_client key chain

    Benchmark("tls_client chain: C floor", configuration: lookupConfiguration()) { benchmark, work in
        try withCHandle(work.databasePath) { db in
            work.tlsClientChains.withC { c in
                var first: UInt32 = 0
                benchmark.startMeasurement()
                blackHole(cfloor_run(db, c, first, UInt64(benchmark.scaledIterations.count), nil))
                benchmark.stopMeasurement()
                first &+= UInt32(benchmark.scaledIterations.count)
            }
        }
    } setup: {
        try prepared()
    }

    Benchmark("tls_client chain: Swift AccessLookup over GDBM", configuration: lookupConfiguration()) {
        benchmark,
        work in
        let source = try GDBMAccessMapSource(path: work.databasePath, handleCount: 1)
        var lookup = AccessLookup(source: source)
        var s = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let (name, address) = work.tlsClientTokens[s]
            blackHole(SharedWorkload.chain(&lookup, name, address, tag: .tlsClient))
            s += 1
            if s == work.tlsClientTokens.count { s = 0 }
        }
        benchmark.stopMeasurement()
    } setup: {
        try prepared()
    }

    Benchmark("tls_client chain: Swift AccessLookup over snapshot", configuration: lookupConfiguration()) {
        benchmark,
        work in
        var lookup = AccessLookup(source: try SharedWorkload.snapshot(work))
        var s = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let (name, address) = work.tlsClientTokens[s]
            blackHole(SharedWorkload.chain(&lookup, name, address, tag: .tlsClient))
            s += 1
            if s == work.tlsClientTokens.count { s = 0 }
        }
        benchmark.stopMeasurement()
    } setup: {
        try prepared()
    }
}
