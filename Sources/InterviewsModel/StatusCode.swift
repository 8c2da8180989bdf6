/// A gRPC status code. A struct rather than a closed enum (as grpc-swift's
/// `RPCError.Code`), so a code this build does not know still round-trips.
public struct StatusCode: Sendable, Hashable, CustomStringConvertible {
    /// The code's number on the wire.
    public var rawValue: Int32

    /// Wraps a raw code.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let ok = StatusCode(rawValue: 0)
    public static let cancelled = StatusCode(rawValue: 1)
    public static let unknown = StatusCode(rawValue: 2)
    public static let invalidArgument = StatusCode(rawValue: 3)
    public static let deadlineExceeded = StatusCode(rawValue: 4)
    public static let notFound = StatusCode(rawValue: 5)
    public static let alreadyExists = StatusCode(rawValue: 6)
    public static let permissionDenied = StatusCode(rawValue: 7)
    public static let resourceExhausted = StatusCode(rawValue: 8)
    public static let failedPrecondition = StatusCode(rawValue: 9)
    public static let aborted = StatusCode(rawValue: 10)
    public static let outOfRange = StatusCode(rawValue: 11)
    public static let unimplemented = StatusCode(rawValue: 12)
    public static let internalError = StatusCode(rawValue: 13)
    public static let unavailable = StatusCode(rawValue: 14)
    public static let dataLoss = StatusCode(rawValue: 15)
    public static let unauthenticated = StatusCode(rawValue: 16)

    private static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ]

    /// The canonical name, e.g. `INVALID_ARGUMENT`, or `CODE_<n>` for an unknown code.
    public var description: String {
        rawValue >= 0 && Int(rawValue) < Self.names.count ? Self.names[Int(rawValue)] : "CODE_\(rawValue)"
    }
}

/// An error that ends a call: a status code and a message a person can act on
/// (which field, which value, which limit).
public protocol StatusError: Error, Sendable {
    /// The gRPC status code the error maps to.
    var code: StatusCode { get }
    /// What went wrong, naming the field and the limit where there is one.
    var message: String { get }
}

/// The domain layer's error: a status code and a message.
public struct InterviewsError: StatusError, Hashable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String

    /// Creates an error.
    public init(_ code: StatusCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `INVALID_ARGUMENT` for `field`, e.g. `invalidArgument("page_size", "is 0; must be 1..100")`.
    public static func invalidArgument(_ field: String, _ problem: String) -> InterviewsError {
        InterviewsError(.invalidArgument, "\(field): \(problem)")
    }

    public var description: String { "\(code): \(message)" }
}
