import Foundation
import InterviewsClient
import InterviewsModel
import Testing

/// A real `interviews serve` process, started on a data directory and a socket.
final class ServerProcess {
    let process = Process()
    let socket: String
    let errorLog: String

    /// The `interviews` executable: `INTERVIEWS_BIN`, or the one built next
    /// to this test binary.
    static func executable() throws -> String {
        if let path = ProcessInfo.processInfo.environment["INTERVIEWS_BIN"] { return path }
        let tests = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let path = tests.deletingLastPathComponent().appendingPathComponent("interviews").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "build interviews first: \(path)")
        return path
    }

    /// Starts `interviews serve` with the file backend (unless `arguments` say otherwise).
    init(dataDirectory: String, socket: String, errorLog: String, arguments: [String] = []) throws {
        self.socket = socket
        self.errorLog = errorLog
        _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        process.arguments =
            ["serve", "--data-dir", dataDirectory, "--socket", socket, "--log-level", "info"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorLog))
        try process.run()
    }

    /// What the server wrote to stderr so far.
    var errors: String { (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? "" }

    /// A client once the server accepts connections; nil if the process exited first.
    func connect(apiKey: String?, within limit: Duration = .seconds(20)) async throws -> InterviewsClient? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if !process.isRunning { return nil }
            if let client = try? await InterviewsClient.connect(to: socket, apiKey: apiKey, timeout: .seconds(10)) {
                return client
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("the server did not accept connections within \(limit): \(errors)")
        return nil
    }

    /// SIGKILL, and waits until the process is gone.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM (a graceful stop), and waits.
    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// Waits for the process to exit by itself (at most `limit`) and returns its status.
    func exitStatus(within limit: Duration = .seconds(20)) async throws -> Int32? {
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        guard !process.isRunning else {
            kill()
            return nil
        }
        return process.terminationStatus
    }
}

/// Creates a company key through the Admin service (same uid as the server).
func createKey(_ server: ServerProcess, company: String) async throws -> String {
    let admin = try #require(try await server.connect(apiKey: nil))
    do {
        let response = try await admin.createKey(
            CreateKeyRequest(label: "tests", kind: .company, companyIDs: [company]))
        await admin.close()
        return response.secret
    } catch {
        await admin.close()
        throw error
    }
}
