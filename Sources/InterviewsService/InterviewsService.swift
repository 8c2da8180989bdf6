import InterviewsModel
public import InterviewsRepository
import InterviewsWire
public import RPCCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The RPC methods of `interviews.v1.Interviews` and `interviews.v1.Admin`,
/// wired to a repository: authentication, tenancy, then one repository call.
///
/// Access rules:
/// - `Health` needs no key and reveals nothing about any tenant;
/// - every other `Interviews` method needs `authorization: Bearer <key>`;
///   the tenant comes from the key and the request's `company_id` (see
///   ``TenantResolver``); `company_id` inside an Interview body is ignored;
/// - `Admin` methods are for the server's administrator: a peer process
///   running as the same uid as the server (or as root), told by the
///   socket's SO_PEERCRED. No key is needed for them, and a key does not
///   grant them.
public struct InterviewsService: Sendable {
    /// How many records a StreamInterviews call reads from the repository at a time.
    public static let streamBatchSize = 256
    /// How many changes a WatchInterviews call reads from the feed at a time.
    public static let watchBatchSize = 256
    /// The most interviews one UpsertInterviews call may carry.
    public static let maxUpsertBatch = 1_000

    private let repository: any InterviewRepository
    private let keys: KeyStore
    private let resolver: TenantResolver
    private let backend: String
    private let version: String
    private let startedAt: Timestamp
    private let startedInstant: ContinuousClock.Instant
    private let administratorUID: UInt32
    private let openStreams = OpenStreams()
    private let backupSource: (any BackupSource)?
    private let backupGate = BackupGate()

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - repository: Where records live.
    ///   - keys: The API keys.
    ///   - backend: The backend's name for ServerInfo ("file" or "memory").
    ///   - version: The server's version for ServerInfo.
    ///   - backup: What Admin.Backup copies; the repository itself when it is
    ///     a ``BackupSource`` (the file backend), else nil (Backup then fails
    ///     with FAILED_PRECONDITION).
    public init(
        repository: any InterviewRepository, keys: KeyStore, backend: String, version: String,
        backup: (any BackupSource)? = nil
    ) {
        self.repository = repository
        self.backupSource = backup ?? repository as? any BackupSource
        self.keys = keys
        self.resolver = TenantResolver(keys: keys)
        self.backend = backend
        self.version = version
        self.startedAt = .now()
        self.startedInstant = .now
        self.administratorUID = UInt32(geteuid())
    }

    /// The router serving every method, with authentication in its hook.
    public var router: RPCRouter {
        RPCRouter(
            methods,
            authorize: { [resolver, administratorUID] context in
                switch context.method {
                case MethodNames.health:
                    return
                case MethodNames.createKey, MethodNames.listKeys, MethodNames.revokeKey, MethodNames.backup:
                    guard let peer = context.peer, peer.uid == administratorUID || peer.uid == 0 else {
                        throw InterviewsError(
                            .permissionDenied,
                            "administration is limited to processes running as uid \(administratorUID) (the server's user)"
                        )
                    }
                    context.isAuthenticated = true
                default:
                    let key = try resolver.authenticate(authorization: context.metadataValue(for: "authorization"))
                    context.values[CallerKey.self] = key
                    context.isAuthenticated = true
                }
            })
    }

    private enum CallerKey: ServerContextKey { typealias Value = APIKey }

    private func tenant(_ context: ServerContext, _ companyID: String) throws -> Tenant {
        guard let key = context.values[CallerKey.self] else {
            throw InterviewsError(.unauthenticated, "missing API key: send metadata \"authorization: Bearer <key>\"")
        }
        return try resolver.tenant(for: key, companyID: companyID)
    }

