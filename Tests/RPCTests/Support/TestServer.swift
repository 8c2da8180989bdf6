import Foundation
import InterviewsModel
import InterviewsWire
import Logging
import NIOCore
import NIOPosix
import RPCCore
import RPCUnixSocket
import Synchronization

/// A fresh private directory under /tmp (short, so socket paths fit in
/// sun_path), removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/rpct.XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw RPCServerError("mkdtemp failed")
        }
        path = String(cString: result)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// What test handlers saw, for assertions from the test body.
final class Probe: Sendable {
    private struct State {
        var counts: [String: Int] = [:]
        var values: [String: Int] = [:]
        var notes: [String] = []
    }

    private let state = Mutex(State())

    func bump(_ key: String) { state.withLock { $0.counts[key, default: 0] += 1 } }
    func count(_ key: String) -> Int { state.withLock { $0.counts[key, default: 0] } }
    func set(_ key: String, _ value: Int) { state.withLock { $0.values[key] = value } }
    func value(_ key: String) -> Int { state.withLock { $0.values[key, default: 0] } }
    func note(_ text: String) { state.withLock { $0.notes.append(text) } }
    var notes: [String] { state.withLock { $0.notes } }

    /// Polls until `condition` holds or `timeout` passes.
    func wait(timeout: Duration = .seconds(10), until condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

/// The methods the transport tests call.
enum TestMethods {
    static let health = "/test.Test/Health"
    static let echo = "/test.Test/Echo"
    static let stream = "/test.Test/Stream"
    static let infinite = "/test.Test/Infinite"
    static let block = "/test.Test/Block"
    static let sleep = "/test.Test/Sleep"
    static let notFound = "/test.Test/NotFound"
    static let crash = "/test.Test/Crash"
    static let whoAmI = "/test.Test/WhoAmI"
    static let nulError = "/test.Test/NulError"
    static let onLoop = "/test.Test/OnLoop"
    static let endedFromOutside = "/test.Test/EndedFromOutside"
    static let large = "/test.Test/Large"
    static let largeOnLoop = "/test.Test/LargeOnLoop"

    struct Boom: Error {}

    static func router(probe: Probe, authorize: RPCRouter.Authorize? = nil) -> RPCRouter {
        RPCRouter(
            [
                .unary(health) { (_: HealthRequest, _) in HealthResponse(status: .serving) },
                // Echoes the request's id and company in an Interview, so calls can be matched to answers.
                .unary(echo) { (request: GetInterviewRequest, _) in
                    Interview(id: request.id, companyID: request.companyID)
                },
                // page_size messages, ids "0" ..< page_size.
                .serverStreaming(stream) { (request: ListRequest, _, writer: ResponseStreamWriter<Interview>) in
                    for index in 0..<Int(request.pageSize) {
                        try await writer.write(Interview(id: "\(index)"))
                    }
                },
                // page_size messages of `page` bytes of remote_data each, ids "0" ..< page_size.
                .serverStreaming(large) { (request: ListRequest, _, writer: ResponseStreamWriter<Interview>) in
                    for index in 0..<Int(request.pageSize) {
                        try await writer.write(
                            Interview(
                                id: "\(index)",
                                remoteData: [UInt8](
                                    repeating: UInt8(truncatingIfNeeded: index), count: Int(request.page))))
                    }
                },
                // Writes until the writer throws; records how far it got and why it stopped:
                // "infinite.attempted" counts the writes begun, "infinite.written" those that
                // returned, so attempted == written + 1 while the handler waits in a write.
                .serverStreaming(infinite) { (request: ListRequest, _, writer: ResponseStreamWriter<Interview>) in
                    var index = 0
                    do {
                        while true {
                            probe.set("infinite.attempted", index + 1)
                            try await writer.write(Interview(id: "\(index)", title: request.jobID))
                            index += 1
                            probe.set("infinite.written", index)
                        }
                    } catch let error as RPCError {
                        probe.note("infinite ended: \(error.code)")
                        probe.bump("infinite.ended")
                        throw error
                    }
                },
                // Sends one message, then waits; another task ends the call through
                // ServerContext.endCall (UNAUTHENTICATED "ended from outside") 50 ms later.
                .serverStreaming(endedFromOutside) {
                    (_: ListRequest, context, writer: ResponseStreamWriter<Interview>) in
                    try await writer.write(Interview(id: "0"))
                    let end = context.endCall
                    probe.bump(end == nil ? "endedFromOutside.noEndCall" : "endedFromOutside.started")
                    Task {
                        try? await Task.sleep(for: .milliseconds(50))
                        end?(RPCError(.unauthenticated, "ended from outside"))
                    }
                    do {
                        try await Task.sleep(for: .seconds(600))
                    } catch {
                        probe.bump("endedFromOutside.cancelled")
                        throw error
                    }
                },
                // Waits until cancelled.
                .unary(block) { (_: HealthRequest, _) -> HealthResponse in
                    probe.bump("block.started")
                    do {
                        try await Task.sleep(for: .seconds(600))
                    } catch {
                        probe.bump("block.cancelled")
                        throw error
                    }
                    return HealthResponse()
                },
                // Sleeps page_size milliseconds, then answers.
                .unary(sleep) { (request: ListRequest, _) -> HealthResponse in
                    probe.bump("sleep.started")
                    try await Task.sleep(for: .milliseconds(Int(request.pageSize)))
                    probe.bump("sleep.finished")
                    return HealthResponse(status: .serving)
                },
                // Nonblocking: answers with whether it ran on an event loop; id "missing" is NOT_FOUND,
                // id "boom" a non-status error.
                // On the event loop: an Interview with `page` bytes of remote_data.
                .nonblockingUnary(largeOnLoop) { (request: ListRequest, _) -> Interview in
                    Interview(id: "large", remoteData: [UInt8](repeating: 7, count: Int(request.page)))
                },
                .nonblockingUnary(onLoop) { (request: GetInterviewRequest, context) -> Interview in
                    probe.bump("onLoop.ran")
                    switch request.id {
                    case "missing": throw InterviewsError(.notFound, "interview missing not found")
                    case "boom": throw Boom()
                    default:
                        return Interview(
                            id: request.id, companyID: context.values[CallerKey.self] ?? "",
                            title: MultiThreadedEventLoopGroup.currentEventLoop == nil ? "task" : "event loop")
                    }
                },
                .unary(notFound) { (request: GetInterviewRequest, _) -> Interview in
                    throw InterviewsError(.notFound, "interview \(request.id) not found")
                },
                .unary(nulError) { (_: HealthRequest, _) -> HealthResponse in
                    throw InterviewsError(.failedPrecondition, "bad\0byte")
                },
                .unary(crash) { (_: HealthRequest, _) -> HealthResponse in
                    throw Boom()
                },
                // The caller's credentials and metadata, as an Interview.
                .unary(whoAmI) { (_: HealthRequest, context) in
                    Interview(
                        id: context.peer.map { "\($0.uid)/\($0.gid)/\($0.pid)" } ?? "none",
                        companyID: context.values[CallerKey.self] ?? "",
                        title: context.metadataValue(for: "x-test") ?? "")
                },
            ], authorize: authorize)
    }
}

enum CallerKey: ServerContextKey { typealias Value = String }

/// A running server on a fresh socket for one test.
struct TestServer: Sendable {
    let server: RPCServer
    let path: String
    let probe: Probe
    let eventLoopGroup: any EventLoopGroup

    /// A client on the server's event loops. The connect timeout is generous:
    /// the tests run in parallel on a small, busy machine.
    func connect(_ configuration: RPCClientConfiguration = RPCClientConfiguration()) async throws -> RPCClient {
        var configuration = configuration
        configuration.connectTimeout = .seconds(30)
        return try await RPCClient.connect(to: path, configuration: configuration, eventLoopGroup: eventLoopGroup)
    }

    /// A Health call on a new connection: proves the server still serves.
    func expectHealthy() async throws -> Bool {
        let client = try await connect()
        let response: HealthResponse = try await client.unary(method: TestMethods.health, request: HealthRequest())
        await client.close()
        return response.status == .serving
    }
}

/// Runs `body` against a server with one configuration value changed.
func withTestServer<T: Sendable, Value>(
    setting keyPath: WritableKeyPath<RPCServerConfiguration, Value>, to value: Value,
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    _ body: (TestServer) async throws -> T
) async throws -> T {
    try await withTestServer(eventLoopGroup: eventLoopGroup, configure: { $0[keyPath: keyPath] = value }, body)
}

/// Runs `body` against a server that is stopped (cancelled) afterwards.
func withTestServer<T: Sendable>(
    authorize: RPCRouter.Authorize? = nil,
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    configure: (inout RPCServerConfiguration) -> Void = { _ in },
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    var configuration = RPCServerConfiguration(socketPath: directory.path + "/s.sock")
    configure(&configuration)
    let probe = Probe()
    var logger = Logger(label: "rpc-test")
    logger.logLevel = .critical
    let server = RPCServer(
        router: TestMethods.router(probe: probe, authorize: authorize), configuration: configuration, logger: logger,
        eventLoopGroup: eventLoopGroup)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        do {
            try await server.waitUntilListening()
            let result = try await body(
                TestServer(
                    server: server, path: configuration.socketPath, probe: probe, eventLoopGroup: eventLoopGroup))
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            try? await group.waitForAll()
            throw error
        }
    }
}
