import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore

/// Writes the connection preface before anything else, then leaves the pipeline.
final class ClientPrefaceHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: RPCProtocol.preface)), promise: nil)
        context.fireChannelActive()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// The client side of one connection: the handshake, call ids, the calls in
/// flight and their credit. Confined to the channel's event loop.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    private enum State {
        case handshaking
        case ready
        /// The server sent GOAWAY: no new calls.
        case goingAway(RPCError)
        case closed(RPCError)
    }

    private let path: String
    private let settings: RPCSettings
    private let handshake: EventLoopPromise<RPCSettings>
    private var state = State.handshaking
    private var context: ChannelHandlerContext?
    private var nextCallID: UInt32 = 1
    private var calls: [UInt32: ClientCall] = [:]
    /// Calls waiting for a slot under the server's max_concurrent_calls.
    private var queued = CircularBuffer<ClientCall>()
    private var serverMaxConcurrentCalls = RPCProtocol.defaultMaxConcurrentCalls
    private var serverMaxFrameSize = RPCProtocol.defaultMaxFrameSize
    private var pings: [UInt64: EventLoopPromise<Void>] = [:]
    private var nextPing: UInt64 = 1

    init(path: String, settings: RPCSettings, handshake: EventLoopPromise<RPCSettings>) {
        self.path = path
        self.settings = settings
        self.handshake = handshake
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Also reached when connecting failed before the channel was active:
        // every promise must still be completed.
        if case .closed = state {
        } else {
            fail(RPCError(.unavailable, "the connection to \(path) closed"))
        }
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        do {
            context.writeAndFlush(
                wrapOutboundOut(try Frame(type: .settings, callID: 0, message: settings)), promise: nil)
        } catch {
            fail(error)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let reason: RPCError
        switch state {
        case .goingAway(let error), .closed(let error):
            reason = error
        case .handshaking, .ready:
            reason = RPCError(.unavailable, "the connection to \(path) closed")
        }
        fail(reason)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? RPCError {
            fail(RPCError(.internalError, "protocol error from the server at \(path): \(error.message)"))
        } else {
            fail(RPCError(.unavailable, "the connection to \(path) failed: \(error)"))
        }
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        do {
            try handle(frame)
        } catch {
            fail(RPCError(.internalError, "protocol error from the server at \(path): \(error.message)"))
            context.close(promise: nil)
        }
    }

    // MARK: Frames

    private func handle(_ frame: Frame) throws(RPCError) {
        switch frame.type {
        case .settings:
            guard !frame.flags.contains(.ack), case .handshaking = state else { return }
            let server = try frame.decodePayload(as: RPCSettings.self)
            if server.maxConcurrentCalls != 0 { serverMaxConcurrentCalls = Int(server.maxConcurrentCalls) }
            if server.maxFrameSize != 0 {
                serverMaxFrameSize = max(Int(server.maxFrameSize), RPCProtocol.minMaxFrameSize)
            }
            state = .ready
            handshake.succeed(server)
        case .message:
            guard let call = calls[frame.callID] else { return }  // ended locally: dropped
            call.receive(frame.payload)
        case .trailers:
            guard let call = calls[frame.callID] else { return }
            let status = try frame.decodePayload(as: RPCStatus.self)
            finish(call, status.code == 0 ? nil : RPCError(status: status), fromServer: true)
        case .ping:
            if frame.flags.contains(.ack) {
                let ping = try frame.decodePayload(as: RPCPing.self)
                pings.removeValue(forKey: ping.opaque)?.succeed()
            } else {
                var echo = Frame.makePayloadBuffer(
                    allocator: ByteBufferAllocator(), capacity: frame.payload.readableBytes)
                var payload = frame.payload
                echo.writeBuffer(&payload)
                write(Frame(type: .ping, flags: .ack, callID: 0, payload: echo), flush: true)
            }
        case .goAway:
            let goAway = try frame.decodePayload(as: RPCGoAway.self)
            receiveGoAway(goAway)
        default:
            throw RPCError(.internalError, "unexpected \(frame.type) frame")
        }
    }

    private func receiveGoAway(_ goAway: RPCGoAway) {
        let code = StatusCode(rawValue: goAway.code)
        let reason =
            code == .ok
            ? RPCError(.unavailable, "the server at \(path) is going away: \(goAway.message)")
            : RPCError(code, goAway.message)
        if case .handshaking = state {
            state = .closed(reason)
            handshake.fail(reason)
            return
        }
        state = .goingAway(reason)
        for call in Array(calls.values) where call.id > goAway.lastCallID {
            finish(call, RPCError(.unavailable, "the server did not process the call: \(reason.message)"))
        }
        while let call = queued.popFirst() {
            call.fail(reason)
        }
    }

    // MARK: Calls

    /// Starts `call` now or when a slot frees.
    func start(_ call: ClientCall) {
        switch state {
        case .goingAway(let error), .closed(let error):
            call.fail(error)
            return
        case .handshaking, .ready:
            break
        }
        guard call.request.readableBytes <= serverMaxFrameSize else {
            call.fail(
                RPCError(
                    .resourceExhausted,
                    "the request of \(call.request.readableBytes) bytes exceeds the server's max_frame_size \(serverMaxFrameSize)"
                ))
            return
        }
        if let deadline = call.deadline, let context {
            call.deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                self.abandon(call, RPCError(.deadlineExceeded, "deadline of \(call.timeoutDescription) exceeded"))
            }
        }
        if calls.count < serverMaxConcurrentCalls {
            send(call)
        } else {
            queued.append(call)
        }
    }

    private func send(_ call: ClientCall) {
        let id = nextCallID
        nextCallID += 2
        call.id = id
        calls[id] = call
        var headers = call.headers
        if let deadline = call.deadline {
            let remaining = max(deadline - .now(), .microseconds(1))
            headers.timeoutMicros = UInt64(remaining.nanoseconds / 1000)
        }
        do {
            write(try Frame(type: .headers, callID: id, message: headers), flush: false)
        } catch {
            finish(call, error)
            return
        }
        write(Frame(type: .message, flags: .endStream, callID: id, payload: call.request), flush: true)
    }

    /// The reader of a stream took messages: return their credit.
    func returnCredit(_ call: ClientCall, _ credit: Int) {
        guard calls[call.id] === call,
            let frame = try? Frame(
                type: .windowUpdate, callID: call.id, message: RPCWindowUpdate(credit: UInt32(credit)))
        else { return }
        write(frame, flush: true)
    }

    /// Ends `call` locally with `error` and tells the server (CANCEL) if it
    /// was sent; queued calls just leave the queue.
    func abandon(_ call: ClientCall, _ error: RPCError) {
        if call.id != 0, calls[call.id] === call {
            if let frame = try? Frame(type: .cancel, callID: call.id, message: RPCCancel(reason: error.message)) {
                write(frame, flush: true)
            }
            finish(call, error)
        } else if call.id == 0 {
            call.fail(error)
        }
    }

    /// The server did not answer the preface in time.
    func handshakeTimedOut(_ error: RPCError) {
        guard case .handshaking = state else { return }
        fail(error)
        context?.close(promise: nil)
    }

    func ping(_ promise: EventLoopPromise<Void>) {
        guard case .ready = state else {
            promise.fail(RPCError(.unavailable, "the connection to \(path) is not ready"))
            return
        }
        let opaque = nextPing
        nextPing += 1
        pings[opaque] = promise
        do {
            write(try Frame(type: .ping, callID: 0, message: RPCPing(opaque: opaque)), flush: true)
        } catch {
            pings[opaque] = nil
            promise.fail(error)
        }
    }

    private func finish(_ call: ClientCall, _ error: RPCError?, fromServer: Bool = false) {
        calls[call.id] = nil
        if let error {
            call.fail(error, fromServer: fromServer)
        } else {
            call.succeed()
        }
        while calls.count < serverMaxConcurrentCalls, let next = queued.popFirst() {
            if next.isFinished { continue }
            send(next)
        }
    }

    private func fail(_ error: RPCError) {
        if case .handshaking = state {
            handshake.fail(error)
        }
        state = .closed(error)
        for call in Array(calls.values) {
            finish(call, error)
        }
        while let call = queued.popFirst() {
            call.fail(error)
        }
        for promise in pings.values {
            promise.fail(error)
        }
        pings = [:]
    }

    private func write(_ frame: Frame, flush: Bool) {
        guard let context else { return }
        if flush {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        } else {
            context.write(wrapOutboundOut(frame), promise: nil)
        }
    }
}

