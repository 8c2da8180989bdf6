import InterviewsModel

/// A message the CLI prints in the proto3 JSON mapping
/// (https://protobuf.dev/programming-guides/json/).
///
/// The output is one line (for JSON Lines) and deterministic: fields in
/// field-number order, map keys sorted by their UTF-8 bytes, fields holding
/// their default value omitted. Field names are lowerCamelCase (`remoteId`,
/// `street1`); enums are their value names (`INTERVIEW_STATUS_SCHEDULED`);
/// 64-bit integers are decimal strings; timestamps are RFC 3339 in UTC; bytes
/// are standard base64.
public protocol ProtoJSONEncodable {
    /// This message as one line of proto3 JSON, without a trailing newline.
    var protoJSON: String { get }
}

extension Interview: ProtoJSONEncodable {
    /// This interview as one line of proto3 JSON; ``ProtoJSON/decodeInterview(_:ignoringUnknownFields:)``
    /// reads it back to an equal value.
    public var protoJSON: String { ProtoObjectWriter.render(self, ProtoObjectWriter.write(interview:into:)) }
}

extension Page: ProtoJSONEncodable {
    /// This page as one line of proto3 JSON.
    public var protoJSON: String {
        ProtoObjectWriter.render(self) { page, w in
            w.messages("interviews", page.interviews, ProtoObjectWriter.write(interview:into:))
            w.string("nextPageToken", page.nextPageToken)
            w.string("previousPageToken", page.previousPageToken)
            w.uint64("totalSize", page.totalSize)
            w.uint32("page", page.page)
            w.uint32("pageSize", page.pageSize)
        }
    }
}

extension UpsertResult: ProtoJSONEncodable {
    /// This result as one line of proto3 JSON.
    public var protoJSON: String { ProtoObjectWriter.render(self, ProtoObjectWriter.write(upsertResult:into:)) }
}

extension UpsertInterviewsResponse: ProtoJSONEncodable {
    /// This response as one line of proto3 JSON.
    public var protoJSON: String {
        ProtoObjectWriter.render(self) { response, w in
            w.messages("results", response.results, ProtoObjectWriter.write(upsertResult:into:))
        }
    }
}

extension WatchEvent: ProtoJSONEncodable {
    /// This event as one line of proto3 JSON.
    public var protoJSON: String {
        ProtoObjectWriter.render(self) { event, w in
            w.uint64("sequence", event.sequence)
            w.enumValue("kind", event.kind.protoName, isDefault: event.kind == .unspecified)
            w.message("interview", event.interview, ProtoObjectWriter.write(interview:into:))
            w.uint64("storeEpoch", event.storeEpoch)
            w.bool("caughtUp", event.caughtUp)
        }
    }
}

extension HealthResponse: ProtoJSONEncodable {
    /// This response as one line of proto3 JSON.
    public var protoJSON: String {
        ProtoObjectWriter.render(self) { response, w in
            w.enumValue("status", response.status.protoName, isDefault: response.status == .unspecified)
        }
    }
}

extension ServerInfoResponse: ProtoJSONEncodable {
    /// This response as one line of proto3 JSON.
    public var protoJSON: String {
        ProtoObjectWriter.render(self) { info, w in
            w.string("version", info.version)
            w.string("backend", info.backend)
            w.uint64("uptimeSeconds", info.uptimeSeconds)
            w.timestamp("startedAt", info.startedAt)
            w.uint64("interviewCount", info.interviewCount)
            w.uint64("deletedCount", info.deletedCount)
            w.uint64("lastSequence", info.lastSequence)
            w.uint32("protocolVersion", info.protocolVersion)
            w.bool("writable", info.writable)
            w.uint64("storeEpoch", info.storeEpoch)
        }
    }
}

extension APIKey: ProtoJSONEncodable {
    /// This key description (never a secret) as one line of proto3 JSON.
    public var protoJSON: String { ProtoObjectWriter.render(self, ProtoObjectWriter.write(apiKey:into:)) }
}

extension CreateKeyResponse: ProtoJSONEncodable {
    /// This response, secret included, as one line of proto3 JSON.
    public var protoJSON: String {
        ProtoObjectWriter.render(self) { response, w in
            w.message("key", response.key, ProtoObjectWriter.write(apiKey:into:))
            w.string("secret", response.secret)
        }
    }
}

extension ListKeysResponse: ProtoJSONEncodable {
    /// This response as one line of proto3 JSON.
    public var protoJSON: String {
        ProtoObjectWriter.render(self) { response, w in
            w.messages("keys", response.keys, ProtoObjectWriter.write(apiKey:into:))
        }
    }
}

