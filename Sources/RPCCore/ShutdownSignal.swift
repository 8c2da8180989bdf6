import Synchronization

/// Tells handlers that their server has begun a graceful shutdown.
///
/// A graceful shutdown lets calls in flight finish within a grace period.
/// A call that never finishes by itself (a watch that follows live changes)
/// would hold the server for the whole period and then be cut off; its
/// handler can instead wait on this signal and end at once with a status
/// that tells the client where to resume.
///
/// The server owns one, reachable from every call's ``ServerContext``; it is
/// triggered once and stays triggered.
public final class ShutdownSignal: Sendable {
    private struct State {
        var triggered = false
        var nextID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// A signal that has not been triggered.
    public init() {}

    /// Whether the shutdown has begun.
    public var isTriggered: Bool { state.withLock { $0.triggered } }

    /// How many ``wait()`` calls are suspended now (for tests).
    package var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Begins the shutdown: every ``wait()`` returns. Later calls do nothing.
    public func trigger() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            guard !state.triggered else { return [] }
            state.triggered = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the shutdown has begun, or when the task is cancelled
    /// (check `Task.isCancelled` to tell the two apart).
    public func wait() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Cancellation sets the flag before it runs the handler, so a
                // handler that ran before this point is seen here, and one that
                // runs later finds the waiter registered.
                let immediate = state.withLock { state in
                    if state.triggered || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if immediate { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
