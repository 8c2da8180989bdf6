public import InterviewsWire
public import Logging

/// The credentials of the process at the other end of a Unix domain socket,
/// as the kernel reported them when it connected (`SO_PEERCRED`).
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The peer's user id.
    public var uid: UInt32
    /// The peer's group id.
    public var gid: UInt32
    /// The peer's process id.
    public var pid: Int32

    /// Creates credentials.
    public init(uid: UInt32, gid: UInt32, pid: Int32) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }

    /// `uid=… gid=… pid=…`, for logs.
    public var description: String { "uid=\(uid) gid=\(gid) pid=\(pid)" }
}

/// A key for a value that an interceptor (e.g. authentication) attaches to a
/// call's ``ServerContext`` for the handler to read.
///
/// ```swift
/// enum CallerKey: ServerContextKey { typealias Value = Caller }
/// context.values[CallerKey.self] = caller      // in the authorize hook
/// let caller = context.values[CallerKey.self]  // in the handler
/// ```
public protocol ServerContextKey {
    /// The type of the value stored under this key.
    associatedtype Value: Sendable
}

/// Typed values attached to a call, keyed by ``ServerContextKey`` types.
public struct ServerContextValues: Sendable {
    /// The first value stored, held inline: a call usually carries one (its
    /// caller), which then costs no dictionary.
    private var first: (key: ObjectIdentifier, value: any Sendable)?
    /// Every other value.
    private var rest: [ObjectIdentifier: any Sendable] = [:]

    /// An empty set of values.
    public init() {}

    /// The value stored under `key`, or nil.
    public subscript<Key: ServerContextKey>(_ key: Key.Type) -> Key.Value? {
        get {
            let id = ObjectIdentifier(key)
            if let first, first.key == id { return first.value as? Key.Value }
            return rest.isEmpty ? nil : rest[id] as? Key.Value
        }
        set {
            let id = ObjectIdentifier(key)
            if let first, first.key == id {
                self.first = newValue.map { (id, $0) }
            } else if first == nil, rest[id] == nil, let newValue {
                first = (id, newValue)
            } else {
                rest[id] = newValue
            }
        }
    }
}

/// What a handler knows about the call it serves.
public struct ServerContext: Sendable {
    /// The full method name, e.g. `/interviews.v1.Interviews/GetInterview`.
    public var method: String
    /// The call metadata from the HEADERS frame, in order (keys are lowercase).
    ///
    /// A transport may hand over the HEADERS payload instead of decoded
    /// entries: they are then decoded when read, and
    /// ``metadataValue(for:)`` finds one without decoding the others.
    public var metadata: [RPCMetadataEntry] {
        get { headers?.metadata ?? storedMetadata }
        set {
            storedMetadata = newValue
            headers = nil
        }
    }
    private var storedMetadata: [RPCMetadataEntry]
    /// The HEADERS payload the metadata is read from, when the transport gave it.
    private var headers: CallHeadersView?
    /// When the call's deadline expires, or nil when the client set none. At
    /// the deadline the transport ends the call with `DEADLINE_EXCEEDED` and
    /// cancels the handler's task.
    public var deadline: ContinuousClock.Instant?
    /// The connected process, when the transport can tell (Unix domain sockets can).
    public var peer: PeerCredentials?
    /// The call's id on its connection (for logs).
    public var callID: UInt32
    /// A logger carrying the method and call id as metadata.
    ///
    /// The metadata is attached when the logger is read, not when the call
    /// opens: most calls never log, and metadata is not free to set.
    public var logger: Logger {
        get {
            var logger = baseLogger
            logger[metadataKey: "rpc.method"] = "\(method)"
            logger[metadataKey: "rpc.call_id"] = "\(callID)"
            return logger
        }
        set { baseLogger = newValue }
    }
    private var baseLogger: Logger
    /// Values attached by the router's `authorize` hook.
    public var values: ServerContextValues
    /// Set by the router's `authorize` hook when it has authenticated the
    /// caller (a key, a trusted peer), as opposed to letting an anonymous
    /// call through (a health check). A transport takes larger frames from
    /// a connection only once one of its calls was authenticated. Default
    /// false.
    public var isAuthenticated = false
    /// Triggered when the server begins a graceful shutdown; a handler of a
    /// call that never ends by itself waits on it to end early.
    public var shutdown: ShutdownSignal
    /// Ends the call now, from any task or thread: the client gets TRAILERS
    /// with the error's code and message, the response stream's writer
    /// throws, and the handler's task is cancelled. Nil when the transport
    /// offers no such thing (it does for server-streaming calls). A service
    /// uses it to end calls from outside, e.g. those of an API key that was
    /// just revoked; calling it after the call has ended does nothing.
    public var endCall: (@Sendable (RPCError) -> Void)?

    /// Creates a context.
    ///
    /// - Parameter logger: The connection's logger; ``logger`` returns it
    ///   with the method and call id added.
    public init(
        method: String, metadata: [RPCMetadataEntry] = [], deadline: ContinuousClock.Instant? = nil,
        peer: PeerCredentials? = nil, callID: UInt32 = 0,
        logger: Logger = Logger(label: "interviews.rpc", factory: { _ in SwiftLogNoOpLogHandler() }),
        values: ServerContextValues = ServerContextValues(), shutdown: ShutdownSignal = ShutdownSignal(),
        endCall: (@Sendable (RPCError) -> Void)? = nil
    ) {
        self.method = method
        self.storedMetadata = metadata
        self.headers = nil
        self.deadline = deadline
        self.peer = peer
        self.callID = callID
        self.baseLogger = logger
        self.values = values
        self.shutdown = shutdown
        self.endCall = endCall
    }

    /// Creates the context of a call whose metadata is read from its HEADERS
    /// payload on demand (see ``metadata``).
    package init(
        method: String, headers: CallHeadersView, deadline: ContinuousClock.Instant?, peer: PeerCredentials?,
        callID: UInt32, logger: Logger, shutdown: ShutdownSignal
    ) {
        self.init(method: method, deadline: deadline, peer: peer, callID: callID, logger: logger, shutdown: shutdown)
        self.headers = headers
    }

    /// The first metadata value for `key` (compared in lowercase), or nil.
    ///
    /// - Complexity: O(n) in the number of entries.
    public func metadataValue(for key: String) -> String? {
        let key = key.utf8.contains(where: { ($0 >= 0x41 && $0 <= 0x5a) || $0 >= 0x80 }) ? key.lowercased() : key
        if let headers { return headers.metadataValue(forLowercaseKey: key) }
        return storedMetadata.first(where: { $0.key == key })?.value
    }
}
