/// The key a list is ordered by (`interviews.v1.OrderBy`); ties break by id.
public enum OrderBy: Int32, Sendable, Hashable, CaseIterable {
    /// created_at, the default.
    case unspecified = 0
    case createdAt = 1
    case startAt = 2
    case updatedAt = 3
}

/// `interviews.v1.OrderDirection`; unspecified means ascending.
public enum OrderDirection: Int32, Sendable, Hashable, CaseIterable {
    case unspecified = 0
    case ascending = 1
    case descending = 2
}

/// A filtered, ordered, paginated query (`interviews.v1.ListRequest`).
///
/// Filters combine with AND across fields and OR within a list field; time
/// bounds are half-open (`*After` inclusive, `*Before` exclusive).
public struct ListRequest: Sendable, Hashable {
    public var companyID: String
    public var candidateIDs: [String]
    public var ids: [String]
    public var remoteIDs: [String]
    public var applicationID: String
    public var jobID: String
    public var agentID: String
    public var jobInterviewStageID: String
    public var organizerID: String
    public var interviewerID: String
    public var statuses: [InterviewStatus]
    public var createdAfter: Timestamp?
    public var createdBefore: Timestamp?
    public var updatedAfter: Timestamp?
    public var updatedBefore: Timestamp?
    public var startAfter: Timestamp?
    public var startBefore: Timestamp?
    public var endAfter: Timestamp?
    public var endBefore: Timestamp?
    public var includeDeleted: Bool
    /// 1-based; 0 means 1.
    public var page: UInt32
    /// 0 means the default (20).
    public var pageSize: UInt32
    public var pageToken: String
    public var orderBy: OrderBy
    public var direction: OrderDirection
    public var includeRemoteData: Bool
    public var excludeCustomFields: Bool
    public var excludeAnalysis: Bool
    /// Top-level Interview field names (snake_case); empty means all.
    public var readMask: [String]

    /// Creates a request; every filter defaults to "any".
    @inlinable
    public init(
        companyID: String = "", candidateIDs: [String] = [], ids: [String] = [],
        remoteIDs: [String] = [], applicationID: String = "", jobID: String = "",
        agentID: String = "", jobInterviewStageID: String = "", organizerID: String = "",
        interviewerID: String = "", statuses: [InterviewStatus] = [],
        createdAfter: Timestamp? = nil, createdBefore: Timestamp? = nil,
        updatedAfter: Timestamp? = nil, updatedBefore: Timestamp? = nil,
        startAfter: Timestamp? = nil, startBefore: Timestamp? = nil, endAfter: Timestamp? = nil,
        endBefore: Timestamp? = nil, includeDeleted: Bool = false, page: UInt32 = 0,
        pageSize: UInt32 = 0, pageToken: String = "", orderBy: OrderBy = .unspecified,
        direction: OrderDirection = .unspecified, includeRemoteData: Bool = false,
        excludeCustomFields: Bool = false, excludeAnalysis: Bool = false, readMask: [String] = []
    ) {
        self.companyID = companyID
        self.candidateIDs = candidateIDs
        self.ids = ids
        self.remoteIDs = remoteIDs
        self.applicationID = applicationID
        self.jobID = jobID
        self.agentID = agentID
        self.jobInterviewStageID = jobInterviewStageID
        self.organizerID = organizerID
        self.interviewerID = interviewerID
        self.statuses = statuses
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
        self.updatedAfter = updatedAfter
        self.updatedBefore = updatedBefore
        self.startAfter = startAfter
        self.startBefore = startBefore
        self.endAfter = endAfter
        self.endBefore = endBefore
        self.includeDeleted = includeDeleted
        self.page = page
        self.pageSize = pageSize
        self.pageToken = pageToken
        self.orderBy = orderBy
        self.direction = direction
        self.includeRemoteData = includeRemoteData
        self.excludeCustomFields = excludeCustomFields
        self.excludeAnalysis = excludeAnalysis
        self.readMask = readMask
    }
}

/// One page of a list (`interviews.v1.Page`).
public struct Page: Sendable, Hashable {
    public var interviews: [Interview]
    public var nextPageToken: String
    public var previousPageToken: String
    public var totalSize: UInt64
    public var page: UInt32
    public var pageSize: UInt32

