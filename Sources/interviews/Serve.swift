import ArgumentParser
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsGRPC
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
            data directory (the file backend: a write is acknowledged once it is on disk). \
            SIGTERM or SIGINT drains: no new calls, in-flight calls finish within the grace \
            period, then the server exits.

            A data directory with damage before the end of its log, or with sequences that no \
            file holds (a damaged snapshot, a missing segment), is refused (exit status 65) with \
            the file and byte offset or the missing sequences; --repair keeps every record before \
            the damage, sets the rest aside in files beside the log (nothing is deleted) and \
            reports the sequences it dropped. A data directory in use by another server, of \
            either backend, is refused (exit status 75). The data directory is kept owner-only: \
            one that group or other users may use is changed to mode 0700, with a warning.

            Examples:
              interviews serve
              interviews serve --socket /run/interviews.sock --data-dir /var/lib/interviews
              interviews serve --repair
              interviews serve --backend memory --log-level debug
              interviews serve --grpc-socket /run/interviews-grpc.sock
              interviews serve --grpc-listen 127.0.0.1:50051

            --grpc-socket and --grpc-listen add a standard gRPC endpoint (HTTP/2) with the same \
            methods, keys, limits and status codes, plus grpc.health.v1.Health and server \
            reflection; Admin stays on the native socket. Both endpoints drain together.
            """
    )

    /// The storage backends.
    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case file, memory
    }

    @Option(
        help:
            "The socket path (default: $INTERVIEWS_SOCKET, $XDG_RUNTIME_DIR/interviews.sock, ${TMPDIR:-/tmp}/interviews-<uid>/interviews.sock in a directory made 0700)."
    )
    var socket: String = Defaults.socketPath

    @Option(help: "Where records and keys are kept (default: $INTERVIEWS_DATA_DIR or ~/.local/share/interviews).")
    var dataDir: String = Defaults.dataDirectory

    @Option(help: "Storage backend: file (durable) or memory (lost on exit; keys are still kept in --data-dir).")
    var backend: Backend = .file

    @Flag(
        help:
            "Open a damaged data directory by keeping every record before the damage and setting the rest aside (file backend)."
    )
    var repair = false

    @Option(help: "Compact the log once this many bytes of it are dead and at least half of it is (file backend).")
    var compactionThreshold: Int = 64 * 1024 * 1024

    @Option(help: "The socket file's permission bits, in octal.")
    var socketMode: String = "600"

    @Option(help: "A group (name or id) to own the socket file, e.g. with --socket-mode 660.")
    var socketGroup: String?

    @Option(help: "The most connections at once (1...65536), on each endpoint (native; gRPC socket and port together).")
    var maxConnections: Int = 1024

    @Option(help: "The most concurrent calls per connection (1...10000).")
    var maxConcurrentCalls: Int = 100

    @Option(help: "The largest frame payload, in bytes (16384...16777216).")
    var maxFrameSize: Int = 4 * 1024 * 1024

    @Option(
        help:
            "The largest frame payload before a call on the connection has been authenticated, in bytes (16384...--max-frame-size; default 65536, or --max-frame-size when smaller)."
    )
    var maxUnauthenticatedFrameSize: Int?

    /// --max-unauthenticated-frame-size, or its default within --max-frame-size.
    var unauthenticatedFrameSize: Int { maxUnauthenticatedFrameSize ?? min(64 * 1024, maxFrameSize) }

    @Option(
        help:
            "The bytes of partly received frames held at once for every connection that has not authenticated a call, together (at least --max-unauthenticated-frame-size)."
    )
    var maxUnauthenticatedBufferedBytes: Int = 64 * 1024 * 1024

    @Option(
        help:
            "Response bytes one connection with a stream may hold queued before the server waits for the client to read (65536...268435456)."
    )
    var maxOutboundBufferedBytes: Int = 4 * 1024 * 1024

    @Option(help: "Seconds a frame may stay unfinished once its first bytes arrived (1...3600).")
    var frameTimeout: Int = 10

    @Option(help: "Seconds a graceful shutdown waits for calls in flight (0...3600).")
    var shutdownGrace: Int = 10

    @Option(
        help:
            "Also serve gRPC (HTTP/2) on this Unix domain socket, with --socket-mode and --socket-group (e.g. /run/interviews-grpc.sock)."
    )
    var grpcSocket: String?

    @Option(help: "Also serve gRPC on this loopback TCP address: 127.0.0.1:PORT or [::1]:PORT (0 picks a port).")
    var grpcListen: String?

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
        try Self.check("--max-unauthenticated-frame-size", unauthenticatedFrameSize, 16_384...maxFrameSize)
        try Self.check(
            "--max-unauthenticated-buffered-bytes", maxUnauthenticatedBufferedBytes,
            (unauthenticatedFrameSize + 12)...(1 << 40))
        try Self.check("--frame-timeout", frameTimeout, 1...3_600)
        try Self.check("--max-outbound-buffered-bytes", maxOutboundBufferedBytes, 65_536...268_435_456)
        try Self.check("--shutdown-grace", shutdownGrace, 0...3_600)
        try Self.check("--compaction-threshold", compactionThreshold, 4096...(1 << 40))
        if let grpcListen {
            do { _ = try GRPCEndpointConfiguration.LoopbackAddress(parsing: grpcListen) } catch {
                throw ValidationError("--grpc-listen: \(error.message)")
            }
        }
        if let grpcSocket, grpcSocket == socket {
            throw ValidationError("--grpc-socket: \(grpcSocket) is the native --socket; choose another path")
        }
        if repair && backend != .file {
            throw ValidationError("--repair: applies to --backend file only")
        }
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

        if socket == Defaults.privateSocketPath {
            // The last default lives in a shared temporary directory: only a
            // directory of our own keeps another user from taking the path.
            do {
                try PrivateDirectory.ensure(Defaults.privateSocketDirectory)
            } catch let error as CLIError {
                logger.critical("cannot listen on \(socket): \(error.message)")
                throw ExitCode(77)
            }
        }
        try Self.makeDirectory(dataDir)
        try Self.restrictDataDirectory(dataDir, logger: logger)
        // Whatever the backend, the server takes the directory's lock before
        // it touches anything (the key store included), so that a second
        // server on the same directory is refused at start: the file backend
        // through its log, the memory backend directly.
        let repository: any InterviewRepository
        var fileRepository: FileInterviewRepository?
        var directoryLock: DataDirectoryLock?
        switch backend {
        case .memory:
            directoryLock = try lockDataDirectory(logger: logger)
            repository = InMemoryInterviewRepository()
        case .file:
            let opened = try openFileRepository(logger: logger)
            fileRepository = opened
            repository = opened
        }
        let keys = try KeyStore(directory: dataDir)
        let service = InterviewsService(
            repository: repository, keys: keys, backend: backend.rawValue, version: InterviewsVersion.current,
            backup: (repository as? InMemoryInterviewRepository).map(MemoryBackupSource.init))

        var configuration = RPCServerConfiguration(socketPath: socket)
        configuration.socketFileMode = UInt32(socketMode, radix: 8) ?? 0o600
        configuration.socketGroup = socketGroup
        configuration.maxConnections = maxConnections
        configuration.maxConcurrentCallsPerConnection = maxConcurrentCalls
        configuration.maxFrameSize = maxFrameSize
        configuration.maxUnauthenticatedFrameSize = unauthenticatedFrameSize
        configuration.maxUnauthenticatedBufferedBytes = maxUnauthenticatedBufferedBytes
        configuration.frameTimeout = .seconds(frameTimeout)
        configuration.maxOutboundBufferedBytes = maxOutboundBufferedBytes
        configuration.shutdownGracePeriod = .seconds(shutdownGrace)
        configuration.agent = InterviewsVersion.agentPrefix + InterviewsVersion.current
        let server = RPCServer(router: service.router, configuration: configuration, logger: logger)

        var grpcEndpoint: GRPCEndpoint?
        if grpcSocket != nil || grpcListen != nil {
            var grpcConfiguration = GRPCEndpointConfiguration(socketPath: grpcSocket)
            grpcConfiguration.loopback = try grpcListen.map {
                try GRPCEndpointConfiguration.LoopbackAddress(parsing: $0)
            }
            grpcConfiguration.socketFileMode = configuration.socketFileMode
            grpcConfiguration.socketGroup = socketGroup
            grpcConfiguration.maxMessageSize = maxFrameSize
            grpcConfiguration.maxConcurrentCallsPerConnection = maxConcurrentCalls
            grpcConfiguration.maxConnections = maxConnections
            grpcConfiguration.shutdownGracePeriod = .seconds(shutdownGrace)
            grpcEndpoint = try GRPCEndpoint(
                router: service.router, isWritable: { repository.isWritable }, configuration: grpcConfiguration,
                logger: logger)
        }

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: Endpoints(native: server, grpc: grpcEndpoint) { [logger, socket, backend, dataDir] in
                    logger.info(
                        "interviews \(InterviewsVersion.current) serving",
                        metadata: ["socket": "\(socket)", "backend": "\(backend.rawValue)", "data": "\(dataDir)"])
                }),
            .init(service: KeyStoreFlusher(keys: keys, logger: logger)),
        ]
        if let fileRepository {
            services.append(.init(service: Compactor(repository: fileRepository, logger: logger)))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            ))
        do {
            try await group.run()
        } catch {
            await fileRepository?.close()
            directoryLock?.release()
            logger.critical("server stopped: \(error)")
            throw ExitCode(69)
        }
        await fileRepository?.close()
        directoryLock?.release()
    }

    /// Takes --data-dir's lock for the memory backend, which keeps its keys
    /// there. Exits 75 when another server (of either backend) holds it.
    func lockDataDirectory(logger: Logger) throws -> DataDirectoryLock {
        do {
            return try DataDirectoryLock(directory: dataDir)
        } catch let error where error.code == .failedPrecondition {
            logger.critical(
                "cannot use the data directory: \(error.message); stop that server or choose another --data-dir")
            throw ExitCode(75)
        } catch {
            logger.critical("cannot lock the data directory \(dataDir): \(error.message)")
            throw ExitCode(69)
        }
    }

    /// Opens the file backend in --data-dir and logs what recovery did.
    /// Exits 65 on damage (naming file and offset, with the --repair hint)
    /// and 75 when another server holds the directory.
    func openFileRepository(logger: Logger) throws -> FileInterviewRepository {
        var options = FileRepositoryOptions(log: LogOptions(repair: repair))
        options.compaction.minDeadBytes = Int64(compactionThreshold)
        let repository: FileInterviewRepository
        do {
            repository = try FileInterviewRepository.open(directory: dataDir, options: options)
        } catch let error as InterviewsError where error.code == .dataLoss {
            logger.critical(
                "cannot open the data directory (DATA_LOSS): \(error.message). Start with --repair to keep every record before the damage and set the rest aside (nothing is deleted)"
            )
            throw ExitCode(65)
        } catch let error as InterviewsError where error.code == .failedPrecondition {
            logger.critical("cannot open the data directory: \(error.message)")
            throw ExitCode(75)
        } catch {
            logger.critical("cannot open the data directory \(dataDir): \(error)")
            throw ExitCode(69)
        }
        let recovery = repository.recovery
        logger.info(
            "opened data directory",
            metadata: [
                "records": "\(recovery.snapshotRecords + recovery.logRecords)",
                "last_sequence": "\(recovery.lastSequence)",
                "snapshot": "\(recovery.snapshotSequence.map(String.init) ?? "none")",
            ])
        if let torn = recovery.tornTail {
            let unfinished = torn.unfinishedSequences.map { "; it held sequences \($0) (never acknowledged)" } ?? ""
            logger.notice(
                "cut a torn tail (an unfinished last write) of \(torn.bytes) bytes off \(torn.file) at byte offset \(torn.offset): \(torn.reason)\(unfinished); saved as \(torn.savedAs)"
            )
        }
        for ignored in recovery.ignoredSnapshots { logger.warning("damaged snapshot not used: \(ignored)") }
        if let report = recovery.repair {
            let lost =
                report.lostSequences.map {
                    "sequences \($0) are no longer in the log (some may have been acknowledged)"
                } ?? "no record after the damage could be identified"
            logger.warning(
                "repaired: \(report.file) at byte offset \(report.offset): \(report.reason); \(lost); dropped \(report.droppedBytes) bytes and \(report.droppedRecords) whole records; set aside as \(report.savedAs.joined(separator: ", "))"
            )
        }
        return repository
    }

    /// Makes the data directory `path` owner-only: one that group or other
    /// users may read, write or enter (e.g. made 0755 by hand) is changed to
    /// 0700, with a warning. Exits 77 when that change fails.
    static func restrictDataDirectory(_ path: String, logger: Logger) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ValidationError("--data-dir: cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw ValidationError("--data-dir: \(path) is not a directory")
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return }
        guard chmod(path, 0o700) == 0 else {
            logger.critical(
                "the data directory \(path) has mode \(octal(mode)), so other users can reach its records and keys, and it cannot be made 0700: \(String(cString: strerror(errno))); run `chmod 700 \(path)` as its owner or choose another --data-dir"
            )
            throw ExitCode(77)
        }
        logger.warning(
            "tightened the data directory \(path) from mode \(octal(mode)) to 0700: group and other users could reach its records and keys"
        )
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

/// The native endpoint and, when asked for, the gRPC endpoint, run as one
/// service so that a graceful shutdown reaches both at once: they drain
/// side by side within one grace period rather than one after the other.
struct Endpoints: Service {
    let native: RPCServer
    let grpc: GRPCEndpoint?
    /// Called once the native socket listens (never when it cannot).
    let listening: @Sendable () -> Void

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await native.run() }
            group.addTask {
                // A failure to listen is the run task's to report.
                if (try? await native.waitUntilListening()) != nil { listening() }
            }
            if let grpc { group.addTask { try await grpc.run() } }
        }
    }
}

/// Compacts the file backend's log in the background whenever its policy
/// says enough of it is dead; stops at shutdown.
struct Compactor: Service {
    let repository: FileInterviewRepository
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await repository.runCompaction { [logger] result in
                switch result {
                case .success(let report):
                    logger.info(
                        "compacted the log",
                        metadata: [
                            "snapshot_sequence": "\(report.snapshotSequence)", "records": "\(report.records)",
                            "snapshot_bytes": "\(report.snapshotBytes)", "reclaimed_bytes": "\(report.reclaimedBytes)",
                        ])
                case .failure(let error):
                    logger.error("compaction failed; the server no longer accepts writes: \(error)")
                }
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
