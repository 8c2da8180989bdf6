import InterviewsModel

/// An Interview made from one imported record.
public struct ImportedInterview: Sendable, Hashable {
    /// The interview to upsert; `remote_id` holds the vendor's record id.
    public var interview: Interview
    /// The format the record was read as (never ``ImportFormat/auto``).
    public var format: ImportFormat

    /// Creates an imported interview.
    public init(interview: Interview, format: ImportFormat) {
        self.interview = interview
        self.format = format
    }
}

/// Turns one JSON record (a line of `interviews import` input) into an
/// Interview, from our own export or from a vendor's API.
///
/// A vendor record's id becomes `remote_id`, the upsert key; our `id` is left
/// empty for the server to assign. The record's bytes, exactly as given
/// (surrounding whitespace trimmed), become `remote_data`, so a vendor field
/// with no place in the Interview is still kept. Each vendor's mapping is
/// documented on its adapter: `ScheduledInterviewImport` (Merge, Bindbee),
/// `KomboImport`, `TrutoImport`, `PlatformImport`.
public enum InterviewImporter {
    /// The format `record` is in, judged by the fields only one format has, or
    /// nil when nothing tells.
    ///
    /// In order: Kombo (`starting_at`, `stage_id`, `canceled`, `users`...),
    /// Bindbee (`raw_data`, `modified_at`), Merge (`remote_was_deleted`,
    /// `field_mappings`), ours (decodes as an Interview and has a
    /// lowerCamelCase field only our export writes, such as `remoteId` or
    /// `startAt`, or an `INTERVIEW_STATUS_` or numeric status), Merge again
    /// (references given as id strings), Truto (references given as `{id}`
    /// objects, an object `remote_data`, or a lower-case status), the
    /// platform (`candidateId`, `agentId`, `scheduledAt`, `metadata`...).
    /// A record too sparse to tell needs its format named.
    ///
    /// - Throws: ``JSONDecodingError`` when `record` is not JSON.
    public static func detectFormat(of record: [UInt8]) throws(JSONDecodingError) -> ImportFormat? {
        FormatDetector.detect(try JSONParser.parse(record))
    }

    /// Maps one record to an Interview.
    ///
    /// - Parameters:
    ///   - record: one JSON object, UTF-8.
    ///   - format: the record's format, or ``ImportFormat/auto`` to detect it.
    ///   - ignoringUnknownFields: for ``ImportFormat/ours``, skip fields the
    ///     Interview does not have (an export of a newer version).
    /// - Throws: ``JSONDecodingError`` naming the JSON path and the problem;
    ///   when the format was detected, the problem says which format was
    ///   assumed.
    public static func importRecord(
        _ record: [UInt8], format: ImportFormat = .auto, ignoringUnknownFields: Bool = false
    ) throws(JSONDecodingError) -> ImportedInterview {
        let value = try JSONParser.parse(record)
        var resolved = format
        if format == .auto {
            guard let detected = FormatDetector.detect(value) else {
                throw JSONDecodingError(
                    path: "",
                    problem: "cannot tell the record's format (ours, merge, kombo, truto, bindbee or platform); name it"
                )
            }
            resolved = detected
        }
        do {
            let interview = try map(value, record, resolved, ignoringUnknownFields)
            return ImportedInterview(interview: interview, format: resolved)
        } catch {
            guard format == .auto else { throw error }
            throw JSONDecodingError(path: error.path, problem: error.problem + " (read as \(resolved.rawValue))")
        }
    }

    private static func map(
        _ value: JSONValue, _ record: [UInt8], _ format: ImportFormat, _ ignoringUnknownFields: Bool
    ) throws(JSONDecodingError) -> Interview {
        if format == .ours {
            return try ProtoJSONReader(ignoringUnknownFields: ignoringUnknownFields).interview(value, path: "")
                .interview
        }
        let object = try VendorObject(value, path: "")
        var interview: Interview
        switch format {
        case .merge:
            interview = try ScheduledInterviewImport.interview(object, customFieldsKey: "field_mappings")
        case .bindbee:
            interview = try ScheduledInterviewImport.interview(object, customFieldsKey: "custom_fields")
        case .kombo: interview = try KomboImport.interview(object)
        case .truto: interview = try TrutoImport.interview(object)
        default: interview = try PlatformImport.interview(object)
        }
        interview.remoteData = trimmed(record)
        return interview
    }

    /// `bytes` without the JSON whitespace (and byte order mark) around it.
    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        var start = bytes.startIndex
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        var end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return Array(bytes[start..<end])
    }
}
