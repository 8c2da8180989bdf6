import Foundation
import Synchronization
import Testing

/// What one run of a command left behind.
struct CommandResult: Sendable, CustomStringConvertible {
    /// The exit status, or the signal number when `signaled`.
    var status: Int32
    /// Whether a signal ended the process.
    var signaled: Bool
    var stdout: String
    var stderr: String

    /// Standard output's lines, without their newlines.
    var lines: [String] {
        var lines = stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Standard output parsed as one JSON object.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try JSONObjects.object(stdout, sourceLocation: sourceLocation)
    }

    /// Standard output parsed as one JSON object a line.
    func jsonLines(sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try lines.map { try JSONObjects.object($0, sourceLocation: sourceLocation) }
    }

    var description: String {
        "exit \(signaled ? "by signal " : "")\(status)\n--- stdout\n\(stdout.prefix(2_000))\n--- stderr\n\(stderr.prefix(2_000))"
    }
}

/// Parses JSON text with Foundation, as a consumer of `--output json` would.
enum JSONObjects {
    static func object(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(
            value as? [String: Any], "not a JSON object: \(text.prefix(200))", sourceLocation: sourceLocation)
    }
}

/// The built `interviews` executable, run as a child process.
enum CommandLineTool {
    /// `interviews` next to the test bundle (both are in the build's products
    /// directory), or `$INTERVIEWS_CLI` when set.
    static let executable: String? = {
        if let path = ProcessInfo.processInfo.environment["INTERVIEWS_CLI"] { return path }
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates = [
            bundle.deletingLastPathComponent().appendingPathComponent("interviews").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("interviews").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// The executable's path, or a failed requirement saying how to build it.
    static func path(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(
            executable,
            "the interviews executable is not next to the test bundle; run `swift build --build-tests` first",
            sourceLocation: sourceLocation)
    }

    /// The environment a child gets: ours without any `INTERVIEWS_` setting
    /// or `XDG_RUNTIME_DIR` (so the default socket path is the same in every
    /// session), plus `extra`.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("INTERVIEWS_") && $0.key != "XDG_RUNTIME_DIR" && $0.key != "XDG_CONFIG_HOME"
        }
        // No profile of the person running the tests applies.
        environment["INTERVIEWS_CONFIG"] = "/nonexistent/interviews-test-config"
        environment.merge(extra) { $1 }
        return environment
    }

    /// Runs `interviews arguments...` to completion.
    ///
    /// - Parameters:
    ///   - environment: added to the (cleaned) environment.
    ///   - input: standard input's contents; none gives /dev/null.
    ///   - limit: how long the command may take before it is killed and the
    ///     test fails.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
        limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandResult {
        try await run(
            executable: path(sourceLocation: sourceLocation), arguments, environment: environment, input: input,
            limit: limit, sourceLocation: sourceLocation)
    }

    /// Runs any program to completion; standard output and error go to files,
    /// so neither can fill a pipe and stall the child.
    static func run(
        executable: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
        limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandResult {
        let scratch = try ScratchDirectory(prefix: "interviews-cli-run")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = Self.environment(environment)
        if let input {
            let inPath = scratch.path + "/stdin"
            try Data(input.utf8).write(to: URL(fileURLWithPath: inPath))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        process.standardOutput = try scratch.newFile("stdout")
        process.standardError = try scratch.newFile("stderr")
        let exit = ChildExit(process)
        try process.run()
        if await !exit.wait(killing: process.processIdentifier, after: limit) {
            Issue.record(
                "`\(arguments.joined(separator: " "))` took longer than \(limit); killed",
                sourceLocation: sourceLocation)
        }
        return CommandResult(
            status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
            stdout: try String(contentsOfFile: scratch.file("stdout"), encoding: .utf8),
            stderr: try String(contentsOfFile: scratch.file("stderr"), encoding: .utf8))
    }
}

/// Awaits a child's exit without blocking a thread of the cooperative pool.
final class ChildExit: Sendable {
    private let state = Mutex<(exited: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    /// Must be made before the process runs.
    init(_ process: Process) {
        process.terminationHandler = { _ in self.exited() }
    }

    private func exited() {
        let waiters = state.withLock { state in
            state.exited = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits for the exit.
    func wait() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if !state.exited { state.waiters.append(continuation) }
                return state.exited
            }
            if done { continuation.resume() }
        }
    }

    /// Waits for the exit, killing the child `pid` (SIGKILL) if it runs
    /// longer than `limit`; false when it had to be killed.
    func wait(killing pid: Int32, after limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                guard (try? await Task.sleep(for: limit)) != nil else { return true }
                kill(pid, SIGKILL)
                return false
            }
            await wait()
            group.cancelAll()
            return await group.next() ?? true
        }
    }
}

/// A fresh directory, removed with its contents when the value is dropped.
final class ScratchDirectory: Sendable {
    let path: String

    init(prefix: String) throws {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: created)
    }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    /// Creates (or empties) `name` and opens it for writing.
    func newFile(_ name: String) throws -> FileHandle {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A command left running in the background (`interviews watch`), its
/// standard output collected in a file that the test polls.
final class BackgroundCommand: Sendable {
    private let process: Mutex<Process>
    private let exit: ChildExit
    private let pid: Int32
    private let scratch: ScratchDirectory

    /// Starts `interviews arguments...`.
    init(_ arguments: [String], environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        scratch = try ScratchDirectory(prefix: "interviews-cli-bg")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CommandLineTool.path(sourceLocation: sourceLocation))
        process.arguments = arguments
        process.environment = CommandLineTool.environment(environment)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try scratch.newFile("stdout")
        process.standardError = try scratch.newFile("stderr")
        exit = ChildExit(process)
        try process.run()
        pid = process.processIdentifier
        self.process = Mutex(process)
    }

    /// Whether the command is still running.
    var isRunning: Bool { process.withLock { $0.isRunning } }

    /// What the command has written to standard output so far.
    var stdout: String { (try? String(contentsOfFile: scratch.file("stdout"), encoding: .utf8)) ?? "" }
    /// What the command has written to standard error so far.
    var stderr: String { (try? String(contentsOfFile: scratch.file("stderr"), encoding: .utf8)) ?? "" }

    /// The first complete line of standard output, waiting for it at most `limit`.
    func firstLine(within limit: Duration = .seconds(20)) async throws -> String? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let newline = stdout.firstIndex(of: "\n") { return String(stdout[..<newline]) }
            if !process.withLock({ $0.isRunning }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        return stdout.firstIndex(of: "\n").map { String(stdout[..<$0]) }
    }

    /// Sends `signal` (0: none, to wait for an exit that is due) and waits
    /// for the exit (SIGKILL after 20 s); returns how the process ended.
    func stop(with signal: Int32 = SIGTERM) async -> (status: Int32, signaled: Bool) {
        if process.withLock({ $0.isRunning }) { kill(pid, signal) }
        if await !exit.wait(killing: pid, after: .seconds(20)) {
            Issue.record("the command ignored signal \(signal) for 20 s and was killed")
        }
        return process.withLock { ($0.terminationStatus, $0.terminationReason == .uncaughtSignal) }
    }
}