    /// GetInterview and ListInterviews: on the event loop when the backend
    /// reads without suspending (both built-in backends), else in a task.
    private var readMethods: [RPCMethod] {
        guard let reads = repository as? any NonblockingInterviewReads else {
            return [
                .unary(MethodNames.listInterviews) { (request: ListRequest, context) -> Page in
                    try await repository.list(request, tenant: tenant(context, request.companyID))
                },
                .unary(MethodNames.getInterview) { (request: GetInterviewRequest, context) -> Interview in
                    Self.strip(
                        try await repository.get(
                            id: request.id, includeDeleted: request.includeDeleted,
                            tenant: tenant(context, request.companyID)),
                        request)
                },
            ]
        }
        if let encoded = reads as? any EncodedInterviewReads {
            // Records go out as slices of their stored encoding: no Interview
            // value is built on the read path.
            return [
                .nonblockingUnary(MethodNames.listInterviews) { (request: ListRequest, context) -> EncodedPage in
                    try encoded.listEncoded(request, tenant: tenant(context, request.companyID))
                },
                .nonblockingUnary(MethodNames.getInterview) {
                    (request: GetInterviewRequest, context) -> EncodedInterview in
                    try encoded.getEncoded(
                        id: request.id, includeDeleted: request.includeDeleted,
                        includeRemoteData: request.includeRemoteData, tenant: tenant(context, request.companyID))
                },
            ]
        }
        return [
            .nonblockingUnary(MethodNames.listInterviews) { (request: ListRequest, context) -> Page in
                try reads.listNonblocking(request, tenant: tenant(context, request.companyID))
            },
            .nonblockingUnary(MethodNames.getInterview) { (request: GetInterviewRequest, context) -> Interview in
                Self.strip(
                    try reads.getNonblocking(
                        id: request.id, includeDeleted: request.includeDeleted,
                        tenant: tenant(context, request.companyID)),
                    request)
            },
        ]
    }

    /// The record as GetInterview returns it: remote_data only when asked for.
    private static func strip(_ interview: Interview, _ request: GetInterviewRequest) -> Interview {
        var interview = interview
        if !request.includeRemoteData { interview.remoteData = [] }
        return interview
    }

    /// StreamInterviews: one record per message, as stored encodings when the
    /// backend offers them.
    private var streamMethod: RPCMethod {
        if let encoded = repository as? any EncodedInterviewReads {
            return .serverStreaming(MethodNames.streamInterviews) {
                (request: ListRequest, context, writer: ResponseStreamWriter<EncodedInterview>) in
                let tenant = try tenant(context, request.companyID)
                try await endingOnRevocation(context) { isRevoked in
                    try await encoded.scanEncoded(request, tenant: tenant, batchSize: Self.streamBatchSize) { batch in
                        try isRevoked()
                        for interview in batch { try await writer.write(interview) }
                        return true
                    }
                }
            }
        }
        return .serverStreaming(MethodNames.streamInterviews) {
            (request: ListRequest, context, writer: ResponseStreamWriter<Interview>) in
            let tenant = try tenant(context, request.companyID)
            try await endingOnRevocation(context) { isRevoked in
                try await repository.scan(request, tenant: tenant, batchSize: Self.streamBatchSize) { batch in
                    try isRevoked()
                    for interview in batch { try await writer.write(interview) }
                    return true
                }
            }
        }
    }

    /// WatchInterviews: the records of the change feed as stored encodings
    /// when the backend offers them.
    private var watchMethod: RPCMethod {
        if let encoded = repository as? any EncodedInterviewReads {
            return .serverStreaming(MethodNames.watchInterviews) {
                (request: WatchRequest, context, writer: ResponseStreamWriter<EncodedWatchEvent>) in
                let tenant = try tenant(context, request.companyID)
                try await endingOnRevocation(context) { isRevoked in
                    try await watch(
                        request, tenant: tenant, shutdown: context.shutdown, isRevoked: isRevoked, writer: writer,
                        marker: { EncodedWatchEvent.caughtUp(sequence: $0, storeEpoch: $1) }
                    ) { cursor, epoch in
                        let batch = try await encoded.encodedChanges(
                            after: cursor, limit: Self.watchBatchSize, tenant: tenant)
                        let events = batch.changes.map {
                            ($0.sequence, $0.event(includeRemoteData: request.includeRemoteData, storeEpoch: epoch))
                        }
                        return (events, batch.truncated, batch.scannedThrough)
                    }
                }
            }
        }
        return .serverStreaming(MethodNames.watchInterviews) {
            (request: WatchRequest, context, writer: ResponseStreamWriter<WatchEvent>) in
            let tenant = try tenant(context, request.companyID)
            try await endingOnRevocation(context) { isRevoked in
                try await watch(
                    request, tenant: tenant, shutdown: context.shutdown, isRevoked: isRevoked, writer: writer,
                    marker: { WatchEvent(sequence: $0, storeEpoch: $1, caughtUp: true) }
                ) { cursor, epoch in
                    let batch = try await repository.changes(after: cursor, limit: Self.watchBatchSize, tenant: tenant)
                    let events = batch.changes.map { change in
                        var interview = change.interview
                        if !request.includeRemoteData { interview.remoteData = [] }
                        return (
                            change.sequence,
                            WatchEvent(
                                sequence: change.sequence, kind: change.kind, interview: interview, storeEpoch: epoch)
                        )
                    }
                    return (events, batch.truncated, batch.scannedThrough)
                }
            }
        }
    }

