public import InterviewsModel
import InterviewsWire
public import RPCCore
public import RPCUnixSocket

/// A typed client for the interviews service: one connection, any number of
/// concurrent calls multiplexed on it.
///
/// ```swift
/// let client = try await InterviewsClient.connect(to: "/tmp/interviews.sock", apiKey: key)
/// let page = try await client.list(ListRequest(candidateIDs: ["cand-1"]))
/// ```
///
/// Every method throws ``RPCError`` (a gRPC status code and message): the
/// server's status, or `UNAVAILABLE` "no server at <path>" / `DEADLINE_EXCEEDED` locally.
public struct InterviewsClient: Sendable {
    /// The connection.
    public let rpc: RPCClient
    /// Sent as `authorization: Bearer <key>` on every call; nil sends none.
    public var apiKey: String? {
        didSet { metadata = Self.metadata(apiKey: apiKey) }
    }
    /// The deadline of each call, relative to its start; nil for none.
    public var timeout: Duration?

    /// Wraps an open connection.
    public init(rpc: RPCClient, apiKey: String?, timeout: Duration? = nil) {
        self.rpc = rpc
        self.apiKey = apiKey
        self.timeout = timeout
        self.metadata = Self.metadata(apiKey: apiKey)
    }

    /// Connects to the server listening on `socketPath`.
    ///
    /// - Throws: ``RPCError`` `UNAVAILABLE` "no server at <path>: <reason>" when nothing listens there.
    public static func connect(
        to socketPath: String, apiKey: String?, timeout: Duration? = nil,
        configuration: RPCClientConfiguration = RPCClientConfiguration()
    ) async throws(RPCError) -> InterviewsClient {
        InterviewsClient(
            rpc: try await RPCClient.connect(to: socketPath, configuration: configuration), apiKey: apiKey,
            timeout: timeout)
    }

    /// The metadata of every call, built once per key rather than per call.
    private var metadata: [RPCMetadataEntry]

    private static func metadata(apiKey: String?) -> [RPCMetadataEntry] {
        apiKey.map { [RPCMetadataEntry(key: "authorization", value: "Bearer \($0)")] } ?? []
    }

    private func call<Request: WireCodable, Response: WireCodable>(
        _ method: String, _ request: Request, _: Response.Type = Response.self
    ) async throws(RPCError) -> Response {
        try await rpc.unary(method: method, request: request, metadata: metadata, timeout: timeout)
    }

    /// One page of a list (ListInterviews).
    public func list(_ request: ListRequest) async throws(RPCError) -> Page {
        try await call(MethodNames.listInterviews, request)
    }

    /// Every record matching `request`, streamed with flow control (StreamInterviews).
    /// `body` reads the stream; returning early cancels the call.
    public func stream<Result: Sendable>(
        _ request: ListRequest, _ body: (RPCResponseStream<Interview>) async throws -> Result
    ) async throws -> Result {
        try await rpc.serverStream(
            method: MethodNames.streamInterviews, request: request, metadata: metadata, timeout: timeout, body)
    }

    /// One record by id (GetInterview).
    public func get(_ request: GetInterviewRequest) async throws(RPCError) -> Interview {
        try await call(MethodNames.getInterview, request)
    }

    /// Many records by id (one GetInterview each), pipelined on the
    /// connection: every call is sent before any answer is awaited, and the
    /// caller waits once for all of them, with no task per call.
    ///
    /// - Returns: One result per request, in order: the record, or that
    ///   call's ``RPCError`` (e.g. NOT_FOUND for one id); see
    ///   ``RPCClient/unaryBatch(method:requests:metadata:timeout:responseType:)``.
    public func getBatch(_ requests: [GetInterviewRequest]) async -> [Result<Interview, RPCError>] {
        await rpc.unaryBatch(
            method: MethodNames.getInterview, requests: requests, metadata: metadata, timeout: timeout)
    }

    /// Creates a record (CreateInterview).
    public func create(_ request: CreateInterviewRequest) async throws(RPCError) -> Interview {
        try await call(MethodNames.createInterview, request)
    }

    /// Updates the fields named in the mask (UpdateInterview).
    public func update(_ request: UpdateInterviewRequest) async throws(RPCError) -> Interview {
        try await call(MethodNames.updateInterview, request)
    }

    /// Soft-deletes a record (DeleteInterview).
    public func delete(_ request: DeleteInterviewRequest) async throws(RPCError) -> Interview {
        try await call(MethodNames.deleteInterview, request)
    }

    /// Creates or updates records by remote_id (UpsertInterviews).
    public func upsert(_ request: UpsertInterviewsRequest) async throws(RPCError) -> UpsertInterviewsResponse {
        try await call(MethodNames.upsertInterviews, request)
    }

    /// Change events after a sequence, then live (WatchInterviews). The
    /// watch has no deadline; `body` returning or the task being cancelled ends it.
    public func watch<Result: Sendable>(
        _ request: WatchRequest, timeout: Duration? = nil,
        _ body: (RPCResponseStream<WatchEvent>) async throws -> Result
    ) async throws -> Result {
        try await rpc.serverStream(
            method: MethodNames.watchInterviews, request: request, metadata: metadata, timeout: timeout, body)
    }

    /// Liveness (Health); needs no key.
    public func health() async throws(RPCError) -> HealthResponse {
        try await call(MethodNames.health, HealthRequest())
    }

    /// Version, backend, uptime and the caller's counts (ServerInfo).
    public func serverInfo(_ request: ServerInfoRequest = ServerInfoRequest()) async throws(RPCError)
        -> ServerInfoResponse
    {
        try await call(MethodNames.serverInfo, request)
    }

    /// Creates an API key (Admin/CreateKey; the server's user only).
    public func createKey(_ request: CreateKeyRequest) async throws(RPCError) -> CreateKeyResponse {
        try await call(MethodNames.createKey, request)
    }

    /// Lists API keys, never their secrets (Admin/ListKeys).
    public func listKeys(_ request: ListKeysRequest) async throws(RPCError) -> ListKeysResponse {
        try await call(MethodNames.listKeys, request)
    }

    /// Revokes an API key (Admin/RevokeKey).
    public func revokeKey(_ request: RevokeKeyRequest) async throws(RPCError) -> APIKey {
        try await call(MethodNames.revokeKey, request)
    }

    /// A consistent copy of the server's records and keys as the files of a
    /// data directory (Admin/Backup; the server's user only). `body` reads
    /// the chunks; the backup is whole only when the call ends without an error.
    public func backup<Result: Sendable>(
        timeout: Duration? = nil, _ body: (RPCResponseStream<BackupChunk>) async throws -> Result
    ) async throws -> Result {
        try await rpc.serverStream(
            method: MethodNames.backup, request: BackupRequest(), metadata: metadata, timeout: timeout ?? self.timeout,
            body)
    }

    /// Closes the connection.
    public func close() async { await rpc.close() }
}
