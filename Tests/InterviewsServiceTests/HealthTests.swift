import Glibc
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import InterviewsService
import InterviewsTestSupport
import InterviewsWire
import NIOCore
import RPCCore
import Testing

/// Health and ServerInfo of the service over a file store whose disk fails (in process, injected faults).
@Suite("Health follows the store's fail-stop state")
struct HealthTests {
    /// Runs a nonblocking method of `service` the way the transport does, and decodes its response.
    func call<Response: WireCodable>(
        _ service: InterviewsService, _ method: String, _ request: some WireCodable, context: ServerContext? = nil,
        as: Response.Type
    ) throws -> Response {
        let router = service.router
        let rpcMethod = try #require(router.method(named: method))
        var payload = ByteBuffer()
        try request.encode(into: &payload)
        let (response, status) = router.handleNonblocking(
            rpcMethod, request: payload, context: context ?? ServerContext(method: method),
            allocator: ByteBufferAllocator())
        #expect(status == .ok, "\(status)")
        return try Response.decode(try #require(response))
    }

    @Test(
        "SERVING while writes work; NOT_SERVING once a write fails with ENOSPC or EIO (fail-stop)",
        arguments: [ENOSPC, EIO])
    func failStop(errno code: Int32) async throws {
        let directory = try TemporaryDirectory()
        let io = FaultInjectingFileIO()
        let repository = try FileInterviewRepository.open(directory: directory.path, io: io)
        let keys = try KeyStore(directory: directory.path)
        let service = InterviewsService(repository: repository, keys: keys, backend: "file", version: "test")
        let acme = Tenant("acme")
        _ = try await repository.create(Interview(title: "before"), requestID: "", tenant: acme)
        #expect(try call(service, MethodNames.health, HealthRequest(), as: HealthResponse.self).status == .serving)
        #expect(repository.isWritable)

        io.inject(.error(code), on: code == ENOSPC ? .write : .syncData)
        await #expect(throws: InterviewsError.self) {
            _ = try await repository.create(Interview(title: "refused"), requestID: "", tenant: acme)
        }
        #expect(!repository.isWritable)
        #expect(try call(service, MethodNames.health, HealthRequest(), as: HealthResponse.self).status == .notServing)
        await repository.close()
    }

    @Test("NOT_SERVING once a graceful shutdown has begun")
    func draining() throws {
        let directory = try TemporaryDirectory()
        let keys = try KeyStore(directory: directory.path)
        let service = InterviewsService(
            repository: InMemoryInterviewRepository(), keys: keys, backend: "memory", version: "test")
        let shutdown = ShutdownSignal()
        let context = ServerContext(method: MethodNames.health, shutdown: shutdown)
        #expect(
            try call(service, MethodNames.health, HealthRequest(), context: context, as: HealthResponse.self).status
                == .serving)
        shutdown.trigger()
        #expect(
            try call(service, MethodNames.health, HealthRequest(), context: context, as: HealthResponse.self).status
                == .notServing)
    }

    @Test("each memory store has its own non-zero epoch; a file store keeps its epoch when reopened")
    func epochs() async throws {
        let a = InMemoryInterviewRepository()
        let b = InMemoryInterviewRepository()
        #expect(a.storeEpoch != 0 && b.storeEpoch != 0 && a.storeEpoch != b.storeEpoch)
        let directory = try TemporaryDirectory()
        let first = try FileInterviewRepository.open(directory: directory.path)
        let epoch = first.storeEpoch
        await first.close()
        let second = try FileInterviewRepository.open(directory: directory.path)
        #expect(epoch != 0 && second.storeEpoch == epoch)
        await second.close()
        #expect(try directory.names().filter { $0.hasPrefix("store.epoch.tmp") }.isEmpty)
    }
}
