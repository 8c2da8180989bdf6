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
        if isOurs(value, keys: keys) { return .ours }
        let references = ["application", "job_interview_stage", "organizer"]
        if references.contains(where: { value[$0]?.stringValue != nil }) { return .merge }
        if (references + ["candidate", "job"]).contains(where: { value[$0]?.members != nil }) { return .truto }
        if value["remote_data"]?.members != nil { return .truto }
        if let status = value["status"]?.stringValue, TrutoImport.statuses[status] != nil { return .truto }
        if !keys.isDisjoint(with: platformOnly) || !keys.isDisjoint(with: platform) { return .platform }
        return nil
    }

    /// The lowerCamelCase Interview field names that only our export writes
    /// (the platform also writes `candidateId`, `agentId`, `jobId`,
    /// `createdAt` and `updatedAt`).
    static let oursOnly: Set<String> = Set(
        ProtoJSONReader.interviewFields.protoNames.map(ProtoJSONReader.MessageFields.jsonName).filter {
            $0.contains { $0.isUppercase }
        }
    ).subtracting(["candidateId", "agentId", "jobId", "createdAt", "updatedAt"])

    /// Ours when the record decodes as an Interview and either names a field
    /// only our export writes or spells the status our way.
    static func isOurs(_ value: JSONValue, keys: Set<String>) -> Bool {
        guard (try? ProtoJSONReader(ignoringUnknownFields: false).interview(value, path: "")) != nil else {
            return false
        }
        switch value["status"] {
        case .number?: return true
        case .string(let s)? where s.hasPrefix("INTERVIEW_STATUS_"): return true
        default: return !keys.isDisjoint(with: oursOnly)
        }
    }
}
