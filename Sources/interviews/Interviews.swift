import ArgumentParser

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
            Serve.self, Health.self, Info.self, List.self, Get.self, Create.self, Update.self, Delete.self,
            Upsert.self, Stream.self, Watch.self, Export.self, Import.self, Keys.self,
        ]
    )
}

/// The build's version.
enum InterviewsVersion {
    static let current = "0.1.0"
}
