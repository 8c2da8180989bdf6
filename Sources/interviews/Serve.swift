import ArgumentParser
import InterviewsModel
import InterviewsRepository
import InterviewsService
import Logging
import RPCUnixSocket
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// `interviews serve`: runs the server in the foreground until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server in the foreground.",
        discussion: """
            Listens on a Unix domain socket (owner-only by default) and stores records in the \
            data directory. SIGTERM or SIGINT drains: no new calls, in-flight calls finish within \
            the grace period, then the server exits.

            Examples:
              interviews serve
              interviews serve --socket /run/interviews.sock --data-dir /var/lib/interviews
              interviews serve --backend memory --log-level debug
            """
    )

    /// The storage backends.
    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case file, memory
    }

    @Option(
        help:
            "The socket path (default: $INTERVIEWS_SOCKET, $XDG_RUNTIME_DIR/interviews.sock, /tmp/interviews-<uid>.sock)."
    )
    var socket: String = Defaults.socketPath

    @Option(help: "Where records and keys are kept (default: $INTERVIEWS_DATA_DIR or ~/.local/share/interviews).")
    var dataDir: String = Defaults.dataDirectory

    @Option(help: "Storage backend: file (durable) or memory (lost on exit; keys are still kept in --data-dir).")
    var backend: Backend = .memory

    @Option(help: "The socket file's permission bits, in octal.")
    var socketMode: String = "600"

    @Option(help: "A group (name or id) to own the socket file, e.g. with --socket-mode 660.")
    var socketGroup: String?

    @Option(help: "The most connections at once (1...65536).")
    var maxConnections: Int = 1024

    @Option(help: "The most concurrent calls per connection (1...10000).")
    var maxConcurrentCalls: Int = 100

    @Option(help: "The largest frame payload, in bytes (16384...16777216).")
    var maxFrameSize: Int = 4 * 1024 * 1024

    @Option(help: "Seconds a graceful shutdown waits for calls in flight (0...3600).")
    var shutdownGrace: Int = 10

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level: \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        guard let mode = UInt32(socketMode, radix: 8), mode <= 0o777 else {
            throw ValidationError("--socket-mode: \"\(socketMode)\" is not an octal mode 0...777")
        }
        _ = mode
        try Self.check("--max-connections", maxConnections, 1...65_536)
        try Self.check("--max-concurrent-calls", maxConcurrentCalls, 1...10_000)
        try Self.check("--max-frame-size", maxFrameSize, 16_384...16_777_216)
        try Self.check("--shutdown-grace", shutdownGrace, 0...3_600)
    }

    static func check(_ flag: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError(
                "\(flag): \(value) is out of range; must be \(range.lowerBound)...\(range.upperBound)")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "interviews")

        try Self.makeDirectory(dataDir)
        let keys = try KeyStore(directory: dataDir)
        let repository: any InterviewRepository
        switch backend {
        case .memory:
            repository = InMemoryInterviewRepository()
        case .file:
            throw ValidationError("--backend file: not available in this build; use --backend memory")
        }
        let service = InterviewsService(
            repository: repository, keys: keys, backend: backend.rawValue, version: InterviewsVersion.current)

        var configuration = RPCServerConfiguration(socketPath: socket)
        configuration.socketFileMode = UInt32(socketMode, radix: 8) ?? 0o600
        configuration.socketGroup = socketGroup
        configuration.maxConnections = maxConnections
        configuration.maxConcurrentCallsPerConnection = maxConcurrentCalls
        configuration.maxFrameSize = maxFrameSize
        configuration.shutdownGracePeriod = .seconds(shutdownGrace)
        configuration.agent = "interviews/\(InterviewsVersion.current)"
        let server = RPCServer(router: service.router, configuration: configuration, logger: logger)

        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: server),
                    .init(service: KeyStoreFlusher(keys: keys, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            ))
        logger.info(
            "interviews \(InterviewsVersion.current) serving",
            metadata: ["socket": "\(socket)", "backend": "\(backend.rawValue)", "data": "\(dataDir)"])
        do {
            try await group.run()
        } catch {
            logger.critical("server stopped: \(error)")
            throw ExitCode(69)
        }
    }

    /// Creates `path` (and its parents) owner-only when missing.
    static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw ValidationError("--data-dir: cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// Writes the key store's last-used times every 30 s and once at shutdown.
struct KeyStoreFlusher: Service {
    let keys: KeyStore
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(30)) }
            do { try keys.flush() } catch { logger.warning("cannot write key store: \(error)") }
        }
    }
}
