import Testing

/// A suite trait that runs one `interviews serve` for the whole suite: started
/// before its first test, stopped with SIGTERM after its last, and reachable
/// from every test through ``ServerProcess/current``. Tests share it, so each
/// one that counts records works in a company of its own
/// (``ServerProcess/newTenant(_:sourceLocation:)``).
struct RunningServer: SuiteTrait, TestScoping {
    let backend: ServerProcess.Backend

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await ServerProcess.start(backend: backend)
        let outcome = await Result(awaiting: { try await ServerProcess.$shared.withValue(server, operation: function) })
        let status = await server.stop()
        #expect(status == 0, "the server exits 0 after SIGTERM:\n\(server.log)")
        try outcome.get()
    }
}

extension Trait where Self == RunningServer {
    /// One server for the suite, on `backend` (default: `$INTERVIEWS_TEST_BACKEND` or memory).
    static func runningServer(backend: ServerProcess.Backend = .default) -> Self {
        RunningServer(backend: backend)
    }
}

extension ServerProcess {
    @TaskLocal static var shared: ServerProcess?

    /// The server of the suite this test runs in.
    static func current(sourceLocation: SourceLocation = #_sourceLocation) throws -> ServerProcess {
        try #require(shared, "the suite needs the .runningServer() trait", sourceLocation: sourceLocation)
    }
}

extension Result where Failure == any Error {
    /// The outcome of `body`.
    init(awaiting body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
