internal import CProtobufC
public import InterviewsModel
internal import InterviewsProtoC

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Participant: CBridged {
    typealias CMessage = Interviews__V1__Participant
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__participant__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__participant__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.id = try a.cString(id, "id")
        m.pointee.remote_id = try a.cString(remoteID, "remote_id")
        m.pointee.first_name = try a.cString(firstName, "first_name")
        m.pointee.last_name = try a.cString(lastName, "last_name")
        m.pointee.email = try a.cString(email, "email")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            id: readString(m.pointee.id), remoteID: readString(m.pointee.remote_id),
            firstName: readString(m.pointee.first_name), lastName: readString(m.pointee.last_name),
            email: readString(m.pointee.email))
    }
}

extension Location: CBridged {
    typealias CMessage = Interviews__V1__Location
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__location__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__location__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.raw = try a.cString(raw, "raw")
        m.pointee.street_1 = try a.cString(street1, "street_1")
        m.pointee.street_2 = try a.cString(street2, "street_2")
        m.pointee.city = try a.cString(city, "city")
        m.pointee.state = try a.cString(state, "state")
        m.pointee.zip_code = try a.cString(zipCode, "zip_code")
        m.pointee.country = try a.cString(country, "country")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            raw: readString(m.pointee.raw), street1: readString(m.pointee.street_1),
            street2: readString(m.pointee.street_2), city: readString(m.pointee.city),
            state: readString(m.pointee.state), zipCode: readString(m.pointee.zip_code),
            country: readString(m.pointee.country))
    }
}

extension TranscriptSegment: CBridged {
    typealias CMessage = Interviews__V1__TranscriptSegment
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__transcript_segment__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__transcript_segment__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.speaker = try a.cString(speaker, "speaker")
        m.pointee.text = try a.cString(text, "text")
        m.pointee.start_offset_ms = startOffsetMs
        m.pointee.end_offset_ms = endOffsetMs
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            speaker: readString(m.pointee.speaker), text: readString(m.pointee.text),
            startOffsetMs: m.pointee.start_offset_ms, endOffsetMs: m.pointee.end_offset_ms)
    }
}

extension Score: CBridged {
    typealias CMessage = Interviews__V1__Score
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__score__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__score__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.name = try a.cString(name, "name")
        m.pointee.value = value
        m.pointee.max_value = maxValue
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(name: readString(m.pointee.name), value: m.pointee.value, maxValue: m.pointee.max_value)
    }
}

extension Analysis: CBridged {
    typealias CMessage = Interviews__V1__Analysis
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__analysis__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__analysis__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.summary = try a.cString(summary, "summary")
        m.pointee.recommendation = try a.cString(recommendation, "recommendation")
        m.pointee.overall_score = overallScore
        (m.pointee.n_scores, m.pointee.scores) = try a.messages(scores, "scores")
        (m.pointee.n_transcript, m.pointee.transcript) = try a.messages(transcript, "transcript")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            summary: readString(m.pointee.summary), recommendation: readString(m.pointee.recommendation),
            overallScore: m.pointee.overall_score,
            scores: try readMessages(m.pointee.n_scores, m.pointee.scores, "scores"),
            transcript: try readMessages(m.pointee.n_transcript, m.pointee.transcript, "transcript"))
    }
}

