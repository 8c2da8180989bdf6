/// The lifecycle of an interview (`interviews.v1.InterviewStatus`).
public enum InterviewStatus: Int32, Sendable, Hashable, CaseIterable, Comparable {
    /// Not known (the AI-interview platform's UNDEFINED).
    case unspecified = 0
    case draft = 1
    case scheduled = 2
    case inProgress = 3
    case awaitingFeedback = 4
    case completed = 5
    case cancelled = 6
    case failed = 7

    /// The proto enum value name, e.g. `INTERVIEW_STATUS_IN_PROGRESS`.
    public var protoName: String {
        switch self {
        case .unspecified: "INTERVIEW_STATUS_UNSPECIFIED"
        case .draft: "INTERVIEW_STATUS_DRAFT"
        case .scheduled: "INTERVIEW_STATUS_SCHEDULED"
        case .inProgress: "INTERVIEW_STATUS_IN_PROGRESS"
        case .awaitingFeedback: "INTERVIEW_STATUS_AWAITING_FEEDBACK"
        case .completed: "INTERVIEW_STATUS_COMPLETED"
        case .cancelled: "INTERVIEW_STATUS_CANCELLED"
        case .failed: "INTERVIEW_STATUS_FAILED"
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A person taking part in an interview (`interviews.v1.Participant`).
public struct Participant: Sendable, Hashable {
    public var id: String
    public var remoteID: String
    public var firstName: String
    public var lastName: String
    public var email: String

    /// Creates a participant; every field defaults to empty.
    @inlinable
    public init(
        id: String = "", remoteID: String = "", firstName: String = "", lastName: String = "",
        email: String = ""
    ) {
        self.id = id
        self.remoteID = remoteID
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
    }
}

/// Where an interview takes place (`interviews.v1.Location`).
public struct Location: Sendable, Hashable {
    public var raw: String
    public var street1: String
    public var street2: String
    public var city: String
    public var state: String
    public var zipCode: String
    public var country: String

    /// Creates a location; every field defaults to empty.
    @inlinable
    public init(
        raw: String = "", street1: String = "", street2: String = "", city: String = "",
        state: String = "", zipCode: String = "", country: String = ""
    ) {
        self.raw = raw
        self.street1 = street1
        self.street2 = street2
        self.city = city
        self.state = state
        self.zipCode = zipCode
        self.country = country
    }
}

/// One utterance of a transcript (`interviews.v1.TranscriptSegment`).
public struct TranscriptSegment: Sendable, Hashable {
    public var speaker: String
    public var text: String
    public var startOffsetMs: UInt64
    public var endOffsetMs: UInt64

    /// Creates a segment.
    @inlinable
    public init(speaker: String = "", text: String = "", startOffsetMs: UInt64 = 0, endOffsetMs: UInt64 = 0) {
        self.speaker = speaker
        self.text = text
        self.startOffsetMs = startOffsetMs
        self.endOffsetMs = endOffsetMs
    }
}

/// One named score (`interviews.v1.Score`).
public struct Score: Sendable, Hashable {
    public var name: String
    public var value: Double
    public var maxValue: Double

    /// Creates a score.
    @inlinable
    public init(name: String = "", value: Double = 0, maxValue: Double = 0) {
        self.name = name
        self.value = value
        self.maxValue = maxValue
    }
}

/// The results of an interview (`interviews.v1.Analysis`).
public struct Analysis: Sendable, Hashable {
    public var summary: String
    public var recommendation: String
    public var overallScore: Double
    public var scores: [Score]
    public var transcript: [TranscriptSegment]

    /// Creates an analysis.
    @inlinable
    public init(
        summary: String = "", recommendation: String = "", overallScore: Double = 0,
        scores: [Score] = [], transcript: [TranscriptSegment] = []
    ) {
        self.summary = summary
        self.recommendation = recommendation
        self.overallScore = overallScore
        self.scores = scores
        self.transcript = transcript
    }
}

/// An interview record (`interviews.v1.Interview`): the union of the fields of
/// the AI-interview platform and the unified ATS APIs.
///
/// Optional properties are the proto's message-typed fields, whose absence is
/// meaningful; strings use empty as "not set".
public struct Interview: Sendable, Hashable {
    public var id: String
    public var remoteID: String
    public var companyID: String
    public var candidateID: String
    public var applicationID: String
    public var jobID: String
    public var agentID: String
    public var jobInterviewStageID: String
    public var title: String
    public var organizer: Participant?
    public var interviewers: [Participant]
    public var location: Location?
    public var startAt: Timestamp?
    public var endAt: Timestamp?
    public var status: InterviewStatus
    public var remoteStatus: String
    public var createdAt: Timestamp?
    public var updatedAt: Timestamp?
    public var remoteCreatedAt: Timestamp?
    public var remoteUpdatedAt: Timestamp?
    public var deletedAt: Timestamp?
    public var remoteDeletedAt: Timestamp?
    public var customFields: [String: String]
    public var remoteData: [UInt8]
    public var analysis: Analysis?
    public var revision: UInt64

    /// Creates an interview; every field defaults to "not set".
    @inlinable
    public init(
        id: String = "", remoteID: String = "", companyID: String = "", candidateID: String = "",
        applicationID: String = "", jobID: String = "", agentID: String = "",
        jobInterviewStageID: String = "", title: String = "", organizer: Participant? = nil,
        interviewers: [Participant] = [], location: Location? = nil, startAt: Timestamp? = nil,
        endAt: Timestamp? = nil, status: InterviewStatus = .unspecified, remoteStatus: String = "",
        createdAt: Timestamp? = nil, updatedAt: Timestamp? = nil,
        remoteCreatedAt: Timestamp? = nil, remoteUpdatedAt: Timestamp? = nil,
        deletedAt: Timestamp? = nil, remoteDeletedAt: Timestamp? = nil,
        customFields: [String: String] = [:], remoteData: [UInt8] = [], analysis: Analysis? = nil,
        revision: UInt64 = 0
    ) {
        self.id = id
        self.remoteID = remoteID
        self.companyID = companyID
        self.candidateID = candidateID
        self.applicationID = applicationID
        self.jobID = jobID
        self.agentID = agentID
        self.jobInterviewStageID = jobInterviewStageID
        self.title = title
        self.organizer = organizer
        self.interviewers = interviewers
        self.location = location
        self.startAt = startAt
        self.endAt = endAt
        self.status = status
        self.remoteStatus = remoteStatus
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.remoteCreatedAt = remoteCreatedAt
        self.remoteUpdatedAt = remoteUpdatedAt
        self.deletedAt = deletedAt
        self.remoteDeletedAt = remoteDeletedAt
        self.customFields = customFields
        self.remoteData = remoteData
        self.analysis = analysis
        self.revision = revision
    }
}
