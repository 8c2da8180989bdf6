import RPCCore

/// Everything an ``RPCServer`` can be told, with its default.
public struct RPCServerConfiguration: Sendable {
    /// Where the server listens. At most 107 bytes (`sun_path`). A stale
    /// socket of a dead server is replaced; a live one is never taken over.
    public var socketPath: String
    /// The socket file's permission bits, applied right after bind. Default
    /// `0o600`: only the owner may connect.
    public var socketFileMode: UInt32 = 0o600
    /// A group (name or numeric id) to own the socket file, so that with a
    /// mode like `0o660` its members may connect. Default nil: unchanged.
    public var socketGroup: String?
    /// The largest frame payload accepted, in bytes (a longer length ends the
    /// connection with GOAWAY RESOURCE_EXHAUSTED). Default 4 MiB; values
    /// below 16 KiB are raised to 16 KiB.
    public var maxFrameSize: Int = RPCProtocol.defaultMaxFrameSize
    /// The largest frame payload accepted from a connection before one of
    /// its calls has been authenticated (the router's `authorize` hook
    /// accepted it and set ``ServerContext/isAuthenticated``; the HEADERS
    /// of that call are enough, so its request may be large). A longer one
    /// ends the connection with GOAWAY RESOURCE_EXHAUSTED. With a router
    /// that has no `authorize` hook every connection counts as
    /// authenticated. Default 64 KiB; kept within 16 KiB...``maxFrameSize``.
    public var maxUnauthenticatedFrameSize: Int = 64 * 1024
    /// The bytes of partly received frames the server holds at once for
    /// every connection that has not authenticated a call, together (each
    /// counts the length of the frame it is receiving, header included). A connection whose frame would
    /// go beyond it is sent GOAWAY RESOURCE_EXHAUSTED and closed. Default
    /// 64 MiB; at least ``maxUnauthenticatedFrameSize``.
    public var maxUnauthenticatedBufferedBytes: Int = 64 * 1024 * 1024
    /// How long the rest of a frame may take once its first bytes have
    /// arrived; a connection that leaves a frame unfinished for longer is
    /// sent GOAWAY DEADLINE_EXCEEDED and closed. Time during which the
    /// server itself is not reading from the connection (its responses are
    /// not being read) does not count. Default 10 s.
    public var frameTimeout: Duration = .seconds(10)
    /// The most calls one connection may have open; a HEADERS beyond it is
    /// answered with TRAILERS RESOURCE_EXHAUSTED. Default 100.
    public var maxConcurrentCallsPerConnection: Int = RPCProtocol.defaultMaxConcurrentCalls
    /// The most connections open at once; one more is answered with GOAWAY
    /// RESOURCE_EXHAUSTED and closed. Default 1024.
    public var maxConnections: Int = 1024
    /// How long a new connection has to send the preface and its SETTINGS
    /// before it is closed (slowloris). Default 5 s.
    public var handshakeTimeout: Duration = .seconds(5)
    /// How long a call's request MESSAGE may take to follow its HEADERS
    /// before the call ends with DEADLINE_EXCEEDED (a call waiting for its
    /// request holds one of the connection's call slots). Default 5 s.
    public var requestTimeout: Duration = .seconds(5)
    /// How long a connection may stay open with no call before it is closed
    /// with GOAWAY. Default 5 min.
    public var idleTimeout: Duration = .seconds(300)
    /// How many response bytes one connection with a stream may hold
    /// queued in the server (the socket's kernel buffer aside): the channel
    /// takes writes until half of it, at most 512 KiB, waits there (above, the server stops
    /// reading from that client and pauses its streams until the client
    /// reads), a stream's batch of up to a quarter may go in just below
    /// that, and a stream's handler may queue up to a quarter more for the
    /// event loop, counted by the memory its messages hold. Each further
    /// open stream of the connection may queue its own quarter. Default
    /// 4 MiB.
    public var maxOutboundBufferedBytes: Int = 4 * 1024 * 1024
    /// The message credit a server stream starts with when the client's
    /// HEADERS name none. Default 64.
    public var initialWindow: Int = RPCProtocol.defaultInitialWindow
    /// How long a graceful shutdown waits for calls in flight before it ends
    /// them with UNAVAILABLE and closes. Default 10 s.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// The `agent` the server announces in its SETTINGS.
    public var agent: String = "interviews-rpc-server/1"

    /// A configuration with every default, listening on `socketPath`.
    public init(socketPath: String) {
        self.socketPath = socketPath
    }
}
