internal import CProtobufC
public import InterviewsModel
internal import InterviewsProtoC

extension ListRequest: CBridged {
    typealias CMessage = Interviews__V1__ListRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__list_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__list_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.company_id = try a.cString(companyID, "company_id")
        (m.pointee.n_candidate_ids, m.pointee.candidate_ids) = try a.cStrings(candidateIDs, "candidate_ids")
        (m.pointee.n_ids, m.pointee.ids) = try a.cStrings(ids, "ids")
        (m.pointee.n_remote_ids, m.pointee.remote_ids) = try a.cStrings(remoteIDs, "remote_ids")
        m.pointee.application_id = try a.cString(applicationID, "application_id")
        m.pointee.job_id = try a.cString(jobID, "job_id")
        m.pointee.agent_id = try a.cString(agentID, "agent_id")
        m.pointee.job_interview_stage_id = try a.cString(jobInterviewStageID, "job_interview_stage_id")
        m.pointee.organizer_id = try a.cString(organizerID, "organizer_id")
        m.pointee.interviewer_id = try a.cString(interviewerID, "interviewer_id")
        if !statuses.isEmpty {
            let array = a.allocate(Interviews__V1__InterviewStatus.self, count: statuses.count)
            for (k, s) in statuses.enumerated() { array[k] = a.cEnum(s) }
            m.pointee.n_statuses = statuses.count
            m.pointee.statuses = array
        }
        m.pointee.created_after = a.timestamp(createdAfter)
        m.pointee.created_before = a.timestamp(createdBefore)
        m.pointee.updated_after = a.timestamp(updatedAfter)
        m.pointee.updated_before = a.timestamp(updatedBefore)
        m.pointee.start_after = a.timestamp(startAfter)
        m.pointee.start_before = a.timestamp(startBefore)
        m.pointee.end_after = a.timestamp(endAfter)
        m.pointee.end_before = a.timestamp(endBefore)
        m.pointee.include_deleted = includeDeleted ? 1 : 0
        m.pointee.page = page
        m.pointee.page_size = pageSize
        m.pointee.page_token = try a.cString(pageToken, "page_token")
        m.pointee.order_by = a.cEnum(orderBy)
        m.pointee.direction = a.cEnum(direction)
        m.pointee.include_remote_data = includeRemoteData ? 1 : 0
        m.pointee.exclude_custom_fields = excludeCustomFields ? 1 : 0
        m.pointee.exclude_analysis = excludeAnalysis ? 1 : 0
        m.pointee.read_mask = try a.fieldMask(readMask, "read_mask")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        var statuses: [InterviewStatus] = []
        if m.pointee.n_statuses > 0, let raw = m.pointee.statuses {
            statuses.reserveCapacity(m.pointee.n_statuses)
            for k in 0..<m.pointee.n_statuses {
                statuses.append(try readEnum(raw[k].rawValue, "statuses[\(k)]"))
            }
        }
        self.init(
            companyID: readString(m.pointee.company_id),
            candidateIDs: readStrings(m.pointee.n_candidate_ids, m.pointee.candidate_ids),
            ids: readStrings(m.pointee.n_ids, m.pointee.ids),
            remoteIDs: readStrings(m.pointee.n_remote_ids, m.pointee.remote_ids),
            applicationID: readString(m.pointee.application_id), jobID: readString(m.pointee.job_id),
            agentID: readString(m.pointee.agent_id),
            jobInterviewStageID: readString(m.pointee.job_interview_stage_id),
            organizerID: readString(m.pointee.organizer_id),
            interviewerID: readString(m.pointee.interviewer_id), statuses: statuses,
            createdAfter: try readTimestamp(m.pointee.created_after, "created_after"),
            createdBefore: try readTimestamp(m.pointee.created_before, "created_before"),
            updatedAfter: try readTimestamp(m.pointee.updated_after, "updated_after"),
            updatedBefore: try readTimestamp(m.pointee.updated_before, "updated_before"),
            startAfter: try readTimestamp(m.pointee.start_after, "start_after"),
            startBefore: try readTimestamp(m.pointee.start_before, "start_before"),
            endAfter: try readTimestamp(m.pointee.end_after, "end_after"),
            endBefore: try readTimestamp(m.pointee.end_before, "end_before"),
            includeDeleted: m.pointee.include_deleted != 0, page: m.pointee.page,
            pageSize: m.pointee.page_size, pageToken: readString(m.pointee.page_token),
            orderBy: try readEnum(m.pointee.order_by.rawValue, "order_by"),
            direction: try readEnum(m.pointee.direction.rawValue, "direction"),
            includeRemoteData: m.pointee.include_remote_data != 0,
            excludeCustomFields: m.pointee.exclude_custom_fields != 0,
            excludeAnalysis: m.pointee.exclude_analysis != 0,
            readMask: readFieldMask(m.pointee.read_mask))
    }
}

