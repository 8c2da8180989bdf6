import Dispatch
import Synchronization

#if canImport(Glibc)
    internal import Glibc
#endif

/// Gives the memory that closed connections freed back to the system.
///
/// glibc's allocator keeps freed memory in its arenas, so a burst of
/// connections (each with a read buffer, a partial frame, queued stream
/// messages) leaves the server's RSS at its peak long after they close.
/// Once the open connections have fallen to half their peak or less, by at
/// least ``burst``, `malloc_trim(0)` returns the free pages ``delay``
/// later; it runs on a background queue (never on an event loop) and at
/// most once per ``minimumInterval``. A trim holds the allocator's locks
/// while it walks the free memory, so it is kept for such bursts: a steady
/// coming and going of short connections never triggers one. Where the C
/// library has no `malloc_trim` (looked up at run time, so this builds
/// anywhere) nothing happens.
final class MemoryReleaser: Sendable {
    private struct State {
        var open = 0
        /// The most connections open since the last trim.
        var peak = 0
        var scheduled = false
        var lastTrim: ContinuousClock.Instant?
    }

    /// How far the open connections must fall from their peak to make a
    /// burst worth a trim.
    let burst: Int
    /// How long after the burst the trim runs (the closes of a burst come
    /// together: one trim then serves them all).
    let delay: Duration
    /// The shortest time between two trims.
    let minimumInterval: Duration
    private let state = Mutex(State())

    init(burst: Int = 16, delay: Duration = .seconds(1), minimumInterval: Duration = .seconds(5)) {
        self.burst = burst
        self.delay = delay
        self.minimumInterval = minimumInterval
    }

    /// A connection has opened.
    func connectionOpened() {
        state.withLock { state in
            state.open += 1
            state.peak = max(state.peak, state.open)
        }
    }

    /// A connection has closed.
    func connectionClosed() {
        guard Self.trim != nil else { return }
        let wait: Duration? = state.withLock { state in
            state.open -= 1
            guard state.peak - state.open >= burst, state.open <= state.peak / 2, !state.scheduled else {
                return nil
            }
            state.scheduled = true
            let now = ContinuousClock.now
            guard let last = state.lastTrim, last + minimumInterval > now + delay else { return delay }
            return last + minimumInterval - now
        }
        guard let wait else { return }
        let milliseconds = Int(wait / .milliseconds(1))
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
            self.release()
        }
    }

    private func release() {
        _ = Self.trim?(0)
        state.withLock { state in
            state.peak = state.open
            state.scheduled = false
            state.lastTrim = .now
        }
    }

    private typealias Trim = @convention(c) (Int) -> Int32

    /// glibc's `malloc_trim`, or nil.
    private static let trim: Trim? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: Trim.self)
        #else
            return nil
        #endif
    }()
}
