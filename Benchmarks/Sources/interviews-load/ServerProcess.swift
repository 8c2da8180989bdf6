import Foundation

/// An `interviews serve --backend memory` child on a temporary socket and
/// data directory, stopped with SIGTERM (then SIGKILL) when done.
final class ServerProcess {
    let process: Process
    let directory: String
    let socketPath: String

    private init(process: Process, directory: String, socketPath: String) {
        self.process = process
        self.directory = directory
        self.socketPath = socketPath
    }

    /// Starts `binary` and waits until its socket accepts connections.
    static func start(binary: String) throws -> ServerProcess {
        let directory = NSTemporaryDirectory() + "interviews-load-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let socketPath = directory + "/server.sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "serve", "--socket", socketPath, "--data-dir", directory + "/data", "--backend", "memory",
            "--log-level", "warning", "--max-concurrent-calls", "1000",
        ]
        try process.run()
        let server = ServerProcess(process: process, directory: directory, socketPath: socketPath)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard process.isRunning, Date() < deadline else {
                server.stop()
                throw ServerError("the server \(binary) did not open \(socketPath) within 30 s")
            }
            usleep(10_000)
        }
        return server
    }

    /// Stops the server and removes its directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct ServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
