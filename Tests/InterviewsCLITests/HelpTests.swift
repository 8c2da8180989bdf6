import Testing

@Suite("Help, version and shell completion")
struct HelpTests {
    static let commands: [[String]] = [
        [], ["serve"], ["health"], ["info"], ["version"], ["list"], ["get"], ["create"], ["update"], ["delete"],
        ["upsert"],
        ["stream"], ["watch"], ["export"], ["import"], ["keys"], ["keys", "create"], ["keys", "list"],
        ["keys", "revoke"],
    ]

    @Test("every command's --help shows examples", arguments: commands)
    func helpHasExamples(_ command: [String]) async throws {
        let result = try await CommandLineTool.run(command + ["--help"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Examples:"), "\(result)")
        #expect(result.stdout.contains("USAGE: interviews \(command.joined(separator: " "))"), "\(result)")
        #expect(result.stderr.isEmpty)
    }

    @Test("the help subcommand shows the same help", arguments: [["list"], ["keys", "create"]])
    func helpSubcommand(_ command: [String]) async throws {
        let viaFlag = try await CommandLineTool.run(command + ["--help"])
        let viaCommand = try await CommandLineTool.run(["help"] + command)
        #expect(viaCommand.status == 0, "\(viaCommand)")
        #expect(viaCommand.stdout == viaFlag.stdout)
    }

    @Test("--version prints the version")
    func version() async throws {
        let result = try await CommandLineTool.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == "0.1.0\n")
    }

    @Test("a completion script is generated for each shell", arguments: ["bash", "zsh", "fish"])
    func completionScript(_ shell: String) async throws {
        let result = try await CommandLineTool.run(["--generate-completion-script", shell])
        #expect(result.status == 0, "\(result)")
        for word in ["interviews", "serve", "import", "keys", "revoke", "page-size"] {
            #expect(result.stdout.contains(word), "\(shell) completion mentions \(word)")
        }
    }

    @Test("the bash completion script is valid bash")
    func bashCompletionParses() async throws {
        let script = try await CommandLineTool.run(["--generate-completion-script", "bash"])
        let checked = try await CommandLineTool.run(
            executable: "/bin/bash", ["-n"], input: script.stdout)
        #expect(checked.status == 0, "\(checked)")
    }
}
