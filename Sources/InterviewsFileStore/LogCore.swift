import InterviewsModel
import Synchronization

/// The shared heart of a ``DurableLog``: the lifecycle and the queue of
/// submitted records in one `Mutex`, the group-commit writer thread, and
/// compaction. The writer thread holds a strong reference to it, so it lives
/// until the writer has stopped.
///
/// Reference type: it owns the writer thread, the directory lock and the
/// active segment's descriptor (through the writer).
final class LogCore: Sendable {
    let io: any FileIO
    let directory: String
    let options: LogOptions
    let lock: DirectoryLock
    let wake = WakeSignal()
    let state: Mutex<State>

    /// Where the log is in its life; only `running` accepts records.
    enum Lifecycle: Sendable {
        case running
        /// Fail-stop: a write, sync or compaction failed with this error.
        case failed(InterviewsError)
        /// ``DurableLog/close()`` was called; the writer drains and stops.
        case closing
        case closed
    }

    /// A task waiting until its records are durable (and, for compaction,
    /// until a segment starting at `segmentBase` exists).
    struct Waiter: Sendable {
        var sequence: UInt64
        var segmentBase: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State: Sendable {
        var lifecycle: Lifecycle = .running
        /// The sequence the next submitted record gets.
        var nextSequence: UInt64
        /// Every record up to this one is written and synced.
        var durableSequence: UInt64
        /// Records submitted and not yet taken by the writer, in sequence order.
        var pending: [LogRecord] = []
        var pendingBytes = 0
        /// Requested segment boundaries: bases of segments still to start, ascending.
        var rotations: [UInt64] = []
        var waiters: [Waiter] = []
        /// The writer is asleep: nothing was queued, or it found ``context``
        /// taken by a leader and waits for it to come back.
        var writerSleeping = false
        /// The active segment and batch state, while nobody writes. The
        /// writer thread or a leader (see ``LogOptions/callerWritesWhenIdle``)
        /// takes it for a write and puts it back after; only its holder
        /// writes to the log. Nil before the writer starts and while taken.
        var context: WriterContext?
        /// While set, the writer is briefly waiting for this many queued
        /// records (its previous batch's size) before writing; the submit
        /// that reaches it wakes the writer.
        var gatherTarget: Int?
        var writerRunning = true
        /// Every segment file of the log, oldest first; the last is the active one.
        var segments: [SegmentInfo]
        /// The base of the segment the writer appends to; nil before it creates one.
        var activeBase: UInt64?
        var snapshot: SnapshotFile.Summary?
        var compacting = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []

        /// True when `waiter` may be resumed successfully.
        func isSatisfied(sequence: UInt64, segmentBase: UInt64) -> Bool {
            sequence <= durableSequence && (activeBase ?? 0) >= segmentBase
        }

        /// Removes and returns the waiters that are now satisfied.
        mutating func takeSatisfiedWaiters() -> [Waiter] {
            guard !waiters.isEmpty else { return [] }
            var ready: [Waiter] = []
            var waiting: [Waiter] = []
            for waiter in waiters {
                if isSatisfied(sequence: waiter.sequence, segmentBase: waiter.segmentBase) {
                    ready.append(waiter)
                } else {
                    waiting.append(waiter)
                }
            }
            waiters = waiting
            return ready
        }

        /// The close waiters to resume, if nothing runs any more.
        mutating func takeCloseWaitersIfIdle() -> [CheckedContinuation<Void, Never>] {
            guard !writerRunning, !compacting else { return [] }
            defer { closeWaiters.removeAll() }
            return closeWaiters
        }

        /// True when a submitter may write its own records: the log runs, its
        /// writer sleeps, and the next write needs no new segment.
        func mayLead(_ options: LogOptions) -> Bool {
            guard options.callerWritesWhenIdle, writerSleeping, rotations.isEmpty, case .running = lifecycle,
                let context, context.fd != nil
            else { return false }
            return context.size < Int64(options.segmentSize)
        }

        /// Takes the context and the next batch for a leader whose records
        /// up to `sequence` are queued, or returns nil when it must wait.
        mutating func takeLead(through sequence: UInt64, _ options: LogOptions) -> (WriterContext, [LogRecord])? {
            guard mayLead(options), let first = pending.first, first.sequence <= sequence, let context,
                LogCore.leaderToken.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
            else {
                return nil
            }
            let batch = takeBatch(maxBytes: options.maxBatchBytes)
            self.context = nil
            return (context, batch)
        }

        /// Removes and returns the queued records of the next write: up to
        /// the next segment boundary and `maxBytes` (at least one record).
        mutating func takeBatch(maxBytes: Int) -> [LogRecord] {
            let limit = rotations.first ?? UInt64.max
            var count = 0
            var bytes = 0
            for record in pending {
                let size = record.storedSize
                if record.sequence >= limit || (count > 0 && bytes + size > maxBytes) { break }
                count += 1
                bytes += size
            }
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            pendingBytes -= bytes
            return batch
        }

        /// The error a new call gets in the current lifecycle, or nil while running.
        var refusal: InterviewsError? {
            switch lifecycle {
            case .running: nil
            case .failed(let cause): StoreErrors.stopped(cause: cause)
            case .closing, .closed: StoreErrors.closed
            }
        }
    }

