/// Constants of the RPC protocol, version 1 (docs/PROTOCOL.md).
public enum RPCProtocol {
    /// The 16 ASCII bytes a client sends first on a new connection.
    public static let preface: [UInt8] = Array("interviews-rpc/1".utf8)

    /// The protocol version both sides announce in their SETTINGS.
    public static let version: UInt32 = 1

    /// The largest frame payload accepted by default: 4 MiB.
    public static let defaultMaxFrameSize = 4 * 1024 * 1024

    /// The smallest max_frame_size a peer may announce: smaller values are
    /// raised to it, so TRAILERS and GOAWAY with their messages always fit.
    public static let minMaxFrameSize = 16 * 1024

    /// The most calls one connection may have open at once by default.
    public static let defaultMaxConcurrentCalls = 100

    /// The message credit a server stream starts with when its HEADERS name none.
    public static let defaultInitialWindow = 64

    /// The metadata key that carries the caller's API key (`Bearer <key>`).
    public static let authorizationKey = "authorization"
}
