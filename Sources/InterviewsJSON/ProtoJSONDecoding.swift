import InterviewsModel

/// Reading proto3 JSON back into model values.
public enum ProtoJSON {
    /// Decodes one Interview from proto3 JSON.
    ///
    /// Accepts what ``ProtoJSONEncodable/protoJSON`` writes and what other
    /// proto3 JSON writers produce: field names in lowerCamelCase (`remoteId`)
    /// or as in the .proto (`remote_id`); enums by value name
    /// (`INTERVIEW_STATUS_SCHEDULED`), by the name without its prefix
    /// (`SCHEDULED`) or by number; 64-bit integers as strings or numbers;
    /// doubles as numbers or as "NaN"/"Infinity"/"-Infinity"; bytes in either
    /// base64 alphabet, padded or not; `null` for any field meaning its default.
    ///
    /// - Parameters:
    ///   - json: the UTF-8 text of one JSON object.
    ///   - ignoringUnknownFields: skip fields the Interview message does not
    ///     have instead of rejecting them (for exports of a newer version).
    /// - Returns: the interview and the top-level fields the input named.
    /// - Throws: ``JSONDecodingError`` naming the JSON path and the problem,
    ///   e.g. `interviewers[1].email: expected a string, got a number`.
    public static func decodeInterview(
        _ json: [UInt8], ignoringUnknownFields: Bool = false
    ) throws(JSONDecodingError) -> DecodedInterview {
        let value = try JSONParser.parse(json)
        return try ProtoJSONReader(ignoringUnknownFields: ignoringUnknownFields).interview(value, path: "")
    }

    /// Decodes one Interview from proto3 JSON text, as the `[UInt8]` overload does.
    public static func decodeInterview(
        _ json: String, ignoringUnknownFields: Bool = false
    ) throws(JSONDecodingError) -> DecodedInterview {
        try decodeInterview(Array(json.utf8), ignoringUnknownFields: ignoringUnknownFields)
    }
}

/// An Interview read from JSON, with the names of the fields the JSON set.
public struct DecodedInterview: Sendable, Hashable {
    /// The decoded interview; fields the input did not name hold their defaults.
    public var interview: Interview
    /// The top-level fields the input named (`null` included), as snake_case
    /// proto field names in field-number order: the `update_mask` of an
    /// `interviews update --json`.
    public var fieldNames: [String]

    /// Creates a decoded interview.
    public init(interview: Interview, fieldNames: [String]) {
        self.interview = interview
        self.fieldNames = fieldNames
    }
}

/// The proto3 JSON reader: resolves both name styles, rejects duplicates and
/// (unless told otherwise) unknown fields, and converts each field's value.
struct ProtoJSONReader {
    typealias Error = JSONDecodingError

    let ignoringUnknownFields: Bool

    /// The fields of a message: snake_case proto names in field-number order,
    /// and a lookup from both JSON spellings to the proto name.
    struct MessageFields: Sendable {
        let protoNames: [String]
        let lookup: [String: String]

        init(_ protoNames: [String]) {
            self.protoNames = protoNames
            var lookup: [String: String] = [:]
            for name in protoNames {
                lookup[name] = name
                lookup[Self.jsonName(name)] = name
            }
            self.lookup = lookup
        }

        /// protoc's lowerCamelCase: drop each `_` and upper-case what follows.
        static func jsonName(_ protoName: String) -> String {
            var out = ""
            var upper = false
            for c in protoName {
                if c == "_" {
                    upper = true
                } else {
                    out += upper ? c.uppercased() : String(c)
                    upper = false
                }
            }
            return out
        }
    }

    static let interviewFields = MessageFields([
        "id", "remote_id", "company_id", "candidate_id", "application_id", "job_id", "agent_id",
        "job_interview_stage_id", "title", "organizer", "interviewers", "location", "start_at", "end_at", "status",
        "remote_status", "created_at", "updated_at", "remote_created_at", "remote_updated_at", "deleted_at",
        "remote_deleted_at", "custom_fields", "remote_data", "analysis", "revision",
    ])
    static let participantFields = MessageFields(["id", "remote_id", "first_name", "last_name", "email"])
    static let locationFields = MessageFields(["raw", "street_1", "street_2", "city", "state", "zip_code", "country"])
    static let analysisFields = MessageFields(["summary", "recommendation", "overall_score", "scores", "transcript"])
    static let scoreFields = MessageFields(["name", "value", "max_value"])
    static let segmentFields = MessageFields(["speaker", "text", "start_offset_ms", "end_offset_ms"])

    /// Calls `body` with each member's proto field name, value and path.
    func forEachField(
        _ value: JSONValue, path: String, _ fields: MessageFields,
        _ body: (String, JSONValue, String) throws(Error) -> Void
    ) throws(Error) {
        guard let members = value.members else { throw Self.mismatch(value, path, "an object") }
        var seen: [String: String] = [:]
        for member in members {
            let memberPath = JSONPath.member(path, member.key)
            guard let name = fields.lookup[member.key] else {
                if ignoringUnknownFields { continue }
                throw Error(path: memberPath, problem: "unknown field")
            }
            if let earlier = seen[name] {
                let also = earlier == member.key ? "" : " (also given as \(earlier))"
                throw Error(path: memberPath, problem: "duplicate field\(also)")
            }
            seen[name] = member.key
            try body(name, member.value, memberPath)
        }
    }

