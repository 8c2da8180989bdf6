import ArgumentParser
import InterviewsClient
import InterviewsJSON
import InterviewsModel

/// The filters and order shared by `list`, `stream` and `export`.
struct FilterOptions: ParsableArguments {
    /// Sort keys.
    enum Order: String, ExpressibleByArgument, CaseIterable {
        case createdAt = "created_at"
        case startAt = "start_at"
        case updatedAt = "updated_at"
    }

    @Option(name: .customLong("candidate"), help: "Candidate id (repeat for OR).") var candidates: [String] = []
    @Option(name: .customLong("id"), help: "Interview id (repeat for OR).") var ids: [String] = []
    @Option(name: .customLong("remote-id"), help: "Source-system id (repeat for OR).") var remoteIDs: [String] = []
    @Option(name: .customLong("application"), help: "Application id.") var application = ""
    @Option(name: .customLong("job"), help: "Job id.") var job = ""
    @Option(name: .customLong("agent"), help: "AI interviewer id.") var agent = ""
    @Option(name: .customLong("stage"), help: "Job interview stage id.") var stage = ""
    @Option(name: .customLong("organizer"), help: "Organizer's participant id.") var organizer = ""
    @Option(name: .customLong("interviewer"), help: "An interviewer's participant id.") var interviewer = ""
    @Option(
        name: .customLong("status"), help: "scheduled, completed, ... (repeat for OR).",
        completion: .list(FlagValue.statusNames), transform: FlagValue.status)
    var statuses: [InterviewStatus] = []
    @Option(
        help: ArgumentHelp("created_at >= this time (see TIMES).", valueName: "time"), transform: FlagValue.timestamp)
    var createdAfter: Timestamp?
    @Option(help: ArgumentHelp("created_at < this time.", valueName: "time"), transform: FlagValue.timestamp)
    var createdBefore: Timestamp?
    @Option(
        help: ArgumentHelp("updated_at >= this time (see TIMES).", valueName: "time"), transform: FlagValue.timestamp)
    var updatedAfter: Timestamp?
    @Option(help: ArgumentHelp("updated_at < this time.", valueName: "time"), transform: FlagValue.timestamp)
    var updatedBefore: Timestamp?
    @Option(help: ArgumentHelp("start_at >= this time (see TIMES).", valueName: "time"), transform: FlagValue.timestamp)
    var startAfter: Timestamp?
    @Option(help: ArgumentHelp("start_at < this time.", valueName: "time"), transform: FlagValue.timestamp)
    var startBefore: Timestamp?
    @Option(help: ArgumentHelp("end_at >= this time (see TIMES).", valueName: "time"), transform: FlagValue.timestamp)
    var endAfter: Timestamp?
    @Option(help: ArgumentHelp("end_at < this time.", valueName: "time"), transform: FlagValue.timestamp) var endBefore:
        Timestamp?
    @Option(
        help: ArgumentHelp("Records changed since this time: --updated-after by another name.", valueName: "time"),
        transform: FlagValue.timestamp)
    var since: Timestamp?
    @Flag(help: "Include soft-deleted interviews.") var includeDeleted = false
    @Option(help: "created_at (default), start_at or updated_at.") var orderBy: Order = .createdAt
    @Flag(help: "Newest (largest) first.") var desc = false
    @Flag(help: "Include the source payload (remote_data).") var includeRemoteData = false

    func validate() throws {
        if since != nil, updatedAfter != nil {
            throw ValidationError("--since and --updated-after name the same bound; give one of them")
        }
    }

    /// How the time flags read their values, for the commands' help.
    static let timesHelp = """
        TIMES: an RFC 3339 timestamp (2026-01-31T09:00:00Z), a date (2026-01-31, midnight UTC), now, \
        or a duration before now (90m, 1h30m, 2d, 1w; +2h for after now).
        """

    /// The request these flags describe.
    func request(company: String) -> ListRequest {
        ListRequest(
            companyID: company, candidateIDs: candidates, ids: ids, remoteIDs: remoteIDs,
            applicationID: application, jobID: job, agentID: agent, jobInterviewStageID: stage,
            organizerID: organizer, interviewerID: interviewer, statuses: statuses,
            createdAfter: createdAfter, createdBefore: createdBefore, updatedAfter: updatedAfter ?? since,
            updatedBefore: updatedBefore, startAfter: startAfter, startBefore: startBefore, endAfter: endAfter,
            endBefore: endBefore, includeDeleted: includeDeleted,
            orderBy: orderBy == .createdAt ? .createdAt : orderBy == .startAt ? .startAt : .updatedAt,
            direction: desc ? .descending : .ascending, includeRemoteData: includeRemoteData)
    }
}

