import Foundation
import Synchronization
import Testing

/// An `interviews serve` child process with its socket and data directory in
/// a scratch directory of its own. It owns the process: ``stop()`` ends it
/// with SIGTERM, as a service manager would.
final class ServerProcess: Sendable {
    /// The storage backends `interviews serve --backend` offers.
    enum Backend: String, Sendable, CaseIterable {
        case memory, file

        /// `$INTERVIEWS_TEST_BACKEND`, else memory.
        static var `default`: Backend {
            ProcessInfo.processInfo.environment["INTERVIEWS_TEST_BACKEND"].flatMap(Backend.init(rawValue:)) ?? .memory
        }
    }

    let backend: Backend
    let directory: ScratchDirectory
    /// `<scratch>/s.sock`.
    let socket: String
    /// `<scratch>/data`.
    let dataDirectory: String
    private let process: Mutex<Process>
    private let exit: ChildExit
    private let pid: Int32
    private static let companies = Atomic<Int>(0)

    private init(backend: Backend, directory: ScratchDirectory, process: sending Process, exit: ChildExit) {
        self.backend = backend
        self.directory = directory
        socket = directory.file("s.sock")
        dataDirectory = directory.file("data")
        pid = process.processIdentifier
        self.process = Mutex(process)
        self.exit = exit
    }

    /// Starts `interviews serve --socket <tmp>/s.sock --data-dir <tmp>/data
    /// --backend <backend> <options...>` and returns once `interviews health`
    /// answers.
    ///
    /// - Throws: when the server exits or does not answer within 120 s; the
    ///   message holds its log.
    static func start(
        backend: Backend = .default, options: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ServerProcess {
        let executable = try CommandLineTool.path(sourceLocation: sourceLocation)
        let directory = try ScratchDirectory(prefix: "interviews-cli-server")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            [
                "serve", "--socket", directory.file("s.sock"), "--data-dir", directory.file("data"),
                "--backend", backend.rawValue,
            ] + options
        process.environment = CommandLineTool.environment([:])
        process.standardInput = FileHandle.nullDevice
        let logHandle = try directory.newFile("server.log")
        process.standardOutput = logHandle
        process.standardError = logHandle
        let exit = ChildExit(process)
        try process.run()
        let server = ServerProcess(backend: backend, directory: directory, process: process, exit: exit)
        do {
            try await server.waitUntilServing(sourceLocation: sourceLocation)
        } catch {
            _ = await server.stop()
            throw error
        }
        return server
    }

    private func waitUntilServing(sourceLocation: SourceLocation) async throws {
        // Generous: on a 2-core machine every suite starts its servers at once.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if !isRunning {
                throw ServerFailure("the server exited while starting:\n\(log)")
            }
            if FileManager.default.fileExists(atPath: socket) {
                let health = try await run("health", "--output", "json", sourceLocation: sourceLocation)
                if health.status == 0 { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServerFailure("the server did not answer `interviews health` within 120 s:\n\(log)")
    }

    /// The server's process id.
    var processID: Int32 { pid }

    /// Whether the process is still running.
    var isRunning: Bool { process.withLock { $0.isRunning } }

    /// What the server wrote to standard output and error.
    var log: String { (try? String(contentsOfFile: directory.file("server.log"), encoding: .utf8)) ?? "" }

    /// Ends the server with SIGTERM (a graceful drain), or SIGKILL after 20 s,
    /// and returns its exit status.
    @discardableResult
    func stop() async -> Int32 {
        if isRunning { kill(pid, SIGTERM) }
        if await !exit.wait(killing: pid, after: .seconds(20)) {
            Issue.record("the server ignored SIGTERM for 20 s and was killed:\n\(log)")
        }
        return process.withLock { $0.terminationStatus }
    }

    /// Runs `interviews arguments...` against this server, with no key.
    func run(
        _ arguments: String..., environment: [String: String] = [:], input: String? = nil,
        limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandResult {
        try await CommandLineTool.run(
            arguments, environment: ["INTERVIEWS_SOCKET": socket].merging(environment) { $1 }, input: input,
            limit: limit, sourceLocation: sourceLocation)
    }

    /// A company of its own, so tests that share this server never see each
    /// other's records, and a key for it made with `interviews keys create`.
    func newTenant(_ name: String = "acme", sourceLocation: SourceLocation = #_sourceLocation) async throws -> Tenant {
        let company = "\(name)-\(Self.companies.add(1, ordering: .relaxed).newValue)"
        return try await tenant(company: company, sourceLocation: sourceLocation)
    }

    /// A key for `company`, made with `interviews keys create --label x
    /// --company <company> --output json`.
    func tenant(company: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Tenant {
        let created = try await run(
            "keys", "create", "--label", "x", "--company", company, "--output", "json",
            sourceLocation: sourceLocation)
        try #require(created.status == 0, "keys create failed: \(created)", sourceLocation: sourceLocation)
        let secret = try #require(
            try created.json(sourceLocation: sourceLocation)["secret"] as? String,
            "keys create printed no secret: \(created)", sourceLocation: sourceLocation)
        #expect(!secret.isEmpty, sourceLocation: sourceLocation)
        return Tenant(server: self, company: company, key: secret)
    }
}

/// A company on a server and its API key.
struct Tenant: Sendable {
    let server: ServerProcess
    let company: String
    let key: String

    /// Runs `interviews arguments...` with the key in `INTERVIEWS_API_KEY`.
    func run(
        _ arguments: String..., environment: [String: String] = [:], input: String? = nil,
        limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandResult {
        try await run(arguments, environment: environment, input: input, limit: limit, sourceLocation: sourceLocation)
    }

    /// Runs `interviews arguments...` with the key in `INTERVIEWS_API_KEY`.
    func run(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
        limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandResult {
        try await CommandLineTool.run(
            arguments,
            environment: ["INTERVIEWS_SOCKET": server.socket, "INTERVIEWS_API_KEY": key].merging(environment) { $1 },
            input: input, limit: limit, sourceLocation: sourceLocation)
    }

    /// Runs a command that must succeed and returns its result.
    func succeed(
        _ arguments: String..., input: String? = nil, limit: Duration = .seconds(60),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandResult {
        let result = try await run(arguments, input: input, limit: limit, sourceLocation: sourceLocation)
        try #require(
            result.status == 0 && !result.signaled, "`interviews \(arguments.joined(separator: " "))`: \(result)",
            sourceLocation: sourceLocation)
        return result
    }

    /// Creates an interview with `fields` (flags of `interviews create`) and
    /// returns it as printed by `--output json`.
    func create(_ fields: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let result = try await run(
            ["create", "--output", "json"] + fields, sourceLocation: sourceLocation)
        try #require(result.status == 0, "create failed: \(result)", sourceLocation: sourceLocation)
        return try result.json(sourceLocation: sourceLocation)
    }
}

/// The server fixture could not be set up.
struct ServerFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
