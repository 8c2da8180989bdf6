import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// The `interviews` command: runs the server and makes every call.
@main
struct InterviewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interviews",
        abstract: "Interview records over a local gRPC-style RPC service.",
        discussion: """
            Start a server, create a key for a company, then make calls with it.

            Connection settings come from flags or the environment: INTERVIEWS_SOCKET (the socket \
            path), INTERVIEWS_API_KEY (the key; never needed on the command line), \
            INTERVIEWS_SERVER_UID (a uid besides yours and root's the server may run as; \
            any other is refused before anything is sent).

            Examples:
              interviews serve &
              interviews keys create --label me --company acme    # prints the secret once
              export INTERVIEWS_API_KEY=<the secret>
              interviews list --status scheduled
              interviews get <id>
              interviews import --file records.jsonl
            """,
        version: InterviewsVersion.current,
        subcommands: [
            Serve.self, Health.self, Info.self, Version.self, List.self, Get.self, Create.self, Update.self,
            Delete.self,
            Upsert.self, Stream.self, Watch.self, Export.self, Import.self, Keys.self, Backup.self, Restore.self,
            Completion.self,
        ]
    )

    /// ArgumentParser's `main`, but for two things: an unknown command gets a
    /// "did you mean", and usage errors are printed as the service's errors
    /// are, `error: INVALID_ARGUMENT: ...` (exit 64), followed by the usage.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, let unknown = unknownCommand(first) {
            writeAll(STDERR_FILENO, "error: INVALID_ARGUMENT: \(unknown)\n")
            Glibc.exit(64)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let text = fullMessage(for: error)
            guard code != .success, !(error is ExitCode), text.hasPrefix("Error: ") else { exit(withError: error) }
            let label = code == .validationFailure ? "error: INVALID_ARGUMENT: " : "error: "
            writeAll(STDERR_FILENO, label + text.dropFirst("Error: ".count) + (text.hasSuffix("\n") ? "" : "\n"))
            Glibc.exit(code.rawValue)
        }
    }

    /// The message for `word` in a command's place when no command has that
    /// name, naming the nearest one (at most two edits away), or nil.
    static func unknownCommand(_ word: String) -> String? {
        guard !word.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        guard !names.contains(word) else { return nil }
        let nearest = names.map { ($0, editDistance($0, word)) }.min { $0.1 < $1.1 }
        if let nearest, nearest.1 <= 2 {
            return "unknown command \"\(word)\"; did you mean \"\(nearest.0)\"? (`interviews --help` lists them)"
        }
        return "unknown command \"\(word)\"; `interviews --help` lists the commands"
    }

    /// Levenshtein distance over Unicode scalars.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// The build's version.
enum InterviewsVersion {
    static let current = "0.1.0"
    /// What the server calls itself in its SETTINGS: `interviews/<version>`.
    static let agentPrefix = "interviews/"
}
