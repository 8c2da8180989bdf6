import GRPCCore
import GRPCNIOTransportHTTP2Posix
public import Logging
public import RPCCore
import RPCUnixSocket
public import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Where and how the gRPC endpoint listens.
public struct GRPCEndpointConfiguration: Sendable {
    /// A loopback TCP address (`127.0.0.1:PORT` or `[::1]:PORT`).
    public struct LoopbackAddress: Sendable, Hashable, CustomStringConvertible {
        /// `127.0.0.1` or `::1`.
        public var host: String
        /// The port; 0 lets the kernel choose one (it is logged).
        public var port: Int

        /// Parses `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`.
        ///
        /// - Throws: ``GRPCEndpointError`` naming what is wrong: another
        ///   host than the loopback one (the endpoint has no TLS and no
        ///   peer credentials, so it is never exposed beyond the host) or
        ///   a port outside 0...65535.
        public init(parsing text: String) throws(GRPCEndpointError) {
            guard let colon = text.lastIndex(of: ":") else {
                throw GRPCEndpointError("\"\(text)\" is not HOST:PORT (e.g. 127.0.0.1:50051)")
            }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host == "localhost" { host = "127.0.0.1" }
            guard host == "127.0.0.1" || host == "::1" else {
                throw GRPCEndpointError(
                    "\"\(text)\": the host must be 127.0.0.1 or [::1]; the gRPC endpoint listens on loopback only")
            }
            guard let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
                throw GRPCEndpointError("\"\(text)\": the port must be a number 0...65535")
            }
            self.host = host
            self.port = port
        }

        /// `127.0.0.1:PORT` or `[::1]:PORT`.
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The Unix domain socket to listen on, if any.
    public var socketPath: String?
    /// The loopback TCP address to listen on, if any.
    public var loopback: LoopbackAddress?
    /// The socket file's permission bits.
    public var socketFileMode: UInt32 = 0o600
    /// A group to own the socket file.
    public var socketGroup: String?
    /// The largest request message accepted, in bytes (larger ones get
    /// RESOURCE_EXHAUSTED, or a reset stream beyond twice the limit); the
    /// native endpoint's frame size limit.
    public var maxMessageSize: Int = 4 * 1024 * 1024
    /// The most concurrent calls (HTTP/2 streams) per connection.
    public var maxConcurrentCallsPerConnection: Int = 100
    /// The most open connections, Unix socket and TCP together; the calls
    /// of a connection past it get RESOURCE_EXHAUSTED naming the limit, and
    /// the connection is closed a second later.
    public var maxConnections: Int = 1024
    /// How long a graceful shutdown lets calls in flight run.
    public var shutdownGracePeriod: Duration = .seconds(10)

    /// A configuration that listens nowhere until a socket path or address is set.
    public init(socketPath: String? = nil, loopback: LoopbackAddress? = nil) {
        self.socketPath = socketPath
        self.loopback = loopback
    }
}

/// Why the gRPC endpoint cannot start: a message naming the setting or path.
public struct GRPCEndpointError: Error, Hashable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// The gRPC endpoint: the methods of an ``RPCCore/RPCRouter`` over gRPC
/// (HTTP/2, grpc-swift), beside `grpc.health.v1.Health` and server
/// reflection (`grpc.reflection.v1`, `v1alpha`), on a Unix domain socket
/// and/or a loopback TCP port.
///
/// Run it as a ServiceLifecycle service. A graceful shutdown turns health to
/// NOT_SERVING, sends GOAWAY, lets calls in flight finish within the grace
/// period and then closes what is left.
public struct GRPCEndpoint: Service {
    private let configuration: GRPCEndpointConfiguration
    private let logger: Logger
    private let shutdown = ShutdownSignal()
    private let services: [any RegistrableRPCService]
    private let budget: ConnectionBudget
    private let peerCodec = PeerHeaderCodec()

    /// Creates the endpoint.
    ///
    /// - Parameters:
    ///   - router: The handlers, the same the native endpoint serves.
    ///   - isWritable: Whether the store accepts writes (health is
    ///     NOT_SERVING when it does not).
    ///   - configuration: Where to listen and the limits.
    ///   - logger: For start, drain and stop.
    /// - Throws: ``GRPCEndpointError`` when neither a socket nor an address
    ///   is configured, or the embedded descriptor set cannot be read.
    public init(
        router: RPCCore.RPCRouter, isWritable: @escaping @Sendable () -> Bool,
        configuration: GRPCEndpointConfiguration, logger: Logger
    ) throws(GRPCEndpointError) {
        guard configuration.socketPath != nil || configuration.loopback != nil else {
            throw GRPCEndpointError("the gRPC endpoint needs a socket path or a loopback address")
        }
        let reflection: ReflectionService
        do {
            reflection = try ReflectionService.embedded(maxMessageSize: configuration.maxMessageSize)
        } catch {
            throw GRPCEndpointError("cannot read the embedded descriptor set for reflection: \(error)")
        }
        self.configuration = configuration
        self.logger = logger
        self.budget = ConnectionBudget(limit: configuration.maxConnections)
        self.services = [
            RouterService(
                router: router, shutdown: shutdown, maxMessageSize: configuration.maxMessageSize,
                peerCodec: peerCodec, logger: logger),
            HealthService(
                isWritable: isWritable, shutdown: shutdown, maxMessageSize: configuration.maxMessageSize),
            reflection,
        ]
    }

    private enum Outcome: Sendable {
        case served
        case graceExpired
        case listening
    }

