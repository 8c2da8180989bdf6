internal import Glibc
import InterviewsModel
public import InterviewsWire
public import NIOCore
import NIOPosix
public import RPCCore

/// How an ``RPCClient`` connects, with defaults.
public struct RPCClientConfiguration: Sendable {
    /// How long connecting plus the SETTINGS exchange may take. Default 5 s.
    public var connectTimeout: Duration = .seconds(5)
    /// The message credit each server stream starts with; the client returns
    /// credit as the consumer reads (half a window at a time). Default 64.
    public var initialWindow: Int = RPCProtocol.defaultInitialWindow
    /// The largest frame payload the client accepts. Default 4 MiB; values
    /// below 16 KiB are raised to 16 KiB.
    public var maxFrameSize: Int = RPCProtocol.defaultMaxFrameSize
    /// The `agent` announced in the client's SETTINGS.
    public var agent: String = "interviews-rpc-client/1"
    /// Users, by uid, whose server this client may talk to besides its own
    /// user and root. Before it sends anything, the client asks the kernel
    /// which uid the listening process runs as (`SO_PEERCRED`) and refuses
    /// any other with PERMISSION_DENIED. Default: none.
    public var trustedServerUIDs: Set<UInt32> = []

    /// A configuration with every default.
    public init() {}
}

/// A client of the RPC protocol over a Unix domain socket: one connection,
/// many concurrent calls multiplexed on it.
///
/// Calls beyond the server's `max_concurrent_calls` wait for a slot. Every
/// failure is an ``RPCError``: the server's status, or one of
/// `UNAVAILABLE` (no server, connection lost, server going away),
/// `DEADLINE_EXCEEDED` (the timeout passed), `CANCELLED` (the calling task
/// was cancelled: the client sends CANCEL).
///
/// It owns the connection: ``close()`` it (or drop the last reference) when done.
public final class RPCClient: Sendable {
    /// The socket path this client is connected to.
    public let socketPath: String
    /// The settings the server announced.
    public let serverSettings: RPCSettings
    private let configuration: RPCClientConfiguration
    private let channel: any Channel
    private let handler: NIOLoopBound<ClientConnectionHandler>

