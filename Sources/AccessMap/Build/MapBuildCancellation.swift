import Synchronization

/// A flag another thread (or a signal handler's dispatch source) sets to stop a running build.
///
/// The builder checks it every 4,096 lines and records; when set, the build throws
/// ``MapBuildError/cancelled``, removes its temporary file and leaves the previous database in place.
public final class MapBuildCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    /// Creates a flag that is not set.
    public init() {}

    /// Asks the build to stop.
    public func cancel() { flag.store(true, ordering: .relaxed) }

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}
