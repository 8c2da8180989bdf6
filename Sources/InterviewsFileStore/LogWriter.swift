import InterviewsModel

/// The group-commit writer: one thread that takes every record submitted
/// since its last write, writes them with one `pwrite`, makes them durable
/// with one `fdatasync`, and only then resumes their waiters. While it syncs,
/// new records queue up and ride the next write together.
extension LogCore {
    /// The state of the active segment and of batching: only its holder
    /// touches it (the writer thread, or a leader; see ``State/context``).
    struct WriterContext: Sendable {
        /// The active segment, or nil until the writer creates one.
        var fd: FileDescriptor?
        var base: UInt64 = 0
        /// Where the next write goes: the end of the last synced record.
        var size: Int64 = 0
        /// The parity bit of the next write batch.
        var parity = false
        /// Reused across batches to avoid reallocating.
        var buffer: [UInt8] = []
        /// Records in the previous write batch.
        var lastBatchCount = 0
        /// How long the previous write and sync took.
        var lastSyncNanoseconds = 0

        init(active: ActiveSegment?) {
            if let active {
                fd = active.fd
                base = active.base
                size = active.size
                parity = active.nextParity
            }
        }
    }

    /// What the writer does next, decided under the state lock.
    enum WriterStep {
        /// Write the batch; the context was taken from the state for it.
        case write([LogRecord], WriterContext)
        /// Start a segment; the context was taken from the state for it.
        case rotate(base: UInt64, WriterContext)
        case sleep
        /// Wait briefly for more records before writing (see ``LogCore/gatherBudget(_:)``).
        case gather(nanoseconds: Int)
        case exit
    }

    /// The longest the writer waits for a batch to fill: a quarter of the
    /// previous sync, between 20 µs and 1 ms.
    ///
    /// After a sync resumes N waiters, most of them append again at once, but
    /// they need a moment to be scheduled; writing the few already queued
    /// would make the others wait a whole extra sync. A lone appender never
    /// waits: its batch of 1 is always full.
    static func gatherBudget(_ context: WriterContext) -> Int {
        min(max(context.lastSyncNanoseconds / 4, 20_000), 1_000_000)
    }

    /// Starts the writer thread.
    func startWriter(active: ActiveSegment?) throws(InterviewsError) {
        state.withLock { $0.context = WriterContext(active: active) }
        try startThread(name: "filestore-wal") { [self] in runWriter() }
    }

    /// The writer loop; returns when the log fails or closes.
    private func runWriter() {
        var mayGather = true
        loop: while true {
            let step = nextStep(mayGather: mayGather)
            mayGather = true
            switch step {
            case .exit:
                break loop
            case .sleep:
                wake.wait()
            case .gather(let nanoseconds):
                wake.wait(nanoseconds: nanoseconds)
                mayGather = false
            case .rotate(let base, var context):
                do {
                    try startSegment(base: base, context: &context)
                    giveBack(context)
                } catch {
                    // Fail-stop before the context goes back: no write may follow a failed one.
                    fail(error)
                    giveBack(context)
                    break loop
                }
            case .write(let batch, var context):
                do {
                    try write(batch, context: &context)
                    giveBack(context)
                } catch {
                    fail(error)
                    giveBack(context)
                    break loop
                }
            }
        }
        let (waiters, closers, error, context) = state.withLock { state in
            state.writerRunning = false
            let error: InterviewsError =
                if case .failed(let cause) = state.lifecycle { StoreErrors.stopped(cause: cause) } else {
                    StoreErrors.closed
                }
            defer {
                state.waiters.removeAll()
                state.context = nil
            }
            return (state.waiters, state.takeCloseWaitersIfIdle(), error, state.context)
        }
        if let fd = context?.fd { io.close(fd) }
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
        for closer in closers { closer.resume() }
    }

    /// Puts the writer's context back into the state.
    private func giveBack(_ context: WriterContext) {
        state.withLock { $0.context = context }
    }

