/// The shape of a record given to `interviews import`.
public enum ImportFormat: String, Sendable, Hashable, CaseIterable {
    /// Tell the shape from the record's fields; see ``InterviewImporter/detectFormat(of:)``.
    case auto
    /// Our own proto3 JSON, as `interviews export` writes it.
    case ours
    /// Merge's ATS ScheduledInterview.
    case merge
    /// Kombo's ATS interview.
    case kombo
    /// Truto's unified ATS interview.
    case truto
    /// Bindbee's ATS scheduled interview.
    case bindbee
    /// The AI-interview platform's interview.
    case platform
}

/// Recognizes a record's format from the fields only one format has.
enum FormatDetector {
    static let kombo: Set = ["starting_at", "ending_at", "stage_id", "canceled", "changed_at", "users"]
    static let bindbee: Set = ["raw_data", "modified_at"]
    static let merge: Set = ["remote_was_deleted", "field_mappings"]
    static let platformOnly: Set = ["scheduledAt", "finishedDate", "durationMinutes", "callAttempts", "metadata"]
    static let platform: Set = ["candidateId", "agentId", "jobId", "analysis"]

    static func detect(_ value: JSONValue) -> ImportFormat? {
        guard let members = value.members else { return nil }
        let keys = Set(members.map(\.key))
        if !keys.isDisjoint(with: kombo) { return .kombo }
        if !keys.isDisjoint(with: bindbee) { return .bindbee }
        if !keys.isDisjoint(with: merge) { return .merge }
        let references = ["application", "job_interview_stage", "organizer"]
        if references.contains(where: { value[$0]?.stringValue != nil }) { return .merge }
        if (references + ["candidate", "job"]).contains(where: { value[$0]?.members != nil }) { return .truto }
        if value["remote_data"]?.members != nil { return .truto }
        if let status = value["status"]?.stringValue, TrutoImport.statuses[status] != nil { return .truto }
        if !keys.isDisjoint(with: platformOnly) { return .platform }
        if isOurs(value, keys: keys) { return .ours }
        if !keys.isDisjoint(with: platform) { return .platform }
        return nil
    }

    /// Ours when every key is an Interview field and one of them is a field
    /// the platform's record does not have, or the status is spelled our way.
    static func isOurs(_ value: JSONValue, keys: Set<String>) -> Bool {
        let lookup = ProtoJSONReader.interviewFields.lookup
        guard keys.allSatisfy({ lookup[$0] != nil }) else { return false }
        switch value["status"] {
        case .number?: return true
        case .string(let s)? where s.hasPrefix("INTERVIEW_STATUS_"): return true
        default: break
        }
        let sharedWithPlatform: Set = ["id", "candidate_id", "agent_id", "job_id", "analysis", "status", "created_at", "updated_at"]
        return keys.contains { !sharedWithPlatform.contains(lookup[$0] ?? "") }
    }
}