/// Writes one JSON object field by field, skipping default values, for the
/// proto3 JSON mapping.
struct ProtoObjectWriter {
    private var json: JSONWriter
    private var isEmpty = true

    private init(json: JSONWriter) {
        self.json = json
        self.json.raw("{")
    }

    /// Renders `value` as a complete object with `write`.
    static func render<T>(_ value: T, _ write: (T, inout ProtoObjectWriter) -> Void) -> String {
        var writer = ProtoObjectWriter(json: JSONWriter())
        write(value, &writer)
        return writer.finish().text
    }

    private mutating func finish() -> JSONWriter {
        json.raw("}")
        return json
    }

    private mutating func key(_ name: String) {
        if !isEmpty { json.raw(",") }
        isEmpty = false
        json.string(name)
        json.raw(":")
    }

    mutating func string(_ name: String, _ value: String) {
        guard !value.isEmpty else { return }
        key(name)
        json.string(value)
    }

    mutating func uint64(_ name: String, _ value: UInt64) {
        guard value != 0 else { return }
        key(name)
        json.raw("\"\(value)\"")
    }

    mutating func uint32(_ name: String, _ value: UInt32) {
        guard value != 0 else { return }
        key(name)
        json.raw(String(value))
    }

    mutating func int32(_ name: String, _ value: Int32) {
        guard value != 0 else { return }
        key(name)
        json.raw(String(value))
    }

    mutating func double(_ name: String, _ value: Double) {
        guard value != 0 else { return }
        key(name)
        json.raw(JSONWriter.token(for: value))
    }

    mutating func bool(_ name: String, _ value: Bool) {
        guard value else { return }
        key(name)
        json.raw("true")
    }

    mutating func enumValue(_ name: String, _ protoName: String, isDefault: Bool) {
        guard !isDefault else { return }
        key(name)
        json.string(protoName)
    }

    mutating func timestamp(_ name: String, _ value: Timestamp?) {
        guard let value else { return }
        key(name)
        json.string(RFC3339.format(value))
    }

    mutating func bytes(_ name: String, _ value: [UInt8]) {
        guard !value.isEmpty else { return }
        key(name)
        json.string(Base64.encode(value))
    }

    mutating func strings(_ name: String, _ values: [String]) {
        guard !values.isEmpty else { return }
        key(name)
        json.raw("[")
        for (i, value) in values.enumerated() {
            if i > 0 { json.raw(",") }
            json.string(value)
        }
        json.raw("]")
    }

    /// A `map<string, string>`, keys sorted by their UTF-8 bytes.
    mutating func stringMap(_ name: String, _ map: [String: String]) {
        guard !map.isEmpty else { return }
        key(name)
        json.raw("{")
        let keys = map.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (i, k) in keys.enumerated() {
            if i > 0 { json.raw(",") }
            json.string(k)
            json.raw(":")
            json.string(map[k] ?? "")
        }
        json.raw("}")
    }

    /// A message field: written (possibly as `{}`) whenever it is present.
    mutating func message<T>(_ name: String, _ value: T?, _ write: (T, inout ProtoObjectWriter) -> Void) {
        guard let value else { return }
        key(name)
        appendObject(value, write)
    }

    mutating func messages<T>(_ name: String, _ values: [T], _ write: (T, inout ProtoObjectWriter) -> Void) {
        guard !values.isEmpty else { return }
        key(name)
        json.raw("[")
        for (i, value) in values.enumerated() {
            if i > 0 { json.raw(",") }
            appendObject(value, write)
        }
        json.raw("]")
    }

    /// Writes a nested object into the same buffer (moved, not copied).
    private mutating func appendObject<T>(_ value: T, _ write: (T, inout ProtoObjectWriter) -> Void) {
        var nested = ProtoObjectWriter(json: json)
        json = JSONWriter()
        write(value, &nested)
        json = nested.finish()
    }

