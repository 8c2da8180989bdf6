import Glibc
import InterviewsModel

/// Starts `body` on a new, detached OS thread; `name` appears in errors and,
/// cut to 15 bytes, as the thread's name (`top -H`, `/proc/PID/task/*/comm`).
///
/// The store blocks in `pwrite`/`fdatasync` on threads of its own (the
/// writer, snapshots), with one bounded exception: the group-commit leader
/// (``LogOptions/callerWritesWhenIdle``), at most one caller at a time and
/// only while the log is idle. On a 2-core host the Swift concurrency pool
/// has 2 threads, and more of them parked in `fdatasync` would stall the
/// whole server.
///
/// - Throws: UNAVAILABLE when the thread cannot be created.
func startThread(name: String, _ body: @escaping @Sendable () -> Void) throws(InterviewsError) {
    final class Box: Sendable {
        let name: [UInt8]
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = Array(name.utf8.prefix(15))
            self.body = body
        }
    }
    let context = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread, nil,
        { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            nameCurrentThread(box.name)
            box.body()
            return nil
        }, context)
    guard result == 0 else {
        Unmanaged<Box>.fromOpaque(context).release()
        throw InterviewsError(.unavailable, "cannot start thread \(name): \(ErrnoText.describe(result))")
    }
    pthread_detach(thread)
}

/// Names the calling thread (Linux's `comm`, at most 15 bytes), best effort:
/// Glibc's `pthread_setname_np` is not visible to Swift.
private func nameCurrentThread(_ name: [UInt8]) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = name.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
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

/// The writer thread's doorbell: a flag under a `pthread` mutex and a
/// condition variable on the monotonic clock, so that the writer can sleep
/// until rung, or until rung or a deadline passes.
///
/// Reference type: it owns the mutex and condition variable, which must not
/// move once initialised. `@unchecked Sendable` is sound because the pointers
/// are set once in `init`, `rung` is only read or written while `mutex` is
/// held, the pthread calls are thread-safe by POSIX, and the memory is freed
/// only in `deinit`, when no thread can use it any more.
final class WakeSignal: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    /// Set by ``signal()``, cleared by the wait that consumes it.
    private var rung = false

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    /// Rings: wakes the waiter, or lets the next wait return at once.
    func signal() {
        pthread_mutex_lock(mutex)
        rung = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Sleeps until rung.
    func wait() {
        pthread_mutex_lock(mutex)
        while !rung { pthread_cond_wait(condition, mutex) }
        rung = false
        pthread_mutex_unlock(mutex)
    }

    /// Sleeps until rung or until `nanoseconds` have passed.
    func wait(nanoseconds: Int) {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let total = Int(deadline.tv_nsec) + nanoseconds
        deadline.tv_sec += total / 1_000_000_000
        deadline.tv_nsec = total % 1_000_000_000
        pthread_mutex_lock(mutex)
        while !rung {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        rung = false
        pthread_mutex_unlock(mutex)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }
}

/// The monotonic clock, in nanoseconds.
func monotonicNanoseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int(now.tv_sec) * 1_000_000_000 + Int(now.tv_nsec)
}
