import ArgumentParser
import Foundation
import InterviewsClient
import InterviewsJSON
import InterviewsModel

/// Field flags shared by `create` and `update`; `update` sends exactly the flags given as its mask.
struct FieldOptions: ParsableArguments {
    @Option(help: "Title.") var title: String?
    @Option(help: "Source-system id (the upsert key).") var remoteId: String?
    @Option(name: .customLong("candidate"), help: "Candidate id.") var candidate: String?
    @Option(name: .customLong("application"), help: "Application id.") var application: String?
    @Option(name: .customLong("job"), help: "Job id.") var job: String?
    @Option(name: .customLong("agent"), help: "AI interviewer id.") var agent: String?
    @Option(name: .customLong("stage"), help: "Job interview stage id.") var stage: String?
    @Option(
        help: "scheduled, in_progress, completed, ...", completion: .list(FlagValue.statusNames),
        transform: FlagValue.status)
    var status: InterviewStatus?
    @Option(help: "The source's own status string.") var remoteStatus: String?
    @Option(
        help: ArgumentHelp("Start time: RFC 3339, a date, or +2h from now.", valueName: "time"),
        transform: FlagValue.timestamp) var start: Timestamp?
    @Option(
        help: ArgumentHelp("End time: RFC 3339, a date, or +3h from now.", valueName: "time"),
        transform: FlagValue.timestamp) var end: Timestamp?
    @Option(help: "Location as one string.") var location: String?
    @Option(
        name: .customLong("custom"), help: "A custom field key=value (repeat; replaces all custom fields).",
        transform: FlagValue.customField)
    var custom: [CustomField] = []
    @Option(help: "The whole record as proto3 JSON (field flags override it); '-' reads standard input.")
    var json: String?

    /// The interview these flags describe and the proto names of the fields they set.
    func interview() throws -> (Interview, [String]) {
        var interview = Interview()
        var names: [String] = []
        if let json {
            let text =
                json == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : json
            do {
                let decoded = try ProtoJSON.decodeInterview(text)
                interview = decoded.interview
                names = decoded.fieldNames
            } catch { throw CLIError(.invalidArgument, "--json: \(error.message)") }
        }
        func set<Value>(_ name: String, _ value: Value?, _ apply: (Value) -> Void) {
            guard let value else { return }
            apply(value)
            if !names.contains(name) { names.append(name) }
        }
        set("title", title) { interview.title = $0 }
        set("remote_id", remoteId) { interview.remoteID = $0 }
        set("candidate_id", candidate) { interview.candidateID = $0 }
        set("application_id", application) { interview.applicationID = $0 }
        set("job_id", job) { interview.jobID = $0 }
        set("agent_id", agent) { interview.agentID = $0 }
        set("job_interview_stage_id", stage) { interview.jobInterviewStageID = $0 }
        set("status", status) { interview.status = $0 }
        set("remote_status", remoteStatus) { interview.remoteStatus = $0 }
        set("start_at", start) { interview.startAt = $0 }
        set("end_at", end) { interview.endAt = $0 }
        set("location", location) { interview.location = Location(raw: $0) }
        set("custom_fields", custom.isEmpty ? nil : custom) { fields in
            interview.customFields = Dictionary(fields.map { ($0.key, $0.value) }) { $1 }
        }
        return (interview, names)
    }
}

/// `interviews create`.
struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an interview.",
        discussion: """
            Examples:
              interviews create --title "Onsite" --candidate cand-1 --start 2026-02-01T09:00:00Z --end 2026-02-01T10:00:00Z --status scheduled
              interviews create --json '{"title":"Screen","candidateId":"cand-2"}' --request-id retry-safe-1
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var shown: FieldsOption
    @OptionGroup var tenant: CompanyOption
    @OptionGroup var fields: FieldOptions
    @Option(help: "Makes retries safe: the same request id returns the first result.") var requestId = ""

    func run() async throws {
        try await runReportingErrors {
            let (interview, _) = try fields.interview()
            try await client.withConnection { connection in
                let created = try await connection.create(
                    CreateInterviewRequest(companyID: tenant.company, interview: interview, requestID: requestId))
                printInterview(created, client: client, shown: shown) {
                    client.table(InterviewTable.render([created], width: terminalWidth()))
                }
            }
        }
    }
}

/// `interviews update <id>`.
struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change the given fields of an interview (the flags given are the update mask).",
        discussion: """
            Examples:
              interviews update <id> --status completed
              interviews update <id> --title "Final round" --if-revision 4
              interviews update <id> --json '{"analysis":{"summary":"Strong."}}'
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var shown: FieldsOption
    @OptionGroup var tenant: CompanyOption
    @Argument(help: "The interview's id.") var id: String
    @OptionGroup var fields: FieldOptions
    @Option(help: "Update only if the stored revision is this one (else FAILED_PRECONDITION).") var ifRevision: UInt64 =
        0

    func run() async throws {
        try await runReportingErrors {
            var (interview, mask) = try fields.interview()
            guard !mask.isEmpty else {
                throw CLIError(.invalidArgument, "nothing to update: give field flags (e.g. --title) or --json")
            }
            interview.id = id
            try await client.withConnection { connection in
                let updated = try await connection.update(
                    UpdateInterviewRequest(
                        companyID: tenant.company, interview: interview, updateMask: mask, expectedRevision: ifRevision)
                )
                printInterview(updated, client: client, shown: shown) {
                    client.table(InterviewTable.render([updated], width: terminalWidth()))
                }
            }
        }
    }
}

/// Writes `text` to standard error as is.
func writeStandardError(_ text: String) {
    writeAll(STDERR_FILENO, text)
}
