import InterviewsModel

/// One interview for people at a terminal, every set field on a line of its
/// own (as `kubectl describe` and `gh pr view` show one object): labels
/// aligned, times in RFC 3339, participants, location, custom fields (sorted
/// by key) and the analysis summarised. Fields that are not set are left
/// out; control characters in values show as spaces, as in
/// ``InterviewTable``.
public enum InterviewDetail {
    /// Renders `interview`; every line ends in a newline.
    public static func render(_ interview: Interview) -> String {
        var lines: [(String, String)] = []
        func add(_ label: String, _ value: String) {
            if !value.isEmpty { lines.append((label, InterviewTable.cell(value))) }
        }
        func add(_ label: String, _ time: Timestamp?) {
            if let time { lines.append((label, RFC3339.format(time))) }
        }
        add("ID", interview.id)
        add("Title", interview.title)
        var status = String(interview.status.protoName.dropFirst("INTERVIEW_STATUS_".count))
        if !interview.remoteStatus.isEmpty { status += " (source: \(interview.remoteStatus))" }
        if interview.deletedAt != nil { status += ", deleted" }
        add("Status", status)
        add("Company", interview.companyID)
        add("Candidate", interview.candidateID)
        add("Application", interview.applicationID)
        add("Job", interview.jobID)
        add("Stage", interview.jobInterviewStageID)
        add("Agent", interview.agentID)
        add("Remote ID", interview.remoteID)
        add("Start", interview.startAt)
        add("End", interview.endAt)
        if let location = interview.location { add("Location", describe(location)) }
        if let organizer = interview.organizer { add("Organizer", describe(organizer)) }
        for (index, interviewer) in interview.interviewers.enumerated() {
            add(index == 0 ? "Interviewers" : "", describe(interviewer))
        }
        for (index, key) in interview.customFields.keys.sorted().enumerated() {
            add(index == 0 ? "Custom fields" : "", "\(key): \(interview.customFields[key] ?? "")")
        }
        if let analysis = interview.analysis {
            add("Summary", analysis.summary)
            add("Recommendation", analysis.recommendation)
            if analysis.overallScore != 0 { add("Overall score", number(analysis.overallScore)) }
            for (index, score) in analysis.scores.enumerated() {
                let scale = score.maxValue != 0 ? " / \(number(score.maxValue))" : ""
                add(index == 0 ? "Scores" : "", "\(score.name): \(number(score.value))\(scale)")
            }
            if !analysis.transcript.isEmpty {
                let count = analysis.transcript.count
                add("Transcript", "\(count) segment\(count == 1 ? "" : "s") (--output json shows them)")
            }
        }
        if !interview.remoteData.isEmpty { add("Remote data", "\(interview.remoteData.count) bytes") }
        add("Created", interview.createdAt)
        add("Updated", interview.updatedAt)
        add("Deleted", interview.deletedAt)
        add("Source created", interview.remoteCreatedAt)
        add("Source updated", interview.remoteUpdatedAt)
        add("Source deleted", interview.remoteDeletedAt)
        add("Revision", String(interview.revision))
        let width = lines.map { DisplayWidth.of($0.0) }.max() ?? 0
        var out = ""
        for (label, value) in lines {
            let head = label.isEmpty ? "" : label + ":"
            out += head + String(repeating: " ", count: width + 3 - DisplayWidth.of(head)) + value + "\n"
        }
        return out
    }

    /// A participant as `First Last <email> (id, remote id)`.
    static func describe(_ participant: Participant) -> String {
        var parts: [String] = []
        let name = [participant.firstName, participant.lastName].filter { !$0.isEmpty }.joined(separator: " ")
        if !name.isEmpty { parts.append(name) }
        if !participant.email.isEmpty { parts.append("<\(participant.email)>") }
        var ids: [String] = []
        if !participant.id.isEmpty { ids.append("id \(participant.id)") }
        if !participant.remoteID.isEmpty { ids.append("remote id \(participant.remoteID)") }
        if !ids.isEmpty { parts.append("(\(ids.joined(separator: ", ")))") }
        return parts.joined(separator: " ")
    }

    /// A location as its raw text, else its parts joined by commas.
    static func describe(_ location: Location) -> String {
        let parts = [
            location.street1, location.street2, location.city, location.state, location.zipCode, location.country,
        ].filter { !$0.isEmpty }.joined(separator: ", ")
        if location.raw.isEmpty { return parts }
        return parts.isEmpty || parts == location.raw ? location.raw : "\(location.raw) (\(parts))"
    }

    /// A score without a needless ".0".
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
