import NIOCore
import RPCCore
import Synchronization

/// The response messages of one server stream on their way from the
/// connection's event loop to the task reading them.
///
/// The reader takes buffered messages without a trip to the event loop; it
/// only goes there to return credit, half a window at a time.
final class ClientStreamInbox: Sendable {
    private struct State {
        var messages = CircularBuffer<ByteBuffer>()
        /// How the stream ended, once it has.
        var end: Result<Void, RPCError>?
        /// The reader, suspended until a message or the end arrives.
        var waiter: CheckedContinuation<ByteBuffer?, any Error>?
        /// Messages read since credit was last returned.
        var consumed = 0

        /// Counts one message read; returns the credit to return now (0: none yet).
        mutating func count(window: Int) -> Int {
            consumed += 1
            guard consumed >= max(1, window / 2) else { return 0 }
            defer { consumed = 0 }
            return consumed
        }
    }

    /// The stream's credit: its HEADERS' initial_window.
    let window: Int
    private let state = Mutex(State())

    init(window: Int) {
        self.window = window
    }

    // MARK: The event loop's side

    /// A MESSAGE arrived.
    func deliver(_ payload: ByteBuffer) {
        let waiter: CheckedContinuation<ByteBuffer?, any Error>? = state.withLock { state in
            guard state.end == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.messages.append(payload)
            return nil
        }
        waiter?.resume(returning: payload)
    }

    /// The stream ended. Messages already received are still read before a
    /// failure when `keepBuffered` (the server sent it), dropped otherwise.
    func finish(_ end: Result<Void, RPCError>, keepBuffered: Bool) {
        let waiter: CheckedContinuation<ByteBuffer?, any Error>? = state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = end
            if !keepBuffered { state.messages.removeAll() }
            defer { state.waiter = nil }
            return state.waiter
        }
        switch end {
        case .success: waiter?.resume(returning: nil)
        case .failure(let error): waiter?.resume(throwing: error)
        }
    }

    // MARK: The reader's side

    /// The next message (nil at the end) and the credit to return for it.
    ///
    /// - Throws: ``RPCError``: how the stream failed.
    func next() async throws(RPCError) -> (payload: ByteBuffer?, credit: Int) {
        enum Outcome {
            case message(ByteBuffer, credit: Int)
            case ended(Result<Void, RPCError>)
            case mustWait
        }
        let outcome: Outcome = state.withLock { state in
            if let message = state.messages.popFirst() {
                return .message(message, credit: state.count(window: window))
            }
            if let end = state.end { return .ended(end) }
            return .mustWait
        }
        switch outcome {
        case .message(let payload, let credit):
            return (payload, credit)
        case .ended(.success):
            return (nil, 0)
        case .ended(.failure(let error)):
            throw error
        case .mustWait:
            break
        }
        let payload: ByteBuffer?
        do {
            payload = try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                let early: Result<ByteBuffer?, RPCError>? = state.withLock { state in
                    if let message = state.messages.popFirst() { return .success(message) }
                    if let end = state.end { return end.map { _ in ByteBuffer?.none } }
                    if state.waiter != nil {
                        return .failure(RPCError(.internalError, "a stream was read by two tasks at once"))
                    }
                    state.waiter = continuation
                    return nil
                }
                if let early { continuation.resume(with: early) }
            }
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(.internalError, "internal error")
        }
        guard let payload else { return (nil, 0) }
        return (payload, state.withLock { $0.count(window: window) })
    }
}
