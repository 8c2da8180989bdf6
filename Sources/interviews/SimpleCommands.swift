import ArgumentParser
import Foundation
import InterviewsJSON
import InterviewsModel
import RPCCore

/// `interviews health`.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that the server is up (needs no key).",
        discussion: "Examples:\n  interviews health\n  interviews health --socket /run/interviews.sock --output json")

    @OptionGroup var client: ClientOptions

    func validate() throws { try client.refuseRecordFormats("health") }

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

/// `interviews version`.
struct Version: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show this client's version and protocol, and the server's (needs no key).",
        discussion: "Examples:\n  interviews version\n  interviews version --output json")

    @OptionGroup var client: ClientOptions

    func validate() throws { try client.refuseRecordFormats("version") }

    func run() async throws {
        let mine = "\(InterviewsVersion.current) (protocol \(RPCProtocol.version))"
        var server: (agent: String, protocolVersion: UInt32)?
        var failure: (any StatusError)?
        do {
            try await client.withConnection { connection in
                server = (connection.rpc.serverSettings.agent, connection.rpc.serverSettings.protocolVersion)
            }
        } catch let error as any StatusError {
            failure = error
        }
        if client.format == .table {
            emit("client  \(mine)")
            if let server {
                let prefix = InterviewsVersion.agentPrefix
                let version =
                    server.agent.hasPrefix(prefix) ? String(server.agent.dropFirst(prefix.count)) : server.agent
                emit("server  \(version) (protocol \(server.protocolVersion)) at \(client.socket)")
            }
        } else {
            var object: [String: Any] = [
                "client": ["version": InterviewsVersion.current, "protocol": Int(RPCProtocol.version)] as [String: Any]
            ]
            if let server {
                object["server"] =
                    ["agent": server.agent, "protocol": Int(server.protocolVersion), "socket": client.socket]
                    as [String: Any]
            }
            emitDocument(jsonText(object), client.format)
        }
        if let failure {
            // The client's line is out; the server's absence is the error.
            try await runReportingErrors { throw failure }
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

    func validate() throws { try client.refuseRecordFormats("info") }

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
        abstract: "Show one interview by id: every set field, or its JSON with --output json.",
        discussion:
            "Examples:\n  interviews get 0190b7a8-7c2e-7d40-8f00-000000000001\n  interviews get <id> --include-remote-data --output json"
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var tenant: CompanyOption
    @Argument(help: "The interview's id.") var id: String
    @Flag(help: "Include the source payload (remote_data).") var includeRemoteData = false
    @Flag(help: "Find it even when deleted.") var includeDeleted = false
    @OptionGroup var shown: FieldsOption

    func run() async throws {
        try await runReportingErrors {
            try await client.withConnection { connection in
                let interview = try await connection.get(
                    GetInterviewRequest(
                        companyID: tenant.company, id: id, includeRemoteData: includeRemoteData,
                        includeDeleted: includeDeleted))
                printInterview(interview, client: client, shown: shown) { InterviewDetail.render(interview) }
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

    func validate() throws { try client.refuseRecordFormats("delete") }

    @OptionGroup var tenant: CompanyOption
    @Argument(help: "The interview's id.") var id: String
    @Option(help: "Delete only if the stored revision is this one.") var ifRevision: UInt64 = 0

    func run() async throws {
        try await runReportingErrors {
            try await client.withConnection { connection in
                let interview = try await connection.delete(
                    DeleteInterviewRequest(companyID: tenant.company, id: id, expectedRevision: ifRevision))
                emit(interview, format: client.format) {
                    client.table(InterviewTable.render([interview], width: terminalWidth()))
                }
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

/// `interviews completion bash|zsh|fish`: the shell's completion script.
struct Completion: ParsableCommand {
    /// The shells with a script.
    enum Shell: String, ExpressibleByArgument, CaseIterable {
        case bash, zsh, fish
    }

    static let configuration = CommandConfiguration(
        abstract: "Print the completion script for bash, zsh or fish.",
        discussion: """
            The script completes commands, flags and the values of --status, --format,
            --order-by and --output.

            Install:
              bash:  interviews completion bash > ~/.local/share/bash-completion/completions/interviews
              zsh:   interviews completion zsh > "${fpath[1]}/_interviews"
              fish:  interviews completion fish > ~/.config/fish/completions/interviews.fish

            Or for the current shell only (bash, zsh):
              source <(interviews completion bash)
            """)

    @Argument(help: "bash, zsh or fish.") var shell: Shell

    func run() {
        let script = InterviewsCommand.completionScript(for: CompletionShell(rawValue: shell.rawValue) ?? .bash)
        emitLines(script)
    }
}

/// Prints one interview (get, create, update): JSON of the shown fields, or
/// rows (`--fields`, wide, csv), or `view` for a plain table.
func printInterview(
    _ interview: Interview, client: ClientOptions, shown: FieldsOption, view: () -> String
) {
    switch client.format {
    case .json, .yaml, .jsonl: emitDocument(shown.shown(interview).protoJSON, client.format)
    case .table, .wide, .csv: client.printRows([interview], fields: shown.fields, table: view)
    }
}
