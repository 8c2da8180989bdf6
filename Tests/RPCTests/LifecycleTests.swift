import Foundation
import Glibc
import InterviewsModel
import InterviewsWire
import Logging
import RPCCore
import RPCUnixSocket
import ServiceLifecycle
import Testing

@Suite("Server start-up, socket file and shutdown", .timeLimit(.minutes(1)))
struct LifecycleTests {
    private static func quietLogger() -> Logger {
        var logger = Logger(label: "rpc-test")
        logger.logLevel = .critical
        return logger
    }

    private static func makeServer(_ configuration: RPCServerConfiguration, probe: Probe = Probe()) -> RPCServer {
        RPCServer(router: TestMethods.router(probe: probe), configuration: configuration, logger: quietLogger())
    }

    @Test("graceful shutdown lets the call in flight finish, refuses new calls, removes the socket")
    func gracefulShutdown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/s.sock"
        let probe = Probe()
        let server = Self.makeServer(RPCServerConfiguration(socketPath: path), probe: probe)
        let group = ServiceGroup(configuration: .init(services: [server], logger: Self.quietLogger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await server.waitUntilListening()
            let client = try await RPCClient.connect(to: path)
            let inFlight = Task {
                let answer: HealthResponse = try await client.unary(
                    method: TestMethods.sleep, request: ListRequest(pageSize: 500))
                return answer
            }
            #expect(await probe.wait { probe.count("sleep.started") == 1 })
            await group.triggerGracefulShutdown()
            #expect(await probe.wait { access(path, F_OK) != 0 }, "the socket file is removed when accepting stops")
            let refused = await #expect(throws: RPCError.self) {
                let _: HealthResponse = try await client.unary(method: TestMethods.health, request: HealthRequest())
            }
            #expect(refused?.code == .unavailable)
            let noServer = await #expect(throws: RPCError.self) { _ = try await RPCClient.connect(to: path) }
            #expect(noServer?.code == .unavailable)
            #expect(try await inFlight.value.status == .serving)
            try await tasks.waitForAll()
        }
        #expect(probe.count("sleep.finished") == 1)
    }

    @Test("calls still running when the grace period ends fail with UNAVAILABLE; run() waits for their handlers")
    func gracePeriodExpires() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = RPCServerConfiguration(socketPath: directory.path + "/s.sock")
        configuration.shutdownGracePeriod = .milliseconds(200)
        let probe = Probe()
        let server = Self.makeServer(configuration, probe: probe)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await server.run() }
            try await server.waitUntilListening()
            let client = try await RPCClient.connect(to: configuration.socketPath)
            let blocked = Task {
                let _: HealthResponse = try await client.unary(method: TestMethods.block, request: HealthRequest())
            }
            #expect(await probe.wait { probe.count("block.started") == 1 })
            server.beginGracefulShutdown()
            let error = await #expect(throws: RPCError.self) { try await blocked.value }
            #expect(error == RPCError(.unavailable, "the server stopped before the call completed"))
            try await tasks.waitForAll()
        }
        #expect(probe.count("block.cancelled") == 1, "run() returns only after every handler task has finished")
    }

    @Test("the socket file is created with the configured mode", arguments: [UInt32(0o600), 0o660])
    func socketMode(mode: UInt32) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = RPCServerConfiguration(socketPath: directory.path + "/s.sock")
        if mode != 0o600 { configuration.socketFileMode = mode }
        let server = Self.makeServer(configuration)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await server.run() }
            try await server.waitUntilListening()
            var info = stat()
            #expect(stat(configuration.socketPath, &info) == 0)
            #expect(UInt32(info.st_mode) & 0o777 == mode)
            #expect(UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFSOCK))
            tasks.cancelAll()
        }
    }

    @Test("a stale socket file of a dead server is replaced")
    func staleSocket() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/s.sock"
        // Bind a socket and close it without unlinking: what a killed server leaves behind.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        close(fd)
        #expect(access(path, F_OK) == 0)
        let server = Self.makeServer(RPCServerConfiguration(socketPath: path))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await server.run() }
            try await server.waitUntilListening()
            let client = try await RPCClient.connect(to: path)
            let answer: HealthResponse = try await client.unary(method: TestMethods.health, request: HealthRequest())
            #expect(answer.status == .serving)
            tasks.cancelAll()
        }
    }

    @Test("a live server's socket is never taken over")
    func liveSocket() async throws {
        try await withTestServer { (running: TestServer) async throws in
            let second = Self.makeServer(RPCServerConfiguration(socketPath: running.path))
            let error = await #expect(throws: RPCServerError.self) { try await second.run() }
            #expect(error?.message == "another server is listening on \(running.path)")
            #expect(try await running.expectHealthy())
        }
    }

    @Test("a socket path longer than sun_path allows is a start-up error naming the path and the limit")
    func pathTooLong() async throws {
        let path = "/tmp/" + String(repeating: "p", count: 103) + ".sock"
        let server = Self.makeServer(RPCServerConfiguration(socketPath: path))
        let error = await #expect(throws: RPCServerError.self) { try await server.run() }
        #expect(
            error?.message == "socket path \(path) is 113 bytes; a Unix domain socket path can be at most 107 bytes")
        let waiting = await #expect(throws: RPCServerError.self) { try await server.waitUntilListening() }
        #expect(waiting == error)
    }

    @Test("a path that exists and is not a socket is refused")
    func notASocket() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/file"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep".utf8)))
        let error = await #expect(throws: RPCServerError.self) {
            try await Self.makeServer(RPCServerConfiguration(socketPath: path)).run()
        }
        #expect(error?.message == "\(path) exists and is not a socket; refusing to replace it")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep")
    }

    @Test("connecting where no server listens is UNAVAILABLE naming the path and the reason")
    func noServer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/missing.sock"
        let error = await #expect(throws: RPCError.self) { _ = try await RPCClient.connect(to: path) }
        #expect(error == RPCError(.unavailable, "no server at \(path): No such file or directory"))
    }
}
