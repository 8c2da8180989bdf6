public import InterviewsModel
public import InterviewsWire

/// The error of the RPC layer: a gRPC status code and a message a person can
/// act on. A call that fails ends with it; a client call throws it.
public struct RPCError: StatusError, Hashable, CustomStringConvertible {
    /// The status code.
    public var code: StatusCode
    /// What went wrong, naming the field, the value or the limit.
    public var message: String
    /// Trailing metadata sent with the status.
    public var metadata: [RPCMetadataEntry]

    /// Creates an error.
    public init(_ code: StatusCode, _ message: String, metadata: [RPCMetadataEntry] = []) {
        self.code = code
        self.message = message
        self.metadata = metadata
    }

    /// The error another layer's ``StatusError`` maps to: the same code and message.
    public init(_ error: some StatusError) {
        self.init(error.code, error.message)
    }

    /// The error a non-OK `TRAILERS` status stands for.
    public init(status: RPCStatus) {
        self.init(StatusCode(rawValue: status.code), status.message, metadata: status.metadata)
    }

    /// The `TRAILERS` payload that carries this error.
    public var status: RPCStatus {
        RPCStatus(code: code.rawValue, message: message, metadata: metadata)
    }

    /// `CODE: message`, e.g. `NOT_FOUND: interview x not found`.
    public var description: String { "\(code): \(message)" }
}

extension RPCStatus {
    /// The status of a call that succeeded.
    public static let ok = RPCStatus(code: StatusCode.ok.rawValue)

    /// The status code as a ``StatusCode``.
    public var statusCode: StatusCode { StatusCode(rawValue: code) }
}
