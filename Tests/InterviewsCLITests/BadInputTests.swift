import Foundation
import Testing

/// A bad flag value, the exit status it gets and what its message must say.
struct BadFlag: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var status: Int32
    var message: String

    var testDescription: String { arguments.joined(separator: " ") }
}

@Suite("Bad input ends with a message naming the problem and the exit status of its class", .runningServer())
struct BadInputTests {
    static let badFlags = [
        BadFlag(
            arguments: ["list", "--page-size", "101"], status: 64,
            message: "--page-size: 101 is out of range; must be 1...100"),
        BadFlag(
            arguments: ["list", "--page", "0"], status: 64, message: "--page: 0 is out of range; must be 1...10000"),
        BadFlag(
            arguments: ["list", "--timeout", "0"], status: 64, message: "--timeout: 0 is out of range; must be 1...3600"
        ),
        BadFlag(
            arguments: ["import", "--batch-size", "5000"], status: 64,
            message: "--batch-size: 5000 is out of range; must be 1...1000"),
        BadFlag(
            arguments: ["list", "--status", "bogus"], status: 64,
            message:
                "\"bogus\" is not one of unspecified, draft, scheduled, in_progress, awaiting_feedback, completed, cancelled, failed"
        ),
        BadFlag(
            arguments: ["stream", "--start-after", "yesterday"], status: 64,
            message: "\"yesterday\" is not a time: give an RFC 3339 timestamp (2026-01-31T09:00:00Z)"),
        BadFlag(
            arguments: ["create", "--start", "not-a-time"], status: 64,
            message: "\"not-a-time\" is not a time: give an RFC 3339 timestamp (2026-01-31T09:00:00Z)"),
        BadFlag(
            arguments: ["create", "--custom", "novalue"], status: 64, message: "\"novalue\" is not key=value"),
        BadFlag(
            arguments: ["import", "--format", "nope"], status: 64,
            message: "--format: \"nope\" is not one of auto, ours, merge, kombo, truto, bindbee, platform"),
        BadFlag(
            arguments: ["export", "--include-remote-data"], status: 64,
            message: "--include-remote-data: export always includes remote_data; drop the flag"),
        BadFlag(
            arguments: ["list", "--output", "xml"], status: 64,
            message:
                "The value 'xml' is invalid for '--output <output>'. Please provide one of the following:\n  - table\n  - wide\n  - json\n  - jsonl\n  - yaml\n  - csv"
        ),
        BadFlag(
            arguments: ["keys", "list", "--output", "csv"], status: 64,
            message:
                "--output csv: keys list prints no interviews; use table, json or jsonl (wide and csv are for list, stream, get, create and update)"
        ),
        BadFlag(
            arguments: ["export", "--output", "wide"], status: 64,
            message: "--output wide: export (JSON lines, for import) prints no interviews"),
        BadFlag(
            arguments: ["list", "--fields", "id,bogus"], status: 64,
            message: "\"bogus\" is not an Interview field; the fields are id, remote_id, company_id"),
        BadFlag(arguments: ["get", "x", "--fields", ""], status: 64, message: "\"\" is not an Interview field"),
    ]

    @Test(
        "a bad flag value is a usage error that names the flag and its limit",
        arguments: badFlags + TimeFlagTests.badTimes)
    func badFlagValue(_ flag: BadFlag) async throws {
        let result = try await CommandLineTool.run(
            flag.arguments, environment: ["INTERVIEWS_SOCKET": try ServerProcess.current().socket])
        #expect(result.status == flag.status, "\(result)")
        #expect(result.stderr.contains(flag.message), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test("a bad flag value is reported before any connection is tried")
    func badFlagWithoutServer() async throws {
        let result = try await CommandLineTool.run(
            ["list", "--status", "bogus"], environment: ["INTERVIEWS_SOCKET": "/nonexistent/s.sock"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("\"bogus\" is not one of"), "\(result)")
    }

    @Test("a data command without a key is UNAUTHENTICATED (exit 77) and says how to give one")
    func missingKey() async throws {
        let server = try ServerProcess.current()
        let result = try await server.run("list")
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.hasPrefix("error: UNAUTHENTICATED:"), "\(result)")
        #expect(result.stderr.contains("INTERVIEWS_API_KEY"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test("an unknown key is UNAUTHENTICATED (exit 77)")
    func unknownKey() async throws {
        let server = try ServerProcess.current()
        let result = try await server.run("list", environment: ["INTERVIEWS_API_KEY": "not-a-key"])
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.hasPrefix("error: UNAUTHENTICATED:"), "\(result)")
    }

    @Test("an unreadable --api-key-file is named in the error")
    func unreadableKeyFile() async throws {
        let server = try ServerProcess.current()
        let result = try await server.run("list", "--api-key-file", server.directory.file("missing"))
        #expect(result.status == 65, "\(result)")
        #expect(
            result.stderr
                == "error: INVALID_ARGUMENT: --api-key-file: cannot read \(server.directory.file("missing")): "
                + "No such file or directory\n")
    }

