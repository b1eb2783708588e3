import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a body on two threads at once — the caller's and one kept worker — for the two-thread benchmarks.
///
/// `DispatchQueue.concurrentPerform` wakes a pool thread for every call. One benchmark iteration of 1,000 snapshot
/// decisions lasts about half a millisecond, and a wake-up on this VM can cost a good part of that, so the
/// two-thread figures measured thread wake-ups as much as decisions. Here the worker spins between calls (up to
/// ``idleSpin``, then it parks on a semaphore), so back-to-back iterations start both threads at once. Both spinning
/// threads yield the CPU every 1,024 turns, so a machine busy with other work slows them down less. The C floor's
/// two-thread benchmark uses the same runner.
///
/// `@unchecked Sendable`: `job` is behind a `Mutex`; the rest is atomics and a semaphore.
public final class TwoThreads: @unchecked Sendable {
    /// The one runner (one worker thread for the process).
    public static let shared = TwoThreads()

    /// How long the worker spins for the next call before it parks.
    public static let idleSpin: Double = 0.05

    private let generation = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let parked = Atomic<Bool>(false)
    private let job = Mutex<(@Sendable (Int) -> Void)?>(nil)
    private let wake = DispatchSemaphore(value: 0)

    private init() {
        // The runner lives for the whole process (`shared`): the worker's unretained reference stays valid.
        var thread = pthread_t()
        let context = Unmanaged.passUnretained(self).toOpaque()
        let created = pthread_create(
            &thread,
            nil,
            { context in
                Unmanaged<TwoThreads>.fromOpaque(context!).takeUnretainedValue().workerLoop()
            },
            context
        )
        precondition(created == 0, "pthread_create failed")
        pthread_detach(thread)
    }

    /// Runs `body(0)` on the calling thread and `body(1)` on the worker; returns when both are done. Not reentrant:
    /// call it from one thread at a time.
    public func run(_ body: @Sendable (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            job.withLock { $0 = body }
            let current = generation.add(1, ordering: .sequentiallyConsistent).newValue
            if parked.load(ordering: .sequentiallyConsistent) { wake.signal() }
            body(0)
            var spins = 0
            while finished.load(ordering: .acquiring) != current {
                spins += 1
                if spins & 1023 == 0 { sched_yield() }  // a busy machine: let the worker run
            }
            // The worker dropped its reference before it reported: `body` does not escape.
        }
    }

    private func workerLoop() -> Never {
        var seen = 0
        while true {
            var spins = 0
            var spinStart = 0.0
            while generation.load(ordering: .sequentiallyConsistent) == seen {
                spins += 1
                guard spins & 1023 == 0 else { continue }
                sched_yield()
                let now = Self.now()
                if spinStart == 0 {
                    spinStart = now
                } else if now - spinStart > Self.idleSpin {
                    parked.store(true, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                    parked.store(false, ordering: .sequentiallyConsistent)
                    spinStart = 0
                }
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            let body = job.withLock { job -> (@Sendable (Int) -> Void)? in
                defer { job = nil }
                return job
            }
            body?(1)
            _ = consume body
            finished.store(seen, ordering: .releasing)
        }
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
