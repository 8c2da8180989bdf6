import InterviewsModel

/// Why a JSON input was rejected: where (a JSON path such as `interviewers[1].email`) and what.
///
/// Every decoding and import function of this module throws this one type, so
/// a caller can print ``message`` as is. It maps to `INVALID_ARGUMENT`.
public struct JSONDecodingError: StatusError, Hashable, CustomStringConvertible {
    /// The path of the offending value, as written in the input, e.g.
    /// `interviewers[1].email` or `start_at`; empty for the document itself.
    public var path: String
    /// What is wrong, e.g. `expected a string, got a number`.
    public var problem: String

    /// Creates an error for the value at `path`.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    /// Always `INVALID_ARGUMENT`: the input, not the program, is at fault.
    public var code: StatusCode { .invalidArgument }

    /// `path: problem`, or only the problem when it concerns the whole document.
    public var message: String { path.isEmpty ? problem : "\(path): \(problem)" }

    /// The same as ``message``.
    public var description: String { message }
}

/// Builds the JSON paths that ``JSONDecodingError`` reports.
enum JSONPath {
    /// The path of member `key` of the object at `path`.
    static func member(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    /// The path of element `index` of the array at `path`.
    static func element(_ path: String, _ index: Int) -> String {
        path + "[" + String(index) + "]"
    }
}