extension Interview: CBridged {
    typealias CMessage = Interviews__V1__Interview
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__interview__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__interview__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.id = try a.cString(id, "id")
        m.pointee.remote_id = try a.cString(remoteID, "remote_id")
        m.pointee.company_id = try a.cString(companyID, "company_id")
        m.pointee.candidate_id = try a.cString(candidateID, "candidate_id")
        m.pointee.application_id = try a.cString(applicationID, "application_id")
        m.pointee.job_id = try a.cString(jobID, "job_id")
        m.pointee.agent_id = try a.cString(agentID, "agent_id")
        m.pointee.job_interview_stage_id = try a.cString(jobInterviewStageID, "job_interview_stage_id")
        m.pointee.title = try a.cString(title, "title")
        do { m.pointee.organizer = try a.message(organizer) } catch { throw error.inside("organizer") }
        (m.pointee.n_interviewers, m.pointee.interviewers) = try a.messages(interviewers, "interviewers")
        do { m.pointee.location = try a.message(location) } catch { throw error.inside("location") }
        m.pointee.start_at = a.timestamp(startAt)
        m.pointee.end_at = a.timestamp(endAt)
        m.pointee.status = a.cEnum(status)
        m.pointee.remote_status = try a.cString(remoteStatus, "remote_status")
        m.pointee.created_at = a.timestamp(createdAt)
        m.pointee.updated_at = a.timestamp(updatedAt)
        m.pointee.remote_created_at = a.timestamp(remoteCreatedAt)
        m.pointee.remote_updated_at = a.timestamp(remoteUpdatedAt)
        m.pointee.deleted_at = a.timestamp(deletedAt)
        m.pointee.remote_deleted_at = a.timestamp(remoteDeletedAt)
        if !customFields.isEmpty {
            let count = customFields.count
            let array = a.allocate(
                UnsafeMutablePointer<Interviews__V1__Interview__CustomFieldsEntry>?.self, count: count)
            var k = 0
            for (key, value) in customFields {
                let e = a.allocate(Interviews__V1__Interview__CustomFieldsEntry.self)
                interviews__v1__interview__custom_fields_entry__init(e)
                e.pointee.key = try a.cString(key, "custom_fields[\(key.debugDescription)].key") ?? a.emptyCString()
                e.pointee.value = try a.cString(value, "custom_fields[\(key.debugDescription)].value")
                array[k] = e
                k += 1
            }
            // Sorted by key bytes (as protobuf's deterministic serialization
            // does), so that equal records encode to equal bytes. In place in
            // the arena: insertion sort, the map holds at most a few hundred keys.
            for i in 1..<max(count, 1) {
                let entry = array[i]
                var j = i - 1
                while j >= 0, strcmp(array[j]!.pointee.key, entry!.pointee.key) > 0 {
                    array[j + 1] = array[j]
                    j -= 1
                }
                array[j + 1] = entry
            }
            m.pointee.n_custom_fields = count
            m.pointee.custom_fields = array
        }
        m.pointee.remote_data = a.binary(remoteData)
        do { m.pointee.analysis = try a.message(analysis) } catch { throw error.inside("analysis") }
        m.pointee.revision = revision
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        var fields: [String: String] = [:]
        if m.pointee.n_custom_fields > 0, let entries = m.pointee.custom_fields {
            fields = Dictionary(minimumCapacity: m.pointee.n_custom_fields)
            for k in 0..<m.pointee.n_custom_fields {
                guard let e = entries[k] else { continue }
                // A repeated key keeps its last value, as protobuf's map rule says.
                fields[readString(e.pointee.key)] = readString(e.pointee.value)
            }
        }
        self.init(
            id: readString(m.pointee.id), remoteID: readString(m.pointee.remote_id),
            companyID: readString(m.pointee.company_id), candidateID: readString(m.pointee.candidate_id),
            applicationID: readString(m.pointee.application_id), jobID: readString(m.pointee.job_id),
            agentID: readString(m.pointee.agent_id),
            jobInterviewStageID: readString(m.pointee.job_interview_stage_id),
            title: readString(m.pointee.title),
            organizer: try readMessage(m.pointee.organizer, "organizer"),
            interviewers: try readMessages(m.pointee.n_interviewers, m.pointee.interviewers, "interviewers"),
            location: try readMessage(m.pointee.location, "location"),
            startAt: try readTimestamp(m.pointee.start_at, "start_at"),
            endAt: try readTimestamp(m.pointee.end_at, "end_at"),
            status: try readEnum(m.pointee.status.rawValue, "status"),
            remoteStatus: readString(m.pointee.remote_status),
            createdAt: try readTimestamp(m.pointee.created_at, "created_at"),
            updatedAt: try readTimestamp(m.pointee.updated_at, "updated_at"),
            remoteCreatedAt: try readTimestamp(m.pointee.remote_created_at, "remote_created_at"),
            remoteUpdatedAt: try readTimestamp(m.pointee.remote_updated_at, "remote_updated_at"),
            deletedAt: try readTimestamp(m.pointee.deleted_at, "deleted_at"),
            remoteDeletedAt: try readTimestamp(m.pointee.remote_deleted_at, "remote_deleted_at"),
            customFields: fields, remoteData: readBytes(m.pointee.remote_data),
            analysis: try readMessage(m.pointee.analysis, "analysis"), revision: m.pointee.revision)
    }
}

extension Interview {
    /// Checks `bytes` as ``decode(from:maxSize:)`` does before it unpacks —
    /// framing, wire types, UTF-8 and NUL in strings, at every depth — without
    /// building the value. Enum values and timestamp ranges are not checked.
    public static func validateEncoding(_ bytes: UnsafeRawBufferPointer) throws(WireError) {
        try WireScanner.scan(bytes, cDescriptor)
    }
}