    private var methods: [RPCMethod] {
        readMethods + [
            streamMethod,
            .unary(MethodNames.createInterview) { (request: CreateInterviewRequest, context) -> Interview in
                let tenant = try tenant(context, request.companyID)
                guard let interview = request.interview else {
                    throw InterviewsError.invalidArgument("interview", "is required")
                }
                return try await repository.create(interview, requestID: request.requestID, tenant: tenant)
            },
            .unary(MethodNames.updateInterview) { (request: UpdateInterviewRequest, context) -> Interview in
                let tenant = try tenant(context, request.companyID)
                guard let interview = request.interview else {
                    throw InterviewsError.invalidArgument("interview", "is required")
                }
                return try await repository.update(
                    interview, mask: request.updateMask, expectedRevision: request.expectedRevision, tenant: tenant)
            },
            .unary(MethodNames.deleteInterview) { (request: DeleteInterviewRequest, context) -> Interview in
                try await repository.delete(
                    id: request.id, expectedRevision: request.expectedRevision,
                    tenant: tenant(context, request.companyID))
            },
            .unary(MethodNames.upsertInterviews) {
                (request: UpsertInterviewsRequest, context) -> UpsertInterviewsResponse in
                let tenant = try tenant(context, request.companyID)
                guard request.interviews.count <= Self.maxUpsertBatch else {
                    throw InterviewsError.invalidArgument(
                        "interviews", "has \(request.interviews.count) items; the limit is \(Self.maxUpsertBatch)")
                }
                var results = try await repository.upsert(request.interviews, tenant: tenant)
                for k in results.indices { results[k].interview?.remoteData = [] }
                return UpsertInterviewsResponse(results: results)
            },
            watchMethod,
            .nonblockingUnary(MethodNames.health) { (_: HealthRequest, context) -> HealthResponse in
                // NOT_SERVING while the store refuses writes (fail-stop) or the server drains.
                HealthResponse(
                    status: repository.isWritable && !context.shutdown.isTriggered ? .serving : .notServing)
            },
            .unary(MethodNames.serverInfo) { (request: ServerInfoRequest, context) -> ServerInfoResponse in
                let stats = try await repository.stats(tenant: tenant(context, request.companyID))
                let uptime = ContinuousClock.now - startedInstant
                return ServerInfoResponse(
                    version: version, backend: backend, uptimeSeconds: UInt64(uptime.components.seconds),
                    startedAt: startedAt, interviewCount: stats.liveCount, deletedCount: stats.deletedCount,
                    lastSequence: stats.lastSequence, protocolVersion: RPCProtocol.version,
                    writable: stats.writable && repository.isWritable, storeEpoch: repository.storeEpoch)
            },
            .unary(MethodNames.createKey) { (request: CreateKeyRequest, _) -> CreateKeyResponse in
                try keys.create(request)
            },
            .unary(MethodNames.listKeys) { (request: ListKeysRequest, _) -> ListKeysResponse in
                ListKeysResponse(keys: keys.list(includeRevoked: request.includeRevoked))
            },
            .unary(MethodNames.revokeKey) { (request: RevokeKeyRequest, _) -> APIKey in
                let key = try keys.revoke(id: request.id)
                // The key's open streams (watches, StreamInterviews) end now too.
                openStreams.endAll(keyID: key.id, Self.revoked(key.id))
                return key
            },
            .serverStreaming(MethodNames.backup) {
                (_: BackupRequest, context, writer: ResponseStreamWriter<BackupChunk>) in
                try await backup(shutdown: context.shutdown, writer: writer)
            },
        ]
    }

