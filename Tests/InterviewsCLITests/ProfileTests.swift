import Foundation
import InterviewsTestSupport
import Testing

@Suite("Profiles in the config file: socket, key file, company and output", .runningServer())
struct ProfileTests {
    /// A config file in a scratch directory, and the environment that points at it.
    struct Config {
        let scratch: ScratchDirectory
        var path: String { scratch.file("config") }
        var environment: [String: String] { ["INTERVIEWS_CONFIG": path] }

        init(_ text: String) throws {
            scratch = try ScratchDirectory(prefix: "interviews-cli-profile")
            try Data(text.utf8).write(to: URL(fileURLWithPath: scratch.file("config")))
        }
    }

    @Test("[default] gives socket, key file and output; a flag and the environment win over it")
    func defaultProfile() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        let keyFile = try ScratchDirectory(prefix: "interviews-cli-profile-key")
        try Data((acme.key + "\n").utf8).write(to: URL(fileURLWithPath: keyFile.file("key")))
        let config = try Config(
            """
            # a comment
            [default]
            socket = \(server.socket)
            api-key-file = \(keyFile.file("key"))
            output = json

            [elsewhere]
            socket = /nonexistent/s.sock
            """)
        let created = try await CommandLineTool.run(
            ["create", "--title", "from a profile"], environment: config.environment)
        #expect(created.status == 0, "\(created)")
        #expect(try created.json()["title"] as? String == "from a profile", "output = json applies")
        let lines = try await CommandLineTool.run(["list", "-o", "jsonl"], environment: config.environment)
        #expect(try lines.jsonLines().count == 1, "a flag wins over the profile's output: \(lines)")
        let elsewhere = try await CommandLineTool.run(
            ["list", "--profile", "elsewhere"], environment: config.environment)
        #expect(elsewhere.status == 69, "\(elsewhere)")
        #expect(elsewhere.stderr.contains("no server at /nonexistent/s.sock"), "\(elsewhere)")
        let chosenByEnvironment = try await CommandLineTool.run(
            ["list"], environment: config.environment.merging(["INTERVIEWS_PROFILE": "elsewhere"]) { $1 })
        #expect(chosenByEnvironment.status == 69, "\(chosenByEnvironment)")
        let socketWins = try await CommandLineTool.run(
            ["list", "--profile", "elsewhere", "--socket", server.socket],
            environment: config.environment.merging(["INTERVIEWS_API_KEY": acme.key]) { $1 })
        #expect(socketWins.status == 0, "--socket wins over the profile: \(socketWins)")
    }

    @Test("a partner key's profile gives the company")
    func company() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        _ = try await acme.create("--title", "acme's")
        let made = try await server.run(
            "keys", "create", "--label", "p", "--partner", "--company", acme.company, "--company", "globex-profile",
            "--output", "json")
        let partner = try #require(try made.json()["secret"] as? String, "\(made)")
        let keyFile = try ScratchDirectory(prefix: "interviews-cli-profile-partner")
        try Data(partner.utf8).write(to: URL(fileURLWithPath: keyFile.file("key")))
        let config = try Config(
            """
            [default]
            socket = \(server.socket)
            api-key-file = \(keyFile.file("key"))
            company = \(acme.company)
            """)
        let listed = try await CommandLineTool.run(["list", "-o", "jsonl"], environment: config.environment)
        #expect(listed.status == 0, "\(listed)")
        #expect(try listed.jsonLines().map { $0["title"] as? String } == ["acme's"])
    }

    static let badConfigs: [(String, String)] = [
        (
            "[default]\nbogus = 1\n",
            "config:2: \"bogus\" is not a profile setting; the settings are socket, api-key-file, company, output"
        ),
        ("socket = /x\n", "config:1: socket comes before any [profile] line"),
        ("[default]\noutput = xml\n", "config:2: output \"xml\" is not one of table, wide, json, jsonl, yaml, csv"),
        ("[default]\nsocket\n", "config:2: \"socket\" is not key = value"),
        ("[default\n", "config:1: \"[default\" is not a [profile] line"),
        ("[a]\n[a]\n", "config:2: profile [a] appears twice"),
        ("[default]\ncompany =\n", "config:2: company has no value"),
    ]

    @Test(
        "a config file that does not parse is a usage error naming file, line and what is wrong", arguments: badConfigs)
    func badConfig(_ text: String, _ message: String) async throws {
        let config = try Config(text)
        let result = try await CommandLineTool.run(["list"], environment: config.environment)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test("a profile that is not there is named with the ones that are; without a file, naming one is an error")
    func missingProfile() async throws {
        let config = try Config("[default]\n[staging]\n")
        let result = try await CommandLineTool.run(["list", "--profile", "prod"], environment: config.environment)
        #expect(result.status == 64, "\(result)")
        #expect(
            result.stderr.contains("profile \"prod\" is not in \(config.path); it has default, staging"), "\(result)")
        let noFile = try await CommandLineTool.run(["health", "--profile", "prod"])
        #expect(noFile.status == 64, "\(noFile)")
        #expect(
            noFile.stderr.contains("profile \"prod\": there is no config file at /nonexistent/interviews-test-config"))
    }
}