    /// Creates a page.
    @inlinable
    public init(
        interviews: [Interview] = [], nextPageToken: String = "", previousPageToken: String = "",
        totalSize: UInt64 = 0, page: UInt32 = 0, pageSize: UInt32 = 0
    ) {
        self.interviews = interviews
        self.nextPageToken = nextPageToken
        self.previousPageToken = previousPageToken
        self.totalSize = totalSize
        self.page = page
        self.pageSize = pageSize
    }
}

/// `interviews.v1.GetInterviewRequest`.
public struct GetInterviewRequest: Sendable, Hashable {
    public var companyID: String
    public var id: String
    public var includeRemoteData: Bool
    public var includeDeleted: Bool

    /// Creates a request.
    @inlinable
    public init(companyID: String = "", id: String = "", includeRemoteData: Bool = false, includeDeleted: Bool = false)
    {
        self.companyID = companyID
        self.id = id
        self.includeRemoteData = includeRemoteData
        self.includeDeleted = includeDeleted
    }
}

/// `interviews.v1.CreateInterviewRequest`.
public struct CreateInterviewRequest: Sendable, Hashable {
    public var companyID: String
    public var interview: Interview?
    /// Makes a retried create return the original result.
    public var requestID: String

    /// Creates a request.
    @inlinable
    public init(companyID: String = "", interview: Interview? = nil, requestID: String = "") {
        self.companyID = companyID
        self.interview = interview
        self.requestID = requestID
    }
}

/// `interviews.v1.UpdateInterviewRequest`.
public struct UpdateInterviewRequest: Sendable, Hashable {
    public var companyID: String
    public var interview: Interview?
    /// Top-level Interview field names (snake_case).
    public var updateMask: [String]
    /// 0 means "any revision".
    public var expectedRevision: UInt64

    /// Creates a request.
    @inlinable
    public init(
        companyID: String = "", interview: Interview? = nil, updateMask: [String] = [], expectedRevision: UInt64 = 0
    ) {
        self.companyID = companyID
        self.interview = interview
        self.updateMask = updateMask
        self.expectedRevision = expectedRevision
    }
}

/// `interviews.v1.DeleteInterviewRequest`.
public struct DeleteInterviewRequest: Sendable, Hashable {
    public var companyID: String
    public var id: String
    /// 0 means "any revision".
    public var expectedRevision: UInt64

    /// Creates a request.
    @inlinable
    public init(companyID: String = "", id: String = "", expectedRevision: UInt64 = 0) {
        self.companyID = companyID
        self.id = id
        self.expectedRevision = expectedRevision
    }
}

/// `interviews.v1.UpsertInterviewsRequest`.
public struct UpsertInterviewsRequest: Sendable, Hashable {
    public var companyID: String
    public var interviews: [Interview]

    /// Creates a request.
    @inlinable
    public init(companyID: String = "", interviews: [Interview] = []) {
        self.companyID = companyID
        self.interviews = interviews
    }
}

/// `interviews.v1.UpsertOutcome`.
public enum UpsertOutcome: Int32, Sendable, Hashable, CaseIterable {
    case unspecified = 0
    case created = 1
    case updated = 2
    case unchanged = 3
    case error = 4
}

/// `interviews.v1.UpsertResult`: one item's result, in request order.
public struct UpsertResult: Sendable, Hashable {
    public var index: UInt32
    public var outcome: UpsertOutcome
    public var interview: Interview?
    /// A gRPC status code when `outcome == .error`.
    public var errorCode: Int32
    public var errorMessage: String

    /// Creates a result.
    @inlinable
    public init(
        index: UInt32 = 0, outcome: UpsertOutcome = .unspecified, interview: Interview? = nil, errorCode: Int32 = 0,
        errorMessage: String = ""
    ) {
        self.index = index
        self.outcome = outcome
        self.interview = interview
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
}

/// `interviews.v1.UpsertInterviewsResponse`.
public struct UpsertInterviewsResponse: Sendable, Hashable {
    public var results: [UpsertResult]

