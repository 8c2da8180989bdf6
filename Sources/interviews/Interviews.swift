import ArgumentParser

/// The `interviews` command: runs the server and makes every call.
@main
struct InterviewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interviews",
        abstract: "Interview records over a local gRPC-style RPC service.",
        discussion: """
            Start a server with `interviews serve`, create a key with `interviews keys create`, \
            then call it: `interviews list`, `interviews get <id>`, `interviews import < records.jsonl`.

            Connection settings come from flags or the environment: INTERVIEWS_SOCKET (the socket \
            path), INTERVIEWS_API_KEY (the key; never needed on the command line).
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