    @Test("an empty --api-key-file is named in the error")
    func emptyKeyFile() async throws {
        let server = try ServerProcess.current()
        let file = server.directory.file("empty-key")
        try Data("\n".utf8).write(to: URL(fileURLWithPath: file))
        let result = try await server.run("list", "--api-key-file", file)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr == "error: INVALID_ARGUMENT: --api-key-file: \(file) is empty\n")
    }

    @Test(
        "with no server at the socket, every client command says so (exit 69) without a stack trace",
        arguments: [
            ["health"], ["list"], ["get", "some-id"], ["create", "--title", "x"], ["keys", "list"], ["watch"],
        ])
    func serverNotRunning(_ arguments: [String]) async throws {
        let scratch = try ScratchDirectory(prefix: "interviews-cli-nosrv")
        let socket = scratch.file("s.sock")
        let result = try await CommandLineTool.run(
            arguments + ["--socket", socket], environment: ["INTERVIEWS_API_KEY": "k"])
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.hasPrefix("error: UNAVAILABLE: no server at \(socket)"), "\(result)")
        #expect(result.stderr.contains("`interviews serve`"), "a hint: \(result)")
        #expect(result.stderr.contains("INTERVIEWS_SOCKET"), "a hint: \(result)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line, no trace: \(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test("a server's socket this user may not open is PERMISSION_DENIED (exit 77) naming the socket's settings")
    func socketNotOpenToThisUser() async throws {
        let (uid, gid) = try SquattedSocket.user(sourceLocation: #_sourceLocation)
        let socket = try ServerProcess.current().socket
        let result = try await CommandLineTool.run(
            executable: "/usr/bin/setpriv",
            [
                "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", try CommandLineTool.path(), "health", "--socket",
                socket,
            ])
        #expect(result.status == 77, "\(result)")
        #expect(
            result.stderr.hasPrefix("error: PERMISSION_DENIED: cannot connect to \(socket): Permission denied"),
            "\(result)")
        #expect(result.stderr.contains("--socket-mode") && result.stderr.contains("--socket-group"), "\(result)")
        #expect(!result.stderr.contains("no server"), "\(result)")
    }

    @Test(
        "an unknown command names the nearest one; usage errors read like the service's errors (exit 64)",
        arguments: [
            (["lsit"], #"error: INVALID_ARGUMENT: unknown command "lsit"; did you mean "list"?"#),
            (["delet", "x"], #"error: INVALID_ARGUMENT: unknown command "delet"; did you mean "delete"?"#),
            (["frobnicate"], #"error: INVALID_ARGUMENT: unknown command "frobnicate"; `interviews --help` lists"#),
            (["list", "--bogus"], "error: INVALID_ARGUMENT: Unknown option '--bogus'\nUsage: interviews list"),
            (
                ["list", "--page", "2", "--page-token", "t"],
                "error: INVALID_ARGUMENT: --page 2 and --page-token: a token"
            ),
        ])
    func usageErrors(arguments: [String], expected: String) async throws {
        let result = try await CommandLineTool.run(arguments, environment: ["INTERVIEWS_SOCKET": "/nonexistent/s.sock"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.hasPrefix(expected), "\(result)")
        #expect(!result.stderr.contains("Error:"), "\(result)")
    }

    @Test("a stale socket file (its server gone) is reported like a missing one")
    func staleSocketFile() async throws {
        let scratch = try ScratchDirectory(prefix: "interviews-cli-stale")
        let socket = scratch.file("s.sock")
        try Data().write(to: URL(fileURLWithPath: socket))
        let result = try await CommandLineTool.run(["health", "--socket", socket])
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.hasPrefix("error: UNAVAILABLE: no server at \(socket)"), "\(result)")
    }

    @Test("get of an unknown id is NOT_FOUND (exit 66)")
    func getUnknown() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run("get", "0190b7a8-7c2e-7d40-8f00-000000000001")
        #expect(result.status == 66, "\(result)")
        #expect(result.stderr.hasPrefix("error: NOT_FOUND:"), "\(result)")
    }

    @Test("get after delete is NOT_FOUND (exit 66)")
    func getAfterDelete() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let id = try #require(try await acme.create("--title", "Gone")["id"] as? String)
        #expect(try await acme.run("delete", id).status == 0)
        let result = try await acme.run("get", id)
        #expect(result.status == 66, "\(result)")
        #expect(result.stderr.hasPrefix("error: NOT_FOUND:"), "\(result)")
    }

    @Test("another company's record is NOT_FOUND (exit 66), so nothing leaks")
    func otherTenant() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        let globex = try await server.newTenant("globex")
        let id = try #require(try await acme.create("--title", "Secret")["id"] as? String)
        let result = try await globex.run("get", id)
        #expect(result.status == 66, "\(result)")
        #expect(!result.stdout.contains("Secret"))
    }

    @Test("update --if-revision with a stale revision is FAILED_PRECONDITION (exit 65) and changes nothing")
    func staleRevision() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let id = try #require(try await acme.create("--title", "Onsite")["id"] as? String)
        _ = try await acme.succeed("update", id, "--title", "Second")
        let result = try await acme.run("update", id, "--title", "Lost", "--if-revision", "1")
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.hasPrefix("error: FAILED_PRECONDITION:"), "\(result)")
        let got = try await acme.succeed("get", id, "--output", "json").json()
        #expect(got["title"] as? String == "Second")
    }

    @Test("update with no field flags is refused before calling the server")
    func emptyUpdate() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run("update", "some-id")
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("nothing to update"), "\(result)")
    }

    @Test("a record the server refuses is INVALID_ARGUMENT (exit 65) naming the field")
    func invalidRecord() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run(
            "create", "--start", "2026-02-01T10:00:00Z", "--end", "2026-02-01T09:00:00Z")
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.hasPrefix("error: INVALID_ARGUMENT: end_at"), "\(result)")
    }

    @Test("create --json with malformed JSON names the problem")
    func malformedJSON() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run("create", "--json", "{\"title\":")
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.hasPrefix("error: INVALID_ARGUMENT: --json:"), "\(result)")
    }

    @Test("an unknown subcommand or flag is a usage error (exit 64)", arguments: [["frobnicate"], ["list", "--nope"]])
    func unknownCommand(_ arguments: [String]) async throws {
        let result = try await CommandLineTool.run(arguments)
        #expect(result.status == 64, "\(result)")
    }
}
