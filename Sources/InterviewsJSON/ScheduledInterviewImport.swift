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
/// | `remote_was_deleted: true` | `remote_deleted_at` = `remote_updated_at`, else the vendor's `modified_at`, else `created_at`, else `remote_created_at`, else 1970-01-01T00:00:00Z (time unknown) |
/// | Merge `field_mappings`, Bindbee `custom_fields` | `custom_fields`, flattened |
///
/// Merge's `remote_id` and `remote_data`, Bindbee's `remote_id`, `modified_at`
/// (Bindbee's own bookkeeping) and `raw_data` live only in `remote_data`.
///
/// Every value derives from the record alone, never from the clock, so that
/// importing the same source again changes nothing (no revision bump).
enum ScheduledInterviewImport {
    static let statuses: [String: InterviewStatus] = [
        "SCHEDULED": .scheduled, "AWAITING_FEEDBACK": .awaitingFeedback, "COMPLETE": .completed,
    ]

    static func interview(
        _ r: VendorObject, customFieldsKey: String
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
            // The deletion's own time is not sent: the latest time the record
            // carries, deterministic so that a re-import is a no-op.
            var deletedAt = i.remoteUpdatedAt
            if deletedAt == nil { deletedAt = try r.timestamp("modified_at") }
            if deletedAt == nil { deletedAt = try r.timestamp("created_at") }
            i.remoteDeletedAt = deletedAt ?? i.remoteCreatedAt ?? Timestamp(seconds: 0)
        }
        i.customFields = try r.flattened(customFieldsKey)
        return i
    }
}
