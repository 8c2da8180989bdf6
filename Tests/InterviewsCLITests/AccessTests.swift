import Foundation
import Synchronization
import Testing

/// The permission bits of `path` (without the file type), not following a symbolic link.
private func permissions(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

/// Waits until `interviews health` answers with `environment`, at most 120 s.
private func waitUntilHealthy(
    _ server: BackgroundCommand, environment: [String: String], arguments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let deadline = ContinuousClock.now + .seconds(120)
    while ContinuousClock.now < deadline {
        let health = try await CommandLineTool.run(
            ["health", "--output", "json"] + arguments, environment: environment, sourceLocation: sourceLocation)
        if health.status == 0 { return }
        if !server.isRunning { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("the server did not answer `interviews health`:\n\(server.stderr)", sourceLocation: sourceLocation)
    throw ServerFailure("the server did not start")
}

/// An unprivileged user, `interviews-squat`, to listen on a socket as, and
/// a listener run as that user (`setpriv`) that records every byte it is sent.
final class SquattedSocket: Sendable {
    static let userName = "interviews-squat"

    let scratch: ScratchDirectory
    /// The socket the squatter listens on.
    let socket: String
    /// The squatter's uid.
    let uid: UInt32
    private let received: String
    private let process: Mutex<Process>
    private let exit: ChildExit
    private let pid: Int32

    /// Listens on a socket as `interviews-squat`, creating the user when
    /// missing. Cancels the test (with the reason) when it is not run as root
    /// or `useradd` or `setpriv` is not installed.
    init(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (uid, gid) = try Self.user(sourceLocation: sourceLocation)
        self.uid = uid
        scratch = try ScratchDirectory(prefix: "interviews-cli-squat")
        // The squatter must reach its own directory inside ours.
        chmod(scratch.path, 0o755)
        let owned = scratch.file("squat")
        try #require(mkdir(owned, 0o700) == 0 && chown(owned, uid, gid) == 0, "cannot make \(owned)")
        socket = owned + "/s.sock"
        received = owned + "/received"
        let listener = """
            import socket, sys
            path, out = sys.argv[1], sys.argv[2]
            open(out, "wb").close()
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(8)
            open(out + ".ready", "w").close()
            while True:
                c, _ = s.accept()
                c.settimeout(2)
                try:
                    while True:
                        data = c.recv(65536)
                        if not data:
                            break
                        with open(out, "ab") as f:
                            f.write(data)
                except OSError:
                    pass
                c.close()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", Self.python, "-c", listener, socket, received,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try scratch.newFile("listener.log")
        process.standardError = try scratch.newFile("listener.err")
        exit = ChildExit(process)
        try process.run()
        pid = process.processIdentifier
        self.process = Mutex(process)
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: received + ".ready") {
            let log = (try? String(contentsOfFile: scratch.file("listener.err"), encoding: .utf8)) ?? ""
            try #require(self.process.withLock { $0.isRunning }, "the listener exited: \(log)")
            try #require(ContinuousClock.now < deadline, "the listener did not start within 20 s: \(log)")
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A Python anyone may run (not one under root's home).
    private static var python: String {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    }

    /// The squatter's uid and gid, creating the user when missing; cancels
    /// the test when that cannot be done here.
    static func user(sourceLocation: SourceLocation) throws -> (uid_t, gid_t) {
        guard geteuid() == 0 else {
            try Test.cancel("listening as another user needs root", sourceLocation: sourceLocation)
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            try Test.cancel("setpriv is not installed; cannot listen as another user", sourceLocation: sourceLocation)
        }
        if let entry = getpwnam(userName) { return (entry.pointee.pw_uid, entry.pointee.pw_gid) }
        guard
            let useradd = ["/usr/sbin/useradd", "/sbin/useradd", "/usr/bin/useradd"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            try Test.cancel("useradd is not installed; cannot create \(userName)", sourceLocation: sourceLocation)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: useradd)
        process.arguments = ["-M", "-r", "-s", "/usr/sbin/nologin", userName]
        try process.run()
        process.waitUntilExit()
        let entry = try #require(getpwnam(userName), "useradd \(userName) failed", sourceLocation: sourceLocation)
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// Every byte the listener has been sent so far.
    var bytes: [UInt8] { (try? Array(Data(contentsOf: URL(fileURLWithPath: received)))) ?? [] }

    /// Waits up to `limit` for the listener to have received at least `count` bytes.
    func bytes(atLeast count: Int, within limit: Duration) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + limit
        while bytes.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return bytes
    }

    /// Ends the listener.
    func stop() async {
        if process.withLock({ $0.isRunning }) { kill(pid, SIGKILL) }
        await exit.wait()
    }
}

@Suite("A socket another user listens on")
struct SquattedSocketTests {
    @Test("the CLI refuses a server running as another user, naming path and uid, and sends it nothing")
    func refused() async throws {
        let squat = try await SquattedSocket()
        let result = try await CommandLineTool.run(
            ["list", "--timeout", "5"],
            environment: ["INTERVIEWS_SOCKET": squat.socket, "INTERVIEWS_API_KEY": "ik_0123456789abcdef_secret"])
        try await Task.sleep(for: .milliseconds(500))
        let received = squat.bytes
        await squat.stop()
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.contains("PERMISSION_DENIED"), "\(result)")
        #expect(result.stderr.contains(squat.socket), "\(result)")
        #expect(result.stderr.contains("runs as uid \(squat.uid)"), "\(result)")
        #expect(result.stderr.contains("--server-uid \(squat.uid)"), "\(result)")
        #expect(result.stderr.contains("INTERVIEWS_SERVER_UID"), "\(result)")
        #expect(
            received.isEmpty,
            "the listener was sent \(received.count) bytes: \(String(decoding: received, as: UTF8.self))")
        #expect(!String(decoding: received, as: UTF8.self).contains("Bearer"))
    }

    @Test(
        "naming the server's uid lets the CLI talk to it",
        arguments: [["--server-uid"], ["INTERVIEWS_SERVER_UID"]])
    func namedUIDConnects(setting: [String]) async throws {
        let squat = try await SquattedSocket()
        var arguments = ["health", "--timeout", "2"]
        var environment = ["INTERVIEWS_SOCKET": squat.socket]
        if setting == ["--server-uid"] {
            arguments += ["--server-uid", "\(squat.uid)"]
        } else {
            environment["INTERVIEWS_SERVER_UID"] = "\(squat.uid)"
        }
        // The listener never answers SETTINGS, so the command fails, but only
        // after it has connected and sent the preface.
        let result = try await CommandLineTool.run(arguments, environment: environment)
        let received = try await squat.bytes(atLeast: 16, within: .seconds(5))
        await squat.stop()
        #expect(!result.stderr.contains("runs as uid"), "\(result)")
        #expect(Array(received.prefix(16)) == Array("interviews-rpc/1".utf8), "\(received.count) bytes received")
    }

    @Test("a malformed INTERVIEWS_SERVER_UID is an error naming it")
    func malformedUID() async throws {
        let result = try await CommandLineTool.run(
            ["health"], environment: ["INTERVIEWS_SOCKET": "/nonexistent/s.sock", "INTERVIEWS_SERVER_UID": "abc"])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("INTERVIEWS_SERVER_UID"), "\(result)")
    }
}

@Suite("The default socket directory")
struct DefaultSocketDirectoryTests {
    /// How a pre-existing default directory can be unsafe, and what the error says.
    enum Unsafe: String, CaseIterable, Sendable {
        case worldWritable, otherOwner, symlink

        var expected: String {
            switch self {
            case .worldWritable: "has mode 0777"
            case .otherOwner: "belongs to uid 54321"
            case .symlink: "is a symbolic link"
            }
        }

        /// Makes `path` this way.
        func make(_ path: String, scratch: ScratchDirectory) throws {
            switch self {
            case .worldWritable:
                try #require(mkdir(path, 0o700) == 0 && chmod(path, 0o777) == 0)
            case .otherOwner:
                try #require(mkdir(path, 0o700) == 0 && chown(path, 54321, 54321) == 0)
            case .symlink:
                let target = scratch.file("elsewhere")
                try #require(mkdir(target, 0o700) == 0 && Glibc.symlink(target, path) == 0)
            }
        }
    }

    @Test("with no socket setting, serve listens in ${TMPDIR}/interviews-<uid>/, created 0700, and clients find it")
    func createdOwnerOnly() async throws {
        let scratch = try ScratchDirectory(prefix: "interviews-cli-default")
        let environment = ["TMPDIR": scratch.path]
        let directory = scratch.file("interviews-\(geteuid())")
        let server = try BackgroundCommand(
            ["serve", "--data-dir", scratch.file("data"), "--backend", "memory"], environment: environment)
        do {
            try await waitUntilHealthy(server, environment: environment)
        } catch {
            _ = await server.stop()
            throw error
        }
        var info = stat()
        #expect(lstat(directory, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR, "\(directory) is a directory")
        #expect(info.st_uid == geteuid())
        #expect(permissions(directory) == 0o700)
        #expect(FileManager.default.fileExists(atPath: directory + "/interviews.sock"))
        let stopped = await server.stop()
        #expect(stopped.status == 0 && !stopped.signaled, "\(server.stderr)")
    }

    @Test("an unsafe pre-existing default directory is refused by serve and by clients", arguments: Unsafe.allCases)
    func unsafeRefused(unsafe: Unsafe) async throws {
        let scratch = try ScratchDirectory(prefix: "interviews-cli-default")
        let environment = ["TMPDIR": scratch.path]
        let directory = scratch.file("interviews-\(geteuid())")
        try unsafe.make(directory, scratch: scratch)

        let serve = try await CommandLineTool.run(
            ["serve", "--data-dir", scratch.file("data"), "--backend", "memory"], environment: environment,
            limit: .seconds(30))
        #expect(serve.status == 77 && !serve.signaled, "\(serve)")
        #expect(serve.stderr.contains(directory) && serve.stderr.contains(unsafe.expected), "\(serve)")

        let client = try await CommandLineTool.run(["health"], environment: environment)
        #expect(client.status == 77, "\(client)")
        #expect(client.stderr.contains(directory) && client.stderr.contains(unsafe.expected), "\(client)")
    }
}

@Suite("One server per data directory")
struct DataDirectoryLockTests {
    @Test(
        "a second server on a data directory in use is refused at start, naming the directory and the holder's pid",
        arguments: [
            (ServerProcess.Backend.file, ServerProcess.Backend.memory), (.memory, .file), (.memory, .memory),
            (.file, .file),
        ])
    func secondServerRefused(holder: ServerProcess.Backend, second: ServerProcess.Backend) async throws {
        let server = try await ServerProcess.start(backend: holder)
        let result = try await CommandLineTool.run(
            [
                "serve", "--socket", server.directory.file("second.sock"), "--data-dir", server.dataDirectory,
                "--backend", second.rawValue,
            ], limit: .seconds(30))
        let health = try await server.run("health")
        let status = await server.stop()
        #expect(result.status == 75 && !result.signaled, "\(result)")
        #expect(result.stderr.contains(server.dataDirectory), "\(result)")
        #expect(result.stderr.contains("pid \(server.processID)"), "\(result)")
        #expect(health.status == 0, "the first server still answers: \(health)")
        #expect(status == 0, "\(server.log)")
    }
}

@Suite("serve when it cannot listen")
struct ServeListenFailureTests {
    @Test("a socket path serve cannot bind: exit 69, the reason in words, and no 'serving' logged first")
    func cannotBind() async throws {
        let scratch = try ScratchDirectory(prefix: "interviews-cli-bind")
        let socket = scratch.file("missing-directory/s.sock")
        let result = try await CommandLineTool.run(
            ["serve", "--socket", socket, "--data-dir", scratch.file("data"), "--backend", "memory"],
            limit: .seconds(30))
        #expect(result.status == 69, "\(result)")
        let output = result.stdout + result.stderr
        #expect(output.contains("cannot listen on \(socket): No such file or directory"), "\(result)")
        #expect(!output.contains("bind(descriptor"), "no Swift API signature: \(result)")
        #expect(!output.contains(" serving"), "nothing says it serves: \(result)")
    }
}

@Suite("Data directory permissions")
struct DataDirectoryModeTests {
    @Test("the data directory is 0700 and every file in it 0600 after writes and key changes")
    func ownerOnly() async throws {
        let server = try await ServerProcess.start(backend: .file)
        let tenant = try await server.newTenant()
        for index in 0..<5 {
            _ = try await tenant.create(
                "--title", "Onsite \(index)", "--candidate", "cand-\(index)", "--start", "2026-02-01T09:00:00Z")
        }
        _ = try await server.tenant(company: "other-company")
        let status = await server.stop()
        #expect(status == 0, "\(server.log)")

        #expect(permissions(server.dataDirectory) == 0o700)
        let names = try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory).sorted()
        #expect(names.contains("keys.json") && names.contains("LOCK"), "\(names)")
        #expect(names.contains { $0.hasSuffix(".seg") }, "\(names)")
        for name in names {
            #expect(permissions(server.dataDirectory + "/" + name) == 0o600, "\(name) is owner-only")
        }
    }

    @Test(
        "a pre-existing data directory others can read is tightened to 0700, with a warning",
        arguments: ["file", "memory"])
    func openDirectoryTightened(backend: String) async throws {
        let scratch = try ScratchDirectory(prefix: "interviews-cli-mode")
        let data = scratch.file("data")
        try #require(mkdir(data, 0o755) == 0 && chmod(data, 0o755) == 0)
        let socket = scratch.file("s.sock")
        let server = try BackgroundCommand(
            ["serve", "--socket", socket, "--data-dir", data, "--backend", backend], environment: [:])
        do {
            try await waitUntilHealthy(server, environment: ["INTERVIEWS_SOCKET": socket])
        } catch {
            _ = await server.stop()
            throw error
        }
        #expect(permissions(data) == 0o700)
        let stopped = await server.stop()
        #expect(stopped.status == 0, "\(server.stderr)")
        #expect(
            server.stderr.contains("tightened the data directory \(data) from mode 0755 to 0700"), "\(server.stderr)")
        #expect(server.stderr.contains("warning"), "\(server.stderr)")
    }
}