    func interview(_ value: JSONValue, path: String) throws(Error) -> DecodedInterview {
        var i = Interview()
        var named: Set<String> = []
        try forEachField(value, path: path, Self.interviewFields) { (name, v, p) throws(Error) in
            named.insert(name)
            switch name {
            case "id": i.id = try Self.string(v, p)
            case "remote_id": i.remoteID = try Self.string(v, p)
            case "company_id": i.companyID = try Self.string(v, p)
            case "candidate_id": i.candidateID = try Self.string(v, p)
            case "application_id": i.applicationID = try Self.string(v, p)
            case "job_id": i.jobID = try Self.string(v, p)
            case "agent_id": i.agentID = try Self.string(v, p)
            case "job_interview_stage_id": i.jobInterviewStageID = try Self.string(v, p)
            case "title": i.title = try Self.string(v, p)
            case "organizer": i.organizer = try optionalMessage(v, p, participant)
            case "interviewers": i.interviewers = try repeated(v, p, participant)
            case "location": i.location = try optionalMessage(v, p, location)
            case "start_at": i.startAt = try Self.timestamp(v, p)
            case "end_at": i.endAt = try Self.timestamp(v, p)
            case "status": i.status = try Self.interviewStatus(v, p)
            case "remote_status": i.remoteStatus = try Self.string(v, p)
            case "created_at": i.createdAt = try Self.timestamp(v, p)
            case "updated_at": i.updatedAt = try Self.timestamp(v, p)
            case "remote_created_at": i.remoteCreatedAt = try Self.timestamp(v, p)
            case "remote_updated_at": i.remoteUpdatedAt = try Self.timestamp(v, p)
            case "deleted_at": i.deletedAt = try Self.timestamp(v, p)
            case "remote_deleted_at": i.remoteDeletedAt = try Self.timestamp(v, p)
            case "custom_fields": i.customFields = try Self.stringMap(v, p)
            case "remote_data": i.remoteData = try Self.bytes(v, p)
            case "analysis": i.analysis = try optionalMessage(v, p, analysis)
            default: i.revision = try Self.uint64(v, p)
            }
        }
        let fieldNames = Self.interviewFields.protoNames.filter { named.contains($0) }
        return DecodedInterview(interview: i, fieldNames: fieldNames)
    }

    func participant(_ value: JSONValue, path: String) throws(Error) -> Participant {
        var participant = Participant()
        try forEachField(value, path: path, Self.participantFields) { (name, v, p) throws(Error) in
            switch name {
            case "id": participant.id = try Self.string(v, p)
            case "remote_id": participant.remoteID = try Self.string(v, p)
            case "first_name": participant.firstName = try Self.string(v, p)
            case "last_name": participant.lastName = try Self.string(v, p)
            default: participant.email = try Self.string(v, p)
            }
        }
        return participant
    }

    func location(_ value: JSONValue, path: String) throws(Error) -> Location {
        var location = Location()
        try forEachField(value, path: path, Self.locationFields) { (name, v, p) throws(Error) in
            switch name {
            case "raw": location.raw = try Self.string(v, p)
            case "street_1": location.street1 = try Self.string(v, p)
            case "street_2": location.street2 = try Self.string(v, p)
            case "city": location.city = try Self.string(v, p)
            case "state": location.state = try Self.string(v, p)
            case "zip_code": location.zipCode = try Self.string(v, p)
            default: location.country = try Self.string(v, p)
            }
        }
        return location
    }

    func analysis(_ value: JSONValue, path: String) throws(Error) -> Analysis {
        var analysis = Analysis()
        try forEachField(value, path: path, Self.analysisFields) { (name, v, p) throws(Error) in
            switch name {
            case "summary": analysis.summary = try Self.string(v, p)
            case "recommendation": analysis.recommendation = try Self.string(v, p)
            case "overall_score": analysis.overallScore = try Self.double(v, p)
            case "scores": analysis.scores = try repeated(v, p, score)
            default: analysis.transcript = try repeated(v, p, segment)
            }
        }
        return analysis
    }

    func score(_ value: JSONValue, path: String) throws(Error) -> Score {
        var score = Score()
        try forEachField(value, path: path, Self.scoreFields) { (name, v, p) throws(Error) in
            switch name {
            case "name": score.name = try Self.string(v, p)
            case "value": score.value = try Self.double(v, p)
            default: score.maxValue = try Self.double(v, p)
            }
        }
        return score
    }

