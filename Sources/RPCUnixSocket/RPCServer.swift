import InterviewsModel
public import Logging
public import NIOCore
import NIOPosix
public import RPCCore
public import ServiceLifecycle
import Synchronization

/// The RPC server on a Unix domain socket, as a swift-service-lifecycle
/// `Service`.
///
/// ```swift
/// let server = RPCServer(router: router, configuration: .init(socketPath: "/run/interviews.sock"))
/// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
///
/// Graceful shutdown (SIGTERM/SIGINT through the ServiceGroup, or
/// ``beginGracefulShutdown()``): stop accepting and remove the socket file,
/// send GOAWAY on every connection, trigger every call's
/// ``ServerContext/shutdown`` (so calls that never end by themselves can end
/// now), let the calls already opened finish within
/// ``RPCServerConfiguration/shutdownGracePeriod``, then end the rest with
/// UNAVAILABLE and close. Cancelling ``run()`` skips the grace period.
///
/// Each call's handler runs in its own task, tracked by its connection: the
/// task is cancelled when the call ends early (CANCEL, deadline, client gone,
/// shutdown), and ``run()`` returns only after every handler task has
/// finished, so what handlers use can be closed once it returns. A handler
/// should therefore honour cancellation. The exception is a
/// ``RPCMethod/nonblockingUnary(_:_:)`` method, whose handler runs on the
/// connection's event loop when its request arrives and has finished before
/// the next frame is read.
public final class RPCServer: Service, Sendable {
    private let router: RPCRouter
    private let configuration: RPCServerConfiguration
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = Mutex(State.idle(waiters: []))
    private let handlerTasks = HandlerTaskTracker()
    private let shutdown = ShutdownSignal()
    private let partialFrames: PartialFrameBudget
    private let memoryReleaser = MemoryReleaser()

    private enum State {
        /// ``run()`` not called yet.
        case idle(waiters: [CheckedContinuation<Void, any Error>])
        /// Binding: the kernel may already hand over connections, which are
        /// served (not refused) and join the running state once bound.
        case binding(connections: [ObjectIdentifier: any Channel], waiters: [CheckedContinuation<Void, any Error>])
        /// Accepting connections.
        case listening(Running)
        /// Not accepting; connections are finishing their calls.
        case draining(Running)
        /// ``run()`` has returned or failed to bind.
        case stopped(RPCServerError?)
    }

    private struct Running {
        var serverChannel: any Channel
        var connections: [ObjectIdentifier: any Channel] = [:]
        /// ``run()`` waiting for the last connection to close while draining.
        var stopWaiter: CheckedContinuation<Void, Never>?
        var graceTimer: Scheduled<Void>?
    }

    /// Creates a server; nothing happens until ``run()``.
    ///
    /// - Parameters:
    ///   - router: The methods served.
    ///   - configuration: Socket path, permissions and limits.
    ///   - logger: Where connection and handler failures are logged.
    ///   - eventLoopGroup: The event loops for the sockets (default: NIO's shared one).
    public init(
        router: RPCRouter, configuration: RPCServerConfiguration,
        logger: Logger = Logger(label: "interviews.rpc.server"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        var configuration = configuration
        configuration.maxFrameSize = max(configuration.maxFrameSize, RPCProtocol.minMaxFrameSize)
        configuration.maxUnauthenticatedFrameSize = min(
            max(configuration.maxUnauthenticatedFrameSize, RPCProtocol.minMaxFrameSize), configuration.maxFrameSize)
        configuration.maxUnauthenticatedBufferedBytes = max(
            configuration.maxUnauthenticatedBufferedBytes,
            configuration.maxUnauthenticatedFrameSize + Frame.headerSize)
        self.router = router
        self.partialFrames = PartialFrameBudget(limit: configuration.maxUnauthenticatedBufferedBytes)
        self.configuration = configuration
        self.logger = logger
        self.group = eventLoopGroup
    }

    /// Listens and serves until a graceful shutdown completes or the task is
    /// cancelled; removes the socket file on the way out.
    ///
    /// - Throws: ``RPCServerError`` when it cannot listen: the path is longer
    ///   than 107 bytes, another server is listening on it, it exists and is
    ///   not a socket, bind or chmod fails, or `run()` was already called.
    public func run() async throws {
        let socketFile = UnixSocketFile(path: configuration.socketPath)
        let waiters: [CheckedContinuation<Void, any Error>]? = state.withLock { state in
            guard case .idle(let waiters) = state else { return nil }
            state = .binding(connections: [:], waiters: [])
            return waiters
        }
        guard let waiters else { throw RPCServerError("RPCServer.run() was called twice") }
        let inode: UInt64
        do {
            inode = try await listen(socketFile)
        } catch {
            let failure =
                error as? RPCServerError
                ?? RPCServerError("cannot listen on \(configuration.socketPath): \(SocketErrorText.describe(error))")
            let (early, lateWaiters) = state.withLock {
                state -> ([any Channel], [CheckedContinuation<Void, any Error>]) in
                var early: [any Channel] = []
                var late: [CheckedContinuation<Void, any Error>] = []
                if case .binding(let connections, let waiters) = state {
                    early = Array(connections.values)
                    late = waiters
                }
                state = .stopped(failure)
                return (early, late)
            }
            for channel in early { channel.close(promise: nil) }
            for waiter in waiters + lateWaiters { waiter.resume(throwing: failure) }
            throw failure
        }
        for waiter in waiters { waiter.resume() }
        logger.info("listening", metadata: ["path": "\(configuration.socketPath)"])

        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.waitUntilDrained()
            } onGracefulShutdown: {
                self.beginGracefulShutdown()
            }
        } onCancel: {
            self.forceClose()
        }

