import ArgumentParser
import InterviewsJSON
import InterviewsModel

/// `interviews health`.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that the server is up (needs no key).",
        discussion: "Examples:\n  interviews health\n  interviews health --socket /run/interviews.sock --output json")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runReportingErrors {
            try await client.withConnection { connection in
                let health = try await connection.health()
                emit(health, format: client.format) {
                    health.status == .serving ? "SERVING" : "NOT_SERVING"
                }
            }
        }
    }
}

/// `interviews info`.
struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the server's version, backend, uptime and your company's counts.",
        discussion:
            "Examples:\n  interviews info\n  INTERVIEWS_API_KEY=... interviews info --company acme --output json")

    @OptionGroup var client: ClientOptions
    @OptionGroup var tenant: CompanyOption

    func run() async throws {
        try await runReportingErrors {
            try await client.withConnection { connection in
                let info = try await connection.serverInfo(ServerInfoRequest(companyID: tenant.company))
                emit(info, format: client.format) {
                    """
                    version     \(info.version)
                    backend     \(info.backend)\(info.writable ? "" : " (read-only: writes refused)")
                    uptime      \(info.uptimeSeconds)s
                    interviews  \(info.interviewCount) live, \(info.deletedCount) deleted
                    sequence    \(info.lastSequence)
                    epoch       \(info.storeEpoch)
                    protocol    \(info.protocolVersion)
                    """
                }
            }
        }
    }
}

/// `interviews get <id>`.
struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one interview by id.",
        discussion:
            "Examples:\n  interviews get 0190b7a8-7c2e-7d40-8f00-000000000001\n  interviews get <id> --include-remote-data --output json"
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var tenant: CompanyOption
    @Argument(help: "The interview's id.") var id: String
    @Flag(help: "Include the source payload (remote_data).") var includeRemoteData = false
    @Flag(help: "Find it even when deleted.") var includeDeleted = false

    func run() async throws {
        try await runReportingErrors {
            try await client.withConnection { connection in
                let interview = try await connection.get(
                    GetInterviewRequest(
                        companyID: tenant.company, id: id, includeRemoteData: includeRemoteData,
                        includeDeleted: includeDeleted))
                emit(interview, format: client.format) { InterviewTable.render([interview], width: terminalWidth()) }
            }
        }
    }
}

/// `interviews delete <id>`.
struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Soft-delete an interview (hidden unless --include-deleted).",
        discussion: "Examples:\n  interviews delete <id>\n  interviews delete <id> --if-revision 3")

    @OptionGroup var client: ClientOptions
    @OptionGroup var tenant: CompanyOption
    @Argument(help: "The interview's id.") var id: String
    @Option(help: "Delete only if the stored revision is this one.") var ifRevision: UInt64 = 0

    func run() async throws {
        try await runReportingErrors {
            try await client.withConnection { connection in
                let interview = try await connection.delete(
                    DeleteInterviewRequest(companyID: tenant.company, id: id, expectedRevision: ifRevision))
                emit(interview, format: client.format) { InterviewTable.render([interview], width: terminalWidth()) }
            }
        }
    }
}

/// The terminal's width, when standard output is one.
func terminalWidth() -> Int? {
    var size = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
}

#if canImport(Glibc)
    import Glibc
#endif
