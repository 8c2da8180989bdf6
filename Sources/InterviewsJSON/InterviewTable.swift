import InterviewsModel

/// A plain-text table of interviews for people at a terminal.
///
/// Columns: ID, STATUS (the source's remote_status in quotes when the status
/// is unspecified), TITLE, CANDIDATE, START (RFC 3339 in UTC, to the
/// minute) and REVISION (right-aligned), two spaces apart, one line per
/// interview, every line ending in a newline and none with trailing spaces.
/// Empty cells show "-" so that the columns stay splittable on whitespace;
/// control characters in cells show as spaces so that a row stays one line.
/// Ids are always shown whole, so that any of them can be copied; on a
/// narrow terminal other columns narrow or are left out instead.
public enum InterviewTable {
    /// The header row's labels, in column order.
    public static let headers = ["ID", "STATUS", "TITLE", "CANDIDATE", "START", "REVISION"]

    /// The narrowest a shrinkable column becomes: TITLE and CANDIDATE, which
    /// give up space first (the wider of the two first).
    static let minimumWidths = [titleColumn: 5, candidateColumn: 5]
    private static let idColumn = 0
    private static let titleColumn = 2
    private static let candidateColumn = 3
    private static let startColumn = 4
    private static let revisionColumn = 5
    /// The columns left out, in this order, when TITLE and CANDIDATE at their
    /// minimums still do not fit. ID and STATUS are always shown.
    static let dropOrder = [revisionColumn, candidateColumn, startColumn, titleColumn]

    /// Renders the table.
    ///
    /// - Parameters:
    ///   - interviews: the rows, in order.
    ///   - width: the terminal width to fit, or nil for no limit. When the
    ///     table is wider, TITLE and CANDIDATE shrink first (the wider of the
    ///     two first), each to its minimum, cut cells ending with "…"; then
    ///     columns are left out in ``dropOrder`` (REVISION, CANDIDATE, START,
    ///     TITLE), and the columns that remain take back the space freed.
    ///     Ids are never cut: past ID and STATUS the lines stay wider than
    ///     `width`.
    /// - Complexity: O(rows × columns) plus O(columns × overflow) to fit.
    public static func render(_ interviews: [Interview], width: Int? = nil) -> String {
        let rows = interviews.map(cells(for:))
        var natural = headers.map(DisplayWidth.of)
        for row in rows {
            for (column, cell) in row.enumerated() { natural[column] = max(natural[column], DisplayWidth.of(cell)) }
        }
        var shown = Array(headers.indices)
        var widths = natural
        if let width {
            var dropping = dropOrder[...]
            while true {
                widths = natural
                if fit(&widths, shown, to: width) { break }
                guard let next = dropping.popFirst() else { break }
                shown.removeAll { $0 == next }
            }
        }
        var out = line(headers, widths, shown)
        for row in rows { out += line(row, widths, shown) }
        return out
    }

    /// A row's cells, in column order.
    static func cells(for interview: Interview) -> [String] {
        [
            cell(interview.id), statusCell(interview), cell(interview.title), cell(interview.candidateID),
            interview.startAt.map(minuteString) ?? "-", String(interview.revision),
        ]
    }

    /// The STATUS cell: the status's short name, the source's remote_status
    /// in quotes instead when the status is unspecified, and " (deleted)".
    static func statusCell(_ interview: Interview) -> String {
        var status = String(interview.status.protoName.dropFirst("INTERVIEW_STATUS_".count))
        if interview.status == .unspecified && !interview.remoteStatus.isEmpty {
            // The source's own word says more than UNSPECIFIED; STATUS is
            // never narrowed, so a long one is cut here.
            status = "\"" + truncated(cell(interview.remoteStatus), to: 20) + "\""
        }
        if interview.deletedAt != nil { status += " (deleted)" }
        return status
    }

    /// `t` in RFC 3339 to the minute, e.g. `2023-06-26T14:30Z`.
    public static func minuteString(_ t: Timestamp) -> String {
        let full = RFC3339.format(t)
        return String(full.prefix(16)) + "Z"
    }

    /// `text` as a table cell: "-" when empty, and every control character
    /// (a line break, a tab, the ESC that starts a terminal escape sequence)
    /// shown as a space, so that a row stays one line and a stored value
    /// cannot drive the terminal.
    public static func cell(_ text: String) -> String {
        if text.isEmpty { return "-" }
        return String(
            text.map { c in c.unicodeScalars.contains { $0.properties.generalCategory == .control } ? " " : c })
    }

    /// Shrinks TITLE and CANDIDATE among `shown` towards their minimums
    /// until the shown columns fit `limit`; whether they do.
    private static func fit(_ widths: inout [Int], _ shown: [Int], to limit: Int) -> Bool {
        var excess = shown.reduce(2 * (shown.count - 1)) { $0 + widths[$1] } - limit
        let group = [titleColumn, candidateColumn].filter(shown.contains)
        while excess > 0 {
            let shrinkable = group.filter { widths[$0] > minimumWidths[$0, default: 0] }
            guard let widest = shrinkable.max(by: { widths[$0] < widths[$1] }) else { break }
            widths[widest] -= 1
            excess -= 1
        }
        return excess <= 0
    }

    private static func line(_ cells: [String], _ widths: [Int], _ shown: [Int]) -> String {
        var out = ""
        for column in shown {
            if column != shown.first { out += "  " }
            let text = column == idColumn ? cells[column] : truncated(cells[column], to: widths[column])
            let padding = String(repeating: " ", count: max(0, widths[column] - DisplayWidth.of(text)))
            out += column == revisionColumn ? padding + text : text + padding
        }
        while out.last == " " { out.removeLast() }
        return out + "\n"
    }

    /// `text` cut to `width` columns, ending in "…" when it was cut.
    static func truncated(_ text: String, to width: Int) -> String {
        if DisplayWidth.of(text) <= width { return text }
        guard width > 0 else { return "" }
        var out = ""
        var used = 0
        for c in text {
            let w = DisplayWidth.of(c)
            if used + w > width - 1 { break }
            out.append(c)
            used += w
        }
        return out + "…"
    }
}
