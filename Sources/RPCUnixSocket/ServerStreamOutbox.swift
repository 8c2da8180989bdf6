import NIOCore
import RPCCore
import Synchronization

/// The response messages of one call on their way from the handler's task
/// to the connection's event loop.
///
/// The handler's `write` takes a message without waiting for the event loop
/// while the client has credit, the socket takes data and less than
/// ``maxPendingBytes`` wait to be written; the loop then writes everything
/// pending in one batch with one flush. Otherwise the writer suspends until
/// the loop admits its message (WINDOW_UPDATE, the socket drained) or the
/// call ends. So a streamed message costs no task and, while the client
/// keeps up, no suspension.
final class ServerStreamOutbox: Sendable {
    private struct State {
        /// Messages the client still accepts.
        var credit: Int
        /// Whether the connection's outbound buffer is below its high-water mark.
        var writable = true
        /// Set once the call has ended; writes then fail with it.
        var ended: RPCError?
        /// Accepted messages the loop has not written yet.
        var pending = CircularBuffer<ByteBuffer>()
        var pendingBytes = 0
        /// Whether a loop task to write `pending` is already scheduled.
        var writeScheduled = false
        /// Writers suspended until their message is admitted.
        var waiters = CircularBuffer<(ByteBuffer, CheckedContinuation<Void, any Error>)>()

        /// Moves `payload` to `pending` if it may go now. A message counts
        /// the memory it holds: its buffer's capacity, not only its bytes.
        mutating func admit(_ payload: ByteBuffer, maxPendingBytes: Int) -> Bool {
            guard credit > 0, writable,
                pendingBytes == 0 || pendingBytes + payload.capacity <= maxPendingBytes
            else { return false }
            credit -= 1
            pending.append(payload)
            pendingBytes += payload.capacity
            return true
        }

        /// Marks a loop write as scheduled; true when the caller must schedule it.
        mutating func markWriteScheduled() -> Bool {
            guard !writeScheduled else { return false }
            writeScheduled = true
            return true
        }

        /// Admits suspended writers in order while they may go.
        mutating func admitWaiters(maxPendingBytes: Int) -> [CheckedContinuation<Void, any Error>] {
            var admitted: [CheckedContinuation<Void, any Error>] = []
            while let (payload, waiter) = waiters.first, admit(payload, maxPendingBytes: maxPendingBytes) {
                waiters.removeFirst()
                admitted.append(waiter)
            }
            return admitted
        }
    }

    /// Credit is capped here so that WINDOW_UPDATEs cannot overflow it.
    static let maxCredit = Int(Int32.max)

    private let state: Mutex<State>
    /// How many accepted bytes may wait for the loop before writers suspend.
    let maxPendingBytes: Int
    /// The largest message the client accepts (its max_frame_size).
    let maxMessageSize: Int
    private let eventLoop: any EventLoop
    /// Runs on the loop: writes what is pending (``takePending()``).
    private let writeOut: @Sendable () -> Void

    init(
        credit: Int, writable: Bool, maxPendingBytes: Int, maxMessageSize: Int, eventLoop: any EventLoop,
        writeOut: @escaping @Sendable () -> Void
    ) {
        var initial = State(credit: min(credit, Self.maxCredit))
        initial.writable = writable
        self.state = Mutex(initial)
        self.maxPendingBytes = maxPendingBytes
        self.maxMessageSize = maxMessageSize
        self.eventLoop = eventLoop
        self.writeOut = writeOut
    }

    // MARK: The handler's side