    static func write(interview i: Interview, into w: inout ProtoObjectWriter) {
        w.string("id", i.id)
        w.string("remoteId", i.remoteID)
        w.string("companyId", i.companyID)
        w.string("candidateId", i.candidateID)
        w.string("applicationId", i.applicationID)
        w.string("jobId", i.jobID)
        w.string("agentId", i.agentID)
        w.string("jobInterviewStageId", i.jobInterviewStageID)
        w.string("title", i.title)
        w.message("organizer", i.organizer, write(participant:into:))
        w.messages("interviewers", i.interviewers, write(participant:into:))
        w.message("location", i.location, write(location:into:))
        w.timestamp("startAt", i.startAt)
        w.timestamp("endAt", i.endAt)
        w.enumValue("status", i.status.protoName, isDefault: i.status == .unspecified)
        w.string("remoteStatus", i.remoteStatus)
        w.timestamp("createdAt", i.createdAt)
        w.timestamp("updatedAt", i.updatedAt)
        w.timestamp("remoteCreatedAt", i.remoteCreatedAt)
        w.timestamp("remoteUpdatedAt", i.remoteUpdatedAt)
        w.timestamp("deletedAt", i.deletedAt)
        w.timestamp("remoteDeletedAt", i.remoteDeletedAt)
        w.stringMap("customFields", i.customFields)
        w.bytes("remoteData", i.remoteData)
        w.message("analysis", i.analysis, write(analysis:into:))
        w.uint64("revision", i.revision)
    }

    static func write(participant p: Participant, into w: inout ProtoObjectWriter) {
        w.string("id", p.id)
        w.string("remoteId", p.remoteID)
        w.string("firstName", p.firstName)
        w.string("lastName", p.lastName)
        w.string("email", p.email)
    }

    static func write(location l: Location, into w: inout ProtoObjectWriter) {
        w.string("raw", l.raw)
        w.string("street1", l.street1)
        w.string("street2", l.street2)
        w.string("city", l.city)
        w.string("state", l.state)
        w.string("zipCode", l.zipCode)
        w.string("country", l.country)
    }

    static func write(analysis a: Analysis, into w: inout ProtoObjectWriter) {
        w.string("summary", a.summary)
        w.string("recommendation", a.recommendation)
        w.double("overallScore", a.overallScore)
        w.messages("scores", a.scores) { score, w in
            w.string("name", score.name)
            w.double("value", score.value)
            w.double("maxValue", score.maxValue)
        }
        w.messages("transcript", a.transcript) { segment, w in
            w.string("speaker", segment.speaker)
            w.string("text", segment.text)
            w.uint64("startOffsetMs", segment.startOffsetMs)
            w.uint64("endOffsetMs", segment.endOffsetMs)
        }
    }

    static func write(upsertResult r: UpsertResult, into w: inout ProtoObjectWriter) {
        w.uint32("index", r.index)
        w.enumValue("outcome", r.outcome.protoName, isDefault: r.outcome == .unspecified)
        w.message("interview", r.interview, write(interview:into:))
        w.int32("errorCode", r.errorCode)
        w.string("errorMessage", r.errorMessage)
    }

    static func write(apiKey k: APIKey, into w: inout ProtoObjectWriter) {
        w.string("id", k.id)
        w.string("label", k.label)
        w.enumValue("kind", k.kind.protoName, isDefault: k.kind == .unspecified)
        w.strings("companyIds", k.companyIDs)
        w.timestamp("createdAt", k.createdAt)
        w.timestamp("lastUsedAt", k.lastUsedAt)
        w.timestamp("revokedAt", k.revokedAt)
    }
}

extension UpsertOutcome {
    /// The proto enum value name, e.g. `UPSERT_OUTCOME_CREATED`.
    var protoName: String {
        switch self {
        case .unspecified: "UPSERT_OUTCOME_UNSPECIFIED"
        case .created: "UPSERT_OUTCOME_CREATED"
        case .updated: "UPSERT_OUTCOME_UPDATED"
        case .unchanged: "UPSERT_OUTCOME_UNCHANGED"
        case .error: "UPSERT_OUTCOME_ERROR"
        }
    }
}

extension ChangeKind {
    /// The proto enum value name, e.g. `CHANGE_KIND_DELETED`.
    var protoName: String {
        switch self {
        case .unspecified: "CHANGE_KIND_UNSPECIFIED"
        case .created: "CHANGE_KIND_CREATED"
        case .updated: "CHANGE_KIND_UPDATED"
        case .deleted: "CHANGE_KIND_DELETED"
        }
    }
}

extension ServingStatus {
    /// The proto enum value name, e.g. `SERVING_STATUS_SERVING`.
    var protoName: String {
        switch self {
        case .unspecified: "SERVING_STATUS_UNSPECIFIED"
        case .serving: "SERVING_STATUS_SERVING"
        case .notServing: "SERVING_STATUS_NOT_SERVING"
        }
    }
}

extension KeyKind {
    /// The proto enum value name, e.g. `KEY_KIND_PARTNER`.
    var protoName: String {
        switch self {
        case .unspecified: "KEY_KIND_UNSPECIFIED"
        case .company: "KEY_KIND_COMPANY"
        case .partner: "KEY_KIND_PARTNER"
        }
    }
}