    /// Held by the one leader of the process: whatever the number of open
    /// logs, at most one caller's thread is parked in a leader's write.
    static let leaderToken = Atomic<Bool>(false)

    init(io: any FileIO, directory: String, options: LogOptions, lock: DirectoryLock, recovered: RecoveredLog) {
        self.io = io
        self.directory = directory
        self.options = options
        self.lock = lock
        state = Mutex(
            State(
                nextSequence: recovered.nextSequence, durableSequence: recovered.nextSequence - 1,
                segments: recovered.segments, activeBase: recovered.active?.base, snapshot: recovered.snapshot))
    }

    // MARK: Appending

    /// Assigns sequences to `entries` and queues them for the writer.
    ///
    /// `leading`: the caller waits for these records right after, and may
    /// then write them itself (``waitUntilDurable(_:segmentBase:mayLead:)``);
    /// a sleeping writer is then left asleep.
    func submit(_ entries: [LogEntry], leading: Bool = false) throws(InterviewsError) -> ClosedRange<UInt64> {
        guard !entries.isEmpty else {
            throw InterviewsError.invalidArgument("entries", "is empty; append at least one")
        }
        var bytes = 0
        for (index, entry) in entries.enumerated() {
            try Self.validate(kind: entry.kind, dataCount: entry.data.count, field: "entries[\(index)]")
            bytes += LogRecord.storedSize(dataCount: entry.data.count)
        }
        let (range, wakeWriter) = try state.withLock { state throws(InterviewsError) in
            if let refusal = state.refusal { throw refusal }
            if !state.pending.isEmpty && state.pendingBytes + bytes > options.maxPendingBytes {
                throw InterviewsError(
                    .resourceExhausted,
                    "the log's write queue holds \(state.pendingBytes) bytes; adding \(bytes) would pass maxPendingBytes \(options.maxPendingBytes)"
                )
            }
            let first = state.nextSequence
            for entry in entries {
                state.pending.append(LogRecord(sequence: state.nextSequence, kind: entry.kind, data: entry.data))
                state.nextSequence += 1
            }
            state.pendingBytes += bytes
            var wakeWriter = false
            if state.writerSleeping && !(leading && state.mayLead(options)) {
                state.writerSleeping = false
                wakeWriter = true
            }
            if let target = state.gatherTarget, state.pending.count >= target {
                state.gatherTarget = nil
                wakeWriter = true
            }
            return (first...(state.nextSequence - 1), wakeWriter)
        }
        if wakeWriter { wake.signal() }
        return range
    }

    /// Checks an entry's kind and size.
    static func validate(kind: UInt8, dataCount: Int, field: String) throws(InterviewsError) {
        guard kind <= LogEntry.maxKind else {
            throw InterviewsError.invalidArgument("\(field).kind", "is \(kind); must be 0...\(LogEntry.maxKind)")
        }
        guard dataCount <= LogEntry.maxDataSize else {
            throw InterviewsError.invalidArgument(
                "\(field).data", "is \(dataCount) bytes; the limit is \(LogEntry.maxDataSize)")
        }
    }

