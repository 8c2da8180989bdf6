import InterviewsModel

/// Kombo's ATS interview.
///
/// | source | Interview |
/// |---|---|
/// | `id` (Kombo's stable id; else `remote_id`) | `remote_id`, the upsert key |
/// | `title` | `title` |
/// | `starting_at`, `ending_at` | `start_at`, `end_at` |
/// | `location` object | `location`, every part |
/// | `application_id` (else the expanded `application.id`) | `application_id` |
/// | `application.candidate.id`, `application.job.id` | `candidate_id`, `job_id` |
/// | `stage_id` | `job_interview_stage_id` |
/// | `canceled` true / false / null | CANCELLED / SCHEDULED / UNSPECIFIED |
/// | `users[]` | `interviewers` with ids, names and emails |
/// | `remote_created_at` | `remote_created_at` |
/// | `remote_updated_at`, else `changed_at` | `remote_updated_at` |
/// | `remote_deleted_at` | `remote_deleted_at` |
///
/// Kombo's own `remote_id`, `remote_data` and the rest of the expanded
/// application (outcome, candidate name and email) live only in `remote_data`.
enum KomboImport {
    static func interview(_ r: VendorObject) throws(JSONDecodingError) -> Interview {
        var i = Interview()
        i.remoteID = try r.recordID()
        i.title = try r.string("title")
        i.startAt = try r.timestamp("starting_at")
        i.endAt = try r.timestamp("ending_at")
        i.location = try r.location("location")
        i.applicationID = try r.string("application_id")
        if let application = try r.object("application") {
            if i.applicationID.isEmpty { i.applicationID = try application.string("id") }
            i.candidateID = try application.reference("candidate")
            i.jobID = try application.reference("job")
        }
        i.jobInterviewStageID = try r.string("stage_id")
        switch try r.bool("canceled") {
        case true?: i.status = .cancelled
        case false?: i.status = .scheduled
        case nil: i.status = .unspecified
        }
        i.interviewers = try r.participants("users")
        i.remoteCreatedAt = try r.timestamp("remote_created_at")
        i.remoteUpdatedAt = try r.timestamp("remote_updated_at")
        if i.remoteUpdatedAt == nil { i.remoteUpdatedAt = try r.timestamp("changed_at") }
        i.remoteDeletedAt = try r.timestamp("remote_deleted_at")
        return i
    }
}
