import InterviewsModel

/// Merge's and Bindbee's ScheduledInterview, two close variants of one
/// common model.
///
/// | source | Interview |
/// |---|---|
/// | `id` (else `remote_id`) | `remote_id`, the upsert key |
/// | `application` (id, or expanded with `candidate`, `job`) | `application_id` (`candidate_id`, `job_id`) |
/// | `job_interview_stage` | `job_interview_stage_id` |
/// | `organizer`, `interviewers` (ids or user objects; Bindbee may send one id) | `organizer`, `interviewers` |
/// | `location` | `location.raw` |
/// | `start_at`, `end_at`, `remote_created_at`, `remote_updated_at` | the same |
/// | `status` SCHEDULED, AWAITING_FEEDBACK, COMPLETE | SCHEDULED, AWAITING_FEEDBACK, COMPLETED; any other value in `remote_status` |
/// | `remote_was_deleted: true` | `remote_deleted_at` = `remote_updated_at`, else the import time |
/// | Merge `field_mappings`, Bindbee `custom_fields` | `custom_fields`, flattened |
///
/// Merge's `remote_id` and `remote_data`, Bindbee's `remote_id`, `modified_at`
/// (Bindbee's own bookkeeping) and `raw_data` live only in `remote_data`.
enum ScheduledInterviewImport {
    static let statuses: [String: InterviewStatus] = [
        "SCHEDULED": .scheduled, "AWAITING_FEEDBACK": .awaitingFeedback, "COMPLETE": .completed,
    ]

    static func interview(
        _ r: VendorObject, customFieldsKey: String, importedAt: Timestamp
    ) throws(JSONDecodingError) -> Interview {
        var i = Interview()
        i.remoteID = try r.recordID()
        if case .object? = r["application"], let application = try r.object("application") {
            i.applicationID = try application.string("id")
            i.candidateID = try application.reference("candidate")
            i.jobID = try application.reference("job")
        } else {
            i.applicationID = try r.reference("application")
        }
        i.jobInterviewStageID = try r.reference("job_interview_stage")
        i.organizer = try r.participant("organizer")
        i.interviewers = try r.participants("interviewers")
        i.location = try r.location("location")
        i.startAt = try r.timestamp("start_at")
        i.endAt = try r.timestamp("end_at")
        i.remoteCreatedAt = try r.timestamp("remote_created_at")
        i.remoteUpdatedAt = try r.timestamp("remote_updated_at")
        (i.status, i.remoteStatus) = try r.status("status", statuses)
        if try r.bool("remote_was_deleted") == true {
            i.remoteDeletedAt = i.remoteUpdatedAt ?? importedAt
        }
        i.customFields = try r.flattened(customFieldsKey)
        return i
    }
}
