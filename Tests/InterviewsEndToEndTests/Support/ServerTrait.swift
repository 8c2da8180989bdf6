import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A suite trait that runs one `interviews serve` process for a whole suite:
/// started before its first test, stopped with SIGTERM after its last, and
/// the suite fails unless the process then exits with status 0. Tests reach
/// it through ``ServerProcess/shared``.
struct ServerProcessTrait: SuiteTrait, TestScoping {
    let backend: Backend
    let arguments: [String]

    /// Once for the suite, not once per test.
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await ServerProcess.start(backend: backend, arguments: arguments)
        do {
            try await ServerProcess.$current.withValue(server) { try await function() }
        } catch {
            _ = try? await server.stop(signal: SIGKILL)
            throw error
        }
        let termination = try await server.stop()
        guard termination == .exited(0) else {
            throw ServerProcessError("after SIGTERM, interviews serve \(termination); its log:\n\(server.log())")
        }
    }
}

extension Trait where Self == ServerProcessTrait {
    /// One `interviews serve --backend <backend>` process shared by the suite's tests.
    static func serverProcess(backend: Backend = .memory, arguments: [String] = []) -> Self {
        ServerProcessTrait(backend: backend, arguments: arguments)
    }
}

extension ServerProcess {
    /// The process of the suite being run (see ``ServerProcessTrait``).
    @TaskLocal static var current: ServerProcess?

    /// The suite's server process.
    ///
    /// - Throws: when the suite lacks the `.serverProcess()` trait.
    static var shared: ServerProcess {
        get throws {
            guard let current else {
                throw ServerProcessError("this suite has no server process: add the .serverProcess() trait")
            }
            return current
        }
    }
}