    private init(
        socketPath: String, serverSettings: RPCSettings, configuration: RPCClientConfiguration,
        channel: any Channel, handler: NIOLoopBound<ClientConnectionHandler>
    ) {
        self.socketPath = socketPath
        self.serverSettings = serverSettings
        self.configuration = configuration
        self.channel = channel
        self.handler = handler
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Connects to the server at `socketPath` and exchanges preface and SETTINGS.
    ///
    /// - Throws: ``RPCError``: `PERMISSION_DENIED` "cannot connect to <path>:
    ///   Permission denied; ..." when the socket file is not open to this
    ///   user; `UNAVAILABLE` "no server at <path>: <reason>"
    ///   when nothing listens there; `PERMISSION_DENIED` naming the path and
    ///   the uid when the listening process runs as another user than this
    ///   one, root or one of ``RPCClientConfiguration/trustedServerUIDs``
    ///   (nothing is sent to it); the server's GOAWAY code and message when
    ///   it refuses the connection (e.g. `RESOURCE_EXHAUSTED`);
    ///   `DEADLINE_EXCEEDED` when the handshake takes longer than the
    ///   configured timeout.
    public static func connect(
        to socketPath: String, configuration: RPCClientConfiguration = RPCClientConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(RPCError) -> RPCClient {
        let configuration = {
            var adjusted = configuration
            adjusted.maxFrameSize = max(configuration.maxFrameSize, RPCProtocol.minMaxFrameSize)
            return adjusted
        }()
        let settings = RPCSettings(
            protocolVersion: RPCProtocol.version, maxFrameSize: UInt32(configuration.maxFrameSize),
            initialWindow: UInt32(configuration.initialWindow), agent: configuration.agent)
        let timeout = TimeAmount(configuration.connectTimeout)
        let (channel, handler, handshake):
            (any Channel, NIOLoopBound<ClientConnectionHandler>, EventLoopFuture<RPCSettings>)
        do {
            (channel, handler, handshake) = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(timeout)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let promise = channel.eventLoop.makePromise(of: RPCSettings.self)
                        let handler = ClientConnectionHandler(path: socketPath, settings: settings, handshake: promise)
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(
                            ServerIdentityCheckHandler(
                                path: socketPath, trustedUIDs: configuration.trustedServerUIDs, handshake: promise))
                        try sync.addHandler(ClientPrefaceHandler())
                        // The connection handler parses and writes the frames itself.
                        try sync.addHandler(handler)
                        return (channel, NIOLoopBound(handler, eventLoop: channel.eventLoop), promise.futureResult)
                    }
                }
        } catch {
            if let code = SocketErrorText.errnoCode(error), code == EACCES || code == EPERM {
                throw RPCError(
                    .permissionDenied,
                    "cannot connect to \(socketPath): \(SocketErrorText.describe(error)); the server's socket is not open to "
                        + "this user (the server's --socket-mode and --socket-group decide who may connect)")
            }
            throw RPCError(.unavailable, "no server at \(socketPath): \(SocketErrorText.describe(error))")
        }
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            handler.value.handshakeTimedOut(
                RPCError(
                    .deadlineExceeded,
                    "no SETTINGS from the server at \(socketPath) within \(configuration.connectTimeout)"))
        }
        do {
            let serverSettings = try await handshake.get()
            timer.cancel()
            return RPCClient(
                socketPath: socketPath, serverSettings: serverSettings, configuration: configuration,
                channel: channel, handler: handler)
        } catch {
            timer.cancel()
            channel.close(promise: nil)
            throw rpcError(error)
        }
    }

    /// Calls a unary method.
    ///
    /// - Parameters:
    ///   - method: The full method name, e.g. `/interviews.v1.Interviews/Health`.
    ///   - request: The request message.
    ///   - metadata: Call metadata, e.g. `authorization: Bearer <key>`.
    ///   - timeout: The deadline, relative to now; sent to the server, and
    ///     enforced here too.
    ///   - responseType: The response message type.
    /// - Returns: The response.
    /// - Throws: ``RPCError``: the server's status, or a local failure (see ``RPCClient``).
    ///
    /// The call costs the caller one suspension: HEADERS and MESSAGE are
    /// encoded here into one buffer, the event loop writes it and resumes the
    /// caller when the TRAILERS arrive.
    public func unary<Request: WireCodable, Response: WireCodable>(
        method: String, request: Request, metadata: [RPCMetadataEntry] = [], timeout: Duration? = nil,
        responseType: Response.Type = Response.self
    ) async throws(RPCError) -> Response {
        let call = try makeCall(method: method, request: request, metadata: metadata, timeout: timeout)
        let loop = channel.eventLoop
        let handler = self.handler
        let response: ByteBuffer
        do {
            response = try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { continuation in
                    // A caller already on the loop (see ``taskExecutor``) starts the call itself.
                    loop.executeHere {
                        call.attach(continuation)
                        if !call.isFinished { handler.value.start(call) }
                    }
                }
            } onCancel: {
                loop.execute {
                    handler.value.abandon(call, RPCError(.cancelled, "the call was cancelled by the client"))
                }
            }
        } catch {
            throw Self.rpcError(error)
        }
        do {
            return try Response.decode(response, maxSize: .max)
        } catch {
            throw RPCError(.internalError, "malformed \(Response.self) from the server: \(error.message)")
        }
    }

    /// Calls a unary method once for each of `requests`, pipelined on this
    /// connection: every call is written (one flush for all) before any
    /// answer is awaited, and the caller waits once, for all of them, with
    /// no task per call. Calls beyond the server's `max_concurrent_calls`
    /// wait for a slot, as separate calls do.
    ///
    /// Each call ends on its own: one failing does not stop the others.
    ///
    /// - Parameters:
    ///   - method: The full method name.
    ///   - requests: The requests; an empty batch returns at once.
    ///   - metadata: Call metadata, the same for every call.
    ///   - timeout: The deadline of each call, relative to now.
    ///   - responseType: The response message type.
    /// - Returns: One result per request, in order: the response, or the
    ///   call's ``RPCError``: the server's status, `INVALID_ARGUMENT` for a
    ///   request that cannot be encoded (nothing is sent for it),
    ///   `RESOURCE_EXHAUSTED` for one larger than the server's
    ///   max_frame_size, `UNAVAILABLE` for the calls still open when the
    ///   connection is lost, `CANCELLED` for those still open when the
    ///   calling task is cancelled (the client sends CANCEL for them).
    public func unaryBatch<Request: WireCodable, Response: WireCodable>(
        method: String, requests: [Request], metadata: [RPCMetadataEntry] = [], timeout: Duration? = nil,
        responseType: Response.Type = Response.self
    ) async -> [Result<Response, RPCError>] {
        guard !requests.isEmpty else { return [] }
        let batch = ClientBatch(count: requests.count)
        var calls: [ClientCall] = []
        calls.reserveCapacity(requests.count)
        for (index, request) in requests.enumerated() {
            do {
                let call = try makeCall(method: method, request: request, metadata: metadata, timeout: timeout)
                call.unary?.batch = (batch, index)
                calls.append(call)
            } catch {
                batch.results[index] = .failure(error)
            }
        }
        batch.remaining = calls.count
        let loop = channel.eventLoop
        let handler = self.handler
        let started = calls
        await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                loop.executeHere {
                    batch.attach(continuation)
                    handler.value.startBatch(started)
                }
            }
        } onCancel: {
            loop.execute {
                for call in started {
                    handler.value.abandon(call, RPCError(.cancelled, "the call was cancelled by the client"))
                }
            }
        }
        return batch.results.map { result in
            switch result {
            case .success(let bytes):
                do throws(WireError) {
                    return .success(try Response.decode(bytes, maxSize: .max))
                } catch {
                    return .failure(
                        RPCError(.internalError, "malformed \(Response.self) from the server: \(error.message)"))
                }
            case .failure(let error):
                return .failure(error)
            case nil:
                return .failure(RPCError(.internalError, "the call ended without an outcome"))
            }
        }
    }

    /// Calls a server-streaming method and hands `body` the stream of
    /// responses. Credit is returned to the server as `body` reads, so a
    /// slow reader slows the server down. When `body` returns before the
    /// stream has ended, the call is cancelled (CANCEL).
    ///
    /// - Parameters:
    ///   - method: The full method name, e.g. `/interviews.v1.Interviews/StreamInterviews`.
    ///   - request: The request message.
    ///   - metadata: Call metadata.
    ///   - timeout: The deadline for the whole stream, relative to now.
    ///   - responseType: The response message type.
    ///   - body: Reads the responses; iterating throws the call's error.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or ``RPCError`` when the request cannot be encoded.
    public func serverStream<Request: WireCodable, Response: WireCodable, Result: Sendable>(
        method: String, request: Request, metadata: [RPCMetadataEntry] = [], timeout: Duration? = nil,
        responseType: Response.Type = Response.self,
        _ body: (RPCResponseStream<Response>) async throws -> Result
    ) async throws -> Result {
        let payload = try encode(request)
        let loop = channel.eventLoop
        let headers = RPCCallHeaders(
            method: method, metadata: metadata, initialWindow: UInt32(configuration.initialWindow))
        let inbox = ClientStreamInbox(window: configuration.initialWindow)
        let call = ClientCall(
            headers: headers, request: payload, wire: nil, messageOffset: 0, requestSize: payload.readableBytes,
            timeout: timeout, inbox: inbox)
        let handler = self.handler
        loop.execute { handler.value.start(call) }
        let stream = RPCResponseStream<Response>(eventLoop: loop, handler: handler, call: call, inbox: inbox)
        defer {
            loop.execute {
                handler.value.abandon(call, RPCError(.cancelled, "the client stopped reading the stream"))
            }
        }
        return try await body(stream)
    }

    /// Sends a PING and waits for its ACK.
    ///
    /// - Returns: The round-trip time.
    /// - Throws: ``RPCError`` `UNAVAILABLE` when the connection is gone.
    public func ping() async throws(RPCError) -> Duration {
        let start = ContinuousClock.now
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let handler = self.handler
        channel.eventLoop.execute { handler.value.ping(promise) }
        do {
            try await promise.futureResult.get()
        } catch {
            throw Self.rpcError(error)
        }
        return ContinuousClock.now - start
    }

    /// An executor that runs tasks on this connection's event loop.
    ///
    /// A task that makes many calls on this client may prefer it
    /// (`withTaskExecutorPreference(client.taskExecutor) { ... }`): its calls
    /// then start on the loop without a hop to it, and it resumes on the loop
    /// that read each answer, so a call costs no thread switch in this
    /// process. The loop also serves the connection's I/O: code that blocks
    /// or runs long does not belong there.
    public var taskExecutor: any TaskExecutor { EventLoopTaskExecutor(eventLoop: channel.eventLoop) }

    /// Closes the connection; calls in flight fail with `UNAVAILABLE`.
    public func close() async {
        try? await channel.close()
    }

    /// A unary call, its HEADERS and MESSAGE encoded into one buffer (call id 0
    /// until it is sent) unless it has a deadline or its headers need the
    /// protobuf-c encoder's verdict (a string holding NUL).
    private func makeCall(
        method: String, request: some WireCodable, metadata: [RPCMetadataEntry], timeout: Duration?
    ) throws(RPCError) -> ClientCall {
        let headers = RPCCallHeaders(method: method, metadata: metadata)
        var wire = channel.allocator.buffer(capacity: 512)
        guard timeout == nil,
            CallHeadersView.writeFrame(method: method, metadata: metadata, callID: 0, into: &wire)
        else {
            let payload = try encode(request)
            return ClientCall(
                headers: headers, request: payload, wire: nil, messageOffset: 0, requestSize: payload.readableBytes,
                timeout: timeout, inbox: nil)
        }
        let messageOffset = wire.writerIndex
        wire.writeRepeatingByte(0, count: Frame.headerSize)
        do {
            try request.encode(into: &wire)
        } catch {
            throw RPCError(.invalidArgument, "cannot encode the request: \(error.message)")
        }
        let requestSize = wire.writerIndex - messageOffset - Frame.headerSize
        wire.setFrameHeader(
            at: wire.readerIndex + messageOffset, length: requestSize, type: .message, flags: .endStream, callID: 0)
        return ClientCall(
            headers: headers, request: ByteBuffer(), wire: wire, messageOffset: messageOffset,
            requestSize: requestSize, timeout: nil, inbox: nil)
    }

    private func encode(_ request: some WireCodable) throws(RPCError) -> ByteBuffer {
        var payload = Frame.makePayloadBuffer(allocator: channel.allocator, capacity: 256)
        do {
            try request.encode(into: &payload)
        } catch {
            throw RPCError(.invalidArgument, "cannot encode the request: \(error.message)")
        }
        return payload
    }

    static func rpcError(_ error: any Error) -> RPCError {
        if let error = error as? RPCError { return error }
        if error is CancellationError { return RPCError(.cancelled, "the call was cancelled by the client") }
        return RPCError(.unavailable, "the connection failed: \(SocketErrorText.describe(error))")
    }
}

