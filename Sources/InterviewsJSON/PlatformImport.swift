import InterviewsModel

/// The AI-interview platform's interview.
///
/// | source | Interview |
/// |---|---|
/// | `id` | `remote_id`, the upsert key |
/// | `candidateId`, `agentId`, `jobId` | `candidate_id`, `agent_id`, `job_id` |
/// | `status` UNDEFINED, SCHEDULED, IN_PROGRESS, COMPLETED, CANCELLED, FAILED | UNSPECIFIED and the rest by name; any other value in `remote_status` |
/// | `scheduledAt`, `finishedDate` | `start_at`, `end_at` |
/// | `createdAt`, `updatedAt` | `remote_created_at`, `remote_updated_at` |
/// | `metadata` | `custom_fields`, flattened |
/// | `analysis.summary`, else `analysis.general.evaluation` lines | `analysis.summary` |
/// | `analysis.general.companyFitRating`, else `analysis.recommendation` | `analysis.recommendation` |
/// | `analysis.general.overallRating`, else `analysis.overallScore` | `analysis.overall_score` |
/// | every number under `analysis.specific` | `analysis.scores`, named by their dotted path |
/// | `analysis.transcript` (else `transcript`): `speaker`/`role`, `text`/`content`, `startMs`/`endMs` or `startTime`/`endTime` in seconds | `analysis.transcript` |
///
/// `durationMinutes`, `callAttempts` and the rest of the analysis live only in `remote_data`.
enum PlatformImport {
    static let statuses: [String: InterviewStatus] = [
        "UNDEFINED": .unspecified, "SCHEDULED": .scheduled, "IN_PROGRESS": .inProgress, "COMPLETED": .completed,
        "CANCELLED": .cancelled, "FAILED": .failed,
    ]

    static func interview(_ r: VendorObject) throws(JSONDecodingError) -> Interview {
        var i = Interview()
        i.remoteID = try r.recordID()
        i.candidateID = try r.string("candidateId")
        i.agentID = try r.string("agentId")
        i.jobID = try r.string("jobId")
        (i.status, i.remoteStatus) = try r.status("status", statuses)
        i.startAt = try r.timestamp("scheduledAt")
        i.endAt = try r.timestamp("finishedDate")
        i.remoteCreatedAt = try r.timestamp("createdAt")
        i.remoteUpdatedAt = try r.timestamp("updatedAt")
        i.customFields = try r.flattened("metadata")
        if let analysis = try r.object("analysis") {
            i.analysis = try self.analysis(analysis, transcript: analysis["transcript"] != nil ? analysis : r)
        } else if r.has("transcript") {
            i.analysis = Analysis(transcript: try transcript(r))
        }
        return i
    }

    static func analysis(_ a: VendorObject, transcript owner: VendorObject) throws(JSONDecodingError) -> Analysis {
        var out = Analysis()
        let general = try a.object("general")
        out.summary = try a.string("summary")
        if out.summary.isEmpty, let general, case .array(let lines)? = general["evaluation"] {
            out.summary = lines.compactMap(\.stringValue).joined(separator: "\n")
        }
        out.recommendation = try general?.string("companyFitRating") ?? ""
        if out.recommendation.isEmpty { out.recommendation = try a.string("recommendation") }
        var overall = try general?.number("overallRating")
        if overall == nil { overall = try a.number("overallScore") }
        out.overallScore = overall ?? 0
        if let specific = try a.object("specific") {
            collectScores(.object(specific.members), name: "", into: &out.scores)
        }
        out.transcript = try transcript(owner)
        return out
    }

    /// Every number in `value`, depth first, named by its dotted path.
    static func collectScores(_ value: JSONValue, name: String, into scores: inout [Score]) {
        switch value {
        case .number(let literal):
            if let d = Double(literal) { scores.append(Score(name: name, value: d)) }
        case .object(let members):
            for member in members {
                collectScores(member.value, name: JSONPath.member(name, member.key), into: &scores)
            }
        default:
            break
        }
    }

    static func transcript(_ owner: VendorObject) throws(JSONDecodingError) -> [TranscriptSegment] {
        guard let value = owner["transcript"] else { return [] }
        let path = owner.path("transcript")
        switch value {
        case .null: return []
        case .array(let elements):
            var out: [TranscriptSegment] = []
            for (index, element) in elements.enumerated() {
                let s = try VendorObject(element, path: JSONPath.element(path, index))
                var segment = TranscriptSegment(
                    speaker: try s.string("speaker", "role"), text: try s.string("text", "content"))
                if s.has("startMs") || s.has("endMs") {
                    segment.startOffsetMs = try milliseconds(s, "startMs", scale: 1)
                    segment.endOffsetMs = try milliseconds(s, "endMs", scale: 1)
                } else {
                    segment.startOffsetMs = try milliseconds(s, "startTime", scale: 1000)
                    segment.endOffsetMs = try milliseconds(s, "endTime", scale: 1000)
                }
                out.append(segment)
            }
            return out
        default: throw ProtoJSONReader.mismatch(value, path, "an array")
        }
    }

    static func milliseconds(_ s: VendorObject, _ key: String, scale: Double) throws(JSONDecodingError) -> UInt64 {
        guard let n = try s.number(key) else { return 0 }
        let ms = (n * scale).rounded()
        guard ms >= 0, ms < 1.8e19 else {
            throw JSONDecodingError(path: s.path(key), problem: "\(n) is not a non-negative offset")
        }
        return UInt64(ms)
    }
}