        let serverChannel: (any Channel)? = state.withLock { state in
            guard case .draining(let running) = state else { return nil }
            running.graceTimer?.cancel()
            state = .stopped(nil)
            return running.serverChannel
        }
        try? await serverChannel?.closeFuture.get()
        socketFile.remove(inode: inode)
        await handlerTasks.waitUntilIdle()
        logger.info("stopped", metadata: ["path": "\(configuration.socketPath)"])
    }

    /// Returns once the server accepts connections.
    ///
    /// - Throws: The ``RPCServerError`` that ``run()`` failed with, or one
    ///   saying the server has stopped.
    public func waitUntilListening() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result: Result<Void, RPCServerError>? = state.withLock { state in
                switch state {
                case .idle(var waiters):
                    waiters.append(continuation)
                    state = .idle(waiters: waiters)
                    return nil
                case .binding(let connections, var waiters):
                    waiters.append(continuation)
                    state = .binding(connections: connections, waiters: waiters)
                    return nil
                case .listening, .draining:
                    return .success(())
                case .stopped(let failure):
                    return .failure(failure ?? RPCServerError("the server has stopped"))
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Starts a graceful shutdown: stop accepting, GOAWAY every connection,
    /// trigger ``ServerContext/shutdown``, let calls in flight finish within
    /// the grace period. ``run()`` returns
    /// when the last connection has closed. Calling it again does nothing.
    public func beginGracefulShutdown() {
        let toDrain: Running? = state.withLock { state in
            guard case .listening(var running) = state else { return nil }
            let grace = TimeAmount(configuration.shutdownGracePeriod)
            running.graceTimer = group.any().scheduleTask(in: grace) { self.forceClose() }
            state = .draining(running)
            return running
        }
        guard let toDrain else { return }
        logger.info("draining", metadata: ["connections": "\(toDrain.connections.count)"])
        toDrain.serverChannel.close(promise: nil)
        for channel in toDrain.connections.values {
            channel.pipeline.fireUserInboundEventTriggered(ServerConnectionHandler.DrainEvent())
        }
        shutdown.trigger()
        resumeIfDrained()
    }

    // MARK: Internals

    /// The most a connection's channel takes before it counts as unwritable
    /// (streams pause, reading stops). With the socket's own buffer behind
    /// it, plenty to keep a reading client busy; and little for the server
    /// to produce for a client that does not read: 200 unread streams
    /// starting at once made the server encode 500 MB (the channel's half of
    /// 4 MiB each) on the cores its event loops need.
    static let maxChannelBufferedBytes = 512 * 1024

    private func listen(_ socketFile: UnixSocketFile) async throws -> UInt64 {
        try socketFile.prepare()
        let maxBuffered = max(configuration.maxOutboundBufferedBytes, 4)
        let channelHigh = min(maxBuffered / 2, Self.maxChannelBufferedBytes)
        // The socket file is born owner-only (the umask is process-wide, and
        // this runs once, at start-up); applyPermissions then sets the
        // configured mode. No window in which another user could connect.
        let savedUmask = umask(0o177)
        defer { umask(savedUmask) }
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(
                .writeBufferWaterMark,
                // Half for the channel (at most 512 KiB): a stream's batch
                // (up to a quarter) may go in while it is below the mark, and
                // its queue holds up to another quarter, which keeps a
                // connection with a stream within maxOutboundBufferedBytes.
                value: ChannelOptions.Types.WriteBufferWaterMark(low: channelHigh / 2, high: channelHigh)
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.initialize(channel)
                }
            }
            .bind(unixDomainSocketPath: configuration.socketPath, cleanupExistingSocketFile: false)
            .get()
        let lateWaiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard case .binding(let connections, let waiters) = state else { return [] }
            state = .listening(Running(serverChannel: channel, connections: connections))
            return waiters
        }
        for waiter in lateWaiters { waiter.resume() }
        do {
            return try socketFile.applyPermissions(mode: configuration.socketFileMode, group: configuration.socketGroup)
        } catch {
            forceClose()
            try? await channel.close()
            socketFile.unlinkBound()
            throw error
        }
    }

    /// Sets up an accepted connection's pipeline, or one that refuses it.
    private func initialize(_ channel: any Channel) throws {
        let id = ObjectIdentifier(channel)
        let refusal: RPCError? = state.withLock { state in
            if case .binding(var connections, let waiters) = state {
                // bind() has returned to the kernel but not yet to run(): serve it.
                guard connections.count < configuration.maxConnections else {
                    return RPCError(
                        .resourceExhausted, "too many connections; the limit is \(configuration.maxConnections)")
                }
                connections[id] = channel
                state = .binding(connections: connections, waiters: waiters)
                return nil
            }
            guard case .listening(var running) = state else {
                return RPCError(.unavailable, "the server is shutting down")
            }
            guard running.connections.count < configuration.maxConnections else {
                return RPCError(
                    .resourceExhausted, "too many connections; the limit is \(configuration.maxConnections)")
            }
            running.connections[id] = channel
            state = .listening(running)
            return nil
        }
        let sync = channel.pipeline.syncOperations
        if let refusal {
            logger.warning("refusing a connection", metadata: ["reason": "\(refusal.message)"])
            try sync.addHandler(RefuseConnectionHandler(refusal))
            return
        }
        memoryReleaser.connectionOpened()
        channel.closeFuture.whenComplete { _ in self.connectionClosed(id) }
        let limits = ServerConnectionHandler.Limits(
            maxFrameSize: configuration.maxFrameSize,
            maxUnauthenticatedFrameSize: configuration.maxUnauthenticatedFrameSize,
            frameTimeout: TimeAmount(configuration.frameTimeout),
            maxConcurrentCalls: configuration.maxConcurrentCallsPerConnection,
            initialWindow: configuration.initialWindow,
            handshakeTimeout: TimeAmount(configuration.handshakeTimeout),
            // A stream's batch is written by the event loop in one go: kept
            // small, so that many streams starting at once keep each loop
            // iteration short for the other connections.
            maxPendingStreamBytes: min(max(configuration.maxOutboundBufferedBytes / 4, 1), 128 * 1024),
            requestTimeout: TimeAmount(configuration.requestTimeout),
            idleTimeout: TimeAmount(configuration.idleTimeout),
            agent: configuration.agent)
        // The connection handler parses frames from the bytes read and writes
        // bytes: no frame objects travel through the pipeline.
        try sync.addHandler(
            ServerConnectionHandler(
                router: router, limits: limits, logger: logger, tasks: handlerTasks, shutdown: shutdown,
                partialFrames: partialFrames))
    }

    private func connectionClosed(_ id: ObjectIdentifier) {
        memoryReleaser.connectionClosed()
        state.withLock { state in
            switch state {
            case .listening(var running):
                running.connections[id] = nil
                state = .listening(running)
            case .draining(var running):
                running.connections[id] = nil
                state = .draining(running)
            case .binding(var connections, let waiters):
                connections[id] = nil
                state = .binding(connections: connections, waiters: waiters)
            case .idle, .stopped:
                break
            }
        }
        resumeIfDrained()
    }

    private func waitUntilDrained() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = state.withLock { state in
                switch state {
                case .listening(var running):
                    running.stopWaiter = continuation
                    state = .listening(running)
                    return false
                case .draining(var running):
                    guard !running.connections.isEmpty else { return true }
                    running.stopWaiter = continuation
                    state = .draining(running)
                    return false
                case .idle, .binding, .stopped:
                    return true
                }
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func resumeIfDrained() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard case .draining(var running) = state, running.connections.isEmpty else { return nil }
            let waiter = running.stopWaiter
            running.stopWaiter = nil
            state = .draining(running)
            return waiter
        }
        waiter?.resume()
    }

    /// Ends every call with UNAVAILABLE and closes every connection now.
    private func forceClose() {
        beginGracefulShutdown()
        let connections: [any Channel] = state.withLock { state in
            guard case .draining(let running) = state else { return [] }
            return Array(running.connections.values)
        }
        for channel in connections {
            channel.pipeline.fireUserInboundEventTriggered(ServerConnectionHandler.ForceCloseEvent())
        }
    }
}

/// Answers a connection the server will not serve with GOAWAY and closes it.
private final class RefuseConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let refusal: RPCError

    init(_ refusal: RPCError) { self.refusal = refusal }

    func channelActive(context: ChannelHandlerContext) {
        let frame = ServerConnectionHandler.goAwayFrame(0, refusal.code, refusal.message)
        context.writeAndFlush(wrapOutboundOut(frame.serialized(allocator: context.channel.allocator)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
