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

/// Interleaved ratio runs outside the harness, for a shared (loaded) machine and for profilers:
/// `ACCESSPOLICY_PROFILE=ROUNDS .build/release/LookupBenchmarks` (scripts/ratios.sh).
///
/// Each round times, for each Swift variant, one chunk of the C floor and one chunk of the variant (alternating
/// which goes first, on sessions half the list apart, each pair on sessions the round has not touched yet), on
/// this thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`, so time the thread spends descheduled by other processes
/// does not count); the printed figures are medians over the rounds, and each ratio is the median of the per-round
/// ratios, so load that changes during the run affects floor and subject alike. Concurrency is measured on the
/// wall clock (two threads against one, same chunk size).
enum Profile {
    static func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    static func run(decisions rounds: Int) -> Never {
        do {
            let lines = getenv("ACCESSPOLICY_PROFILE_LINES").flatMap { Int(String(cString: $0)) } ?? 1_000_000
            let chunk = 2_000
            // ACCESSPOLICY_PROFILE_SESSIONS=N cycles over the first N sessions only (e.g. 64: warm caches, so the
            // figures show the decisions' own work rather than memory latency).
            let sessionLimit = getenv("ACCESSPOLICY_PROFILE_SESSIONS").flatMap { Int(String(cString: $0)) } ?? Int.max
            let ctx = try BenchContext(lines: lines)
            let chains = ctx.work.tlsClientChains
            var fetches: UInt64 = 0
            let hits = chains.withC { cfloor_run(ctx.cHandle(), $0, 0, UInt64(chains.count), &fetches) }
            print(
                "map \(lines) lines; tls_client: \(chains.count) sessions, \(hits) hits, "
                    + "\(format1(Double(fetches) / Double(chains.count))) fetches per decision; "
                    + "snapshot \(ctx.snapshot.snapshot.memoryFootprint / 1_048_576) MiB"
            )
            var loadTimes: [Double] = []
            for _ in 0..<3 {
                let start = cfloor_now()
                blackHole(try AccessMapSnapshot(path: ctx.work.databasePath).count)
                loadTimes.append(cfloor_now() - start)
            }
            print(
                "snapshot: \(ctx.snapshot.snapshot.count) records, memoryFootprint "
                    + "\(format1(Double(ctx.snapshot.snapshot.memoryFootprint) / 1_048_576)) MiB, "
                    + "load (median of 3) \(format2(median(loadTimes))) s"
            )
            // Built by appending: a heterogeneous array literal of (String, any AccessMapSource) tuples
            // miscompiled here (Swift 6.3.1, -O): the GDBM element's references read back as null.
            var sources: [(String, any AccessMapSource)] = []
            sources.append(("GDBM", ctx.gdbm))
            sources.append(("snapshot", ctx.snapshot))
            var position = 0
            // ACCESSPOLICY_PROFILE_NO_FLOOR=1 skips the C floor chunks (ratios become meaningless): the subjects' own
            // time with caches kept warm between chunks.
            let noFloor = getenv("ACCESSPOLICY_PROFILE_NO_FLOOR") != nil
            func floorChunk(_ chains: KeyChains) -> Double {
                if noFloor { return 1 }
                return chains.withC { c in
                    let start = threadCPU()
                    blackHole(cfloor_run(ctx.cHandle(), c, UInt32(position % chains.count), UInt64(chunk), nil))
                    return (threadCPU() - start) / Double(chunk) * 1e9
                }
            }
            var subjects: [(String, KeyChains, (Int) -> Void)] = []
            let clientEngines = sources.map { ($0.0, PolicyEngine(source: $0.1)) }
            for (label, source) in sources {
                var lookup = AccessLookup(source: source.pinned())
                let tokens = ctx.work.tlsClientTokens
                subjects.append(
                    (
                        "tls_client chain (lookup layer) \(label)", chains,
                        { s in
                            blackHole(
                                SharedWorkload.chain(
                                    &lookup,
                                    tokens[s % tokens.count].0,
                                    tokens[s % tokens.count].1,
                                    tag: .tlsClient
                                )
                            )
                        }
                    )
                )
            }
            // Reading the sessions' macros only (no map): the cost of touching 50,000 sessions' memory in turn.
            let sessionList = ctx.tlsClientSessions
            subjects.append(
                (
                    "tls_client sessions read only", chains,
                    { s in
                        let session = sessionList[s % sessionList.count]
                        blackHole(
                            (session[.clientName]?.utf8.count ?? 0) + (session[.clientAddr]?.utf8.count ?? 0)
                                + (session[.verify]?.utf8.count ?? 0) + (session[.cipherBits]?.utf8.count ?? 0)
                        )
                    }
                )
            )
            // The key chains alone through the source's pinned, allocation-free look-up (no engine): what the map
            // layer adds to raw gdbm_fetch, and what the snapshot saves.
            for (label, source) in sources {
                subjects.append(
                    (
                        "tls_client chain (source visitValue) \(label)", chains,
                        { s in blackHole(SharedWorkload.rawChain(source, chains, s % chains.count)) }
                    )
                )
            }
            // The C decision floor: the same decisions made in C from the peers' strings.
            let cPeers = ctx.tlsClientCPeers
            let cHandle = ctx.cHandle()
            subjects.append(
                (
                    "tls_client decision C floor from session strings", chains,
                    { s in blackHole(cfloor_decide_peer(cHandle, "tls_clt:", cPeers.peers + s % cPeers.count)) }
                )
            )
            for (label, engine) in clientEngines {
                let sessions = ctx.tlsClientSessions
                subjects.append(
                    (
                        "tls_client decision \(label)", chains,
                        { s in
                            blackHole(engine.tlsClient(sessions[s % sessions.count], phase: .mail))
                        }
                    )
                )
            }
            for (label, source) in sources {
                let engine = PolicyEngine(source: source)
                let sessions = ctx.tlsServerSessions
                subjects.append(
                    (
                        "tls_server decision \(label)", ctx.work.tlsServerChains,
                        { s in
                            blackHole(engine.tlsServer(sessions[s % sessions.count]))
                        }
                    )
                )
                let recipients = ctx.work.workload.tlsRecipients
                subjects.append(
                    (
                        "tls_rcpt decision \(label)", ctx.work.tlsRecipientChains,
                        { s in
                            blackHole(
                                engine.tlsRecipient(
                                    recipients[s % recipients.count],
                                    session: sessions[s % sessions.count]
                                )
                            )
                        }
                    )
                )
            }
            for (label, source) in sources {
                let engine = PolicyEngine(source: source)
                let sessions = ctx.work.relaySessions
                subjects.append(
                    (
                        "check_rcpt decision \(label)", ctx.work.relayChains,
                        { s in
                            let (session, recipient) = sessions[s % sessions.count]
                            blackHole(engine.checkRcpt(recipient, session: session))
                        }
                    )
                )
            }
            // ACCESSPOLICY_PROFILE_ONLY=text keeps the subjects whose label contains it (for perf record).
            if let only = getenv("ACCESSPOLICY_PROFILE_ONLY").map({ String(cString: $0) }) {
                subjects.removeAll { !$0.0.contains(only) }
            }
            var floors: [String: [Double]] = [:]
            var times: [String: [Double]] = [:]
            var ratios: [String: [Double]] = [:]
            for round in 0..<rounds {
                for (label, chains, body) in subjects {
                    // As in the interleaved package-benchmark rows: the subject walks sessions half the list away
                    // from the floor's, so neither warms the map pages the other reads, and the order alternates.
                    let offset = sessionLimit == Int.max ? chains.count / 2 : 0
                    func subjectChunk() -> Double {
                        let start = threadCPU()
                        for i in 0..<chunk { body((position + offset + i) % sessionLimit) }
                        return (threadCPU() - start) / Double(chunk) * 1e9
                    }
                    let floor: Double
                    let time: Double
                    if round % 2 == 0 {
                        floor = floorChunk(chains)
                        time = subjectChunk()
                    } else {
                        time = subjectChunk()
                        floor = floorChunk(chains)
                    }
                    floors[label, default: []].append(floor)
                    times[label, default: []].append(time)
                    ratios[label, default: []].append(time / floor)
                    // Each subject and its floor chunk get sessions no other subject of this round has touched.
                    position += chunk
                }
            }
            print("| subject | C floor ns/decision | Swift ns/decision | ratio to floor (median of \(rounds) rounds) |")
            print("| --- | --- | --- | --- |")
            for (label, _, _) in subjects {
                print(
                    "| \(label) | \(Int(median(floors[label]!))) | \(Int(median(times[label]!))) | "
                        + "\(format2(median(ratios[label]!))) |"
                )
            }
            // ACCESSPOLICY_PROFILE_SCALING=0 skips the two-thread part.
            if getenv("ACCESSPOLICY_PROFILE_SCALING").map({ String(cString: $0) }) == "0" { exit(0) }
            // Two threads against one (wall clock): C floor and the decisions.
            func wall(_ threads: Int, _ body: @escaping @Sendable (Int) -> Void) -> Double {
                let start = cfloor_now()
                if threads == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: body) }
                return cfloor_now() - start
            }
            let n = 20_000
            let handles = [UInt(bitPattern: ctx.cHandle(0)), UInt(bitPattern: ctx.cHandle(1))]
            var scaling: [String: [Double]] = [:]
            chains.withC { c in
                // concurrentPerform returns before withC does: the C view stays valid for both threads.
                let floorAddress = UInt(bitPattern: c)
                for _ in 0..<max(3, rounds / 3) {
                    let floorBody: @Sendable (Int) -> Void = { t in
                        let c = UnsafePointer<cfloor_chains>(bitPattern: floorAddress)!
                        let db = UnsafeMutableRawPointer(bitPattern: handles[t])
                        blackHole(cfloor_run(db, c, UInt32(t * 25_000), UInt64(n), nil))
                    }
                    scaling["C floor", default: []].append(2 * wall(1, floorBody) / wall(2, floorBody))
                    for (label, engine) in clientEngines {
                        let sessions = ctx.tlsClientSessions
                        let body: @Sendable (Int) -> Void = { t in
                            for i in 0..<n {
                                blackHole(engine.tlsClient(sessions[(t * 25_000 + i) % sessions.count], phase: .mail))
                            }
                        }
                        scaling["tls_client decision \(label)", default: []].append(2 * wall(1, body) / wall(2, body))
                    }
                }
            }
            print("\n| two threads vs one (throughput, wall clock) | speed-up |")
            print("| --- | --- |")
            for label in ["C floor", "tls_client decision GDBM", "tls_client decision snapshot"] {
                print("| \(label) | \(format2(median(scaling[label]!))) |")
            }
            exit(0)
        } catch {
            print("profile: \(error)")
            exit(1)
        }
    }

    static func format1(_ x: Double) -> String { String(Double(Int((x * 10).rounded())) / 10) }
    static func format2(_ x: Double) -> String { String(Double(Int((x * 100).rounded())) / 100) }
}

private func format1(_ x: Double) -> String { Profile.format1(x) }