/// `interviews list`.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List interviews: filtered, ordered, one page (or --all).",
        discussion: """
            Filters combine with AND; a repeated filter is an OR.

            \(FilterOptions.timesHelp)

            Examples:
              interviews list --candidate cand-1
              interviews list --status scheduled --status in_progress --order-by start_at
              interviews list --start-after now --start-before +1w --order-by start_at
              interviews list --page 2 --page-size 50
              interviews list --since 1h --include-deleted --all --output jsonl
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var tenant: CompanyOption
    @OptionGroup var filters: FilterOptions
    @Option(help: "Page number, 1...10000 (default 1; not with --page-token, which names its page).") var page: Int?
    @Option(help: "Page size, 1...100.") var pageSize: Int = 20
    @Option(help: "A next/previous page token from an earlier page of the same query.") var pageToken: String?
    @Flag(help: "Follow next_page_token to the last page.") var all = false
    @OptionGroup var shown: FieldsOption

    func validate() throws {
        if let page, pageToken != nil {
            throw ValidationError(
                "--page \(page) and --page-token: a token names its own page; give one of them (--page-size may go with either)"
            )
        }
        if let page, !(1...10_000).contains(page) {
            throw ValidationError("--page: \(page) is out of range; must be 1...10000")
        }
        guard (1...100).contains(pageSize) else {
            throw ValidationError("--page-size: \(pageSize) is out of range; must be 1...100")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            try await client.withConnection { connection in
                var request = filters.request(company: tenant.company)
                request.page = UInt32(page ?? 1)
                request.pageSize = UInt32(pageSize)
                request.pageToken = pageToken ?? ""
                var pages: [Page] = []
                while true {
                    let result = try await connection.list(request)
                    pages.append(result)
                    if client.format == .jsonl { for i in result.interviews { emit(shown.shown(i).protoJSON) } }
                    guard all, !result.nextPageToken.isEmpty else { break }
                    request.pageToken = result.nextPageToken
                }
                switch client.format {
                case .jsonl: break
                case .json, .yaml:
                    if pages.count == 1 {
                        var page = pages[0]
                        page.interviews = page.interviews.map(shown.shown)
                        emitDocument(page.protoJSON, client.format)
                    } else {
                        let merged = Page(
                            interviews: pages.flatMap(\.interviews).map(shown.shown),
                            totalSize: pages.last?.totalSize ?? 0, pageSize: UInt32(pageSize))
                        emitDocument(merged.protoJSON, client.format)
                    }
                case .table, .wide, .csv:
                    let last = pages.last ?? Page()
                    let interviews = pages.flatMap(\.interviews)
                    client.printRows(interviews, fields: shown.fields) {
                        client.table(InterviewTable.render(interviews, width: terminalWidth()))
                    }
                    // CSV is data only; a table ends with its count.
                    if client.format == .csv { break }
                    var footer = "\(last.totalSize) matching"
                    if !all && !last.nextPageToken.isEmpty {
                        footer += "; next page: --page-token \(last.nextPageToken)"
                    }
                    emit(footer)
                }
            }
        }
    }
}

/// `interviews stream` and `interviews export`: every match, flow-controlled.
struct Stream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream every matching interview (flow-controlled; no paging).",
        discussion: """
            \(FilterOptions.timesHelp)

            Examples:
              interviews stream --status completed
              interviews stream --candidate cand-1 --output jsonl | jq .title
            """
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var tenant: CompanyOption
    @OptionGroup var filters: FilterOptions
    @OptionGroup var shown: FieldsOption

    func run() async throws {
        try await runReportingErrors {
            try await streamMatches(
                client: client, request: filters.request(company: tenant.company), fields: shown.fields)
        }
    }
}

/// `interviews export`: JSON lines of every match, source payload included.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write every matching interview as JSON lines (remote_data included), for `interviews import`.",
        discussion: """
            \(FilterOptions.timesHelp)

            Examples:
              interviews export > all.jsonl
              interviews export --since 2026-01-01 --include-deleted > changes.jsonl
            """
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var tenant: CompanyOption
    @OptionGroup var filters: FilterOptions
    @Flag(help: "Leave the source payload (remote_data) out: smaller, but not for re-import (import replaces it).")
    var withoutRemoteData = false

    func validate() throws {
        try client.refuseRecordFormats("export (JSON lines, for import)")
        if filters.includeRemoteData {
            throw ValidationError(
                "--include-remote-data: export always includes remote_data; drop the flag (--without-remote-data leaves it out)"
            )
        }
    }

    func run() async throws {
        try await runReportingErrors {
            var request = filters.request(company: tenant.company)
            request.includeRemoteData = !withoutRemoteData
            var options = client
            options.output = .jsonl
            try await streamMatches(client: options, request: request, progress: true)
        }
    }
}

/// Streams `request`'s matches to standard output in the client's format.
func streamMatches(
    client: ClientOptions, request: ListRequest, fields: [InterviewField]? = nil, progress: Bool = false
) async throws {
    try await client.withConnection(defaultTimeout: .seconds(24 * 3600)) { connection in
        let format = client.format
        let start = ContinuousClock.now
        // A line redrawn in place needs a terminal of its own: on the one the
        // records go to, it would end up inside them.
        var reporter = ProgressReporter(
            style: isatty(STDERR_FILENO) != 0 && isatty(STDOUT_FILENO) == 0 ? .terminal : .plain)
        let count: Int
        do {
            count = try await connection.stream(request) { stream in
                var count = 0
                var batch: [Interview] = []
                var all: [Interview] = []
                // Tables go out 50 rows at a time, each batch fitted on its
                // own; CSV has its header once.
                func flush() {
                    client.printRows(batch, fields: fields, header: count <= 50) {
                        client.table(InterviewTable.render(batch, width: terminalWidth()))
                    }
                    batch.removeAll()
                }
                for try await interview in stream {
                    count += 1
                    switch format {
                    case .jsonl: emit(FieldsOption.shown(interview, fields).protoJSON)
                    case .json, .yaml: all.append(FieldsOption.shown(interview, fields))
                    case .table, .wide, .csv:
                        batch.append(interview)
                        if batch.count == 50 { flush() }
                    }
                    if progress, let line = reporter.update(records: count, elapsed: ContinuousClock.now - start) {
                        writeStandardError(line)
                    }
                }
                if !batch.isEmpty { flush() }
                if format == .json || format == .yaml {
                    emitDocument(Page(interviews: all, totalSize: UInt64(all.count)).protoJSON, format)
                }
                return count
            }
        } catch {
            if progress { writeStandardError(reporter.interruption()) }
            throw error
        }
        if progress { writeStandardError(reporter.finish(records: count, elapsed: ContinuousClock.now - start)) }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
