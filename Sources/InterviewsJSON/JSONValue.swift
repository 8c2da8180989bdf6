/// A parsed JSON value. Objects keep their members in input order (and any
/// duplicates, so decoders can reject them); numbers keep their literal text,
/// so 64-bit integers lose no precision.
enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal, already checked against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The first member named `key` when this is an object, else nil.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The object's members, or nil when this is not an object.
    var members: [JSONMember]? {
        if case .object(let members) = self { members } else { nil }
    }

    /// The string, or nil when this is not a string.
    var stringValue: String? {
        if case .string(let s) = self { s } else { nil }
    }

    /// How an error message names this kind of value: "a string", "null"...
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One `"key": value` member of a JSON object.
struct JSONMember: Sendable, Hashable {
    var key: String
    var value: JSONValue
}