    /// The most bytes of a file one BackupChunk carries.
    public static let backupChunkSize = 1 << 20

    /// Admin.Backup: `store.secret` and the snapshot from the backup source
    /// (one consistent copy, taken when the call starts), then `keys.json`
    /// as the keys are now. One backup runs at a time; each holds a copy of
    /// the record table (not of the records) until it ends.
    private func backup(shutdown: ShutdownSignal, writer: ResponseStreamWriter<BackupChunk>) async throws {
        guard let backupSource else {
            throw InterviewsError(.failedPrecondition, "the \(backend) backend of this server cannot be backed up")
        }
        guard backupGate.enter() else {
            throw InterviewsError(
                .resourceExhausted, "a backup is already running; one runs at a time, try again later")
        }
        defer { backupGate.leave() }
        var reader = try backupSource.beginBackup()
        var header = BackupChunk(
            sequence: reader.sequence, interviewCount: UInt64(reader.interviewCount),
            storeEpoch: repository.storeEpoch)
        func send(_ file: String, _ data: [UInt8]) async throws {
            if shutdown.isTriggered {
                throw InterviewsError(
                    .unavailable, "the server is shutting down; the backup is incomplete, take it again")
            }
            header.file = file
            header.data = data
            try await writer.write(header)
            header = BackupChunk()
        }
        while let piece = reader.next(maxBytes: Self.backupChunkSize) { try await send(piece.file, piece.data) }
        let keysFile = try keys.fileContents()
        var start = 0
        repeat {
            let end = min(keysFile.count, start + Self.backupChunkSize)
            try await send("keys.json", Array(keysFile[start..<end]))
            start = end
        } while start < keysFile.count
    }

    /// The status a call of a revoked key ends with.
    private static func revoked(_ id: String) -> RPCError {
        RPCError(.unauthenticated, "API key \(id) was revoked; the call has ended")
    }

    /// Runs a streaming handler's `body` as an open call of the caller's key:
    /// revoking the key ends the call at once, with UNAUTHENTICATED, through
    /// the transport (``ServerContext/endCall``) — a handler waiting for
    /// credit or for the next change is not left running. `body` also gets a
    /// check to call between messages, for a transport that cannot end calls.
    private func endingOnRevocation(
        _ context: ServerContext, _ body: (_ isRevoked: @Sendable () throws -> Void) async throws -> Void
    ) async throws {
        guard let key = context.values[CallerKey.self] else { return try await body({}) }
        let id = key.id
        let token = context.endCall.map { openStreams.register(keyID: id, end: $0) }
        defer { if let token { openStreams.unregister(keyID: id, token: token) } }
        // Checked after registering: a revocation either finds this call
        // registered or is seen here.
        let check: @Sendable () throws -> Void = { [keys] in
            if keys.isRevoked(id: id) { throw Self.revoked(id) }
        }
        try check()
        try await body(check)
    }

