import InterviewsModel
import InterviewsRepository

/// The naive reference the randomized check compares a backend against:
/// a plain array, filtered and sorted on every call, written without any
/// of the backend's machinery.
struct ReferenceModel {
    var records: [String: Interview] = [:]

    /// The matches of `request` for `tenant`, in order.
    func matches(_ request: ListRequest, tenant: Tenant) -> [Interview] {
        let found = records.values.filter { record in
            guard record.companyID == tenant.companyID else { return false }
            if !request.includeDeleted && record.deletedAt != nil { return false }
            if !request.candidateIDs.isEmpty && !request.candidateIDs.contains(record.candidateID) { return false }
            if !request.ids.isEmpty && !request.ids.contains(record.id) { return false }
            if !request.remoteIDs.isEmpty && !request.remoteIDs.contains(record.remoteID) { return false }
            if !request.statuses.isEmpty && !request.statuses.contains(record.status) { return false }
            let singles = [
                (request.applicationID, record.applicationID), (request.jobID, record.jobID),
                (request.agentID, record.agentID), (request.jobInterviewStageID, record.jobInterviewStageID),
                (request.organizerID, record.organizer?.id ?? ""),
            ]
            for (wanted, actual) in singles where !wanted.isEmpty && wanted != actual { return false }
            if !request.interviewerID.isEmpty && !record.interviewers.map(\.id).contains(request.interviewerID) {
                return false
            }
            let bounds = [
                (record.createdAt, request.createdAfter, request.createdBefore),
                (record.updatedAt, request.updatedAfter, request.updatedBefore),
                (record.startAt, request.startAfter, request.startBefore),
                (record.endAt, request.endAfter, request.endBefore),
            ]
            for (value, after, before) in bounds where after != nil || before != nil {
                guard let value else { return false }
                if let after, value < after { return false }
                if let before, !(value < before) { return false }
            }
            return true
        }
        return Self.sorted(found, request)
    }

    /// `records` in the request's order, ties broken by id.
    static func sorted(_ records: [Interview], _ request: ListRequest) -> [Interview] {
        func key(_ record: Interview) -> Timestamp? {
            switch request.orderBy {
            case .startAt: record.startAt
            case .updatedAt: record.updatedAt
            case .createdAt, .unspecified: record.createdAt
            }
        }
        let ascending = records.sorted { lhs, rhs in
            let (left, right) = (key(lhs), key(rhs))
            if left != right {
                guard let left else { return true }
                guard let right else { return false }
                return left < right
            }
            return lhs.id < rhs.id
        }
        return request.direction == .descending ? ascending.reversed() : ascending
    }

    /// `record` as `request` selects its fields.
    static func select(_ record: Interview, _ request: ListRequest) -> Interview {
        if !request.readMask.isEmpty {
            var result = Interview(id: record.id)
            for name in request.readMask {
                if let field = InterviewField(rawValue: name) { field.copy(from: record, into: &result) }
            }
            return result
        }
        var result = record
        if !request.includeRemoteData { result.remoteData = [] }
        if request.excludeCustomFields { result.customFields = [:] }
        if request.excludeAnalysis { result.analysis = nil }
        return result
    }
}