extension Page: CBridged {
    typealias CMessage = Interviews__V1__Page
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__page__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__page__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        (m.pointee.n_interviews, m.pointee.interviews) = try a.messages(interviews, "interviews")
        m.pointee.next_page_token = try a.cString(nextPageToken, "next_page_token")
        m.pointee.previous_page_token = try a.cString(previousPageToken, "previous_page_token")
        m.pointee.total_size = totalSize
        m.pointee.page = page
        m.pointee.page_size = pageSize
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            interviews: try readMessages(m.pointee.n_interviews, m.pointee.interviews, "interviews"),
            nextPageToken: readString(m.pointee.next_page_token),
            previousPageToken: readString(m.pointee.previous_page_token),
            totalSize: m.pointee.total_size, page: m.pointee.page, pageSize: m.pointee.page_size)
    }
}

extension GetInterviewRequest: CBridged {
    typealias CMessage = Interviews__V1__GetInterviewRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__get_interview_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__get_interview_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.company_id = try a.cString(companyID, "company_id")
        m.pointee.id = try a.cString(id, "id")
        m.pointee.include_remote_data = includeRemoteData ? 1 : 0
        m.pointee.include_deleted = includeDeleted ? 1 : 0
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            companyID: readString(m.pointee.company_id), id: readString(m.pointee.id),
            includeRemoteData: m.pointee.include_remote_data != 0,
            includeDeleted: m.pointee.include_deleted != 0)
    }
}

extension CreateInterviewRequest: CBridged {
    typealias CMessage = Interviews__V1__CreateInterviewRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__create_interview_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__create_interview_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.company_id = try a.cString(companyID, "company_id")
        do { m.pointee.interview = try a.message(interview) } catch { throw error.inside("interview") }
        m.pointee.request_id = try a.cString(requestID, "request_id")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            companyID: readString(m.pointee.company_id),
            interview: try readMessage(m.pointee.interview, "interview"),
            requestID: readString(m.pointee.request_id))
    }
}

extension UpdateInterviewRequest: CBridged {
    typealias CMessage = Interviews__V1__UpdateInterviewRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__update_interview_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__update_interview_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.company_id = try a.cString(companyID, "company_id")
        do { m.pointee.interview = try a.message(interview) } catch { throw error.inside("interview") }
        m.pointee.update_mask = try a.fieldMask(updateMask, "update_mask")
        m.pointee.expected_revision = expectedRevision
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            companyID: readString(m.pointee.company_id),
            interview: try readMessage(m.pointee.interview, "interview"),
            updateMask: readFieldMask(m.pointee.update_mask),
            expectedRevision: m.pointee.expected_revision)
    }
}

extension DeleteInterviewRequest: CBridged {
    typealias CMessage = Interviews__V1__DeleteInterviewRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__delete_interview_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__delete_interview_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.company_id = try a.cString(companyID, "company_id")
        m.pointee.id = try a.cString(id, "id")
        m.pointee.expected_revision = expectedRevision
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            companyID: readString(m.pointee.company_id), id: readString(m.pointee.id),
            expectedRevision: m.pointee.expected_revision)
    }
}

extension UpsertInterviewsRequest: CBridged {
    typealias CMessage = Interviews__V1__UpsertInterviewsRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__upsert_interviews_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__upsert_interviews_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.company_id = try a.cString(companyID, "company_id")
        (m.pointee.n_interviews, m.pointee.interviews) = try a.messages(interviews, "interviews")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            companyID: readString(m.pointee.company_id),
            interviews: try readMessages(m.pointee.n_interviews, m.pointee.interviews, "interviews"))
    }
}

