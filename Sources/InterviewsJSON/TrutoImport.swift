import InterviewsModel

/// Truto's unified ATS interview.
///
/// | source | Interview |
/// |---|---|
/// | `id` (the remote system's id) | `remote_id`, the upsert key |
/// | `application.id`, `candidate.id`, `job.id` (objects or ids) | `application_id`, `candidate_id`, `job_id` |
/// | `job_interview_stage.id` | `job_interview_stage_id` |
/// | `organizer`, `interviewers` (`{id}` objects or ids) | `organizer`, `interviewers` |
/// | `location` | `location.raw` |
/// | `start_at`, `end_at` | the same |
/// | `status` draft, scheduled, cancelled, awaiting_feedback, completed | the same; any other value in `remote_status` |
/// | `created_at`, `updated_at` | `remote_created_at`, `remote_updated_at` |
/// | `custom_fields` | `custom_fields`, flattened |
///
/// `remote_data` (the underlying system's raw record) lives only in our `remote_data`.
enum TrutoImport {
    static let statuses: [String: InterviewStatus] = [
        "draft": .draft, "scheduled": .scheduled, "cancelled": .cancelled, "awaiting_feedback": .awaitingFeedback,
        "completed": .completed,
    ]

    static func interview(_ r: VendorObject) throws(JSONDecodingError) -> Interview {
        var i = Interview()
        i.remoteID = try r.recordID()
        i.applicationID = try r.reference("application")
        i.candidateID = try r.reference("candidate")
        i.jobID = try r.reference("job")
        i.jobInterviewStageID = try r.reference("job_interview_stage")
        i.organizer = try r.participant("organizer")
        i.interviewers = try r.participants("interviewers")
        i.location = try r.location("location")
        i.startAt = try r.timestamp("start_at")
        i.endAt = try r.timestamp("end_at")
        (i.status, i.remoteStatus) = try r.status("status", statuses)
        i.remoteCreatedAt = try r.timestamp("created_at")
        i.remoteUpdatedAt = try r.timestamp("updated_at")
        i.customFields = try r.flattened("custom_fields")
        return i
    }
}
