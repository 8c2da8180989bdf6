import ArgumentParser

/// The `interviews` command: runs the server and makes every call.
@main
struct InterviewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interviews",
        abstract: "Interview records over a local gRPC-style RPC service.",
        version: InterviewsVersion.current,
        subcommands: [Serve.self]
    )
}

/// The build's version.
enum InterviewsVersion {
    static let current = "0.1.0"
}

/// `interviews serve`: runs the server in the foreground.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server in the foreground.")

    func run() async throws {
        print("interviews \(InterviewsVersion.current)")
    }
}
