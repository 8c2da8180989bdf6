import InterviewsModel

/// One JSON object of a vendor's payload, read leniently where vendors vary
/// (ids as strings or numbers, references as ids or expanded objects,
/// timestamps without an offset) and strictly where they do not: a value of
/// the wrong kind is an error naming its path.
struct VendorObject {
    typealias Error = JSONDecodingError

    let members: [JSONMember]
    let path: String

    /// Wraps `value`, which must be an object.
    init(_ value: JSONValue, path: String) throws(Error) {
        guard let members = value.members else { throw ProtoJSONReader.mismatch(value, path, "an object") }
        self.members = members
        self.path = path
    }

    /// The first member named `key`, or nil when there is none.
    subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    func has(_ key: String) -> Bool { self[key] != nil }

    func path(_ key: String) -> String { JSONPath.member(path, key) }

    /// A string or a number's literal; absent and null are empty.
    func string(_ key: String) throws(Error) -> String {
        guard let value = self[key] else { return "" }
        return try Self.text(value, path(key))
    }

    /// The first non-empty of several fields.
    func string(_ keys: String...) throws(Error) -> String {
        for key in keys {
            let value = try string(key)
            if !value.isEmpty { return value }
        }
        return ""
    }

    /// The record's own id: `id`, else `remote_id`. Vendors' ids become our
    /// `remote_id`, the upsert key, so a record without one is rejected.
    func recordID() throws(Error) -> String {
        let id = try string("id", "remote_id")
        guard !id.isEmpty else { throw Error(path: path("id"), problem: "missing; a record needs an id") }
        return id
    }

    /// A timestamp; absent, null and "" are nil. See ``vendorTimestamp(_:)``.
    func timestamp(_ key: String) throws(Error) -> Timestamp? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let s)?:
            if s.isEmpty { return nil }
            guard let t = Self.vendorTimestamp(s) else {
                throw Error(path: path(key), problem: "\(ProtoJSONReader.quoted(s)) is not an RFC 3339 timestamp")
            }
            return t
        case let value?: throw ProtoJSONReader.mismatch(value, path(key), "a timestamp string")
        }
    }

    func bool(_ key: String) throws(Error) -> Bool? {
        switch self[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let value?: throw ProtoJSONReader.mismatch(value, path(key), "a boolean")
        }
    }

    func number(_ key: String) throws(Error) -> Double? {
        switch self[key] {
        case nil, .null?: return nil
        case .number(let literal)?: return Double(literal)
        case let value?: throw ProtoJSONReader.mismatch(value, path(key), "a number")
        }
    }

    func object(_ key: String) throws(Error) -> VendorObject? {
        switch self[key] {
        case nil, .null?: return nil
        case let value?: return try VendorObject(value, path: path(key))
        }
    }

    /// A reference to another record: its id, or an expanded object's `id`.
    func reference(_ key: String) throws(Error) -> String {
        switch self[key] {
        case nil, .null?: return ""
        case .object?: return try object(key)?.string("id") ?? ""
        case let value?: return try Self.text(value, path(key))
        }
    }

    /// A user given as an id or as an object (`id`, `remote_id`, `first_name`,
    /// `last_name`, `email`); absent, null and "" are nil.
    func participant(_ key: String) throws(Error) -> Participant? {
        guard let value = self[key] else { return nil }
        return try Self.participant(value, path(key))
    }

    /// Users given as an array of ids or objects, or as a single one.
    func participants(_ key: String) throws(Error) -> [Participant] {
        guard let value = self[key] else { return [] }
        guard case .array(let elements) = value else {
            return try Self.participant(value, path(key)).map { [$0] } ?? []
        }
        var out: [Participant] = []
        for (index, element) in elements.enumerated() {
            if let p = try Self.participant(element, JSONPath.element(path(key), index)) { out.append(p) }
        }
        return out
    }

    /// A location given as a string (kept as `raw`) or as an object with
    /// `raw`, `street_1`, `street_2`, `city`, `state`, `zip_code`, `country`.
    func location(_ key: String) throws(Error) -> Location? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s.isEmpty ? nil : Location(raw: s)
        case .object?:
            guard let o = try object(key) else { return nil }
            return Location(
                raw: try o.string("raw"), street1: try o.string("street_1"), street2: try o.string("street_2"),
                city: try o.string("city"), state: try o.string("state"), zipCode: try o.string("zip_code"),
                country: try o.string("country"))
        case let value?: throw ProtoJSONReader.mismatch(value, path(key), "a string or an object")
        }
    }

    /// A status string looked up in `table`; a value the table lacks is kept
    /// verbatim as the remote status, with our status left unspecified.
    func status(_ key: String, _ table: [String: InterviewStatus]) throws(Error) -> (InterviewStatus, String) {
        let text = try string(key)
        if text.isEmpty { return (.unspecified, "") }
        if let status = table[text] { return (status, "") }
        return (.unspecified, text)
    }

    /// An object flattened to strings: nested keys joined with ".", strings
    /// as they are, numbers and booleans as their JSON text, arrays as compact
    /// JSON, nulls left out.
    func flattened(_ key: String) throws(Error) -> [String: String] {
        guard let o = try object(key) else { return [:] }
        var out: [String: String] = [:]
        Self.flatten(.object(o.members), prefix: "", into: &out)
        return out
    }

    static func flatten(_ value: JSONValue, prefix: String, into out: inout [String: String]) {
        switch value {
        case .null: break
        case .bool(let b): out[prefix] = b ? "true" : "false"
        case .number(let literal): out[prefix] = literal
        case .string(let s): out[prefix] = s
        case .array:
            var writer = JSONWriter()
            writer.value(value)
            out[prefix] = writer.text
        case .object(let members):
            for member in members {
                flatten(member.value, prefix: JSONPath.member(prefix, member.key), into: &out)
            }
        }
    }

    static func text(_ value: JSONValue, _ path: String) throws(Error) -> String {
        switch value {
        case .null: return ""
        case .string(let s): return s
        case .number(let literal): return literal
        default: throw ProtoJSONReader.mismatch(value, path, "a string")
        }
    }

    static func participant(_ value: JSONValue, _ path: String) throws(Error) -> Participant? {
        switch value {
        case .null: return nil
        case .string(let s): return s.isEmpty ? nil : Participant(id: s)
        case .number(let literal): return Participant(id: literal)
        case .object:
            let o = try VendorObject(value, path: path)
            return Participant(
                id: try o.string("id"), remoteID: try o.string("remote_id"), firstName: try o.string("first_name"),
                lastName: try o.string("last_name"), email: try o.string("email"))
        default: throw ProtoJSONReader.mismatch(value, path, "a user id or a user object")
        }
    }

    /// RFC 3339, or what vendors send instead: a date-time without an offset
    /// (read as UTC) or a bare date (midnight UTC).
    static func vendorTimestamp(_ text: String) -> Timestamp? {
        if let t = RFC3339.parse(text) { return t }
        if text.utf8.count == 10 { return RFC3339.parse(text + "T00:00:00Z") }
        return RFC3339.parse(text + "Z")
    }
}
