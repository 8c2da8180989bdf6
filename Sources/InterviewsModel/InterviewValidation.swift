/// Input validation shared by every backend: one place that knows the
/// limits (``InterviewLimits``) and words the errors.
///
/// Every failure is an ``InterviewsError`` with code INVALID_ARGUMENT and a
/// message of the form `<field>: <the value's problem>; <the limit>`, e.g.
/// `page_size: 101 is out of range; must be 1..100`.
public enum InterviewValidation {
    /// Checks an id or reference: 1...128 bytes of printable ASCII
    /// (`!` through `~`), so no spaces, no control characters.
    ///
    /// - Throws: INVALID_ARGUMENT naming `field`.
    public static func validateID(_ value: String, field: String) throws(InterviewsError) {
        let count = value.utf8.count
        if count == 0 {
            throw .invalidArgument(field, "is empty; must be 1..\(InterviewLimits.maxIDBytes) bytes of printable ASCII")
        }
        if count > InterviewLimits.maxIDBytes {
            throw .invalidArgument(field, "is \(count) bytes; must be at most \(InterviewLimits.maxIDBytes)")
        }
        // Native strings are contiguous UTF-8: checked as bytes, without the view's iterator.
        let valid = value.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where byte < 0x21 || byte > 0x7E { return false }
            return true
        }
        if !(valid ?? value.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E })) {
            throw .invalidArgument(
                field, "\(quoted(value)) contains a space or a non-printable character; must be printable ASCII")
        }
    }

    /// Checks an id that may be empty ("not set").
    public static func validateOptionalID(_ value: String, field: String) throws(InterviewsError) {
        if !value.isEmpty { try validateID(value, field: field) }
    }

    /// Checks the tenant's company id.
    public static func validateCompanyID(_ value: String) throws(InterviewsError) {
        try validateID(value, field: "company_id")
    }

    /// Checks a create's request id; empty means "not idempotent".
    public static func validateRequestID(_ value: String) throws(InterviewsError) {
        try validateOptionalID(value, field: "request_id")
    }

    /// Checks a free-text field: at most `limit` bytes and no U+0000 (protobuf-c
    /// carries strings as C strings).
    public static func validateText(_ value: String, field: String, limit: Int) throws(InterviewsError) {
        let count = value.utf8.count
        if count > limit {
            throw .invalidArgument(field, "is \(count) bytes; must be at most \(limit)")
        }
        if value.utf8.contains(0) {
            throw .invalidArgument(field, "contains U+0000; strings must not contain NUL")
        }
    }

    /// Checks that a timestamp lies in protobuf's range (years 0001...9999).
    public static func validateTimestamp(_ value: Timestamp?, field: String) throws(InterviewsError) {
        guard let value, !value.isValid else { return }
        throw .invalidArgument(
            field,
            "seconds \(value.seconds) nanos \(value.nanos) is out of range; must be \(Timestamp.min)..\(Timestamp.max)")
    }

    /// Checks a finite number (NaN and infinities would never compare equal).
    public static func validateNumber(_ value: Double, field: String) throws(InterviewsError) {
        if !value.isFinite {
            throw .invalidArgument(field, "\(value) is not finite; must be a finite number")
        }
    }

    /// Checks every client-owned field of a record against ``InterviewLimits``
    /// and the cross-field rule end_at >= start_at. Server-owned fields
    /// (``InterviewField/serverOwned``) are not looked at: the service sets them.
    ///
    /// - Throws: INVALID_ARGUMENT naming the first offending field.
    public static func validate(_ interview: Interview) throws(InterviewsError) {
        let ids: [(String, String)] = [
            (interview.remoteID, "remote_id"), (interview.candidateID, "candidate_id"),
            (interview.applicationID, "application_id"), (interview.jobID, "job_id"),
            (interview.agentID, "agent_id"), (interview.jobInterviewStageID, "job_interview_stage_id"),
        ]
        for (value, field) in ids { try validateOptionalID(value, field: field) }
        try validateText(interview.title, field: "title", limit: InterviewLimits.maxTitleBytes)
        if let organizer = interview.organizer { try validate(organizer, field: "organizer") }
        if interview.interviewers.count > InterviewLimits.maxInterviewers {
            throw .invalidArgument(
                "interviewers",
                "\(interview.interviewers.count) entries; must be at most \(InterviewLimits.maxInterviewers)")
        }
        for (index, participant) in interview.interviewers.enumerated() {
            try validate(participant, field: "interviewers[\(index)]")
        }
        if let location = interview.location { try validate(location) }
        for (value, field) in [
            (interview.startAt, "start_at"), (interview.endAt, "end_at"),
            (interview.remoteCreatedAt, "remote_created_at"), (interview.remoteUpdatedAt, "remote_updated_at"),
            (interview.remoteDeletedAt, "remote_deleted_at"),
        ] {
            try validateTimestamp(value, field: field)
        }
        if let start = interview.startAt, let end = interview.endAt, end < start {
            throw .invalidArgument("end_at", "\(end) is before start_at \(start); must be >= start_at")
        }
        try validateText(interview.remoteStatus, field: "remote_status", limit: InterviewLimits.maxShortTextBytes)
        try validateCustomFields(interview.customFields)
        if interview.remoteData.count > InterviewLimits.maxRemoteDataBytes {
            throw .invalidArgument(
                "remote_data",
                "is \(interview.remoteData.count) bytes; must be at most \(InterviewLimits.maxRemoteDataBytes) (1 MiB)")
        }
        if let analysis = interview.analysis { try validate(analysis) }
    }

    private static func validate(_ participant: Participant, field: String) throws(InterviewsError) {
        try validateOptionalID(participant.id, field: "\(field).id")
        try validateOptionalID(participant.remoteID, field: "\(field).remote_id")
        let limit = InterviewLimits.maxShortTextBytes
        try validateText(participant.firstName, field: "\(field).first_name", limit: limit)
        try validateText(participant.lastName, field: "\(field).last_name", limit: limit)
        try validateText(participant.email, field: "\(field).email", limit: limit)
    }

    private static func validate(_ location: Location) throws(InterviewsError) {
        try validateText(location.raw, field: "location.raw", limit: InterviewLimits.maxTitleBytes)
        let limit = InterviewLimits.maxShortTextBytes
        for (value, field) in [
            (location.street1, "street_1"), (location.street2, "street_2"), (location.city, "city"),
            (location.state, "state"), (location.zipCode, "zip_code"), (location.country, "country"),
        ] {
            try validateText(value, field: "location.\(field)", limit: limit)
        }
    }

    private static func validateCustomFields(_ fields: [String: String]) throws(InterviewsError) {
        if fields.count > InterviewLimits.maxCustomFields {
            throw .invalidArgument(
                "custom_fields", "\(fields.count) entries; must be at most \(InterviewLimits.maxCustomFields)")
        }
        for key in fields.keys.sorted() {
            let keyBytes = key.utf8.count
            if keyBytes == 0 || keyBytes > InterviewLimits.maxCustomFieldKeyBytes {
                throw .invalidArgument(
                    "custom_fields",
                    "key \(quoted(key)) is \(keyBytes) bytes; keys must be 1..\(InterviewLimits.maxCustomFieldKeyBytes)"
                )
            }
            try validateText(key, field: "custom_fields", limit: InterviewLimits.maxCustomFieldKeyBytes)
            try validateText(
                fields[key] ?? "", field: "custom_fields[\(quoted(key))]",
                limit: InterviewLimits.maxCustomFieldValueBytes)
        }
    }

    private static func validate(_ analysis: Analysis) throws(InterviewsError) {
        try validateText(analysis.summary, field: "analysis.summary", limit: InterviewLimits.maxLongTextBytes)
        try validateText(
            analysis.recommendation, field: "analysis.recommendation", limit: InterviewLimits.maxShortTextBytes)
        try validateNumber(analysis.overallScore, field: "analysis.overall_score")
        if analysis.scores.count > InterviewLimits.maxScores {
            throw .invalidArgument(
                "analysis.scores", "\(analysis.scores.count) entries; must be at most \(InterviewLimits.maxScores)")
        }
        for (index, score) in analysis.scores.enumerated() {
            let field = "analysis.scores[\(index)]"
            try validateText(score.name, field: "\(field).name", limit: InterviewLimits.maxShortTextBytes)
            try validateNumber(score.value, field: "\(field).value")
            try validateNumber(score.maxValue, field: "\(field).max_value")
        }
        if analysis.transcript.count > InterviewLimits.maxTranscriptSegments {
            throw .invalidArgument(
                "analysis.transcript",
                "\(analysis.transcript.count) segments; must be at most \(InterviewLimits.maxTranscriptSegments)")
        }
        var total = 0
        for (index, segment) in analysis.transcript.enumerated() {
            let field = "analysis.transcript[\(index)]"
            try validateText(segment.speaker, field: "\(field).speaker", limit: InterviewLimits.maxShortTextBytes)
            try validateText(segment.text, field: "\(field).text", limit: InterviewLimits.maxLongTextBytes)
            total += segment.speaker.utf8.count + segment.text.utf8.count
        }
        if total > InterviewLimits.maxTranscriptTextBytes {
            throw .invalidArgument(
                "analysis.transcript",
                "text is \(total) bytes in all (speakers included); must be at most \(InterviewLimits.maxTranscriptTextBytes) (1 MiB)"
            )
        }
    }

    /// Checks a list request's filters, paging and field selection.
    ///
    /// - Throws: INVALID_ARGUMENT naming the field and its range, e.g.
    ///   `page: 10001 is out of range; must be 1..10000`.
    public static func validate(_ request: ListRequest) throws(InterviewsError) {
        if request.page > InterviewLimits.maxPage {
            throw .invalidArgument("page", "\(request.page) is out of range; must be 1..\(InterviewLimits.maxPage)")
        }
        if request.pageSize > InterviewLimits.maxPageSize {
            throw .invalidArgument(
                "page_size", "\(request.pageSize) is out of range; must be 1..\(InterviewLimits.maxPageSize)")
        }
        let tokenBytes = request.pageToken.utf8.count
        if tokenBytes > InterviewLimits.maxPageTokenBytes {
            throw .invalidArgument(
                "page_token", "is \(tokenBytes) bytes; must be at most \(InterviewLimits.maxPageTokenBytes)")
        }
        for (values, field) in [
            (request.candidateIDs, "candidate_ids"), (request.ids, "ids"), (request.remoteIDs, "remote_ids"),
        ] {
            try validateFilterCount(values.count, field: field)
            for (index, value) in values.enumerated() { try validateID(value, field: "\(field)[\(index)]") }
        }
        try validateFilterCount(request.statuses.count, field: "statuses")
        for (value, field) in [
            (request.applicationID, "application_id"), (request.jobID, "job_id"), (request.agentID, "agent_id"),
            (request.jobInterviewStageID, "job_interview_stage_id"), (request.organizerID, "organizer_id"),
            (request.interviewerID, "interviewer_id"),
        ] {
            try validateOptionalID(value, field: field)
        }
        for (value, field) in [
            (request.createdAfter, "created_after"), (request.createdBefore, "created_before"),
            (request.updatedAfter, "updated_after"), (request.updatedBefore, "updated_before"),
            (request.startAfter, "start_after"), (request.startBefore, "start_before"),
            (request.endAfter, "end_after"), (request.endBefore, "end_before"),
        ] {
            try validateTimestamp(value, field: field)
        }
        _ = try readMask(request.readMask)
    }

    private static func validateFilterCount(_ count: Int, field: String) throws(InterviewsError) {
        if count > InterviewLimits.maxFilterValues {
            throw .invalidArgument(field, "\(count) values; must be at most \(InterviewLimits.maxFilterValues)")
        }
    }

    /// Resolves an update mask: every path must name a top-level, client-owned
    /// Interview field; the mask must not be empty.
    ///
    /// - Throws: INVALID_ARGUMENT naming the offending path.
    public static func updateMask(_ paths: [String]) throws(InterviewsError) -> Set<InterviewField> {
        if paths.isEmpty {
            throw .invalidArgument("update_mask", "is empty; must name at least one Interview field")
        }
        var fields = Set<InterviewField>()
        for path in paths {
            guard let field = InterviewField(rawValue: path) else {
                throw .invalidArgument(
                    "update_mask", "\(quoted(path)) is not a top-level Interview field; must be a snake_case field name"
                )
            }
            if field.isServerOwned {
                throw .invalidArgument(
                    "update_mask",
                    "\(quoted(path)) is set by the server; must not name id, company_id, created_at, updated_at, deleted_at or revision"
                )
            }
            fields.insert(field)
        }
        return fields
    }

    /// Resolves a read mask: every path must name a top-level Interview field.
    /// Empty means "every field"; the result is then nil.
    ///
    /// - Throws: INVALID_ARGUMENT naming the offending path.
    public static func readMask(_ paths: [String]) throws(InterviewsError) -> Set<InterviewField>? {
        if paths.isEmpty { return nil }
        if paths.count > InterviewField.allCases.count * 2 {
            throw .invalidArgument(
                "read_mask", "\(paths.count) paths; must be at most \(InterviewField.allCases.count * 2)")
        }
        var fields = Set<InterviewField>()
        for path in paths {
            guard let field = InterviewField(rawValue: path) else {
                throw .invalidArgument(
                    "read_mask", "\(quoted(path)) is not a top-level Interview field; must be a snake_case field name")
            }
            fields.insert(field)
        }
        return fields
    }

    /// The page number a request means (0 means 1).
    public static func effectivePage(_ request: ListRequest) -> UInt32 { max(request.page, 1) }

    /// The page size a request means (0 means ``InterviewLimits/defaultPageSize``).
    public static func effectivePageSize(_ request: ListRequest) -> UInt32 {
        request.pageSize == 0 ? InterviewLimits.defaultPageSize : request.pageSize
    }

    /// A value quoted for an error message: at most 64 characters, with
    /// control characters escaped, so that a message stays readable.
    public static func quoted(_ value: String) -> String {
        var text = ""
        for (index, scalar) in value.unicodeScalars.enumerated() {
            if index == 64 {
                text += "..."
                break
            }
            text += scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return "\"\(text)\""
    }
}
