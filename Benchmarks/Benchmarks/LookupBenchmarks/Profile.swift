import AccessMap
import AccessPolicy
import Benchmark
import BenchmarkSupport
import CFloor

#if canImport(Glibc)
    import Glibc
#endif

/// Plain timing loops outside the harness (no malloc interposition, no per-iteration bookkeeping), for profilers
/// and quick checks: `ACCESSPOLICY_PROFILE=N [ACCESSPOLICY_PROFILE_LINES=L] .build/release/LookupBenchmarks`
/// runs N operations of each kind on the L-line map (default 1,000,000) and prints ns per operation.
enum Profile {
    static func run(decisions n: Int) -> Never {
        do {
            let lines = getenv("ACCESSPOLICY_PROFILE_LINES").flatMap { Int(String(cString: $0)) } ?? 1_000_000
            let ctx = try BenchContext(lines: lines)
            func time(_ label: String, _ body: () -> Void) {
                body()  // warm up
                let start = cfloor_now()
                body()
                print("\(label): \(Int(((cfloor_now() - start) / Double(n) * 1e9).rounded())) ns/op")

            }
            let chains = ctx.work.tlsClientChains
            chains.withC { c in
                time("tls_client chain C floor") { blackHole(cfloor_run(ctx.cHandle(), c, 0, UInt64(n), nil)) }
            }
            func measure(_ label: String, _ source: any AccessMapSource) {
                var lookup = AccessLookup(source: source)
                let tokens = ctx.work.tlsClientTokens
                time("tls_client chain Swift lookup layer \(label)") {
                    for i in 0..<n {
                        let s = i % tokens.count
                        blackHole(SharedWorkload.chain(&lookup, tokens[s].0, tokens[s].1, tag: .tlsClient))
                    }
                }
                let engine = PolicyEngine(source: source)
                let sessions = ctx.tlsClientSessions
                time("tls_client decision Swift \(label)") {
                    for i in 0..<n { blackHole(engine.tlsClient(sessions[i % sessions.count], phase: .mail)) }
                }
            }
            measure("GDBM", ctx.gdbm)
            measure("snapshot", ctx.snapshot)
            exit(0)
        } catch {
            print("profile: \(error)")
            exit(1)
        }
    }
}
