import Synchronization

/// Wakes the watchers of a store when its sequence moves: the waiting half
/// of ``InterviewRepository/waitForChanges(after:)``, reusable by every backend.
///
/// Writers call ``publish(_:)`` after they commit, outside their own lock;
/// it only resumes continuations, so a writer never waits for a watcher.
/// A cancelled waiter is removed and resumed with `CancellationError`.
package final class ChangeNotifier: Sendable {
    private struct Waiter {
        var after: UInt64
        var continuation: CheckedContinuation<UInt64, any Error>
    }

    private struct State {
        var lastSequence: UInt64
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state: Mutex<State>

    /// A notifier whose sequence starts at `lastSequence`.
    package init(lastSequence: UInt64 = 0) {
        state = Mutex(State(lastSequence: lastSequence))
    }

    /// The newest published sequence.
    package var lastSequence: UInt64 { state.withLock { $0.lastSequence } }

    /// The number of suspended waiters (for tests and diagnostics).
    package var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Records that the store reached `sequence` and resumes every waiter
    /// waiting for less. Sequences may arrive out of order; the highest wins.
    package func publish(_ sequence: UInt64) {
        let ready: [Waiter] = state.withLock { state in
            guard sequence > state.lastSequence else { return [] }
            state.lastSequence = sequence
            let ready = state.waiters.filter { $0.value.after < sequence }
            for id in ready.keys { state.waiters[id] = nil }
            return Array(ready.values)
        }
        for waiter in ready { waiter.continuation.resume(returning: sequence) }
    }

    /// Returns the newest sequence once it is greater than `sequence`.
    ///
    /// - Throws: `CancellationError` when the task is cancelled first.
    package func wait(after sequence: UInt64) async throws -> UInt64 {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Cancellation sets the flag before it runs the handler, so a
                // handler that ran before this point is seen here, and one that
                // runs later finds the waiter registered.
                let immediate: Result<UInt64, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.lastSequence > sequence { return .success(state.lastSequence) }
                    state.waiters[id] = Waiter(after: sequence, continuation: continuation)
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