    /// Listens and serves until a graceful shutdown completes (or its grace
    /// period ends) or the task is cancelled; removes the socket file on
    /// the way out.
    ///
    /// - Throws: ``GRPCEndpointError`` when it cannot listen (the path is
    ///   too long, in use by a live server, not a socket; the port is taken).
    public func run() async throws {
        var transports: [HTTP2ServerTransport.Posix] = []
        var boundSocket: (file: UnixSocketFile, inode: UInt64)?
        if let path = configuration.socketPath {
            let (fd, file, inode) = try Self.bindUnixSocket(
                path, mode: configuration.socketFileMode, group: configuration.socketGroup)
            boundSocket = (file, inode)
            transports.append(
                HTTP2ServerTransport.Posix(
                    listeningSocketDescriptor: Int(fd), transportSecurity: .plaintext,
                    config: transportConfig(unixSocket: true)))
        }
        defer { if let boundSocket { boundSocket.file.remove(inode: boundSocket.inode) } }
        if let loopback = configuration.loopback {
            if loopback.host.contains(":") {
                transports.append(
                    HTTP2ServerTransport.Posix(
                        address: .ipv6(host: loopback.host, port: loopback.port), transportSecurity: .plaintext,
                        config: transportConfig(unixSocket: false)))
            } else {
                transports.append(
                    HTTP2ServerTransport.Posix(
                        address: .ipv4(host: loopback.host, port: loopback.port), transportSecurity: .plaintext,
                        config: transportConfig(unixSocket: false)))
            }
        }
        let servers = transports.map { GRPCServer(transport: $0, services: services) }
        let grace = configuration.shutdownGracePeriod
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            for server in servers {
                group.addTask {
                    try await server.serve()
                    return .served
                }
            }
            group.addTask { [logger, transports] in
                for transport in transports {
                    let address = try await transport.listeningAddress
                    logger.info("gRPC endpoint listening", metadata: ["address": "\(address)"])
                }
                return .listening
            }
            group.addTask { [shutdown, logger] in
                try await gracefulShutdown()
                logger.info("gRPC endpoint draining")
                shutdown.trigger()
                for server in servers { server.beginGracefulShutdown() }
                try await Task.sleep(for: grace)
                return .graceExpired
            }
            var stopped = 0
            while let outcome = try await group.next() {
                switch outcome {
                case .listening:
                    continue
                case .served:
                    stopped += 1
                    if stopped == servers.count {
                        group.cancelAll()
                        return
                    }
                case .graceExpired:
                    logger.warning("gRPC endpoint: the grace period ended; closing the calls still open")
                    group.cancelAll()
                    return
                }
            }
        }
        logger.info("gRPC endpoint stopped")
    }

    private func transportConfig(unixSocket: Bool) -> HTTP2ServerTransport.Posix.Config {
        let maxMessageSize = configuration.maxMessageSize
        let (budget, peerCodec, logger) = (self.budget, self.peerCodec, self.logger)
        return .defaults { config in
            // Larger messages never get here: each stream's guard answers
            // them with RESOURCE_EXHAUSTED from their length prefix.
            config.rpc.maxRequestPayloadSize = maxMessageSize
            config.http2.maxConcurrentStreams = configuration.maxConcurrentCallsPerConnection
            config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
                let facts: ConnectionFacts
                if budget.acquire() {
                    channel.closeFuture.whenComplete { _ in budget.release() }
                    let peer = unixSocket ? PeerCredentialsReader.read(from: channel) : nil
                    facts = ConnectionFacts(peerValue: peer.map(peerCodec.encode), refusal: nil)
                } else {
                    logger.warning(
                        "gRPC endpoint: a connection past the limit is refused",
                        metadata: ["limit": "\(budget.limit)"])
                    facts = ConnectionFacts(
                        peerValue: nil,
                        refusal: "too many gRPC connections; the limit is \(budget.limit) (--max-connections)")
                    channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(facts, position: .first)
                }
            }
            config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
                stream.eventLoop.makeCompletedFuture {
                    let facts = try? stream.parent?.pipeline.syncOperations.handler(type: ConnectionFacts.self)
                    try stream.pipeline.syncOperations.addHandler(
                        StreamGuard(maxMessageSize: maxMessageSize, facts: facts), position: .first)
                }
            }
        }
    }

    /// Binds and listens on a Unix domain socket born owner-only, then sets
    /// the configured mode (as the native endpoint does): no moment in which
    /// another user could connect.
    private static func bindUnixSocket(
        _ path: String, mode: UInt32, group: String?
    ) throws -> (fd: Int32, file: UnixSocketFile, inode: UInt64) {
        let file = UnixSocketFile(path: path)
        do { try file.prepare() } catch { throw GRPCEndpointError("--grpc-socket: \(error.message)") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw GRPCEndpointError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: path.utf8) }
        let savedUmask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let bindErrno = errno
        umask(savedUmask)
        guard bound == 0 else {
            close(fd)
            throw GRPCEndpointError("--grpc-socket: cannot bind \(path): \(String(cString: strerror(bindErrno)))")
        }
        guard listen(fd, 256) == 0 else {
            let text = String(cString: strerror(errno))
            close(fd)
            file.unlinkBound()
            throw GRPCEndpointError("--grpc-socket: cannot listen on \(path): \(text)")
        }
        do {
            let inode = try file.applyPermissions(mode: mode, group: group)
            return (fd, file, inode)
        } catch {
            close(fd)
            file.unlinkBound()
            throw GRPCEndpointError("--grpc-socket: \(error.message)")
        }
    }
}
