internal import CProtobufC
internal import InterviewsProtoC

// The payloads of the RPC protocol's control frames (proto/interviews/rpc/v1/rpc.proto),
// as Sendable value types. RPCCore frames them; this module encodes them.

/// One call metadata entry (`interviews.rpc.v1.MetadataEntry`).
public struct RPCMetadataEntry: Sendable, Hashable {
    /// Lowercase ASCII.
    public var key: String
    public var value: String

    /// Creates an entry.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// `interviews.rpc.v1.Settings`: sent by each side after the preface.
public struct RPCSettings: Sendable, Hashable {
    public var protocolVersion: UInt32
    public var maxFrameSize: UInt32
    public var maxConcurrentCalls: UInt32
    public var initialWindow: UInt32
    public var agent: String

    /// Creates settings; 0 means "the protocol default".
    public init(
        protocolVersion: UInt32 = 0, maxFrameSize: UInt32 = 0, maxConcurrentCalls: UInt32 = 0,
        initialWindow: UInt32 = 0, agent: String = ""
    ) {
        self.protocolVersion = protocolVersion
        self.maxFrameSize = maxFrameSize
        self.maxConcurrentCalls = maxConcurrentCalls
        self.initialWindow = initialWindow
        self.agent = agent
    }
}

/// `interviews.rpc.v1.CallHeaders`: opens a call.
public struct RPCCallHeaders: Sendable, Hashable {
    /// e.g. `/interviews.v1.Interviews/GetInterview`.
    public var method: String
    public var metadata: [RPCMetadataEntry]
    /// Relative deadline in microseconds; 0 means none.
    public var timeoutMicros: UInt64
    /// Initial message credit for a server stream; 0 means the server's default.
    public var initialWindow: UInt32

    /// Creates headers.
    public init(
        method: String = "", metadata: [RPCMetadataEntry] = [], timeoutMicros: UInt64 = 0, initialWindow: UInt32 = 0
    ) {
        self.method = method
        self.metadata = metadata
        self.timeoutMicros = timeoutMicros
        self.initialWindow = initialWindow
    }
}

/// `interviews.rpc.v1.Status`: the trailers that end a call.
public struct RPCStatus: Sendable, Hashable {
    public var code: Int32
    public var message: String
    public var metadata: [RPCMetadataEntry]

    /// Creates a status.
    public init(code: Int32 = 0, message: String = "", metadata: [RPCMetadataEntry] = []) {
        self.code = code
        self.message = message
        self.metadata = metadata
    }
}

/// `interviews.rpc.v1.WindowUpdate`: more message credit for a server stream.
public struct RPCWindowUpdate: Sendable, Hashable {
    public var credit: UInt32

    /// Creates an update.
    public init(credit: UInt32 = 0) { self.credit = credit }
}

/// `interviews.rpc.v1.Cancel`: the client abandons a call.
public struct RPCCancel: Sendable, Hashable {
    public var reason: String

    /// Creates a cancel.
    public init(reason: String = "") { self.reason = reason }
}

/// `interviews.rpc.v1.GoAway`: no new calls will be accepted.
public struct RPCGoAway: Sendable, Hashable {
    public var lastCallID: UInt32
    public var code: Int32
    public var message: String

    /// Creates a goaway.
    public init(lastCallID: UInt32 = 0, code: Int32 = 0, message: String = "") {
        self.lastCallID = lastCallID
        self.code = code
        self.message = message
    }
}

/// `interviews.rpc.v1.Ping`: echoed with the ACK flag.
public struct RPCPing: Sendable, Hashable {
    public var opaque: UInt64

    /// Creates a ping.
    public init(opaque: UInt64 = 0) { self.opaque = opaque }
}

extension RPCMetadataEntry: CBridged {
    typealias CMessage = Interviews__Rpc__V1__MetadataEntry
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__rpc__v1__metadata_entry__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__rpc__v1__metadata_entry__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.key = try a.cString(key, "key")
        m.pointee.value = try a.cString(value, "value")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(key: readString(m.pointee.key), value: readString(m.pointee.value))
    }
}

extension RPCSettings: CBridged {
    typealias CMessage = Interviews__Rpc__V1__Settings
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__rpc__v1__settings__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__rpc__v1__settings__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.protocol_version = protocolVersion
        m.pointee.max_frame_size = maxFrameSize
        m.pointee.max_concurrent_calls = maxConcurrentCalls
        m.pointee.initial_window = initialWindow
        m.pointee.agent = try a.cString(agent, "agent")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            protocolVersion: m.pointee.protocol_version, maxFrameSize: m.pointee.max_frame_size,
            maxConcurrentCalls: m.pointee.max_concurrent_calls, initialWindow: m.pointee.initial_window,
            agent: readString(m.pointee.agent))
    }
}

extension RPCCallHeaders: CBridged {
    typealias CMessage = Interviews__Rpc__V1__CallHeaders
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__rpc__v1__call_headers__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__rpc__v1__call_headers__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.method = try a.cString(method, "method")
        (m.pointee.n_metadata, m.pointee.metadata) = try a.messages(metadata, "metadata")
        m.pointee.timeout_micros = timeoutMicros
        m.pointee.initial_window = initialWindow
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            method: readString(m.pointee.method),
            metadata: try readMessages(m.pointee.n_metadata, m.pointee.metadata, "metadata"),
            timeoutMicros: m.pointee.timeout_micros, initialWindow: m.pointee.initial_window)
    }
}

extension RPCStatus: CBridged {
    typealias CMessage = Interviews__Rpc__V1__Status
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__rpc__v1__status__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__rpc__v1__status__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.code = code
        m.pointee.message = try a.cString(message, "message")
        (m.pointee.n_metadata, m.pointee.metadata) = try a.messages(metadata, "metadata")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            code: m.pointee.code, message: readString(m.pointee.message),
            metadata: try readMessages(m.pointee.n_metadata, m.pointee.metadata, "metadata"))
    }
}

extension RPCWindowUpdate: CBridged {
    typealias CMessage = Interviews__Rpc__V1__WindowUpdate
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__rpc__v1__window_update__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__rpc__v1__window_update__init(m) }
    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.credit = credit
    }
    init(c m: UnsafePointer<CMessage>) throws(WireError) { self.init(credit: m.pointee.credit) }
}

extension RPCCancel: CBridged {
    typealias CMessage = Interviews__Rpc__V1__Cancel
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__rpc__v1__cancel__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__rpc__v1__cancel__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.reason = try a.cString(reason, "reason")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) { self.init(reason: readString(m.pointee.reason)) }
}

extension RPCGoAway: CBridged {
    typealias CMessage = Interviews__Rpc__V1__GoAway
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__rpc__v1__go_away__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__rpc__v1__go_away__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.last_call_id = lastCallID
        m.pointee.code = code
        m.pointee.message = try a.cString(message, "message")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(lastCallID: m.pointee.last_call_id, code: m.pointee.code, message: readString(m.pointee.message))
    }
}

extension RPCPing: CBridged {
    typealias CMessage = Interviews__Rpc__V1__Ping
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__rpc__v1__ping__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__rpc__v1__ping__init(m) }
    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.opaque = opaque
    }
    init(c m: UnsafePointer<CMessage>) throws(WireError) { self.init(opaque: m.pointee.opaque) }
}
