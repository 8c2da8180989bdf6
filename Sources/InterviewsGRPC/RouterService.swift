import GRPCCore
import InterviewsModel
import InterviewsWire
import Logging
import NIOCore
import RPCCore
import Synchronization

/// Serves every method of an ``RPCCore/RPCRouter`` (the handlers of the
/// native endpoint: authentication, tenancy, limits, status codes) as gRPC
/// methods of the same full names.
///
/// What differs from the native endpoint, and why:
/// - the call's metadata comes from the HTTP/2 headers (`authorization`
///   among them); `grpc-timeout` becomes the handler's deadline;
/// - on the Unix socket the caller's credentials come from the kernel
///   (`SO_PEERCRED`, read when the connection is accepted and carried by
///   ``StreamGuard``), so `interviews.v1.Admin` is allowed to the same
///   users as on the native socket; over TCP there are none, and Admin is
///   refused with `PERMISSION_DENIED`;
/// - a client's cancellation (RST_STREAM), the deadline and the server's
///   forced stop cancel the handler's task, as on the native endpoint.
struct RouterService: RegistrableRPCService {
    let router: RPCCore.RPCRouter
    let shutdown: ShutdownSignal
    let logger: Logger
    /// The largest request message, in bytes.
    let maxMessageSize: Int
    /// Reads the credentials the stream guard attached.
    let peerCodec: PeerHeaderCodec
    private let callIDs = CallIDs()

    init(
        router: RPCCore.RPCRouter, shutdown: ShutdownSignal, maxMessageSize: Int, peerCodec: PeerHeaderCodec,
        logger: Logger
    ) {
        self.router = router
        self.shutdown = shutdown
        self.maxMessageSize = maxMessageSize
        self.peerCodec = peerCodec
        self.logger = logger
    }

    func registerMethods<Transport: ServerTransport>(with grpcRouter: inout GRPCCore.RPCRouter<Transport>) {
        for name in router.methodNames {
            guard let method = router.method(named: name), let descriptor = Self.descriptor(name) else { continue }
            grpcRouter.registerHandler(
                forMethod: descriptor, deserializer: RouterRequestDeserializer(maxSize: maxMessageSize),
                serializer: RouterResponseSerializer()
            ) { request, context in
                try await serve(method, request, context)
            }
        }
    }

    /// `/pkg.Service/Method` as a gRPC method descriptor.
    static func descriptor(_ name: String) -> MethodDescriptor? {
        let parts = name.split(separator: "/", omittingEmptySubsequences: true)
        guard name.hasPrefix("/"), parts.count == 2 else { return nil }
        return MethodDescriptor(fullyQualifiedService: String(parts[0]), method: String(parts[1]))
    }

    private func serve(
        _ method: RPCMethod, _ request: StreamingServerRequest<ByteBuffer>, _ grpcContext: GRPCCore.ServerContext
    ) async throws -> StreamingServerResponse<ByteBuffer> {
        let peer = request.metadata[stringValues: StreamGuard.peerHeader].first(where: { _ in true })
            .flatMap(peerCodec.decode)
        if peer == nil, method.name.hasPrefix("/interviews.v1.Admin/") {
            throw GRPCCore.RPCError(
                code: .permissionDenied,
                message:
                    "\(method.name): administration needs the caller's uid, which a TCP connection does not carry; "
                    + "call it on the gRPC Unix socket (--grpc-socket) or the native socket")
        }
        let message = try await Self.singleRequest(request.messages, method.name)
        let deadline = GRPCTimeout.deadline(request.metadata)
        let callID = callIDs.next()
        var context = RPCCore.ServerContext(
            method: method.name, metadata: Self.entries(request.metadata), deadline: deadline, peer: peer,
            callID: callID, logger: logger, shutdown: shutdown)
        let ender = CallEnder()
        switch method.kind {
        case .unary:
            let router = self.router
            let outcome = await ender.run(deadline: deadline) { [context] in
                if method.invokeNonblocking != nil {
                    return router.handleNonblocking(
                        method, request: message, context: context, allocator: ByteBufferAllocator())
                }
                return await router.handle(method, request: message, context: context, sink: NoStreamSink())
            }
            guard outcome.status == .ok, let response = outcome.response else {
                throw Self.error(outcome.status)
            }
            return StreamingServerResponse(single: ServerResponse(message: response))
        case .serverStreaming:
            context.endCall = { error in ender.end(error) }
            return StreamingServerResponse { [router, context] writer in
                let sink = StreamSink(writer: writer)
                let outcome = await ender.run(deadline: deadline) {
                    await router.handle(method, request: message, context: context, sink: sink)
                }
                guard outcome.status == .ok else { throw Self.error(outcome.status) }
                return [:]
            }
        }
    }

    /// The call's text metadata as the handlers read it (binary `-bin`
    /// entries are left out: no handler reads one; nor is the guard's
    /// credentials entry).
    static func entries(_ metadata: Metadata) -> [RPCMetadataEntry] {
        var entries: [RPCMetadataEntry] = []
        for (key, value) in metadata {
            let key = key.lowercased()
            if key == StreamGuard.peerHeader { continue }
            if case .string(let text) = value { entries.append(RPCMetadataEntry(key: key, value: text)) }
        }
        return entries
    }

