import Dispatch
public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension AccessPolicyServer {
    /// Serves until `SIGTERM` or `SIGINT`, then shuts down cleanly (``shutdown()``).
    ///
    /// While running, `SIGHUP` checks the map file and reloads it if it was replaced, and `SIGUSR1` logs the
    /// counters (level `notice`). Meant for the `accesspolicy serve` process: it takes over these signals.
    public func runUntilTerminated(logger: Logger) async {
        let queue = DispatchQueue(label: "accesspolicy.signals")
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT, SIGHUP, SIGUSR1] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
        for await signalNumber in stream {
            switch signalNumber {
            case SIGHUP:
                let outcome = try? await reloadMap()
                logger.notice("SIGHUP: map checked", metadata: ["outcome": "\(outcome.map { "\($0)" } ?? "failed")"])
            case SIGUSR1:
                logger.notice("counters", metadata: ["counters": "\(metrics.snapshot())"])
            default:
                logger.notice("signal received; shutting down", metadata: ["signal": "\(signalNumber)"])
                continuation.finish()
            }
        }
        for source in sources { source.cancel() }
        await shutdown()
    }
}
