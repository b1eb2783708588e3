public import AccessMap
public import Logging
public import NIOCore
import NIOPosix
import Synchronization

/// The socket-map and Postfix policy servers, sharing one engine, one map and one set of counters.
///
/// Each protocol has its own listener. Look-ups and policy decisions run on an `NIOThreadPool` (GDBM calls
/// block); the event loops only frame bytes. Start with ``start(configuration:socketmap:policy:mapSource:logger:)``,
/// stop with ``shutdown()``: listeners close first, requests in progress finish within the grace period, then
/// the remaining connections are closed.
public final class AccessPolicyServer: Sendable {
    /// What to listen on and the limits.
    public struct Configuration: Hashable, Sendable {
        /// Socket-map listener, if any.
        public var socketmapAddress: ListenAddress?
        /// Postfix policy listener, if any.
        public var policyAddress: ListenAddress?
        /// A listener that writes the counters as one line of text to whoever connects, then closes.
        public var statsAddress: ListenAddress?
        /// Limits for every connection.
        public var limits: ServerLimits
        /// How often the map file is checked for replacement (`nil`: never; ``reloadMap()`` still works).
        public var reloadCheckInterval: TimeAmount?
        /// Threads answering requests.
        public var threadCount: Int
        /// Event-loop threads.
        public var eventLoopCount: Int

        /// Creates a configuration; by default nothing listens.
        public init(
            socketmapAddress: ListenAddress? = nil,
            policyAddress: ListenAddress? = nil,
            statsAddress: ListenAddress? = nil,
            limits: ServerLimits = ServerLimits(),
            reloadCheckInterval: TimeAmount? = .seconds(2),
            threadCount: Int = 4,
            eventLoopCount: Int = 1
        ) {
            self.socketmapAddress = socketmapAddress
            self.policyAddress = policyAddress
            self.statsAddress = statsAddress
            self.limits = limits
            self.reloadCheckInterval = reloadCheckInterval
            self.threadCount = threadCount
            self.eventLoopCount = eventLoopCount
        }
    }

    /// Counters, readable while running.
    public let metrics: ServerMetrics
    /// The addresses actually bound, by listener name (`socketmap`, `policy`, `stats`): useful with port 0.
    public let boundAddresses: [String: SocketAddress]