    /// Decides the next step and, for a write, takes the batch off the queue
    /// and the context out of the state.
    private func nextStep(mayGather: Bool) -> WriterStep {
        state.withLock { state -> WriterStep in
            // A leader is writing: wait for it to give the context back (it
            // wakes the writer when records are left, or the log stops).
            guard let context = state.context else {
                state.writerSleeping = true
                return .sleep
            }
            switch state.lifecycle {
            case .failed, .closed: return .exit
            case .running, .closing: break
            }
            if context.fd != nil {
                state.rotations.removeAll { $0 <= context.base }
            }
            let nextToWrite = state.durableSequence + 1
            if context.fd == nil && (!state.pending.isEmpty || !state.rotations.isEmpty) {
                state.context = nil
                return .rotate(base: nextToWrite, context)
            }
            if let boundary = state.rotations.first, nextToWrite >= boundary {
                state.context = nil
                return .rotate(base: nextToWrite, context)
            }
            guard !state.pending.isEmpty else {
                if case .closing = state.lifecycle { return .exit }
                state.writerSleeping = true
                return .sleep
            }
            if context.size >= Int64(options.segmentSize) && context.base < nextToWrite {
                state.context = nil
                return .rotate(base: nextToWrite, context)
            }
            if mayGather, case .running = state.lifecycle, state.pending.count < context.lastBatchCount {
                state.gatherTarget = context.lastBatchCount
                return .gather(nanoseconds: Self.gatherBudget(context))
            }
            state.gatherTarget = nil
            state.context = nil
            return .write(state.takeBatch(maxBytes: options.maxBatchBytes), context)
        }
    }

    /// Writes `batch` with one `pwrite`, syncs it with one `fdatasync`, then
    /// marks it durable and resumes the waiters it covers.
    func write(_ batch: [LogRecord], context: inout WriterContext) throws(InterviewsError) {
        guard let fd = context.fd, let last = batch.last else { return }
        let path = directory + "/" + LogFormat.segmentName(base: context.base)
        context.buffer.removeAll(keepingCapacity: true)
        let parity = context.parity ? LogFormat.parityBit : 0
        for (index, record) in batch.enumerated() {
            let commit = index == batch.count - 1 ? LogFormat.commitBit : 0
            LogFormat.appendFrame(
                to: &context.buffer, type: record.kind | parity | commit, sequence: record.sequence, data: record.data)
        }
        let started = monotonicNanoseconds()
        try writeFully(context.buffer, to: fd, at: context.size, path: path, io: io)
        try performing("fdatasync of", path) { () throws(FileIOError) in try io.syncData(fd) }
        context.lastSyncNanoseconds = monotonicNanoseconds() - started
        context.lastBatchCount = batch.count
        context.size += Int64(context.buffer.count)
        context.parity.toggle()
        let size = context.size
        let ready = state.withLock { state -> [Waiter] in
            state.durableSequence = last.sequence
            if !state.segments.isEmpty { state.segments[state.segments.count - 1].bytes = size }
            return state.takeSatisfiedWaiters()
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Creates segment `log-<base>.seg` durably (header written and synced, the
    /// directory synced) and makes it the active one.
    private func startSegment(base: UInt64, context: inout WriterContext) throws(InterviewsError) {
        let path = directory + "/" + LogFormat.segmentName(base: base)
        let fd = try performing("creating", path) { () throws(FileIOError) in try io.open(path, .createExclusive) }
        do {
            try writeFully(
                LogFormat.header(magic: LogFormat.segmentMagic, sequence: base), to: fd, at: 0, path: path, io: io)
            try performing("fdatasync of", path) { () throws(FileIOError) in try io.syncData(fd) }
            try performing("fsync of directory", directory) { () throws(FileIOError) in try io.syncDirectory(directory)
            }
        } catch {
            io.close(fd)
            throw error
        }
        if let old = context.fd { io.close(old) }
        context.fd = fd
        context.base = base
        context.size = Int64(LogFormat.headerSize)
        context.parity = false
        let ready = state.withLock { state -> [Waiter] in
            state.segments.append(SegmentInfo(base: base, bytes: Int64(LogFormat.headerSize)))
            state.activeBase = base
            state.rotations.removeAll { $0 <= base }
            return state.takeSatisfiedWaiters()
        }
        for waiter in ready { waiter.continuation.resume() }
    }
}