    func segment(_ value: JSONValue, path: String) throws(Error) -> TranscriptSegment {
        var segment = TranscriptSegment()
        try forEachField(value, path: path, Self.segmentFields) { (name, v, p) throws(Error) in
            switch name {
            case "speaker": segment.speaker = try Self.string(v, p)
            case "text": segment.text = try Self.string(v, p)
            case "start_offset_ms": segment.startOffsetMs = try Self.uint64(v, p)
            default: segment.endOffsetMs = try Self.uint64(v, p)
            }
        }
        return segment
    }

    /// A message field: `null` means absent.
    func optionalMessage<T>(
        _ value: JSONValue, _ path: String, _ read: (JSONValue, String) throws(Error) -> T
    ) throws(Error) -> T? {
        if case .null = value { return nil }
        return try read(value, path)
    }

    /// A repeated message field: `null` means empty; elements must not be null.
    func repeated<T>(
        _ value: JSONValue, _ path: String, _ read: (JSONValue, String) throws(Error) -> T
    ) throws(Error) -> [T] {
        switch value {
        case .null: return []
        case .array(let elements):
            var out: [T] = []
            out.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                out.append(try read(element, JSONPath.element(path, index)))
            }
            return out
        default: throw Self.mismatch(value, path, "an array")
        }
    }

    static func mismatch(_ value: JSONValue, _ path: String, _ expected: String) -> Error {
        Error(path: path, problem: "expected \(expected), got \(value.kindDescription)")
    }

    static func string(_ value: JSONValue, _ path: String) throws(Error) -> String {
        switch value {
        case .null: return ""
        case .string(let s): return s
        default: throw mismatch(value, path, "a string")
        }
    }

    static func timestamp(_ value: JSONValue, _ path: String) throws(Error) -> Timestamp? {
        switch value {
        case .null: return nil
        case .string(let s):
            guard let t = RFC3339.parse(s) else {
                throw Error(path: path, problem: "\(quoted(s)) is not an RFC 3339 timestamp")
            }
            return t
        default: throw mismatch(value, path, "an RFC 3339 timestamp string")
        }
    }

    /// The literal of an integer given as a number or a string.
    static func integerLiteral(_ value: JSONValue, _ path: String, _ kind: String) throws(Error) -> String? {
        switch value {
        case .null: return nil
        case .number(let literal), .string(let literal): return literal
        default: throw mismatch(value, path, kind)
        }
    }

    static func uint64(_ value: JSONValue, _ path: String) throws(Error) -> UInt64 {
        guard let literal = try integerLiteral(value, path, "an unsigned integer") else { return 0 }
        guard let n = UInt64(literal) else {
            throw Error(path: path, problem: "\(quoted(literal)) is not an unsigned 64-bit integer")
        }
        return n
    }

    static func double(_ value: JSONValue, _ path: String) throws(Error) -> Double {
        switch value {
        case .null: return 0
        case .number(let literal):
            guard let d = Double(literal), d.isFinite else {
                throw Error(path: path, problem: "\(literal) is out of range for a double")
            }
            return d
        case .string(let s):
            switch s {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default:
                guard case .number = (try? JSONParser.parse(Array(s.utf8))) ?? .null, let d = Double(s), d.isFinite
                else { throw Error(path: path, problem: "\(quoted(s)) is not a number") }
                return d
            }
        default: throw mismatch(value, path, "a number")
        }
    }

    static func bytes(_ value: JSONValue, _ path: String) throws(Error) -> [UInt8] {
        switch value {
        case .null: return []
        case .string(let s):
            guard let bytes = Base64.decode(s) else { throw Error(path: path, problem: "not valid base64") }
            return bytes
        default: throw mismatch(value, path, "a base64 string")
        }
    }

    static func stringMap(_ value: JSONValue, _ path: String) throws(Error) -> [String: String] {
        switch value {
        case .null: return [:]
        case .object(let members):
            var map: [String: String] = [:]
            for member in members {
                let memberPath = JSONPath.member(path, member.key)
                guard map[member.key] == nil else { throw Error(path: memberPath, problem: "duplicate key") }
                guard case .string(let s) = member.value else {
                    throw mismatch(member.value, memberPath, "a string")
                }
                map[member.key] = s
            }
            return map
        default: throw mismatch(value, path, "an object of strings")
        }
    }

    static func interviewStatus(_ value: JSONValue, _ path: String) throws(Error) -> InterviewStatus {
        switch value {
        case .null: return .unspecified
        case .string(let name):
            if let status = InterviewStatus.allCases.first(where: {
                $0.protoName == name || $0.protoName == "INTERVIEW_STATUS_" + name
            }) {
                return status
            }
            throw Error(path: path, problem: "\(quoted(name)) is not an InterviewStatus name")
        case .number(let literal):
            if let n = Int32(literal), let status = InterviewStatus(rawValue: n) { return status }
            throw Error(path: path, problem: "\(literal) is not an InterviewStatus number")
        default: throw mismatch(value, path, "an InterviewStatus name or number")
        }
    }

    /// `text` as a JSON string literal, for error messages.
    static func quoted(_ text: String) -> String {
        var writer = JSONWriter()
        writer.string(text)
        return writer.text
    }
}