extension UpsertResult: CBridged {
    typealias CMessage = Interviews__V1__UpsertResult
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__upsert_result__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__upsert_result__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.index = index
        m.pointee.outcome = a.cEnum(outcome)
        do { m.pointee.interview = try a.message(interview) } catch { throw error.inside("interview") }
        m.pointee.error_code = errorCode
        m.pointee.error_message = try a.cString(errorMessage, "error_message")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            index: m.pointee.index, outcome: try readEnum(m.pointee.outcome.rawValue, "outcome"),
            interview: try readMessage(m.pointee.interview, "interview"), errorCode: m.pointee.error_code,
            errorMessage: readString(m.pointee.error_message))
    }
}

extension UpsertInterviewsResponse: CBridged {
    typealias CMessage = Interviews__V1__UpsertInterviewsResponse
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__upsert_interviews_response__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__upsert_interviews_response__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        (m.pointee.n_results, m.pointee.results) = try a.messages(results, "results")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(results: try readMessages(m.pointee.n_results, m.pointee.results, "results"))
    }
}

extension WatchRequest: CBridged {
    typealias CMessage = Interviews__V1__WatchRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__watch_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__watch_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.company_id = try a.cString(companyID, "company_id")
        m.pointee.after_sequence = afterSequence
        m.pointee.include_remote_data = includeRemoteData ? 1 : 0
        m.pointee.store_epoch = storeEpoch
        m.pointee.send_caught_up = sendCaughtUp ? 1 : 0
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            companyID: readString(m.pointee.company_id), afterSequence: m.pointee.after_sequence,
            includeRemoteData: m.pointee.include_remote_data != 0, storeEpoch: m.pointee.store_epoch,
            sendCaughtUp: m.pointee.send_caught_up != 0)
    }
}

extension WatchEvent: CBridged {
    typealias CMessage = Interviews__V1__WatchEvent
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__watch_event__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__watch_event__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.sequence = sequence
        m.pointee.kind = a.cEnum(kind)
        do { m.pointee.interview = try a.message(interview) } catch { throw error.inside("interview") }
        m.pointee.store_epoch = storeEpoch
        m.pointee.caught_up = caughtUp ? 1 : 0
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            sequence: m.pointee.sequence, kind: try readEnum(m.pointee.kind.rawValue, "kind"),
            interview: try readMessage(m.pointee.interview, "interview"), storeEpoch: m.pointee.store_epoch,
            caughtUp: m.pointee.caught_up != 0)
    }
}

extension HealthRequest: CBridged {
    typealias CMessage = Interviews__V1__HealthRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__health_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__health_request__init(m) }
    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {}
    init(c m: UnsafePointer<CMessage>) throws(WireError) { self.init() }
}

extension HealthResponse: CBridged {
    typealias CMessage = Interviews__V1__HealthResponse
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__health_response__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__health_response__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.status = a.cEnum(status)
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(status: try readEnum(m.pointee.status.rawValue, "status"))
    }
}

extension ServerInfoRequest: CBridged {
    typealias CMessage = Interviews__V1__ServerInfoRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__server_info_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__server_info_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.company_id = try a.cString(companyID, "company_id")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(companyID: readString(m.pointee.company_id))
    }
}

extension ServerInfoResponse: CBridged {
    typealias CMessage = Interviews__V1__ServerInfoResponse
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__server_info_response__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__server_info_response__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.version = try a.cString(version, "version")
        m.pointee.backend = try a.cString(backend, "backend")
        m.pointee.uptime_seconds = uptimeSeconds
        m.pointee.started_at = a.timestamp(startedAt)
        m.pointee.interview_count = interviewCount
        m.pointee.deleted_count = deletedCount
        m.pointee.last_sequence = lastSequence
        m.pointee.protocol_version = protocolVersion
        m.pointee.writable = writable ? 1 : 0
        m.pointee.store_epoch = storeEpoch
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            version: readString(m.pointee.version), backend: readString(m.pointee.backend),
            uptimeSeconds: m.pointee.uptime_seconds,
            startedAt: try readTimestamp(m.pointee.started_at, "started_at"),
            interviewCount: m.pointee.interview_count, deletedCount: m.pointee.deleted_count,
            lastSequence: m.pointee.last_sequence, protocolVersion: m.pointee.protocol_version,
            writable: m.pointee.writable != 0, storeEpoch: m.pointee.store_epoch)
    }
}
