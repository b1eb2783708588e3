import AccessMap
import AccessPolicy
import Benchmark
import BenchmarkSupport
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Decision latency while the map is being replaced: a background thread swaps the map file between two copies
/// of the 1M-line map (link + rename, as a rebuild does) every 200 ms; the engine's AutoReloadingAccessMapSource
/// notices the new file (check interval 50 ms) and opens or loads it on a background task. One operation is one
/// decision, so p99/p100 show any decision that waited for a reload.
enum ReloadBenchmarks {
    final class Reloading: Sendable {
        let ctx: BenchContext
        let source: AutoReloadingAccessMapSource
        let engine: PolicyEngine
        let path: String
        let copies: [String]
        let stop = Atomic<Bool>(false)
        let swaps = Atomic<Int>(0)
        let done = Mutex<Bool>(false)

        init(ctx: BenchContext, storage: AutoReloadingAccessMapSource.Storage, name: String) throws {
            self.ctx = ctx
            let stem = ctx.work.databasePath
            path = stem + ".reload-\(name).db"
            copies = [ctx.work.databasePath, stem + ".copy.db"]
            if !WorkloadFiles.exists(copies[1]) { try Self.copy(copies[0], to: copies[1]) }
            try Self.publish(copies[0], as: path)
            source = AutoReloadingAccessMapSource(path: path, storage: storage, checkInterval: .milliseconds(50))
            engine = PolicyEngine(source: source)
        }

        func startSwapping() {
            DispatchQueue.global().async { [self] in
                var next = 1
                while !stop.load(ordering: .relaxed) {
                    usleep(200_000)
                    try? Self.publish(copies[next], as: path)
                    next = 1 - next
                    swaps.wrappingAdd(1, ordering: .relaxed)
                }
                done.withLock { $0 = true }
            }
        }

        func stopSwapping() {
            stop.store(true, ordering: .relaxed)
            while !done.withLock({ $0 }) { usleep(10_000) }
        }

        static func publish(_ file: String, as path: String) throws {
            let temporary = path + ".tmp"
            unlink(temporary)
            guard link(file, temporary) == 0, rename(temporary, path) == 0 else {
                throw WorkloadError("cannot publish \(file) as \(path): errno \(errno)")
            }
        }

        static func copy(_ from: String, to: String) throws {
            let input = open(from, O_RDONLY)
            let output = open(to + ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0o640)
            guard input >= 0, output >= 0 else { throw WorkloadError("cannot copy \(from)") }
            defer {
                close(input)
                close(output)
            }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                _ = buffer.withUnsafeBytes { write(output, $0.baseAddress, n) }
            }
            guard rename(to + ".tmp", to) == 0 else { throw WorkloadError("cannot rename \(to)") }
        }
    }

    static func register(context: @escaping @Sendable () throws -> BenchContext) {
        let configuration = Benchmark.Configuration(
            metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
            warmupIterations: 100,
            scalingFactor: .one,
            maxDuration: .seconds(4),
            maxIterations: 2_000_000
        )
        for (label, storage) in [
            ("GDBM", AutoReloadingAccessMapSource.Storage.gdbm(handleCount: 2)), ("snapshot", .snapshot),
        ] {
            for reloading in [false, true] {
                let name =
                    "tls_client decision \(reloading ? "during reloads" : "reloading source idle"): Swift \(label)"
                Benchmark(name, configuration: configuration) { (benchmark: Benchmark, state: Reloading) in
                    let sessions = state.ctx.tlsClientSessions
                    let s = state.ctx.advance(benchmark.name, by: 1, modulo: sessions.count)
                    benchmark.startMeasurement()
                    blackHole(state.engine.tlsClient(sessions[s], phase: .mail))
                    benchmark.stopMeasurement()
                } setup: { () throws -> Reloading in
                    let state = try Reloading(ctx: try context(), storage: storage, name: label)
                    if reloading {
                        state.startSwapping()
                        Swappers.add(state)
                    }
                    return state
                } teardown: {
                    // The state is not handed to teardown: stop every swapper started by this process.
                    Swappers.stopAll()
                }
            }
        }
    }
}

/// Swapper bookkeeping for teardown (package-benchmark's teardown gets no setup value).
enum Swappers {
    private static let active = Mutex<[ReloadBenchmarks.Reloading]>([])
    static func add(_ state: ReloadBenchmarks.Reloading) { active.withLock { $0.append(state) } }
    static func stopAll() {
        let states = active.withLock { states in
            defer { states.removeAll() }
            return states
        }
        for state in states { state.stopSwapping() }
    }
}
