import Crypto
import InterviewsModel

/// A validated list request, ready to match records: filters as sets, the
/// resolved order, paging and field selection.
package struct ListQuery: Sendable {
    /// The request as given.
    package let request: ListRequest
    /// The tenant the query runs for.
    package let tenant: Tenant
    /// The resolved order.
    package let order: ListOrder
    /// The effective page size.
    package let pageSize: Int
    let candidateIDs: Set<String>
    let ids: Set<String>
    let remoteIDs: Set<String>
    let statuses: Set<InterviewStatus>
    let readMask: Set<InterviewField>?

    /// Validates `request` for `tenant`.
    ///
    /// - Throws: INVALID_ARGUMENT (see ``InterviewValidation/validate(_:)-(ListRequest)``).
    package init(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) {
        try InterviewValidation.validateCompanyID(tenant.companyID)
        try InterviewValidation.validate(request)
        self.request = request
        self.tenant = tenant
        order = ListOrder(request)
        pageSize = Int(InterviewValidation.effectivePageSize(request))
        candidateIDs = Set(request.candidateIDs)
        ids = Set(request.ids)
        remoteIDs = Set(request.remoteIDs)
        statuses = Set(request.statuses)
        readMask = try InterviewValidation.readMask(request.readMask)
    }

    /// Whether `record` (of this tenant) passes every filter: AND across
    /// fields, OR within a list field, time bounds half-open.
    package func matches(_ record: Interview) -> Bool {
        let r = request
        if !r.includeDeleted && record.deletedAt != nil { return false }
        if !candidateIDs.isEmpty && !candidateIDs.contains(record.candidateID) { return false }
        if !ids.isEmpty && !ids.contains(record.id) { return false }
        if !remoteIDs.isEmpty && !remoteIDs.contains(record.remoteID) { return false }
        if !statuses.isEmpty && !statuses.contains(record.status) { return false }
        if !r.applicationID.isEmpty && record.applicationID != r.applicationID { return false }
        if !r.jobID.isEmpty && record.jobID != r.jobID { return false }
        if !r.agentID.isEmpty && record.agentID != r.agentID { return false }
        if !r.jobInterviewStageID.isEmpty && record.jobInterviewStageID != r.jobInterviewStageID { return false }
        if !r.organizerID.isEmpty && record.organizer?.id != r.organizerID { return false }
        if !r.interviewerID.isEmpty && !record.interviewers.contains(where: { $0.id == r.interviewerID }) {
            return false
        }
        return Self.within(record.createdAt, r.createdAfter, r.createdBefore)
            && Self.within(record.updatedAt, r.updatedAfter, r.updatedBefore)
            && Self.within(record.startAt, r.startAfter, r.startBefore)
            && Self.within(record.endAt, r.endAfter, r.endBefore)
    }

    /// Whether stored `record` (of this tenant) passes every filter; the same
    /// rule as ``matches(_:)-(Interview)``, read from the record's fixed
    /// fields and its encoding. Only the organizer, interviewer and end_at
    /// filters decode the record.
    package func matches(_ record: StoredRecord) -> Bool {
        let r = request
        if !r.includeDeleted && record.isDeleted { return false }
        let facts = record.facts
        if !statuses.isEmpty && !statuses.contains(facts.status) { return false }
        guard
            Self.within(facts.createdAt, r.createdAfter, r.createdBefore)
                && Self.within(facts.updatedAt, r.updatedAfter, r.updatedBefore)
                && Self.within(facts.startAt, r.startAfter, r.startBefore)
        else { return false }
        func text(_ number: UInt32) -> String { String(decoding: record.stringField(number), as: UTF8.self) }
        if !ids.isEmpty && !ids.contains(text(1)) { return false }
        if !remoteIDs.isEmpty && !remoteIDs.contains(text(2)) { return false }
        if !candidateIDs.isEmpty && !candidateIDs.contains(text(4)) { return false }
        let singles: [(String, UInt32)] = [
            (r.applicationID, 5), (r.jobID, 6), (r.agentID, 7), (r.jobInterviewStageID, 8),
        ]
        for (value, number) in singles where !value.isEmpty {
            if !record.field(number, equals: value) { return false }
        }
        if !r.organizerID.isEmpty || !r.interviewerID.isEmpty || r.endAfter != nil || r.endBefore != nil {
            guard let interview = try? record.interview() else { return false }
            return matches(interview)
        }
        return true
    }

    /// `after <= value < before`; a missing value is outside any bound.
    private static func within(_ value: Timestamp?, _ after: Timestamp?, _ before: Timestamp?) -> Bool {
        if after == nil && before == nil { return true }
        guard let value else { return false }
        if let after, value < after { return false }
        if let before, value >= before { return false }
        return true
    }

    /// The bounds of the order's own timestamp filter, as keys: the records
    /// matching it are exactly those with `lower <= key < upper`.
    package var keyRange: (lower: IndexKey?, upper: IndexKey?) {
        let r = request
        let (after, before): (Timestamp?, Timestamp?) =
            switch order.field {
            case .startAt: (r.startAfter, r.startBefore)
            case .updatedAt: (r.updatedAfter, r.updatedBefore)
            case .createdAt, .unspecified: (r.createdAfter, r.createdBefore)
            }
        // A bound excludes records without the timestamp, which sort lowest.
        let lower = after.map(IndexKey.lowest(at:)) ?? before.map { _ in IndexKey.lowest(at: .min) }
        return (lower, before.map(IndexKey.lowest(at:)))
    }

    /// Which filters other than the order's own time bounds and deletion are set.
    package var filterFields: Set<FilterField> {
        let r = request
        var fields = Set<FilterField>()
        if !candidateIDs.isEmpty { fields.insert(.candidate) }
        if !ids.isEmpty { fields.insert(.ids) }
        if !remoteIDs.isEmpty { fields.insert(.remoteIDs) }
        if !statuses.isEmpty { fields.insert(.status) }
        if !r.applicationID.isEmpty { fields.insert(.application) }
        if !r.jobID.isEmpty { fields.insert(.job) }
        if !r.agentID.isEmpty { fields.insert(.agent) }
        if !r.jobInterviewStageID.isEmpty { fields.insert(.stage) }
        if !r.organizerID.isEmpty { fields.insert(.organizer) }
        if !r.interviewerID.isEmpty { fields.insert(.interviewer) }
        // The order's own time bounds are the walk's key range, not a filter.
        let ordered = order.field
        if (ordered != .createdAt && (r.createdAfter != nil || r.createdBefore != nil))
            || (ordered != .updatedAt && (r.updatedAfter != nil || r.updatedBefore != nil))
            || (ordered != .startAt && (r.startAfter != nil || r.startBefore != nil))
            || r.endAfter != nil || r.endBefore != nil
        {
            fields.insert(.otherTime)
        }
        return fields
    }

    /// A filter field, for choosing an index.
    package enum FilterField: Sendable, Hashable {
        case candidate, ids, remoteIDs, status, application, job, agent, stage, organizer, interviewer, otherTime
    }

    /// A digest of the tenant, the filters (list fields as sorted sets) and the
    /// order: what a page token is bound to. Paging and field selection are
    /// not part of it, so a walk may change page size or fields.
    package var binding: [UInt8] {
        let r = request
        var bytes = CanonicalBytes(capacity: 192)
        bytes.append("interviews.list.v1")
        bytes.append(tenant.companyID)
        func append(_ set: Set<String>) {
            bytes.append(UInt32(set.count))
            for value in set.sorted() { bytes.append(value) }
        }
        append(candidateIDs)
        append(ids)
        append(remoteIDs)
        bytes.append(UInt32(statuses.count))
        for status in statuses.sorted() { bytes.append(status.rawValue) }
        bytes.append(r.applicationID)
        bytes.append(r.jobID)
        bytes.append(r.agentID)
        bytes.append(r.jobInterviewStageID)
        bytes.append(r.organizerID)
        bytes.append(r.interviewerID)
        bytes.append(r.createdAfter)
        bytes.append(r.createdBefore)
        bytes.append(r.updatedAfter)
        bytes.append(r.updatedBefore)
        bytes.append(r.startAfter)
        bytes.append(r.startBefore)
        bytes.append(r.endAfter)
        bytes.append(r.endBefore)
        bytes.append(r.includeDeleted)
        bytes.append(order.field.rawValue)
        bytes.append(order.descending)
        return Array(SHA256.hash(data: bytes.bytes).prefix(16))
    }

    /// The sections of a stored record the request shows, or nil when a
    /// read mask asks for a selection that is not made of whole sections.
    package var view: RecordView? {
        guard readMask == nil else { return nil }
        return RecordView(
            customFields: !request.excludeCustomFields, remoteData: request.includeRemoteData,
            analysis: !request.excludeAnalysis)
    }

    /// `record` as the request asks to see it: a non-empty read mask keeps
    /// only its fields (plus id); otherwise remote_data only when
    /// include_remote_data, custom_fields and analysis unless excluded.
    package func select(_ record: consuming Interview) -> Interview {
        if let readMask { return record.keeping(readMask) }
        var result = record
        if !request.includeRemoteData { result.remoteData = [] }
        if request.excludeCustomFields { result.customFields = [:] }
        if request.excludeAnalysis { result.analysis = nil }
        return result
    }
}