/// One client call. Confined to the connection's event loop.
final class ClientCall {
    enum Kind {
        /// Completes with the response payload.
        case unary(EventLoopPromise<ByteBuffer>, response: ByteBuffer?)
        /// Hands messages to the reading task.
        case stream(ClientStreamInbox)
    }

    /// 0 until the HEADERS are sent.
    var id: UInt32 = 0
    let headers: RPCCallHeaders
    let request: ByteBuffer
    let deadline: NIODeadline?
    let timeoutDescription: String
    var kind: Kind
    var deadlineTimer: Scheduled<Void>?
    private(set) var isFinished = false

    init(headers: RPCCallHeaders, request: ByteBuffer, timeout: Duration?, kind: Kind) {
        self.headers = headers
        self.request = request
        self.deadline = timeout.map { .now() + TimeAmount($0) }
        self.timeoutDescription = timeout.map { "\($0)" } ?? "none"
        self.kind = kind
    }

    /// A MESSAGE arrived.
    func receive(_ payload: ByteBuffer) {
        switch kind {
        case .unary(let promise, _):
            kind = .unary(promise, response: payload)
        case .stream(let inbox):
            inbox.deliver(payload)
        }
    }

    func succeed() {
        guard !isFinished else { return }
        isFinished = true
        deadlineTimer?.cancel()
        switch kind {
        case .unary(let promise, let response):
            if let response {
                promise.succeed(response)
            } else {
                promise.fail(RPCError(.internalError, "the server ended the call with OK but sent no response"))
            }
        case .stream(let inbox):
            inbox.finish(.success(()), keepBuffered: true)
        }
    }

    /// Ends the call with `error`. A stream's messages already received are
    /// still delivered before it when the server sent the error; they are
    /// dropped when the call failed here (deadline, cancel, connection lost).
    func fail(_ error: RPCError, fromServer: Bool = false) {
        guard !isFinished else { return }
        isFinished = true
        deadlineTimer?.cancel()
        switch kind {
        case .unary(let promise, _):
            promise.fail(error)
        case .stream(let inbox):
            inbox.finish(.failure(error), keepBuffered: fromServer)
        }
    }
}