    /// Creates a response.
    @inlinable
    public init(results: [UpsertResult] = []) { self.results = results }
}

/// `interviews.v1.WatchRequest`.
public struct WatchRequest: Sendable, Hashable {
    public var companyID: String
    public var afterSequence: UInt64
    public var includeRemoteData: Bool
    /// The store epoch `afterSequence` belongs to; 0 when not checked. A
    /// different epoch than the store's ends the call with FAILED_PRECONDITION.
    public var storeEpoch: UInt64
    /// Whether the end of the replay is marked by an event with ``WatchEvent/caughtUp``.
    public var sendCaughtUp: Bool

    /// Creates a request.
    @inlinable
    public init(
        companyID: String = "", afterSequence: UInt64 = 0, includeRemoteData: Bool = false, storeEpoch: UInt64 = 0,
        sendCaughtUp: Bool = false
    ) {
        self.companyID = companyID
        self.afterSequence = afterSequence
        self.includeRemoteData = includeRemoteData
        self.storeEpoch = storeEpoch
        self.sendCaughtUp = sendCaughtUp
    }
}

/// `interviews.v1.ChangeKind`.
public enum ChangeKind: Int32, Sendable, Hashable, CaseIterable {
    case unspecified = 0
    case created = 1
    case updated = 2
    case deleted = 3
}

/// `interviews.v1.WatchEvent`: one change, in sequence order.
public struct WatchEvent: Sendable, Hashable {
    public var sequence: UInt64
    public var kind: ChangeKind
    public var interview: Interview?
    /// The epoch of the store `sequence` belongs to (resume with both).
    public var storeEpoch: UInt64
    /// The end-of-replay marker (no interview; `sequence` is where the replay reached).
    public var caughtUp: Bool

    /// Creates an event.
    @inlinable
    public init(
        sequence: UInt64 = 0, kind: ChangeKind = .unspecified, interview: Interview? = nil, storeEpoch: UInt64 = 0,
        caughtUp: Bool = false
    ) {
        self.sequence = sequence
        self.kind = kind
        self.interview = interview
        self.storeEpoch = storeEpoch
        self.caughtUp = caughtUp
    }
}

/// `interviews.v1.HealthRequest` (no fields).
public struct HealthRequest: Sendable, Hashable {
    /// Creates a request.
    @inlinable
    public init() {}
}

/// `interviews.v1.ServingStatus`.
public enum ServingStatus: Int32, Sendable, Hashable, CaseIterable {
    case unspecified = 0
    case serving = 1
    case notServing = 2
}

/// `interviews.v1.HealthResponse`.
public struct HealthResponse: Sendable, Hashable {
    public var status: ServingStatus

    /// Creates a response.
    @inlinable
    public init(status: ServingStatus = .unspecified) { self.status = status }
}

/// `interviews.v1.ServerInfoRequest`.
public struct ServerInfoRequest: Sendable, Hashable {
    public var companyID: String

    /// Creates a request.
    @inlinable
    public init(companyID: String = "") { self.companyID = companyID }
}

/// `interviews.v1.ServerInfoResponse`.
public struct ServerInfoResponse: Sendable, Hashable {
    public var version: String
    public var backend: String
    public var uptimeSeconds: UInt64
    public var startedAt: Timestamp?
    public var interviewCount: UInt64
    public var deletedCount: UInt64
    public var lastSequence: UInt64
    public var protocolVersion: UInt32
    public var writable: Bool
    /// The store's identity: random, chosen when the store was created (the
    /// file backend keeps it across restarts, the memory backend does not).
    public var storeEpoch: UInt64

    /// Creates a response.
    @inlinable
    public init(
        version: String = "", backend: String = "", uptimeSeconds: UInt64 = 0,
        startedAt: Timestamp? = nil, interviewCount: UInt64 = 0, deletedCount: UInt64 = 0,
        lastSequence: UInt64 = 0, protocolVersion: UInt32 = 0, writable: Bool = false, storeEpoch: UInt64 = 0
    ) {
        self.version = version
        self.backend = backend
        self.uptimeSeconds = uptimeSeconds
        self.startedAt = startedAt
        self.interviewCount = interviewCount
        self.deletedCount = deletedCount
        self.lastSequence = lastSequence
        self.protocolVersion = protocolVersion
        self.writable = writable
        self.storeEpoch = storeEpoch
    }
}
