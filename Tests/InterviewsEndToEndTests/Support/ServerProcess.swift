import Foundation
import InterviewsClient
import InterviewsModel
import RPCCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The storage backends of `interviews serve --backend`.
enum Backend: String, Sendable, CaseIterable {
    /// Lost on exit; keys are still kept in the data directory.
    case memory
    /// Durable (merged later; a fixture can switch to it with one argument).
    case file
}

/// Why a server process could not be started or stopped as expected.
struct ServerProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// How a child process ended.
enum Termination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    init(waitStatus status: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Glibc exports only as macros.
        let signal = status & 0x7F
        self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }

    var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let signal): "killed by signal \(signal)"
        }
    }
}

/// A fresh private directory under /tmp (short, so that a socket path in it
/// fits in sun_path), removed with everything in it when the last reference
/// goes away. It holds a server's socket, data directory and log, and
/// outlives one process so that another can be started on the same data.
final class ScratchDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/iv-e2e.XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ServerProcessError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(cString: result)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The real `interviews serve`, started as a child process with `--socket
/// <directory>/s.sock --data-dir <directory>/data`. Its standard output and
/// error go to `<directory>/server.log`, which failures quote.
///
/// It owns the process: ``stop(signal:timeout:)`` ends it; a process still
/// running when the last reference goes away is killed.
final class ServerProcess: Sendable {
    /// Holds the socket, the data directory and the log.
    let scratch: ScratchDirectory
    /// The socket the server listens on.
    let socketPath: String
    /// `--data-dir`.
    let dataDirectory: String
    /// The backend it runs with.
    let backend: Backend
    /// The `serve` options beyond socket, data directory and backend.
    let arguments: [String]
    /// The child's process id.
    let pid: pid_t
    private let termination = Mutex<Termination?>(nil)

    private init(scratch: ScratchDirectory, backend: Backend, arguments: [String], pid: pid_t) {
        self.scratch = scratch
        self.socketPath = scratch.path + "/s.sock"
        self.dataDirectory = scratch.path + "/data"
        self.backend = backend
        self.arguments = arguments
        self.pid = pid
    }

    deinit {
        if termination.withLock({ $0 }) == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// The server's log so far (its last `limit` bytes).
    func log(limit: Int = 4000) -> String {
        let text = (try? String(contentsOfFile: scratch.path + "/server.log", encoding: .utf8)) ?? ""
        return String(text.suffix(limit))
    }

    /// Starts `interviews serve` and waits until it answers Health.
    ///
    /// - Parameters:
    ///   - backend: `--backend`.
    ///   - arguments: More `serve` options, e.g. `["--shutdown-grace", "2"]`.
    ///   - scratch: Where the socket, data and log go; a fresh directory by default.
    /// - Throws: ``ServerProcessError`` when the executable is missing, or the
    ///   server exits or does not answer within `readyTimeout` (with its log).
    static func start(
        backend: Backend = .memory, arguments: [String] = [], in scratch: ScratchDirectory? = nil,
        readyTimeout: Duration = .seconds(120)
    ) async throws -> ServerProcess {
        let executable = try executablePath()
        let scratch = try scratch ?? ScratchDirectory()
        let argv =
            [
                executable, "serve", "--socket", scratch.path + "/s.sock", "--data-dir", scratch.path + "/data",
                "--backend", backend.rawValue, "--log-level", "warning",
            ] + arguments
        let pid = try spawn(argv, output: scratch.path + "/server.log")
        let server = ServerProcess(scratch: scratch, backend: backend, arguments: arguments, pid: pid)
        try await server.waitUntilServing(timeout: readyTimeout)
        return server
    }

    /// A new process with the same backend, options and directory (so the
    /// same data), once this one has ended.
    ///
    /// - Throws: ``ServerProcessError`` while this process is still running.
    func restarted() async throws -> ServerProcess {
        guard !isRunning else { throw ServerProcessError("stop the server (pid \(pid)) before restarting it") }
        return try await Self.start(backend: backend, arguments: arguments, in: scratch)
    }

    /// The `interviews` executable `swift build` put next to the test bundle.
    static func executablePath() throws -> String {
        var directories: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append((exe as NSString).deletingLastPathComponent)
        }
        if let first = CommandLine.arguments.first {
            directories.append(((first as NSString).standardizingPath as NSString).deletingLastPathComponent)
        }
        for directory in directories {
            let candidate = directory + "/interviews"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ServerProcessError(
            "the `interviews` executable is not next to the test bundle (looked in \(directories)); "
                + "build it with `swift build --build-tests` before `swift test --skip-build`")
    }

    /// Polls Health until the server answers, failing early when it exits.
    private func waitUntilServing(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let ended = reap() {
                throw ServerProcessError("interviews serve \(ended) before serving; its log:\n\(log())")
            }
            if FileManager.default.fileExists(atPath: socketPath),
                let client = try? await InterviewsClient.connect(to: socketPath, apiKey: nil, timeout: .seconds(5))
            {
                let health = try? await client.health()
                await client.close()
                if health?.status == .serving { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServerProcessError("interviews serve did not answer Health within \(timeout); its log:\n\(log())")
    }

    /// Sends `signal` (SIGTERM: a graceful shutdown) and waits for the process to end.
    ///
    /// - Throws: ``ServerProcessError`` when it is still running after
    ///   `timeout`; it is then killed.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> Termination {
        if let ended = reap() { return ended }
        kill(pid, signal)
        return try await waitForExit(timeout: timeout)
    }

    /// Sends `signal` without waiting.
    func send(_ signal: Int32) {
        if reap() == nil { kill(pid, signal) }
    }

    /// Waits for the process to end by itself.
    func waitForExit(timeout: Duration) async throws -> Termination {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let ended = reap() { return ended }
            try await Task.sleep(for: .milliseconds(10))
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        termination.withLock { $0 = Termination(waitStatus: status) }
        throw ServerProcessError(
            "interviews serve was still running \(timeout) after the signal; killed. Log:\n\(log())")
    }

    /// Whether the process is still running.
    var isRunning: Bool { reap() == nil }

    /// The termination, collected without blocking (nil while the process runs).
    private func reap() -> Termination? {
        termination.withLock { termination in
            if let termination { return termination }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            termination = Termination(waitStatus: status)
            return termination
        }
    }

    /// posix_spawn with stdout and stderr appended to `output`, stdin from
    /// /dev/null, an empty signal mask and default SIGTERM, SIGINT and
    /// SIGPIPE handling, as when started from a shell.
    private static func spawn(_ argv: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, environ)
        guard result == 0 else {
            throw ServerProcessError("cannot start \(argv[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }
}
