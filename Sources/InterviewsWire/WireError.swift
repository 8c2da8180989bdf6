public import InterviewsModel

/// Why bytes could not be decoded into a message, or a value could not be
/// encoded. Every case maps to `INVALID_ARGUMENT` (``tooLarge`` to
/// `RESOURCE_EXHAUSTED`) and its message names the field.
public struct WireError: StatusError, Hashable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Kind: Sendable, Hashable {
        /// Not protobuf: a bad varint, a length past the end, a group, a wrong wire type.
        case malformed
        /// The input is longer than the limit.
        case tooLarge
        /// A string field holds bytes that are not UTF-8.
        case invalidUTF8
        /// A string field contains U+0000, which protobuf-c cannot carry.
        case containsNUL
        /// An enum field holds a number the contract does not define.
        case unknownEnumValue
        /// A Timestamp outside 0001-01-01 .. 9999-12-31 or with nanos outside 0 ..< 1e9.
        case timestampOutOfRange
        /// protobuf-c refused the input without saying why (e.g. out of memory).
        case rejected
    }

    /// What went wrong.
    public var kind: Kind
    /// The dotted path of the field, e.g. `interview.interviewers[1].email`; empty for the whole message.
    public var field: String
    /// The problem, in words.
    public var detail: String

    /// Creates an error.
    public init(_ kind: Kind, field: String, _ detail: String) {
        self.kind = kind
        self.field = field
        self.detail = detail
    }

    public var code: StatusCode { kind == .tooLarge ? .resourceExhausted : .invalidArgument }

    public var message: String { field.isEmpty ? detail : "\(field): \(detail)" }

    public var description: String { "\(code): \(message)" }

    /// The same error seen from an enclosing message: `prefix` is prepended to the field path.
    func inside(_ prefix: String) -> WireError {
        var copy = self
        copy.field = field.isEmpty ? prefix : (field.hasPrefix("[") ? prefix + field : prefix + "." + field)
        return copy
    }
}
