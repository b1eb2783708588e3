import Logging
import NIOCore
import NIOPosix

/// Sent through a connection's pipeline at shutdown: finish the request in progress, then close.
struct DrainConnectionEvent: Sendable {}

/// One connection of either protocol: buffering, framing, limits, timeouts, one request at a time in order.
///
/// Requests are answered strictly in the order received. While one is being answered (on the thread pool), the
/// handler stops asking the channel for more bytes once a whole maximum-size request is buffered, so a client
/// that pipelines without reading cannot grow the buffer without bound. A request must complete within
/// ``ServerLimits/requestTimeout`` of its first byte; a connection idle for ``ServerLimits/idleTimeout`` is
/// closed. Any framing error gets the protocol's error reply and closes the connection.
final class RequestHandler<Service: RequestService>: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: Service
    private let threadPool: NIOThreadPool
    private let limits: ServerLimits
    private let metrics: ServerMetrics
    private let logger: Logger
    private var framer: Service.Framer
    private var buffer: ByteBuffer?
    private var busy = false
    private var draining = false
    private var closed = false
    private var readHeld = false
    private var timer: Scheduled<Void>?
    private var timerIsForRequest = false
    private var peer = "?"

    init(service: Service, threadPool: NIOThreadPool, limits: ServerLimits, metrics: ServerMetrics, logger: Logger) {
        self.service = service
        self.threadPool = threadPool
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
        self.framer = service.makeFramer(limits: limits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        if buffer == nil { buffer = context.channel.allocator.buffer(capacity: 512) }
        armTimer(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard !closed, !draining else { return }
        buffer!.writeBuffer(&incoming)
        processNext(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if busy, let buffer, buffer.readableBytes >= framer.maximumRequestBytes {
            readHeld = true  // resumed when the request in progress is answered
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainConnectionEvent {
            draining = true
            if !busy { close(context: context) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["peer": "\(peer)", "error": "\(error)"])
        close(context: context)
    }

    // MARK: - Requests

    private func processNext(context: ChannelHandlerContext) {
        guard !busy, !closed else { return }
        if draining {
            close(context: context)
            return
        }
        let frame: Service.Framer.Frame?
        do {
            frame = try framer.nextFrame(from: &buffer!)
        } catch {
            metrics.protocolError()
            logger.warning(
                "protocol error; closing connection",
                metadata: ["protocol": "\(service.protocolName)", "peer": "\(peer)", "error": "\(error)"]
            )
            let reply = service.framingErrorReply(error)
            var out = context.channel.allocator.buffer(capacity: reply.count)
            out.writeBytes(reply)
            closed = true
            timer?.cancel()
            context.writeAndFlush(wrapOutboundOut(out)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
            return
        }
        compactBuffer()
        guard let frame else {
            armTimer(context: context)
            return
        }
        timer?.cancel()
        timer = nil
        timerIsForRequest = false
        busy = true
        let started = NIODeadline.now()
        let service = self.service
        threadPool.runIfActive(eventLoop: context.eventLoop) {
            service.answer(frame)
        }.assumeIsolated().whenComplete { result in
            self.busy = false
            let elapsed = Int((NIODeadline.now() - started).nanoseconds / 1000)
            switch result {
            case .success(let answer):
                self.metrics.record(protocolName: self.service.protocolName, kind: answer.kind, microseconds: elapsed)
                var metadata = answer.metadata
                metadata["protocol"] = "\(self.service.protocolName)"
                metadata["peer"] = "\(self.peer)"
                metadata["decision"] = "\(answer.kind)"
                metadata["latency_us"] = "\(elapsed)"
                self.logger.info("decision", metadata: metadata)
                if !self.closed {
                    var out = context.channel.allocator.buffer(capacity: answer.bytes.count)
                    out.writeBytes(answer.bytes)
                    context.writeAndFlush(self.wrapOutboundOut(out), promise: nil)
                }
            case .failure(let error):
                // The thread pool is shutting down: nothing was answered.
                self.logger.debug("request not answered", metadata: ["error": "\(error)"])
                self.close(context: context)
                return
            }
            self.processNext(context: context)
            self.resumeReadingIfNeeded(context: context)
        }
    }

    /// Asks for more bytes again once the buffered ones no longer hold a whole maximum-size request (or
    /// nothing is in progress): one answered request must not let another read's worth of bytes in while
    /// thousands of pipelined requests are still buffered.
    private func resumeReadingIfNeeded(context: ChannelHandlerContext) {
        guard readHeld, !closed else { return }
        if !busy || buffer!.readableBytes < framer.maximumRequestBytes {
            readHeld = false
            context.read()
        }
    }

    private func compactBuffer() {
        if buffer!.readableBytes == 0 {
            buffer!.clear()
        } else if buffer!.readerIndex > 16 * 1024 {
            buffer!.discardReadBytes()
        }
    }

    // MARK: - Timers and closing

    private func armTimer(context: ChannelHandlerContext) {
        guard !closed, !busy else { return }
        let pending = (buffer?.readableBytes ?? 0) > 0
        if pending {
            // A request has started: its deadline runs from its first byte and is never extended.
            if timerIsForRequest, timer != nil { return }
            timer?.cancel()
            timerIsForRequest = true
            timer = schedule(context: context, after: limits.requestTimeout, reason: "request not completed in time")
        } else {
            timer?.cancel()
            timerIsForRequest = false
            timer = schedule(context: context, after: limits.idleTimeout, reason: "idle")
        }
    }

    private func schedule(context: ChannelHandlerContext, after delay: TimeAmount, reason: String) -> Scheduled<Void> {
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            guard !self.closed, !self.busy else { return }
            self.metrics.timeout()
            self.logger.notice(
                "closing connection",
                metadata: ["protocol": "\(self.service.protocolName)", "peer": "\(self.peer)", "reason": "\(reason)"]
            )
            self.close(context: context)
        }
    }

    private func close(context: ChannelHandlerContext) {
        guard !closed else { return }
        closed = true
        timer?.cancel()
        timer = nil
        context.close(promise: nil)
    }
}