    /// A router status as a gRPC error.
    static func error(_ status: RPCStatus) -> GRPCCore.RPCError {
        let code = Status.Code(rawValue: Int(status.code)).flatMap { GRPCCore.RPCError.Code($0) } ?? .unknown
        var metadata = Metadata()
        for entry in status.metadata { metadata.addString(entry.value, forKey: entry.key) }
        return GRPCCore.RPCError(code: code, message: status.message, metadata: metadata)
    }
}

/// Numbers the calls, for their logs.
final class CallIDs: Sendable {
    private let counter = Atomic<UInt32>(0)

    func next() -> UInt32 { counter.wrappingAdd(1, ordering: .relaxed).newValue }
}

/// The sink of a unary call: the router never streams through it.
private struct NoStreamSink: ServerCallSink {
    var allocator: ByteBufferAllocator { ByteBufferAllocator() }

    func sendStreamMessage(_ payload: ByteBuffer) async throws(RPCCore.RPCError) {
        throw RPCCore.RPCError(.internalError, "a unary call cannot stream")
    }
}

/// Sends a server stream's messages through gRPC's writer, which suspends
/// while HTTP/2 flow control (the stream's and the connection's windows)
/// gives no room: a slow reader slows the handler down.
private struct StreamSink: ServerCallSink {
    let writer: RPCWriter<ByteBuffer>

    var allocator: ByteBufferAllocator { ByteBufferAllocator() }

    func sendStreamMessage(_ payload: ByteBuffer) async throws(RPCCore.RPCError) {
        if Task.isCancelled { throw RPCCore.RPCError(.cancelled, "the call was cancelled") }
        do {
            try await writer.write(payload)
        } catch {
            throw RPCCore.RPCError(.cancelled, "the call has ended")
        }
    }
}

/// Runs one call's handler in a task of its own, so that the client's
/// cancellation, the deadline (both reported by gRPC's cancellation handle)
/// and ``end(_:)`` (a revoked key) can cancel it, and tells which of them
/// ended the call.
final class CallEnder: Sendable {
    private struct State {
        var task: Task<(response: ByteBuffer?, status: RPCStatus), Never>?
        var ending: RPCCore.RPCError?
    }

    private let state = Mutex(State())

    /// Ends the call with `error`: its handler's task is cancelled and the
    /// call's status is `error`. Later calls do nothing.
    func end(_ error: RPCCore.RPCError) {
        let task = state.withLock { state -> Task<(response: ByteBuffer?, status: RPCStatus), Never>? in
            guard state.ending == nil else { return nil }
            state.ending = error
            return state.task
        }
        task?.cancel()
    }

    /// Runs `body` until it returns or the call is cancelled.
    ///
    /// - Returns: What `body` returned; the status is replaced by the
    ///   ``end(_:)`` error if one came, or by `DEADLINE_EXCEEDED` when the
    ///   deadline has passed and the handler ended as cancelled.
    func run(
        deadline: ContinuousClock.Instant?,
        _ body: @escaping @Sendable () async -> (response: ByteBuffer?, status: RPCStatus)
    ) async -> (response: ByteBuffer?, status: RPCStatus) {
        let task = Task { await body() }
        let endedEarly = state.withLock { state in
            state.task = task
            return state.ending != nil
        }
        if endedEarly { task.cancel() }
        let outcome = await withRPCCancellationHandler {
            await withTaskCancellationHandler {
                await task.value
            } onCancel: {
                task.cancel()
            }
        } onCancelRPC: {
            task.cancel()
        }
        if let ending = state.withLock({ $0.ending }) { return (nil, ending.status) }
        if let deadline, ContinuousClock.now >= deadline, outcome.status != .ok {
            return (nil, RPCCore.RPCError(.deadlineExceeded, "the call's deadline (grpc-timeout) passed").status)
        }
        return outcome
    }
}

/// The `grpc-timeout` header: up to 8 digits and a unit (H, M, S, m, u, n).
enum GRPCTimeout {
    /// The deadline a request's `grpc-timeout` sets, or nil.
    static func deadline(_ metadata: Metadata) -> ContinuousClock.Instant? {
        guard let value = metadata[stringValues: "grpc-timeout"].first(where: { _ in true }) else { return nil }
        return parse(value).map { ContinuousClock.now + $0 }
    }

    /// The duration of a `grpc-timeout` value, or nil when it is malformed.
    static func parse(_ value: String) -> Duration? {
        let utf8 = Array(value.utf8)
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        var amount: Int64 = 0
        for digit in utf8.dropLast() {
            guard digit >= 0x30, digit <= 0x39 else { return nil }
            amount = amount * 10 + Int64(digit - 0x30)
        }
        switch unit {
        case UInt8(ascii: "H"): return .seconds(amount * 3600)
        case UInt8(ascii: "M"): return .seconds(amount * 60)
        case UInt8(ascii: "S"): return .seconds(amount)
        case UInt8(ascii: "m"): return .milliseconds(amount)
        case UInt8(ascii: "u"): return .microseconds(amount)
        case UInt8(ascii: "n"): return .nanoseconds(amount)
        default: return nil
        }
    }
}
