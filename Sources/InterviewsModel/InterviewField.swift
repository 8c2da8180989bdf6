/// A top-level field of ``Interview``, named as the proto names it
/// (snake_case): the vocabulary of update masks and read masks.
public enum InterviewField: String, Sendable, Hashable, CaseIterable {
    /// `Interview.id`.
    case id
    /// `Interview.remote_id`.
    case remoteID = "remote_id"
    /// `Interview.company_id`.
    case companyID = "company_id"
    /// `Interview.candidate_id`.
    case candidateID = "candidate_id"
    /// `Interview.application_id`.
    case applicationID = "application_id"
    /// `Interview.job_id`.
    case jobID = "job_id"
    /// `Interview.agent_id`.
    case agentID = "agent_id"
    /// `Interview.job_interview_stage_id`.
    case jobInterviewStageID = "job_interview_stage_id"
    /// `Interview.title`.
    case title
    /// `Interview.organizer`.
    case organizer
    /// `Interview.interviewers`.
    case interviewers
    /// `Interview.location`.
    case location
    /// `Interview.start_at`.
    case startAt = "start_at"
    /// `Interview.end_at`.
    case endAt = "end_at"
    /// `Interview.status`.
    case status
    /// `Interview.remote_status`.
    case remoteStatus = "remote_status"
    /// `Interview.created_at`.
    case createdAt = "created_at"
    /// `Interview.updated_at`.
    case updatedAt = "updated_at"
    /// `Interview.remote_created_at`.
    case remoteCreatedAt = "remote_created_at"
    /// `Interview.remote_updated_at`.
    case remoteUpdatedAt = "remote_updated_at"
    /// `Interview.deleted_at`.
    case deletedAt = "deleted_at"
    /// `Interview.remote_deleted_at`.
    case remoteDeletedAt = "remote_deleted_at"
    /// `Interview.custom_fields`.
    case customFields = "custom_fields"
    /// `Interview.remote_data`.
    case remoteData = "remote_data"
    /// `Interview.analysis`.
    case analysis
    /// `Interview.revision`.
    case revision

    /// Fields the service assigns; a client can neither set nor update them.
    public static let serverOwned: Set<InterviewField> = [
        .id, .companyID, .createdAt, .updatedAt, .deletedAt, .revision,
    ]

    /// Whether the service owns the field (see ``serverOwned``).
    public var isServerOwned: Bool { Self.serverOwned.contains(self) }

    /// Copies this field's value from `source` into `target`.
    public func copy(from source: Interview, into target: inout Interview) {
        switch self {
        case .id: target.id = source.id
        case .remoteID: target.remoteID = source.remoteID
        case .companyID: target.companyID = source.companyID
        case .candidateID: target.candidateID = source.candidateID
        case .applicationID: target.applicationID = source.applicationID
        case .jobID: target.jobID = source.jobID
        case .agentID: target.agentID = source.agentID
        case .jobInterviewStageID: target.jobInterviewStageID = source.jobInterviewStageID
        case .title: target.title = source.title
        case .organizer: target.organizer = source.organizer
        case .interviewers: target.interviewers = source.interviewers
        case .location: target.location = source.location
        case .startAt: target.startAt = source.startAt
        case .endAt: target.endAt = source.endAt
        case .status: target.status = source.status
        case .remoteStatus: target.remoteStatus = source.remoteStatus
        case .createdAt: target.createdAt = source.createdAt
        case .updatedAt: target.updatedAt = source.updatedAt
        case .remoteCreatedAt: target.remoteCreatedAt = source.remoteCreatedAt
        case .remoteUpdatedAt: target.remoteUpdatedAt = source.remoteUpdatedAt
        case .deletedAt: target.deletedAt = source.deletedAt
        case .remoteDeletedAt: target.remoteDeletedAt = source.remoteDeletedAt
        case .customFields: target.customFields = source.customFields
        case .remoteData: target.remoteData = source.remoteData
        case .analysis: target.analysis = source.analysis
        case .revision: target.revision = source.revision
        }
    }
}

extension Interview {
    /// The record with every server-owned field cleared: what a client
    /// controls, and what create, update and upsert compare and store.
    public var clientOwnedFields: Interview {
        var copy = self
        copy.id = ""
        copy.companyID = ""
        copy.createdAt = nil
        copy.updatedAt = nil
        copy.deletedAt = nil
        copy.revision = 0
        return copy
    }

    /// The record restricted to `fields` (plus id, which is always kept);
    /// every other field is reset to "not set".
    public func keeping(_ fields: Set<InterviewField>) -> Interview {
        var result = Interview(id: id)
        for field in fields { field.copy(from: self, into: &result) }
        return result
    }
}