    private let group: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool
    private let listeners: [any Channel]
    private let connections: ConnectionRegistry
    private let configuration: Configuration
    private let mapSource: AutoReloadingAccessMapSource?
    private let reloadTask: Mutex<RepeatedTask?>
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)

    private init(
        configuration: Configuration,
        group: MultiThreadedEventLoopGroup,
        threadPool: NIOThreadPool,
        listeners: [(String, any Channel)],
        connections: ConnectionRegistry,
        metrics: ServerMetrics,
        mapSource: AutoReloadingAccessMapSource?,
        logger: Logger
    ) {
        self.configuration = configuration
        self.group = group
        self.threadPool = threadPool
        self.listeners = listeners.map(\.1)
        var bound: [String: SocketAddress] = [:]
        for (name, channel) in listeners { bound[name] = channel.localAddress }
        self.boundAddresses = bound
        self.connections = connections
        self.metrics = metrics
        self.mapSource = mapSource
        self.reloadTask = Mutex(nil)
        self.logger = logger
    }

    /// Binds the configured listeners and starts serving.
    ///
    /// - Parameters:
    ///   - configuration: addresses and limits.
    ///   - socketmap: the socket-map tables (required when a socket-map address is configured).
    ///   - policy: the policy service (required when a policy address is configured).
    ///   - mapSource: the map to watch for replacement, if any: checked every ``Configuration/reloadCheckInterval``
    ///     and by ``reloadMap()`` on the thread pool, with each outcome logged and reloads counted. Create it with
    ///     `checkInterval: nil` so that every check goes through the server.
    ///   - logger: receives one line per decision (level `info`) and operational events.
    /// - Throws: when an address cannot be bound (nothing stays open then).
    public static func start(
        configuration: Configuration,
        socketmap: SocketmapService? = nil,
        policy: PolicyService? = nil,
        mapSource: AutoReloadingAccessMapSource? = nil,
        logger: Logger
    ) async throws -> AccessPolicyServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopCount))
        let threadPool = NIOThreadPool(numberOfThreads: max(1, configuration.threadCount))
        threadPool.start()
        let metrics = ServerMetrics()
        let connections = ConnectionRegistry(maximum: configuration.limits.maximumConnections)
        var listeners: [(String, any Channel)] = []
        do {
            if let address = configuration.socketmapAddress {
                guard let socketmap else { throw ServerStartError.missingService("socketmap") }
                listeners.append(
                    (
                        "socketmap",
                        try await bind(
                            address,
                            group: group,
                            service: socketmap,
                            threadPool: threadPool,
                            limits: configuration.limits,
                            metrics: metrics,
                            connections: connections,
                            logger: logger
                        )
                    )
                )
            }
            if let address = configuration.policyAddress {
                guard let policy else { throw ServerStartError.missingService("policy") }
                listeners.append(
                    (
                        "policy",
                        try await bind(
                            address,
                            group: group,
                            service: policy,
                            threadPool: threadPool,
                            limits: configuration.limits,
                            metrics: metrics,
                            connections: connections,
                            logger: logger
                        )
                    )
                )
            }
            if let address = configuration.statsAddress {
                listeners.append(("stats", try await bindStats(address, group: group, metrics: metrics)))
            }
        } catch {
            for (_, channel) in listeners { try? await channel.close() }
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        let server = AccessPolicyServer(
            configuration: configuration,
            group: group,
            threadPool: threadPool,
            listeners: listeners,
            connections: connections,
            metrics: metrics,
            mapSource: mapSource,
            logger: logger
        )
        for (name, channel) in listeners {
            logger.notice(
                "listening",
                metadata: ["listener": "\(name)", "address": "\(channel.localAddress.map { "\($0)" } ?? "?")"]
            )
        }
        server.startReloadChecks()
        return server
    }

    private static func bind<Service: RequestService>(
        _ address: ListenAddress,
        group: MultiThreadedEventLoopGroup,
        service: Service,
        threadPool: NIOThreadPool,
        limits: ServerLimits,
        metrics: ServerMetrics,
        connections: ConnectionRegistry,
        logger: Logger
    ) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                guard connections.admit(channel) else {
                    metrics.connectionRefused()
                    logger.warning(
                        "connection limit reached; closing new connection",
                        metadata: ["limit": "\(limits.maximumConnections)"]
                    )
                    return channel.close()
                }
                metrics.connectionAccepted()
                channel.closeFuture.whenComplete { _ in
                    connections.remove(channel)
                    metrics.connectionClosed()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RequestHandler(
                            service: service,
                            threadPool: threadPool,
                            limits: limits,
                            metrics: metrics,
                            logger: logger
                        )
                    )
                }
            }
        switch address {
        case .tcp(let host, let port): return try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            return try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        }
    }

    private static func bindStats(
        _ address: ListenAddress,
        group: MultiThreadedEventLoopGroup,
        metrics: ServerMetrics
    ) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(StatsHandler(metrics: metrics))
                }
            }
        switch address {
        case .tcp(let host, let port): return try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            return try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        }
    }

    // MARK: - Reload

    private func startReloadChecks() {
        guard let interval = configuration.reloadCheckInterval, mapSource != nil else { return }
        let loop = group.next()
        let task = loop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { _ in
            self.reloadFuture(on: loop).map { _ in }
        }
        reloadTask.withLock { $0 = task }
    }

    private func reloadFuture(
        on loop: any EventLoop
    ) -> EventLoopFuture<AutoReloadingAccessMapSource.ReloadOutcome> {
        guard let mapSource else { return loop.makeSucceededFuture(.unchanged) }
        let metrics = self.metrics
        let logger = self.logger
        return threadPool.runIfActive(eventLoop: loop) {
            let outcome = mapSource.checkForReplacement()
            switch outcome {
            case .unchanged: break
            case .reloaded(let generation):
                metrics.reloaded()
                logger.notice(
                    "map reloaded",
                    metadata: [
                        "path": "\(mapSource.path)", "generation": "\(generation)",
                        "file": "\(mapSource.current.identity.map { "\($0)" } ?? "missing")",
                    ]
                )
            case .failed(let reason):
                logger.error(
                    "map file changed but cannot be used; keeping the loaded map",
                    metadata: ["path": "\(mapSource.path)", "error": "\(reason)"]
                )
            }
            return outcome
        }
    }

    /// Checks the map file now and swaps in the new version if it was replaced (what a `SIGHUP` does).
    @discardableResult
    public func reloadMap() async throws -> AutoReloadingAccessMapSource.ReloadOutcome {
        try await reloadFuture(on: group.next()).get()
    }

    // MARK: - Shutdown

    /// Stops accepting, lets requests in progress finish (up to the grace period), closes every connection and
    /// releases the threads. Safe to call more than once.
    public func shutdown() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        logger.notice("shutting down", metadata: ["open_connections": "\(connections.count)"])
        reloadTask.withLock { $0?.cancel() }
        for listener in listeners { try? await listener.close() }
        let open = connections.all()
        for channel in open { channel.pipeline.fireUserInboundEventTriggered(DrainConnectionEvent()) }
        let deadline = NIODeadline.now() + configuration.limits.shutdownGracePeriod
        while connections.count > 0, NIODeadline.now() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        for channel in connections.all() { try? await channel.close() }
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
        logger.notice("stopped", metadata: ["counters": "\(metrics.snapshot())"])
    }
}

/// Why the server could not start.
public enum ServerStartError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A listener was configured without the service that answers it.
    case missingService(String)

    /// Explains the problem.
    public var description: String {
        switch self {
        case .missingService(let name): "a \(name) address was given without a \(name) service"
        }
    }
}

/// The open connections, for the connection limit and for shutdown.
final class ConnectionRegistry: Sendable {
    private let maximum: Int
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(maximum: Int) { self.maximum = maximum }

    /// Adds `channel` unless `maximum` are open.
    func admit(_ channel: any Channel) -> Bool {
        channels.withLock { channels in
            guard channels.count < maximum else { return false }
            channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: any Channel) { _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }

    var count: Int { channels.withLock { $0.count } }

    func all() -> [any Channel] { channels.withLock { Array($0.values) } }
}

/// Writes the counters as one line to a stats client, then closes.
final class StatsHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let metrics: ServerMetrics

    init(metrics: ServerMetrics) { self.metrics = metrics }

    func channelActive(context: ChannelHandlerContext) {
        var out = context.channel.allocator.buffer(capacity: 512)
        out.writeString(metrics.snapshot().description + "\n")
        context.writeAndFlush(wrapOutboundOut(out)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
