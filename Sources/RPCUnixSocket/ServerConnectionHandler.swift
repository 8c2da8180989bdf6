import InterviewsModel
import InterviewsWire
import Logging
import NIOCore
import RPCCore

/// The server side of one connection: the handshake, the calls, flow control,
/// deadlines, timeouts and protocol violations.
///
/// Every property is confined to the channel's event loop. Frames are parsed
/// here in place from the bytes read, and routed without a task; a task runs
/// only the handler of a call, and not even that for a nonblocking method,
/// whose handler runs right here.
///
/// Per-call costs are kept off the common path: a request that arrives in
/// the same read as its HEADERS needs no request timer, a nonblocking call
/// no deadline timer and, when its request follows its HEADERS in the same
/// read, no call object at all: its HEADERS are read in place
/// (``CallHeadersView``), its response is encoded straight into the
/// connection's output buffer, which collects every frame written during a
/// read and goes out with one write and one flush when the read is complete.
final class ServerConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Sent down the pipeline by ``RPCServer`` to start a graceful shutdown:
    /// GOAWAY, finish the calls already opened, close.
    struct DrainEvent: Sendable {}

    /// Sent by ``RPCServer`` when the grace period is over: end every call
    /// with UNAVAILABLE and close.
    struct ForceCloseEvent: Sendable {}

    /// The limits one connection enforces.
    struct Limits: Sendable {
        var maxFrameSize: Int
        /// The largest frame before a call of the connection is authenticated.
        var maxUnauthenticatedFrameSize: Int
        /// How long a frame may stay unfinished once its first bytes came.
        var frameTimeout: TimeAmount
        var maxConcurrentCalls: Int
        var initialWindow: Int
        var handshakeTimeout: TimeAmount
        /// Bytes a stream handler may queue for the event loop before it waits.
        var maxPendingStreamBytes: Int
        var requestTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var agent: String
    }

    private enum State {
        /// Waiting for the client's SETTINGS (the preface is checked by the decoder).
        case handshaking
        /// Calls may be opened.
        case open
        /// GOAWAY sent (or received): no new calls; close when the last call ends.
        case draining
        /// Closing or closed.
        case closed
    }

    /// A call whose HEADERS were just handled, held as a value until the next
    /// frame: when that frame is its request, a nonblocking call runs at once
    /// without becoming a ``ServerCall``; otherwise it becomes one first.
    private struct OpeningCall {
        var id: UInt32
        var method: RPCMethod
        var context: ServerContext
        var timeout: TimeAmount?
        var deadline: NIODeadline?
    }

    private let router: RPCRouter
    private let limits: Limits
    private let logger: Logger
    private let tasks: HandlerTaskTracker
    private let shutdown: ShutdownSignal
    /// The server-wide budget for the partial frames of connections that
    /// have not authenticated a call.
    private let partialFrames: PartialFrameBudget
    /// Whether a call of this connection has been authenticated: its frames
    /// may then be as large as ``Limits/maxFrameSize`` and its partial
    /// frames no longer count against ``partialFrames``.
    private var authenticated: Bool
    /// The bytes this connection has taken from ``partialFrames``.
    private var partialCharge = 0
    /// Since when the connection has left a frame unfinished (nil: none).
    private var partialSince: NIODeadline?
    /// Ends the connection when a frame stays unfinished too long.
    private var frameTimer: Scheduled<Void>?
    private var state = State.handshaking
    /// The connection is draining because the client sent GOAWAY (not a shutdown).
    private var clientWentAway = false
    private var calls: [UInt32: ServerCall] = [:]
    private var lastCallID: UInt32 = 0
    /// The largest frame payload the client accepts (its SETTINGS).
    private var peerMaxFrameSize = RPCProtocol.defaultMaxFrameSize
    private var peer: PeerCredentials?
    /// The handshake timer while handshaking; the idle timer while open.
    private var timer: Scheduled<Void>?
    /// Since when the connection has had no call (nil while it has one).
    private var idleSince: NIODeadline?
    /// Calls opened during this read whose request has not arrived yet:
    /// their timers are armed when the read completes.
    private var awaitingTimers: [ServerCall] = []
    /// A read was asked for while the outbound buffer was full.
    private var readHeld = false
    private var context: ChannelHandlerContext?
    /// Splits the bytes read into frames.
    private var decoder: FrameDecoder
    /// The bytes of a frame not yet wholly read.
    private var inbound: ByteBuffer?
    /// The bytes read could not be parsed: everything after is ignored.
    private var inboundFailed = false
    /// Between the first channelRead of a read and its channelReadComplete:
    /// frames then collect in ``output``.
    private var reading = false
    /// Every frame written and not yet handed to the channel; empty between
    /// operations (outside a read, each operation writes it out itself).
    private var output = ByteBuffer()
    /// The nonblocking call opened by the last HEADERS, if its request may follow.
    private var opening: OpeningCall?

    /// The capacity of the output buffer kept between reads; a larger one
    /// (a big response) is released after its write.
    private static let keptOutputCapacity = 64 * 1024

    init(
        router: RPCRouter, limits: Limits, logger: Logger, tasks: HandlerTaskTracker, shutdown: ShutdownSignal,
        partialFrames: PartialFrameBudget
    ) {
        self.router = router
        self.limits = limits
        self.logger = logger
        self.tasks = tasks
        self.shutdown = shutdown
        self.partialFrames = partialFrames
        self.authenticated =
            !router.authenticatesCalls || limits.maxUnauthenticatedFrameSize >= limits.maxFrameSize
        self.decoder = FrameDecoder(maxFrameSize: limits.maxFrameSize, expectsPreface: true)
        if !authenticated {
            decoder.maxFrameSize = limits.maxUnauthenticatedFrameSize
            decoder.limitName = "the limit before a call on the connection is authenticated,"
        }
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        output = context.channel.allocator.buffer(capacity: 1024)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        dropPartialFrame()
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = PeerCredentialsReader.read(from: context.channel)
        let timeout = limits.handshakeTimeout
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            guard case .handshaking = self.state else { return }
            self.goAway(
                RPCError(.deadlineExceeded, "no preface and SETTINGS within \(Self.describe(timeout)); closing"))
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        openPendingCall()
        state = .closed
        timer?.cancel()
        timer = nil
        dropPartialFrame()
        let gone = RPCError(.cancelled, "the client disconnected")
        for call in Array(calls.values) {
            endCall(call, gone, sendTrailers: false)
        }
        // Calls opened in a read that the close interrupted (no read
        // completes after it): each holds the handler through its stream's
        // closures, so kept here they would keep the whole connection alive.
        awaitingTimers.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !inboundFailed else { return }
        reading = true
        var bytes = unwrapInboundIn(data)
        let continued = inbound != nil
        if var pending = inbound {
            inbound = nil
            pending.writeBuffer(&bytes)
            bytes = pending
        }
        // Bytes left for a later slice wait for it, with the new ones after them.
        guard !backlogScheduled else {
            inbound = bytes
            return
        }
        parse(&bytes, continued: continued, context: context)
    }

    /// Handles the frames in `bytes`, a slice at a time: once a slice's
    /// frames have produced ``maxOutputPerSlice`` bytes of output or
    /// ``maxFramesPerSlice`` frames were handled, the rest waits for a task
    /// on the loop (and the socket is not read meanwhile), so that one
    /// client pipelining many calls cannot hold the event loop from every
    /// other connection on it.
    private func parse(_ bytes: inout ByteBuffer, continued: Bool, context: ChannelHandlerContext) {
        let before = bytes.readableBytes
        let outputBefore = output.readableBytes
        var frames = 0
        do {
            while let frame = try decoder.next(from: &bytes) {
                try handle(frame, context: context)
                if case .closed = state {
                    dropPartialFrame()
                    return
                }
                frames += 1
                if bytes.readableBytes > 0, opening == nil,
                    frames >= Self.maxFramesPerSlice || output.readableBytes - outputBefore >= Self.maxOutputPerSlice
                {
                    inbound = bytes
                    scheduleBacklog(context: context)
                    return
                }
            }
        } catch {
            // Fatal for the connection, as the frame decoder's errors were.
            inboundFailed = true
            dropPartialFrame()
            openPendingCall()
            goAway(error)
            return
        }
        if bytes.readableBytes > 0 {
            // A frame read before this one ended: the one left is new.
            keepPartialFrame(&bytes, new: !continued || bytes.readableBytes < before, context: context)
        } else if partialSince != nil || partialCharge > 0 {
            dropPartialFrame()
        }
    }

    /// The most frames one slice of ``parse(_:continued:context:)`` handles.
    private static let maxFramesPerSlice = 128
    /// The output after which a slice ends.
    private static let maxOutputPerSlice = 128 * 1024
    /// How long the rest waits after a slice.
    private static let sliceDelay = TimeAmount.microseconds(50)

    /// Whether a task to go on with the bytes in ``inbound`` is scheduled.
    private var backlogScheduled = false

    private func scheduleBacklog(context: ChannelHandlerContext) {
        backlogScheduled = true
        // A task due a moment from now, not an immediate one: the loop runs
        // immediate tasks until none is left before it reads its sockets
        // again, so only this lets the other connections in between slices.
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.sliceDelay) {
            self.resumeBacklog()
        }
    }

    /// The next slice of the bytes left by the last one, handled as a read
    /// is: its output goes out with one write when it ends.
    private func resumeBacklog() {
        backlogScheduled = false
        guard let context, !inboundFailed, var bytes = inbound else { return }
        if case .closed = state { return }
        inbound = nil
        reading = true
        parse(&bytes, continued: true, context: context)
        completeRead(context: context)
        if !backlogScheduled, readHeld, context.channel.isWritable {
            readHeld = false
            context.read()
        }
    }

    // MARK: Partial frames

    /// Keeps the start of a frame that has not wholly arrived, in a buffer
    /// of the frame's size (so that the rest is appended without the buffer
    /// doubling, and a small remainder does not keep a large read buffer
    /// alive); charges it to the budget before authentication, and starts
    /// the frame timeout when the frame is `new`.
    private func keepPartialFrame(_ bytes: inout ByteBuffer, new: Bool, context: ChannelHandlerContext) {
        let size = decoder.pendingPayloadLength(in: bytes).map { Frame.headerSize + $0 } ?? Frame.headerSize
        let needed = max(size, bytes.readableBytes)
        if bytes.readerIndex == 0, bytes.capacity >= needed, bytes.capacity <= max(2 * needed, 1024) {
            inbound = bytes
        } else {
            var kept = context.channel.allocator.buffer(capacity: needed)
            kept.writeBuffer(&bytes)
            inbound = kept
        }
        if !authenticated {
            // The frame's length: what it will hold in memory once it has
            // arrived (the buffer's capacity is a power of two, but only the
            // pages written count).
            let charge = needed
            if charge > partialCharge {
                guard partialFrames.charge(charge - partialCharge) else {
                    inbound = nil
                    inboundFailed = true
                    dropPartialFrame()
                    goAway(
                        RPCError(
                            .resourceExhausted,
                            "the server holds its limit of \(partialFrames.limit) bytes of partly received frames from connections that have not authenticated a call; closing"
                        ))
                    return
                }
            } else {
                partialFrames.release(partialCharge - charge)
            }
            partialCharge = charge
        }
        guard new || partialSince == nil else { return }
        let now = NIODeadline.now()
        partialSince = now
        // While handshaking, the handshake timeout bounds the wait.
        switch state {
        case .open, .draining:
            if frameTimer == nil { armFrameTimer(at: now + limits.frameTimeout) }
        case .handshaking, .closed:
            break
        }
    }

    /// Forgets the partial frame: the frame completed, or the connection ends.
    private func dropPartialFrame() {
        partialSince = nil
        if partialCharge > 0 {
            partialFrames.release(partialCharge)
            partialCharge = 0
        }
        if case .closed = state {
            inbound = nil
            frameTimer?.cancel()
            frameTimer = nil
        }
    }

    /// One timer serves many frames, as the idle timer serves many idle
    /// periods: armed only when none is, and re-armed for the frame
    /// unfinished when it fires. Time during which the server holds reads
    /// (the client is not reading its responses) is not counted.
    private func armFrameTimer(at deadline: NIODeadline) {
        guard let context else { return }
        let timeout = limits.frameTimeout
        frameTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.frameTimer = nil
            guard let since = self.partialSince else { return }
            if case .closed = self.state { return }
            let now = NIODeadline.now()
            if self.readHeld {
                self.partialSince = now
                self.armFrameTimer(at: now + timeout)
            } else if since + timeout <= now {
                self.inboundFailed = true
                self.inbound = nil
                self.dropPartialFrame()
                self.openPendingCall()
                self.goAway(
                    RPCError(.deadlineExceeded, "a frame was left unfinished for \(Self.describe(timeout)); closing"))
            } else {
                self.armFrameTimer(at: since + timeout)
            }
        }
    }

    /// A call of this connection was authenticated: frames up to the full
    /// limit are taken from now on, outside the shared budget.
    private func becomeAuthenticated() {
        authenticated = true
        decoder.maxFrameSize = limits.maxFrameSize
        decoder.limitName = "max_frame_size"
        if partialCharge > 0 {
            partialFrames.release(partialCharge)
            partialCharge = 0
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        completeRead(context: context)
        context.fireChannelReadComplete()
    }

    /// What the end of a read does: open the call still held, arm the timers
    /// of calls waiting for their request, write the output.
    private func completeRead(context: ChannelHandlerContext) {
        openPendingCall()
        reading = false
        if !awaitingTimers.isEmpty {
            let opened = awaitingTimers
            awaitingTimers.removeAll(keepingCapacity: true)
            for call in opened where call.endReason == nil && !call.started {
                armTimers(call, context: context)
            }
        }
        flushOutput()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? RPCError {
            goAway(error)
        } else {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            state = .closed
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is DrainEvent:
            drain()
        case is ForceCloseEvent:
            if case .closed = state { return }
            state = .closed
            timer?.cancel()
            timer = nil
            let stopped = RPCError(.unavailable, "the server stopped before the call completed")
            for call in Array(calls.values) {
                endCall(call, stopped, sendTrailers: true)
            }
            writeLast(Self.goAwayFrame(lastCallID, .unavailable, "server stopped"), context: context)
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Outbound backpressure

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable && !backlogScheduled {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, readHeld, !backlogScheduled {
            readHeld = false
            context.read()
        }
        let writable = context.channel.isWritable
        for call in calls.values where call.outbox?.setWritable(writable) == true {
            writeOut(call.id)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Frames

    private func handle(_ frame: Frame, context: ChannelHandlerContext) throws(RPCError) {
        if let call = opening {
            opening = nil
            if frame.type == .message, frame.callID == call.id, frame.flags.contains(.endStream) {
                runOpening(call, request: frame.payload, context: context)
                return
            }
            open(call)
        }
        switch state {
        case .closed:
            return
        case .handshaking:
            guard frame.type == .settings, !frame.flags.contains(.ack) else {
                throw RPCError(.invalidArgument, "expected SETTINGS after the preface, got \(frame.type)")
            }
            try receiveSettings(frame, context: context)
            return
        case .open, .draining:
            break
        }
        switch frame.type {
        case .headers: try receiveHeaders(frame, context: context)
        case .message: receiveMessage(frame, context: context)
        case .cancel: try receiveCancel(frame)
        case .windowUpdate: try receiveWindowUpdate(frame)
        case .ping: try receivePing(frame, context: context)
        case .settings: return  // later SETTINGS are ignored in version 1
        case .goAway: receiveGoAway()
        case .trailers: throw RPCError(.invalidArgument, "clients do not send TRAILERS (call \(frame.callID))")
        default: throw RPCError(.invalidArgument, "unknown frame type \(frame.type)")
        }
    }

    private func receiveSettings(_ frame: Frame, context: ChannelHandlerContext) throws(RPCError) {
        let settings = try frame.decodePayload(as: RPCSettings.self)
        guard settings.protocolVersion == 0 || settings.protocolVersion == RPCProtocol.version else {
            throw RPCError(
                .failedPrecondition,
                "unsupported protocol_version \(settings.protocolVersion); this server speaks \(RPCProtocol.version)")
        }
        if settings.maxFrameSize != 0 {
            peerMaxFrameSize = max(Int(settings.maxFrameSize), RPCProtocol.minMaxFrameSize)
        }
        let ours = RPCSettings(
            protocolVersion: RPCProtocol.version, maxFrameSize: UInt32(limits.maxFrameSize),
            maxConcurrentCalls: UInt32(limits.maxConcurrentCalls), initialWindow: UInt32(limits.initialWindow),
            agent: limits.agent)
        write(try Frame(type: .settings, callID: 0, message: ours))
        flush()
        state = .open
        timer?.cancel()
        timer = nil
        becameIdle()
    }

    private func receiveHeaders(_ frame: Frame, context: ChannelHandlerContext) throws(RPCError) {
        let id = frame.callID
        guard id > lastCallID else {
            throw RPCError(
                .invalidArgument,
                "call id \(id) is not greater than the previous call id \(lastCallID); call ids must increase")
        }
        lastCallID = id
        // The common shape is read in place; anything else is decoded, which
        // also gives the error of malformed headers.
        let view = CallHeadersView(frame.payload)
        var decoded: RPCCallHeaders?
        if view == nil {
            do {
                decoded = try frame.decodePayload(as: RPCCallHeaders.self)
            } catch {
                sendTrailers(id, error.status)
                return
            }
        }
        guard case .open = state else {
            let message =
                clientWentAway
                ? "this connection is closing: the client sent GOAWAY; start new calls on a new connection"
                : "the server is shutting down; retry on a new connection"
            sendTrailers(id, RPCError(.unavailable, message).status)
            return
        }
        guard calls.count < limits.maxConcurrentCalls else {
            sendTrailers(
                id,
                RPCError(
                    .resourceExhausted,
                    "too many concurrent calls on this connection; the limit is \(limits.maxConcurrentCalls)"
                ).status)
            return
        }
        let found: RPCMethod?
        if let view {
            found = frame.payload.withUnsafeReadableBytes {
                router.method(utf8: UnsafeRawBufferPointer(rebasing: $0[view.method]))
            }
        } else {
            found = decoded.flatMap { router.method(named: $0.method) }
        }
        guard let method = found else {
            sendTrailers(id, RPCRouter.unimplemented(view?.methodName ?? decoded?.method ?? "").status)
            return
        }
        let timeout = Self.timeout(micros: view?.timeoutMicros ?? decoded?.timeoutMicros ?? 0)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var serverContext: ServerContext
        if let view, method.kind != .serverStreaming {
            // The metadata is read from the HEADERS bytes when asked for. A
            // stream, which may stay open for long, decodes it instead, so as
            // not to keep the read buffer alive.
            serverContext = ServerContext(
                method: method.name, headers: view, deadline: deadline, peer: peer, callID: id, logger: logger,
                shutdown: shutdown)
        } else {
            serverContext = ServerContext(
                method: method.name, metadata: view?.metadata ?? decoded?.metadata ?? [], deadline: deadline,
                peer: peer, callID: id, logger: logger, shutdown: shutdown)
        }
        if !authenticated, router.authenticates(serverContext) {
            becomeAuthenticated()
        }
        idleSince = nil
        if method.invokeNonblocking != nil {
            // Held as a value: its request usually comes next, in this read.
            let amount = timeout.map { TimeAmount($0) }
            opening = OpeningCall(
                id: id, method: method, context: serverContext, timeout: amount, deadline: amount.map { .now() + $0 })
            return
        }
        // Only a stream has response messages to queue; a unary call needs no outbox.
        var outbox: ServerStreamOutbox?
        if method.kind == .serverStreaming {
            let initialWindow = view?.initialWindow ?? decoded?.initialWindow ?? 0
            let window = initialWindow == 0 ? limits.initialWindow : Int(initialWindow)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            // A stream may run for long (a watch never ends by itself): the
            // service can end it from outside. Call ids are never reused, so
            // the lookup finds this call or none.
            let loop = context.eventLoop
            serverContext.endCall = { error in
                loop.execute {
                    let connection = handler.value
                    guard let call = connection.calls[id] else { return }
                    connection.endCall(call, error, sendTrailers: true)
                }
            }
            outbox = ServerStreamOutbox(
                credit: window, writable: context.channel.isWritable,
                maxPendingBytes: limits.maxPendingStreamBytes, maxMessageSize: peerMaxFrameSize,
                eventLoop: context.eventLoop
            ) {
                handler.value.writeOut(id)
            }
        }
        let call = ServerCall(
            id: id, method: method, context: serverContext, outbox: outbox,
            timeout: timeout.map { TimeAmount($0) })
        calls[id] = call
        awaitingTimers.append(call)
    }

    /// Makes the held ``opening`` call an open ``ServerCall``, as any other
    /// call is when its request does not follow its HEADERS at once.
    private func openPendingCall() {
        guard let call = opening else { return }
        opening = nil
        open(call)
    }

    private func open(_ opening: OpeningCall) {
        let call = ServerCall(
            id: opening.id, method: opening.method, context: opening.context, outbox: nil,
            timeout: opening.timeout, deadline: opening.deadline)
        calls[call.id] = call
        awaitingTimers.append(call)
    }

    /// Runs a nonblocking call whose request came right after its HEADERS:
    /// what ``receiveMessage(_:context:)`` and ``runNonblocking(_:request:context:)``
    /// do for an open call, without one.
    private func runOpening(_ call: OpeningCall, request: ByteBuffer, context: ChannelHandlerContext) {
        if let deadline = call.deadline, deadline <= .now() {
            sendTrailers(call.id, Self.deadlineExceeded(call.timeout).status)
        } else {
            respond(
                id: call.id, method: call.method, context: call.context, request: request,
                logger: { call.context.logger })
        }
        if calls.isEmpty {
            switch state {
            case .open: becameIdle()
            case .draining: closeIfDrained()
            case .handshaking, .closed: break
            }
        }
    }

    /// Runs a nonblocking method's handler with its response encoded straight
    /// into the output buffer, then TRAILERS. Returns the error that ended
    /// the call when the response was too large for the client (nothing
    /// was sent then).
    @discardableResult
    private func respond(
        id: UInt32, method: RPCMethod, context serverContext: ServerContext, request: ByteBuffer,
        logger: () -> Logger, sendTrailersOnFailure: Bool = true
    ) -> RPCError? {
        let start = output.writerIndex
        output.writeRepeatingByte(0, count: Frame.headerSize)
        let status = router.handleNonblocking(method, request: request, context: serverContext, into: &output)
        let length = output.writerIndex - start - Frame.headerSize
        guard status == .ok else {
            output.moveWriterIndex(to: start)
            sendTrailers(id, status)
            return nil
        }
        guard length <= peerMaxFrameSize else {
            output.moveWriterIndex(to: start)
            logger().error(
                "response too large for the client", metadata: ["bytes": "\(length)", "limit": "\(peerMaxFrameSize)"])
            let error = RPCError(
                .resourceExhausted,
                "the response of \(length) bytes exceeds the client's max_frame_size \(peerMaxFrameSize)")
            if sendTrailersOnFailure { sendTrailers(id, error.status) }
            return error
        }
        output.setFrameHeader(at: start, length: length, type: .message, callID: id)
        sendTrailers(id, .ok)
        return nil
    }

    /// Arms the timers of a call whose request did not come with its
    /// HEADERS: its deadline, and the limit on waiting for the request.
    private func armTimers(_ call: ServerCall, context: ChannelHandlerContext) {
        let loop = context.eventLoop.assumeIsolated()
        armDeadlineTimer(call, loop: loop)
        let requestTimeout = limits.requestTimeout
        call.requestTimer = loop.scheduleTask(in: requestTimeout) {
            guard !call.started else { return }
            self.endCall(
                call,
                RPCError(
                    .deadlineExceeded, "no request MESSAGE for call \(call.id) within \(Self.describe(requestTimeout))"),
                sendTrailers: true)
        }
    }

    private func armDeadlineTimer(_ call: ServerCall, loop: NIOIsolatedEventLoop) {
        guard let deadline = call.deadline, call.deadlineTimer == nil else { return }
        call.deadlineTimer = loop.scheduleTask(deadline: deadline) {
            self.endCall(call, Self.deadlineExceeded(call.timeout), sendTrailers: true)
        }
    }

    static func deadlineExceeded(_ timeout: TimeAmount?) -> RPCError {
        RPCError(.deadlineExceeded, "deadline of \(describe(timeout ?? .zero)) exceeded")
    }

    private func receiveMessage(_ frame: Frame, context: ChannelHandlerContext) {
        guard let call = calls[frame.callID] else {
            if frame.callID > lastCallID {
                sendTrailers(
                    frame.callID,
                    RPCError(.invalidArgument, "MESSAGE for call \(frame.callID) before its HEADERS").status)
            }
            // Otherwise the call has already ended (e.g. UNIMPLEMENTED): the message is dropped.
            return
        }
        guard !call.started else {
            endCall(
                call, RPCError(.invalidArgument, "call \(call.id) sent more than one request MESSAGE"),
                sendTrailers: true)
            return
        }
        guard frame.flags.contains(.endStream) else {
            endCall(
                call,
                RPCError(
                    .invalidArgument,
                    "the request MESSAGE of call \(call.id) must carry END_STREAM (one request per call)"),
                sendTrailers: true)
            return
        }
        call.requestTimer?.cancel()
        call.requestTimer = nil
        call.started = true
        if call.method.invokeNonblocking != nil {
            runNonblocking(call, request: frame.payload, context: context)
        } else {
            start(call, request: frame.payload, context: context)
        }
    }

    private func receiveCancel(_ frame: Frame) throws(RPCError) {
        let cancel = try frame.decodePayload(as: RPCCancel.self)
        guard let call = calls[frame.callID] else { return }  // already ended: a normal race
        let reason = cancel.reason.isEmpty ? "" : ": \(cancel.reason)"
        endCall(call, RPCError(.cancelled, "cancelled by the client\(reason)"), sendTrailers: true)
    }

    private func receiveWindowUpdate(_ frame: Frame) throws(RPCError) {
        let update = try frame.decodePayload(as: RPCWindowUpdate.self)
        guard let call = calls[frame.callID] else { return }  // already ended: a normal race
        if call.outbox?.grant(Int(update.credit)) == true {
            writeOut(call.id)
        }
    }

    /// Answers a PING with its own bytes (unknown fields included); a
    /// payload that is not a `Ping` is a connection error, as for every
    /// control frame.
    private func receivePing(_ frame: Frame, context: ChannelHandlerContext) throws(RPCError) {
        _ = try frame.decodePayload(as: RPCPing.self)
        guard !frame.flags.contains(.ack) else { return }
        write(Frame(type: .ping, flags: .ack, callID: 0, payload: frame.payload))
        flush()
    }

    /// The client starts no more calls: the connection closes once its open
    /// calls have ended. The GOAWAY's fields are not read (the server starts
    /// no calls, so its `last_call_id` names none); a HEADERS after it is
    /// answered with UNAVAILABLE.
    private func receiveGoAway() {
        guard case .open = state else { return }
        state = .draining
        clientWentAway = true
        closeIfDrained()
    }

    // MARK: Calls

    /// Runs a nonblocking method's handler here and now; the response and
    /// TRAILERS are flushed when the read completes.
    private func runNonblocking(_ call: ServerCall, request: ByteBuffer, context: ChannelHandlerContext) {
        if let deadline = call.deadline, deadline <= .now() {
            endCall(call, Self.deadlineExceeded(call.timeout), sendTrailers: true)
            return
        }
        // The response and TRAILERS go into the output buffer here; the call
        // then ends without sending anything more.
        if let error = respond(
            id: call.id, method: call.method, context: call.context, request: request,
            logger: { call.context.logger }, sendTrailersOnFailure: false)
        {
            endCall(call, error, sendTrailers: true)
        } else {
            endCall(call, nil, status: .ok, sendTrailers: false)
        }
    }

    /// Starts the handler of `call` in a task.
    private func start(_ call: ServerCall, request: ByteBuffer, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        armDeadlineTimer(call, loop: loop.assumeIsolated())
        let handler = NIOLoopBound(self, eventLoop: loop)
        let boundCall = NIOLoopBound(call, eventLoop: loop)
        let sink = ConnectionCallSink(allocator: context.channel.allocator, outbox: call.outbox)
        let router = self.router
        let method = call.method
        let serverContext = call.context
        let tasks = self.tasks
        tasks.enter()
        call.task = Task {
            defer { tasks.leave() }
            let (response, status) = await router.handle(
                method, request: request, context: serverContext, sink: sink)
            loop.execute {
                handler.value.complete(boundCall.value, response: response, status: status)
            }
        }
    }

    /// The handler of `call` returned (or threw).
    private func complete(_ call: ServerCall, response: ByteBuffer?, status: RPCStatus) {
        guard call.endReason == nil, context != nil else { return }
        writeOut(call.id)
        if let response {
            guard response.readableBytes <= peerMaxFrameSize else {
                call.context.logger.error(
                    "response too large for the client",
                    metadata: ["bytes": "\(response.readableBytes)", "limit": "\(peerMaxFrameSize)"])
                endCall(
                    call,
                    RPCError(
                        .resourceExhausted,
                        "the response of \(response.readableBytes) bytes exceeds the client's max_frame_size \(peerMaxFrameSize)"
                    ), sendTrailers: true)
                return
            }
            write(Frame(type: .message, callID: call.id, payload: response))
        }
        endCall(call, nil, status: status, sendTrailers: true)
    }

    /// Writes the stream messages `callID`'s handler has queued, with one flush.
    private func writeOut(_ callID: UInt32) {
        guard let context, let outbox = calls[callID]?.outbox else { return }
        let batch = outbox.takePending()
        guard !batch.isEmpty else { return }
        if reading {
            for payload in batch { write(Frame(type: .message, callID: callID, payload: payload)) }
            return
        }
        // Outside a read the messages are packed into chunks of a fixed
        // size: the channel then queues a few full buffers instead of one
        // per message (each an allocation rounded up to a power of two and a
        // trip through the pipeline), so what it holds is what it counts,
        // and a large batch costs the loop little. A large message goes out
        // as it is (it has room for its header).
        flushOutput()
        let allocator = context.channel.allocator
        var chunk = ByteBuffer()
        for payload in batch {
            let frame = Frame(type: .message, callID: callID, payload: payload)
            let size = Frame.headerSize + payload.readableBytes
            if size > Self.streamChunkCapacity / 4 {
                if chunk.readableBytes > 0 {
                    context.write(wrapOutboundOut(chunk), promise: nil)
                    chunk = ByteBuffer()
                }
                context.write(wrapOutboundOut(frame.serialized(allocator: allocator)), promise: nil)
                continue
            }
            if chunk.writableBytes < size {
                if chunk.readableBytes > 0 { context.write(wrapOutboundOut(chunk), promise: nil) }
                chunk = allocator.buffer(capacity: Self.streamChunkCapacity)
            }
            frame.encode(into: &chunk)
        }
        if chunk.readableBytes > 0 { context.write(wrapOutboundOut(chunk), promise: nil) }
        context.flush()
    }

    /// The size of the buffers stream messages are packed into (a power of
    /// two, so that the buffer is as large as asked for).
    private static let streamChunkCapacity = 64 * 1024

    /// Ends `call` once: with `reason` (an error) or `status`, optionally
    /// sending TRAILERS, cancelling its handler task if it still runs.
    private func endCall(_ call: ServerCall, _ reason: RPCError?, status: RPCStatus? = nil, sendTrailers: Bool) {
        guard call.endReason == nil else { return }
        let ended = reason ?? RPCError(.cancelled, "call \(call.id) has ended")
        call.endReason = ended
        calls[call.id] = nil
        call.deadlineTimer?.cancel()
        call.deadlineTimer = nil
        call.requestTimer?.cancel()
        call.requestTimer = nil
        call.outbox?.end(ended)
        if reason != nil {
            call.task?.cancel()
        }
        if sendTrailers {
            self.sendTrailers(call.id, status ?? ended.status)
        }
        if calls.isEmpty {
            switch state {
            case .open: becameIdle()
            case .draining: closeIfDrained()
            case .handshaking, .closed: break
            }
        }
    }

    // MARK: Connection

    /// Sends TRAILERS; while reading they go out when the read completes.
    private func sendTrailers(_ id: UInt32, _ status: RPCStatus) {
        guard context != nil else { return }
        if status == .ok {
            // The common case: a header and no payload.
            output.writeFrameHeader(length: 0, type: .trailers, callID: id)
        } else {
            write(Self.trailersFrame(id, status))
        }
        flush()
    }

    // MARK: Output

    /// Appends `frame` to the output buffer.
    private func write(_ frame: Frame) {
        frame.encode(into: &output)
    }

    /// Writes out what the output buffer holds, unless reading: then that
    /// happens once, when the read completes.
    private func flush() {
        guard !reading else { return }
        flushOutput()
    }

    /// Hands the output buffer to the channel with one write and one flush.
    private func flushOutput() {
        guard let context, output.readableBytes > 0 else { return }
        writeOutput { context.writeAndFlush(wrapOutboundOut($0), promise: nil) }
    }

    /// Takes the bytes out of the output buffer, then lets `write` hand them
    /// to the channel. Taken out first: the write can re-enter this handler
    /// (the channel fires a writability change from inside it when its
    /// buffer crosses the high-water mark, and that writes out pending
    /// stream messages, flushing first), and the bytes must be gone by then,
    /// or they would go out twice. The storage is kept for reuse when
    /// nothing was written meanwhile.
    @discardableResult
    private func writeOutput<Result>(_ write: (ByteBuffer) -> Result) -> Result {
        var written = ByteBuffer()
        swap(&written, &output)
        let result = write(written)
        if output.readableBytes == 0 {
            swap(&written, &output)
            recycleOutput()
        }
        return result
    }

    /// Empties the output buffer after a write: its storage is reused when
    /// the channel has let go of it (the usual case once the flush wrote
    /// it), else it is replaced.
    private func recycleOutput() {
        if output.capacity > Self.keptOutputCapacity {
            output = context?.channel.allocator.buffer(capacity: 1024) ?? ByteBuffer()
        } else {
            output.clear()
        }
    }

    /// Appends `frame` and writes out the output buffer now, even while
    /// reading; the future completes when it has been written.
    private func writeLast(_ frame: Frame, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        write(frame)
        return writeOutput { context.writeAndFlush(wrapOutboundOut($0)) }
    }

    /// The TRAILERS for `status`. An OK status is the empty payload. A status
    /// that cannot be encoded (a handler's message holding NUL) is sent with
    /// NUL replaced and without metadata, so that every call still ends.
    static func trailersFrame(_ id: UInt32, _ status: RPCStatus) -> Frame {
        if status == .ok {
            return Frame(type: .trailers, callID: id, payload: Frame.makePayloadBuffer(allocator: .init(), capacity: 0))
        }
        if let frame = try? Frame(type: .trailers, callID: id, message: status) {
            return frame
        }
        let message = String(
            String.UnicodeScalarView(status.message.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : $0 }))
        let sanitized = RPCStatus(code: status.code, message: message)
        // With NUL gone nothing can fail; the last resort is a bare INTERNAL (field 1 = 13).
        return (try? Frame(type: .trailers, callID: id, message: sanitized))
            ?? Frame(type: .trailers, callID: id, payload: ByteBuffer(bytes: [0x08, 0x0d]))
    }

    /// The connection has no call now: the idle timeout starts.
    ///
    /// One timer serves many idle periods: it is armed only when none is,
    /// and when it fires early (calls came and went) it re-arms for the end
    /// of the current idle period, so a busy connection schedules no timer
    /// per call.
    private func becameIdle() {
        idleSince = .now()
        if timer == nil { armIdleTimer(at: idleSince! + limits.idleTimeout) }
    }

    private func armIdleTimer(at deadline: NIODeadline) {
        guard let context else { return }
        let timeout = limits.idleTimeout
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timer = nil
            guard case .open = self.state, self.calls.isEmpty, let since = self.idleSince else { return }
            if since + timeout <= .now() {
                self.goAway(RPCError(.ok, "idle for \(Self.describe(timeout)) with no calls; closing"))
            } else {
                self.armIdleTimer(at: since + timeout)
            }
        }
    }

    private func drain() {
        switch state {
        case .handshaking:
            goAway(RPCError(.unavailable, "the server is shutting down"))
        case .open:
            state = .draining
            timer?.cancel()
            timer = nil
            write(Self.goAwayFrame(lastCallID, .ok, "the server is shutting down"))
            flush()
            closeIfDrained()
        case .draining, .closed:
            break
        }
    }

    private func closeIfDrained() {
        guard case .draining = state, calls.isEmpty, opening == nil, let context else { return }
        state = .closed
        flushOutput()
        context.flush()
        context.close(promise: nil)
    }

    /// Sends GOAWAY with `error`'s code and message and closes the connection;
    /// calls still open end without trailers.
    private func goAway(_ error: any Error) {
        guard let context else { return }
        if case .closed = state { return }
        state = .closed
        timer?.cancel()
        timer = nil
        let rpcError = error as? RPCError ?? RPCError(.internalError, "internal error")
        if rpcError.code != .ok {
            logger.debug(
                "protocol violation", metadata: ["code": "\(rpcError.code)", "message": "\(rpcError.message)"])
        }
        writeLast(Self.goAwayFrame(lastCallID, rpcError.code, rpcError.message), context: context)
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    static func goAwayFrame(_ lastCallID: UInt32, _ code: StatusCode, _ message: String) -> Frame {
        let goAway = RPCGoAway(lastCallID: lastCallID, code: code.rawValue, message: message)
        // A GoAway holds no user strings with NUL: encoding cannot fail.
        return (try? Frame(type: .goAway, callID: 0, message: goAway))
            ?? Frame(type: .goAway, callID: 0, payload: ByteBuffer())
    }

    /// The deadline of a call from its HEADERS' timeout, clamped to 100 years
    /// so that arithmetic on it cannot overflow; nil for none.
    static func timeout(micros: UInt64) -> Duration? {
        guard micros > 0 else { return nil }
        let maxMicros: UInt64 = 100 * 365 * 24 * 3600 * 1_000_000
        return .microseconds(Int64(min(micros, maxMicros)))
    }

    /// A duration as the protocol's messages show it: whole seconds as
    /// "<n> s", else whole milliseconds as "<n> ms", else microseconds as
    /// "<n> us" (rounded down).
    static func describe(_ amount: TimeAmount) -> String {
        let micros = amount.nanoseconds / 1_000
        if micros % 1_000_000 == 0 { return "\(micros / 1_000_000) s" }
        if micros % 1_000 == 0 { return "\(micros / 1_000) ms" }
        return "\(micros) us"
    }
}

/// One open call of a connection. Confined to the connection's event loop.
final class ServerCall {
    let id: UInt32
    let method: RPCMethod
    let context: ServerContext
    /// The response messages on their way from the handler to the loop; nil
    /// for a unary call.
    let outbox: ServerStreamOutbox?
    /// The deadline's length (from HEADERS), or nil for none.
    let timeout: TimeAmount?
    /// When the deadline expires, or nil for none.
    let deadline: NIODeadline?
    /// The request has arrived and the handler was started (or has run).
    var started = false
    /// The handler's task, for a method that is not nonblocking.
    var task: Task<Void, Never>?
    /// Armed when the handler starts in a task, or when the request is late.
    var deadlineTimer: Scheduled<Void>?
    /// Ends the call if its request MESSAGE does not follow its HEADERS in time.
    var requestTimer: Scheduled<Void>?
    /// Why the call ended, once it has.
    var endReason: RPCError?

    init(
        id: UInt32, method: RPCMethod, context: ServerContext, outbox: ServerStreamOutbox?, timeout: TimeAmount?,
        deadline: NIODeadline? = nil
    ) {
        self.id = id
        self.method = method
        self.context = context
        self.outbox = outbox
        self.timeout = timeout
        self.deadline = deadline ?? timeout.map { .now() + $0 }
    }
}

/// A call's response stream as its handler task sees it.
private struct ConnectionCallSink: ServerCallSink {
    let allocator: ByteBufferAllocator
    /// Nil for a unary call, which has no stream to send to.
    let outbox: ServerStreamOutbox?

    func sendStreamMessage(_ payload: ByteBuffer) async throws(RPCError) {
        guard let outbox else { throw RPCError(.internalError, "a unary call has no response stream") }
        try await outbox.write(payload)
    }
}