    /// Replays the tenant's changes after `request.afterSequence`, then follows
    /// new ones until the client leaves. The feed keeps a bounded history, so
    /// a watcher that falls behind it ends with OUT_OF_RANGE; writers never
    /// wait for watchers. A request naming another store epoch than this
    /// store's ends with FAILED_PRECONDITION: its sequence belongs to
    /// another store (or to a memory store before a restart); so does, with
    /// OUT_OF_RANGE, a sequence beyond this store's newest change.
    ///
    /// A watch never ends by itself, so a graceful shutdown ends it at once
    /// (rather than after the grace period) with UNAVAILABLE naming the
    /// sequence and epoch to watch again from.
    private func watch<Event: WireCodable>(
        _ request: WatchRequest, tenant: Tenant, shutdown: ShutdownSignal,
        isRevoked: @Sendable () throws -> Void, writer: ResponseStreamWriter<Event>,
        marker: (_ sequence: UInt64, _ epoch: UInt64) -> Event,
        read: (_ cursor: UInt64, _ epoch: UInt64) async throws -> (
            events: [(sequence: UInt64, event: Event)], truncated: Bool, scannedThrough: UInt64
        )
    ) async throws {
        let epoch = repository.storeEpoch
        if request.storeEpoch != 0, request.storeEpoch != epoch {
            throw InterviewsError(
                .failedPrecondition,
                "store_epoch: sequence \(request.afterSequence) belongs to store epoch \(request.storeEpoch); "
                    + "this store's epoch is \(epoch) (another store, or one that restarted empty); "
                    + "list the records again and watch from 0 (or ServerInfo.last_sequence) with store_epoch \(epoch)"
            )
        }
        var cursor = request.afterSequence
        var markCaughtUp = request.sendCaughtUp
        if cursor > 0 {
            // No change of this store has that sequence yet: it comes from
            // another store (or one that restarted empty), and following it
            // would skip every change up to it without a word.
            let newest = try await repository.stats(tenant: tenant).lastSequence
            guard cursor <= newest else {
                throw InterviewsError(
                    .outOfRange,
                    "after_sequence: \(cursor) is beyond this store's newest change \(newest) (another store, "
                        + "or one that restarted empty); list the records again and watch from "
                        + "ServerInfo.last_sequence with store_epoch \(epoch)")
            }
        }
        while true {
            if shutdown.isTriggered {
                throw InterviewsError(
                    .unavailable,
                    "the server is shutting down; watch again with after_sequence \(cursor) and store_epoch \(epoch)")
            }
            try isRevoked()
            let batch = try await read(cursor, epoch)
            if batch.truncated {
                throw InterviewsError(
                    .outOfRange,
                    "after_sequence: changes after \(cursor) are no longer kept (the watcher fell too far behind); "
                        + "list the records again and watch from ServerInfo.last_sequence")
            }
            for (sequence, event) in batch.events {
                try await writer.write(event)
                cursor = sequence
            }
            cursor = max(cursor, batch.scannedThrough)
            if batch.events.count < Self.watchBatchSize {
                if markCaughtUp {
                    // Every kept change up to the newest the read saw has gone out.
                    markCaughtUp = false
                    try await writer.write(marker(cursor, epoch))
                }
                // Caught up with the store: wait for a newer change, or the shutdown.
                try await waitForChanges(after: cursor, orUntil: shutdown)
            }
        }
    }

    /// Returns when the store has a change after `sequence` or `shutdown` is triggered.
    private func waitForChanges(after sequence: UInt64, orUntil shutdown: ShutdownSignal) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await repository.waitForChanges(after: sequence) }
            group.addTask { await shutdown.wait() }
            _ = try await group.next()
            group.cancelAll()
        }
        try Task.checkCancellation()
    }
}

/// The open streaming calls of each API key, so that revoking a key can end
/// them (``InterviewsService``'s RevokeKey).
final class OpenStreams: Sendable {
    private struct State {
        var nextToken: UInt64 = 0
        var byKey: [String: [UInt64: @Sendable (RPCError) -> Void]] = [:]
    }

    private let state = Mutex(State())

    /// Records an open call of key `keyID`; returns the token to unregister it with.
    func register(keyID: String, end: @escaping @Sendable (RPCError) -> Void) -> UInt64 {
        state.withLock { state in
            defer { state.nextToken += 1 }
            state.byKey[keyID, default: [:]][state.nextToken] = end
            return state.nextToken
        }
    }

    /// Forgets a call that has ended.
    func unregister(keyID: String, token: UInt64) {
        state.withLock { state in
            state.byKey[keyID]?[token] = nil
            if state.byKey[keyID]?.isEmpty == true { state.byKey[keyID] = nil }
        }
    }

    /// Ends every open call of key `keyID` with `error`.
    func endAll(keyID: String, _ error: RPCError) {
        let ends = state.withLock { state in state.byKey.removeValue(forKey: keyID).map { Array($0.values) } ?? [] }
        for end in ends { end(error) }
    }

    /// How many calls are open, for tests.
    var count: Int { state.withLock { $0.byKey.values.reduce(0) { $0 + $1.count } } }
}

/// Lets one backup run at a time.
final class BackupGate: Sendable {
    private let running = Atomic<Bool>(false)

    /// True when no backup was running and this caller may run one.
    func enter() -> Bool {
        running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// Ends the running backup.
    func leave() { running.store(false, ordering: .releasing) }
}