    /// Queues one message; suspends while it may not go yet.
    ///
    /// - Throws: ``RPCError`` once the call has ended, or `RESOURCE_EXHAUSTED`
    ///   when the message is larger than the client accepts.
    func write(_ payload: ByteBuffer) async throws(RPCError) {
        guard payload.readableBytes <= maxMessageSize else {
            throw RPCError(
                .resourceExhausted,
                "a message of \(payload.readableBytes) bytes exceeds the client's max_frame_size \(maxMessageSize)")
        }
        enum Outcome {
            case queued(scheduleWrite: Bool)
            case ended(RPCError)
            case mustWait
        }
        let outcome: Outcome = state.withLock { state in
            if let ended = state.ended { return .ended(ended) }
            guard state.waiters.isEmpty, state.admit(payload, maxPendingBytes: maxPendingBytes) else {
                return .mustWait
            }
            return .queued(scheduleWrite: state.markWriteScheduled())
        }
        switch outcome {
        case .queued(let scheduleWrite):
            if scheduleWrite { scheduleWriteOut() }
        case .ended(let error):
            throw error
        case .mustWait:
            do {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let early: Result<Bool, RPCError>? = state.withLock { state in
                        if let ended = state.ended { return .failure(ended) }
                        if state.waiters.isEmpty, state.admit(payload, maxPendingBytes: maxPendingBytes) {
                            return .success(state.markWriteScheduled())
                        }
                        state.waiters.append((payload, continuation))
                        return nil
                    }
                    switch early {
                    case .success(let scheduleWrite):
                        if scheduleWrite { scheduleWriteOut() }
                        continuation.resume()
                    case .failure(let error):
                        continuation.resume(throwing: error)
                    case nil:
                        break
                    }
                }
            } catch let error as RPCError {
                throw error
            } catch {
                throw RPCError(.internalError, "internal error")
            }
        }
    }

    /// Has the loop write what is pending, a moment from now rather than
    /// as an immediate task: an event loop runs immediate tasks until none
    /// is left before it looks at its sockets again, and many streams whose
    /// handlers keep producing would keep it from every other connection.
    /// A task due later lets the loop serve its sockets first.
    private func scheduleWriteOut() {
        eventLoop.scheduleTask(in: Self.writeDelay, writeOut)
    }

    /// How long a batch waits for the loop (at most 128 KiB wait per stream,
    /// so a stream still moves over 100 MB/s).
    static let writeDelay = TimeAmount.microseconds(200)

    // MARK: The event loop's side

    /// Takes the messages to write now.
    ///
    /// Taking them frees the pending bound, so writers waiting only for that
    /// are admitted here, and another write is scheduled for their messages.
    /// Nothing else would wake them when the socket never crosses its
    /// high-water mark and no credit comes back.
    func takePending() -> CircularBuffer<ByteBuffer> {
        let (batch, admitted, scheduleWrite) = state.withLock { state in
            let batch = state.pending
            state.pending = CircularBuffer(initialCapacity: batch.count)
            state.pendingBytes = 0
            state.writeScheduled = false
            let admitted = state.admitWaiters(maxPendingBytes: maxPendingBytes)
            let scheduleWrite = !state.pending.isEmpty && state.markWriteScheduled()
            return (batch, admitted, scheduleWrite)
        }
        for waiter in admitted {
            waiter.resume()
        }
        if scheduleWrite { scheduleWriteOut() }
        return batch
    }

    /// The client granted `credit` more messages. Returns whether messages
    /// are now pending (write them with ``takePending()``).
    func grant(_ credit: Int) -> Bool {
        update { $0.credit = min($0.credit + credit, Self.maxCredit) }
    }

    /// The connection's outbound buffer crossed a water mark. Returns
    /// whether messages are now pending.
    func setWritable(_ writable: Bool) -> Bool {
        update { $0.writable = writable }
    }

    /// Ends the stream: writers waiting or still to come fail with `reason`;
    /// messages not yet written are dropped.
    func end(_ reason: RPCError) {
        let waiters: CircularBuffer<(ByteBuffer, CheckedContinuation<Void, any Error>)> = state.withLock { state in
            guard state.ended == nil else { return [] }
            state.ended = reason
            state.pending.removeAll()
            state.pendingBytes = 0
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for (_, waiter) in waiters {
            waiter.resume(throwing: reason)
        }
    }

    private func update(_ change: (inout State) -> Void) -> Bool {
        let (admitted, pending): ([CheckedContinuation<Void, any Error>], Bool) = state.withLock { state in
            guard state.ended == nil else { return ([], false) }
            change(&state)
            let admitted = state.admitWaiters(maxPendingBytes: maxPendingBytes)
            return (admitted, !state.pending.isEmpty)
        }
        for waiter in admitted {
            waiter.resume()
        }
        return pending
    }
}
