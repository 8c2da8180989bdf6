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
///
/// Frames are parsed here in place from the bytes read; a call's HEADERS
/// and request MESSAGE go out as one buffer with one write, and its caller
/// is resumed from here when its TRAILERS arrive.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

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
    private var calls = ClientCallTable()
    /// Calls waiting for a slot under the server's max_concurrent_calls.
    private var queued = CircularBuffer<ClientCall>()
    private var serverMaxConcurrentCalls = RPCProtocol.defaultMaxConcurrentCalls
    private var serverMaxFrameSize = RPCProtocol.defaultMaxFrameSize
    private var pings: [UInt64: EventLoopPromise<Void>] = [:]
    private var nextPing: UInt64 = 1
    /// Splits the bytes read into frames.
    private var decoder: FrameDecoder
    /// The bytes of a frame not yet wholly read.
    private var inbound: ByteBuffer?
    /// The bytes read could not be parsed: everything after is ignored.
    private var inboundFailed = false
    /// Between a read's first channelRead and its channelReadComplete:
    /// frames written then (credit, pings) go out with one flush at its end.
    private var reading = false
    /// While a batch of calls is started: their frames go out with one flush at its end.
    private var batching = false
    private var flushPending = false

    init(path: String, settings: RPCSettings, handshake: EventLoopPromise<RPCSettings>) {
        self.path = path
        self.settings = settings
        self.handshake = handshake
        self.decoder = FrameDecoder(maxFrameSize: Int(settings.maxFrameSize), expectsPreface: false)
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
            write(try Frame(type: .settings, callID: 0, message: settings), flush: true)
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
        guard !inboundFailed else { return }
        reading = true
        var bytes = unwrapInboundIn(data)
        if var pending = inbound {
            inbound = nil
            pending.writeBuffer(&bytes)
            bytes = pending
        }
        do {
            while let frame = try decoder.next(from: &bytes) {
                try handle(frame)
            }
        } catch {
            // The frame decoder's errors and the frames' are both fatal.
            inboundFailed = true
            fail(RPCError(.internalError, "protocol error from the server at \(path): \(error.message)"))
            context.close(promise: nil)
            return
        }
        if bytes.readableBytes > 0 {
            bytes.discardReadBytes()
            inbound = bytes
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        reading = false
        if flushPending {
            flushPending = false
            context.flush()
        }
        context.fireChannelReadComplete()
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
            // An OK status is an empty payload: nothing to decode.
            let status = frame.payload.readableBytes == 0 ? .ok : try frame.decodePayload(as: RPCStatus.self)
            finish(call, status.code == 0 ? nil : RPCError(status: status), fromServer: true)
        case .ping:
            if frame.flags.contains(.ack) {
                let ping = try frame.decodePayload(as: RPCPing.self)
                pings.removeValue(forKey: ping.opaque)?.succeed()
            } else {
                write(Frame(type: .ping, flags: .ack, callID: 0, payload: frame.payload), flush: true)
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
        for call in calls.all where call.id > goAway.lastCallID {
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
        guard call.requestSize <= serverMaxFrameSize else {
            call.fail(
                RPCError(
                    .resourceExhausted,
                    "the request of \(call.requestSize) bytes exceeds the server's max_frame_size \(serverMaxFrameSize)"
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

    /// Sends the call's HEADERS and request MESSAGE as one buffer.
    private func send(_ call: ClientCall) {
        guard let context else { return }
        let id = nextCallID
        nextCallID += 2
        call.id = id
        calls[id] = call
        var wire: ByteBuffer
        if var ready = call.wire, call.deadline == nil {
            // Encoded by the caller with call id 0: set the id in both headers.
            call.wire = nil
            ready.setCallIDs(id, at: call.messageOffset)
            wire = ready
        } else {
            var headers = call.headers
            if let deadline = call.deadline {
                let remaining = max(deadline - .now(), .microseconds(1))
                headers.timeoutMicros = UInt64(remaining.nanoseconds / 1000)
            }
            wire = context.channel.allocator.buffer(capacity: 256 + call.requestSize)
            if !CallHeadersView.writeFrame(
                method: headers.method, metadata: headers.metadata, timeoutMicros: headers.timeoutMicros,
                initialWindow: headers.initialWindow, callID: id, into: &wire)
            {
                do {
                    try Frame(type: .headers, callID: id, message: headers).encode(into: &wire)
                } catch {
                    finish(call, error)
                    return
                }
            }
            var request = call.request
            call.wire = nil
            wire.writeFrameHeader(length: request.readableBytes, type: .message, flags: .endStream, callID: id)
            wire.writeBuffer(&request)
        }
        call.request = ByteBuffer()
        writeBytes(wire, flush: true)
    }

    /// Starts every call of a batch that has not already ended (a cancel may
    /// have raced the start), with one flush for all of them.
    func startBatch(_ batch: [ClientCall]) {
        batching = true
        for call in batch where !call.isFinished {
            start(call)
        }
        batching = false
        if flushPending, !reading {
            flushPending = false
            context?.flush()
        }
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
        // Queued calls take the freed slot only on a connection that still
        // serves: once it is lost or going away, they fail with the others
        // (sending them then would leave them waiting for an answer that
        // cannot come).
        switch state {
        case .handshaking, .ready: break
        case .goingAway, .closed: return
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
        for call in calls.all {
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
        writeBytes(frame.serialized(allocator: context.channel.allocator), flush: flush)
    }

    /// Writes `bytes`; a flush asked for while reading happens once, when the read completes.
    private func writeBytes(_ bytes: ByteBuffer, flush: Bool) {
        guard let context else { return }
        context.write(wrapOutboundOut(bytes), promise: nil)
        if flush {
            if reading || batching {
                flushPending = true
            } else {
                context.flush()
            }
        }
    }
}

/// The calls in flight of one connection by call id: a flat table indexed
/// by the id (client ids are odd and increase), with a dictionary only for
/// an id whose slot is still held by an older call (a long stream).
struct ClientCallTable {
    private var slots: [ClientCall?] = Array(repeating: nil, count: 256)
    private var overflow: [UInt32: ClientCall] = [:]
    /// How many calls the table holds.
    private(set) var count = 0

    private func slot(_ id: UInt32) -> Int { Int((id >> 1) & 255) }

    subscript(id: UInt32) -> ClientCall? {
        get {
            if let call = slots[slot(id)], call.id == id { return call }
            return overflow.isEmpty ? nil : overflow[id]
        }
        set {
            let index = slot(id)
            if let held = slots[index], held.id == id {
                slots[index] = newValue
                if newValue == nil { count -= 1 }
            } else if let newValue {
                if slots[index] == nil {
                    slots[index] = newValue
                    count += 1
                } else if overflow.updateValue(newValue, forKey: id) == nil {
                    count += 1
                }
            } else if overflow.removeValue(forKey: id) != nil {
                count -= 1
            }
        }
    }

    /// Every call, in no particular order.
    var all: [ClientCall] { slots.compactMap { $0 } + overflow.values }
}

/// One client call.
///
/// Its caller creates it, sets it up and then hands it to the connection's
/// event loop (`EventLoop.execute`, which orders everything the caller did
/// before it); from then on every mutable property is read and written on
/// that loop only. The caller keeps the reference only to pass it back to
/// the loop (to abandon the call, to return stream credit), never to touch
/// its state, so sharing the reference across threads is safe.
final class ClientCall: @unchecked Sendable {
    /// The caller waiting for a unary call's response, and the response once
    /// its MESSAGE arrived.
    struct Unary {
        var continuation: UnsafeContinuation<ByteBuffer, any Error>?
        var response: ByteBuffer?
        /// For a call of a batch: the batch and the call's place in it (the
        /// outcome goes there instead of to a continuation).
        var batch: (batch: ClientBatch, index: Int)?
    }

    /// 0 until the HEADERS are sent.
    var id: UInt32 = 0
    let headers: RPCCallHeaders
    /// The request message (with frame header room), when ``wire`` is nil.
    var request: ByteBuffer
    /// The HEADERS and MESSAGE frames, encoded by the caller with call id 0
    /// (nil when the loop encodes them: a call with a deadline, whose
    /// timeout is measured when it is sent).
    var wire: ByteBuffer?
    /// Where the MESSAGE frame starts in ``wire``.
    let messageOffset: Int
    /// The request's size in bytes.
    let requestSize: Int
    let deadline: NIODeadline?
    let timeout: Duration?
    var unary: Unary?
    /// Hands a stream's messages to the reading task.
    let inbox: ClientStreamInbox?
    var deadlineTimer: Scheduled<Void>?
    private(set) var isFinished = false

    init(
        headers: RPCCallHeaders, request: ByteBuffer, wire: ByteBuffer?, messageOffset: Int, requestSize: Int,
        timeout: Duration?, inbox: ClientStreamInbox?
    ) {
        self.headers = headers
        self.request = request
        self.wire = wire
        self.messageOffset = messageOffset
        self.requestSize = requestSize
        self.deadline = timeout.map { .now() + TimeAmount($0) }
        self.timeout = timeout
        self.inbox = inbox
        self.unary = inbox == nil ? Unary() : nil
    }

    /// How the deadline is named in DEADLINE_EXCEEDED.
    var timeoutDescription: String { timeout.map { "\($0)" } ?? "none" }

    /// A MESSAGE arrived.
    func receive(_ payload: ByteBuffer) {
        if let inbox {
            inbox.deliver(payload)
        } else {
            unary?.response = payload
        }
    }

    /// The unary caller is waiting: resumed at once if the call has already ended.
    func attach(_ continuation: UnsafeContinuation<ByteBuffer, any Error>) {
        if isFinished, let error = endError {
            continuation.resume(throwing: error)
        } else {
            unary?.continuation = continuation
        }
    }

    /// Why the call ended before its caller waited (a cancel that raced the start).
    private var endError: RPCError?

    func succeed() {
        guard !isFinished else { return }
        isFinished = true
        deadlineTimer?.cancel()
        if let inbox {
            inbox.finish(.success(()), keepBuffered: true)
        } else if let (batch, index) = unary?.batch {
            if let response = unary?.response {
                batch.complete(index, .success(response))
            } else {
                batch.complete(
                    index,
                    .failure(RPCError(.internalError, "the server ended the call with OK but sent no response")))
            }
            unary = nil
        } else if let continuation = unary?.continuation {
            unary?.continuation = nil
            if let response = unary?.response {
                unary?.response = nil
                continuation.resume(returning: response)
            } else {
                continuation.resume(
                    throwing: RPCError(.internalError, "the server ended the call with OK but sent no response"))
            }
        }
    }

    /// Ends the call with `error`. A stream's messages already received are
    /// still delivered before it when the server sent the error; they are
    /// dropped when the call failed here (deadline, cancel, connection lost).
    func fail(_ error: RPCError, fromServer: Bool = false) {
        guard !isFinished else { return }
        isFinished = true
        deadlineTimer?.cancel()
        if let inbox {
            inbox.finish(.failure(error), keepBuffered: fromServer)
        } else if let (batch, index) = unary?.batch {
            unary = nil
            batch.complete(index, .failure(error))
        } else if let continuation = unary?.continuation {
            unary = nil
            continuation.resume(throwing: error)
        } else {
            endError = error
        }
    }
}

/// The outcomes of a batch of unary calls, and the caller waiting for all of them.
///
/// Shared across threads as ``ClientCall`` is: the caller fills it in before
/// handing it to the event loop, which alone touches it afterwards, until it
/// resumes the caller; the caller reads ``results`` only after that resume.
final class ClientBatch: @unchecked Sendable {
    /// One slot per request; those the caller could not even send are filled in first.
    var results: [Result<ByteBuffer, RPCError>?]
    /// Calls still running.
    var remaining: Int
    private var continuation: UnsafeContinuation<Void, Never>?

    init(count: Int) {
        results = Array(repeating: nil, count: count)
        remaining = 0
    }

    /// The caller waits: resumed at once when every call has already ended.
    func attach(_ continuation: UnsafeContinuation<Void, Never>) {
        if remaining == 0 {
            continuation.resume()
        } else {
            self.continuation = continuation
        }
    }

    /// Call `index` ended.
    func complete(_ index: Int, _ result: Result<ByteBuffer, RPCError>) {
        results[index] = result
        remaining -= 1
        if remaining == 0, let continuation {
            self.continuation = nil
            continuation.resume()
        }
    }
}

extension ByteBuffer {
    /// Sets the call id of a HEADERS frame at the reader index and of the
    /// MESSAGE frame `messageOffset` bytes after it, in one access.
    fileprivate mutating func setCallIDs(_ id: UInt32, at messageOffset: Int) {
        guard messageOffset + Frame.headerSize <= readableBytes, messageOffset >= Frame.headerSize else { return }
        withUnsafeMutableReadableBytes { memory in
            func set(at start: Int) {
                memory[start] = UInt8(truncatingIfNeeded: id >> 24)
                memory[start + 1] = UInt8(truncatingIfNeeded: id >> 16)
                memory[start + 2] = UInt8(truncatingIfNeeded: id >> 8)
                memory[start + 3] = UInt8(truncatingIfNeeded: id)
            }
            set(at: 8)
            set(at: messageOffset + 8)
        }
    }
}
