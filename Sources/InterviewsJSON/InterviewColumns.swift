import InterviewsModel

/// Interviews as rows of chosen fields: the `wide` table, a table of
/// `--fields`, and CSV (RFC 4180).
///
/// A cell is the field's value as text: ids and strings as they are,
/// times in RFC 3339 (to the minute in tables, whole in CSV), the status by
/// its short name, participants and locations as ``InterviewDetail`` words
/// them, custom fields as `key=value` pairs sorted by key, remote_data by its
/// size (base64 in CSV) and the analysis by its summary.
public enum InterviewColumns {
    /// The columns of `--output wide`.
    public static let wide: [InterviewField] = [
        .id, .status, .title, .candidateID, .jobID, .remoteID, .startAt, .updatedAt, .revision,
    ]

    /// A column's header: the field's name in capitals, without a trailing
    /// `_id` or `_at` (`candidate_id` is CANDIDATE, `start_at` START), words
    /// apart; `id` and `remote_id` keep theirs.
    public static func header(_ field: InterviewField) -> String {
        var name = field.rawValue
        if field != .id && field != .remoteID {
            for suffix in ["_id", "_at"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        }
        return String(name.map { $0 == "_" ? " " : $0 }).uppercased()
    }

    /// The text of `field` of `interview`.
    public static func text(_ interview: Interview, _ field: InterviewField, csv: Bool = false) -> String {
        func time(_ t: Timestamp?) -> String {
            guard let t else { return "" }
            return csv ? RFC3339.format(t) : InterviewTable.minuteString(t)
        }
        switch field {
        case .id: return interview.id
        case .remoteID: return interview.remoteID
        case .companyID: return interview.companyID
        case .candidateID: return interview.candidateID
        case .applicationID: return interview.applicationID
        case .jobID: return interview.jobID
        case .agentID: return interview.agentID
        case .jobInterviewStageID: return interview.jobInterviewStageID
        case .title: return interview.title
        case .organizer: return interview.organizer.map(InterviewDetail.describe) ?? ""
        case .interviewers: return interview.interviewers.map(InterviewDetail.describe).joined(separator: "; ")
        case .location: return interview.location.map(InterviewDetail.describe) ?? ""
        case .startAt: return time(interview.startAt)
        case .endAt: return time(interview.endAt)
        case .status:
            if csv { return String(interview.status.protoName.dropFirst("INTERVIEW_STATUS_".count)) }
            return InterviewTable.statusCell(interview)
        case .remoteStatus: return interview.remoteStatus
        case .createdAt: return time(interview.createdAt)
        case .updatedAt: return time(interview.updatedAt)
        case .remoteCreatedAt: return time(interview.remoteCreatedAt)
        case .remoteUpdatedAt: return time(interview.remoteUpdatedAt)
        case .deletedAt: return time(interview.deletedAt)
        case .remoteDeletedAt: return time(interview.remoteDeletedAt)
        case .customFields:
            return interview.customFields.keys.sorted().map { "\($0)=\(interview.customFields[$0] ?? "")" }
                .joined(separator: "; ")
        case .remoteData:
            if interview.remoteData.isEmpty { return "" }
            return csv ? Base64.encode(interview.remoteData) : "\(interview.remoteData.count) bytes"
        case .analysis: return interview.analysis?.summary ?? ""
        case .revision: return String(interview.revision)
        }
    }

    /// A table of `fields`: a header row, then a row per interview, columns
    /// two spaces apart, REVISION right-aligned, "-" for an empty cell,
    /// control characters as spaces. Nothing is cut (as kubectl's wide).
    public static func table(_ interviews: [Interview], _ fields: [InterviewField]) -> String {
        let rows =
            [fields.map(header)]
            + interviews.map { interview in
                fields.map { InterviewTable.cell(text(interview, $0)) }
            }
        var widths = [Int](repeating: 0, count: fields.count)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], DisplayWidth.of(cell)) }
        }
        var out = ""
        for row in rows {
            var line = ""
            for (column, cell) in row.enumerated() {
                if column > 0 { line += "  " }
                let padding = String(repeating: " ", count: widths[column] - DisplayWidth.of(cell))
                line += fields[column] == .revision ? padding + cell : cell + padding
            }
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    /// CSV (RFC 4180, CRLF line ends) of `fields`: a header row of the
    /// fields' snake_case names unless `header` is false, then a row per
    /// interview; a cell with a comma, quote or line break is quoted.
    public static func csv(_ interviews: [Interview], _ fields: [InterviewField], header: Bool = true) -> String {
        func quoted(_ cell: String) -> String {
            guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
            var out = "\""
            for character in cell {
                if character == "\"" { out.append("\"") }
                out.append(character)
            }
            return out + "\""
        }
        var out = header ? fields.map(\.rawValue).joined(separator: ",") + "\r\n" : ""
        for interview in interviews {
            out += fields.map { quoted(text(interview, $0, csv: true)) }.joined(separator: ",") + "\r\n"
        }
        return out
    }
}