    /// Returns once every record up to `sequence` is durable and a segment
    /// starting at `segmentBase` or later is active (0: no such condition).
    ///
    /// With `mayLead`, when the writer sleeps and the caller's records are
    /// next in the queue, the caller writes and syncs them itself (see
    /// ``LogOptions/callerWritesWhenIdle``), blocking its thread for the
    /// write; otherwise it suspends until the writer's sync covers them.
    ///
    /// - Throws: UNAVAILABLE once the log has failed, FAILED_PRECONDITION once
    ///   it closed, before the condition holds.
    func waitUntilDurable(_ sequence: UInt64, segmentBase: UInt64 = 0, mayLead: Bool = false) async throws {
        if mayLead && segmentBase == 0 {
            enum Next {
                case done
                case lead(WriterContext, [LogRecord])
                case wait
            }
            leading: while true {
                let next = state.withLock { state -> Next in
                    if state.isSatisfied(sequence: sequence, segmentBase: 0) { return .done }
                    guard let (context, batch) = state.takeLead(through: sequence, options) else { return .wait }
                    return .lead(context, batch)
                }
                switch next {
                case .done: return
                case .lead(let context, let batch): try lead(batch, context: context)
                case .wait: break leading
                }
            }
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let (outcome, wakeWriter) = state.withLock { state -> (Result<Bool, InterviewsError>, Bool) in
                if state.isSatisfied(sequence: sequence, segmentBase: segmentBase) { return (.success(true), false) }
                if case .failed(let cause) = state.lifecycle {
                    return (.failure(StoreErrors.stopped(cause: cause)), false)
                }
                if !state.writerRunning { return (.failure(StoreErrors.closed), false) }
                state.waiters.append(Waiter(sequence: sequence, segmentBase: segmentBase, continuation: continuation))
                // Records a leading submit queued must not wait for a writer that sleeps.
                guard state.writerSleeping, !state.pending.isEmpty, state.context != nil else {
                    return (.success(false), false)
                }
                state.writerSleeping = false
                return (.success(false), true)
            }
            if wakeWriter { wake.signal() }
            switch outcome {
            case .success(true): continuation.resume()
            case .success(false): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }

    /// A leader's write: `batch` written and synced on the caller's thread
    /// with the writer's `context`, which then goes back to the state. A
    /// failure fail-stops the log before the context goes back, so that no
    /// write follows a failed sync.
    private func lead(_ batch: [LogRecord], context: WriterContext) throws(InterviewsError) {
        var context = context
        var failure: InterviewsError?
        do {
            try write(batch, context: &context)
        } catch {
            fail(error)
            failure = error
        }
        let wakeWriter = state.withLock { state -> Bool in
            state.context = context
            Self.leaderToken.store(false, ordering: .releasing)
            let running = if case .running = state.lifecycle { true } else { false }
            guard state.writerSleeping, !state.pending.isEmpty || !state.rotations.isEmpty || !running else {
                return false
            }
            state.writerSleeping = false
            return true
        }
        if wakeWriter { wake.signal() }
        if let failure { throw StoreErrors.stopped(cause: failure) }
    }

    /// Fail-stop: refuses every later call and fails every waiter with `cause`.
    func fail(_ cause: InterviewsError) {
        let waiters = state.withLock { state -> [Waiter] in
            if case .running = state.lifecycle { state.lifecycle = .failed(cause) }
            if case .closing = state.lifecycle { state.lifecycle = .failed(cause) }
            state.pending.removeAll()
            state.pendingBytes = 0
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        let error = StoreErrors.stopped(cause: cause)
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
        wake.signal()
    }

    // MARK: Closing

    /// Stops accepting records, lets the writer drain and stop, waits for a
    /// running compaction, then releases the directory lock.
    func close() async {
        state.withLock { state in
            if case .running = state.lifecycle { state.lifecycle = .closing }
        }
        wake.signal()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if !state.writerRunning && !state.compacting { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        state.withLock { $0.lifecycle = .closed }
        lock.release()
    }

    /// Asks the writer to stop after draining, without waiting (for `deinit`).
    func requestClose() {
        state.withLock { state in
            if case .running = state.lifecycle { state.lifecycle = .closing }
        }
        wake.signal()
    }
}
