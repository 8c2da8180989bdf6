import Glibc
import InterviewsModel

/// Starts `body` on a new, detached OS thread; `name` appears in errors.
///
/// The store blocks in `pwrite`/`fdatasync` on threads of its own, never on
/// the Swift concurrency pool: on a 2-core host the pool has 2 threads, and
/// one parked in `fdatasync` would halve the whole server.
///
/// - Throws: UNAVAILABLE when the thread cannot be created.
func startThread(name: String, _ body: @escaping @Sendable () -> Void) throws(InterviewsError) {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body: body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread, nil,
        { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            box.body()
            return nil
        }, context)
    guard result == 0 else {
        Unmanaged<Box>.fromOpaque(context).release()
        throw InterviewsError(.unavailable, "cannot start thread \(name): \(ErrnoText.describe(result))")
    }
    pthread_detach(thread)
}

/// Runs `body` on a new OS thread and returns its result to the awaiting task.
func runOnNewThread<T: Sendable>(
    name: String, _ body: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        do {
            try startThread(name: name) { continuation.resume(with: Result { try body() }) }
        } catch {
            continuation.resume(throwing: error)
        }
    }
}

/// A counting semaphore (`sem_t`) the writer thread sleeps on while there is
/// nothing to write.
///
/// Reference type: it owns the `sem_t`, which must not move once initialised.
/// `@unchecked Sendable` is sound because the only stored property is a
/// pointer set once in `init`, and `sem_post`/`sem_wait` are thread-safe by
/// POSIX; the memory is freed only in `deinit`, when no thread can use it.
final class WakeSignal: @unchecked Sendable {
    private let semaphore: UnsafeMutablePointer<sem_t>

    init() {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    /// Wakes one waiter, or lets the next ``wait()`` return at once.
    func signal() {
        sem_post(semaphore)
    }

    /// Sleeps until signalled.
    func wait() {
        while sem_wait(semaphore) != 0 && errno == EINTR {}
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }
}