/// The responses of a server-streaming call, in order. Iterating throws the
/// call's ``RPCError`` when it does not end with OK. Read it from one task.
public struct RPCResponseStream<Response: WireCodable>: AsyncSequence, Sendable {
    /// One response message.
    public typealias Element = Response

    private let eventLoop: any EventLoop
    private let handler: NIOLoopBound<ClientConnectionHandler>
    private let call: ClientCall
    private let inbox: ClientStreamInbox

    init(
        eventLoop: any EventLoop, handler: NIOLoopBound<ClientConnectionHandler>, call: ClientCall,
        inbox: ClientStreamInbox
    ) {
        self.eventLoop = eventLoop
        self.handler = handler
        self.call = call
        self.inbox = inbox
    }

    /// Creates the iterator.
    public func makeAsyncIterator() -> Iterator {
        Iterator(eventLoop: eventLoop, handler: handler, call: call, inbox: inbox)
    }

    /// Yields the next response, suspending until it arrives.
    public struct Iterator: AsyncIteratorProtocol {
        fileprivate let eventLoop: any EventLoop
        fileprivate let handler: NIOLoopBound<ClientConnectionHandler>
        fileprivate let call: ClientCall
        fileprivate let inbox: ClientStreamInbox

        /// The next response, or nil once the call has ended with OK.
        ///
        /// - Throws: ``RPCError``: the call's status, `DEADLINE_EXCEEDED`,
        ///   `CANCELLED` when the task is cancelled (the client sends CANCEL).
        public mutating func next() async throws(RPCError) -> Response? {
            let handler = self.handler
            let call = self.call
            let (payload, credit): (ByteBuffer?, Int)
            do {
                (payload, credit) = try await withTaskCancellationHandler {
                    try await inbox.next()
                } onCancel: { [eventLoop] in
                    eventLoop.execute {
                        handler.value.abandon(call, RPCError(.cancelled, "the call was cancelled by the client"))
                    }
                }
            } catch {
                throw RPCClient.rpcError(error)
            }
            if credit > 0 {
                eventLoop.execute { handler.value.returnCredit(call, credit) }
            }
            guard let payload else { return nil }
            do {
                return try Response.decode(payload, maxSize: .max)
            } catch {
                throw RPCError(.internalError, "malformed \(Response.self) from the server: \(error.message)")
            }
        }
    }
}

/// Runs jobs on one event loop (``RPCClient/taskExecutor``).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension EventLoop {
    /// Runs `body` now when called on this loop, else on it soon.
    fileprivate func executeHere(_ body: @escaping @Sendable () -> Void) {
        if inEventLoop {
            body()
        } else {
            execute(body)
        }
    }
}
