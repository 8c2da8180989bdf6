/// Unwraps the list responses vendors return, so each record can be imported
/// on its own.
public enum JSONEnvelope {
    /// A list response: where its records are, and the paging members that
    /// tell it apart from a single record.
    struct Shape: Sendable {
        /// Whose response this is, for error messages: "a Merge list response".
        let name: String
        /// The members leading to the records array.
        let path: [String]
        /// Top-level members only this list response has (besides the path).
        let signature: [String]

        var keyPath: String { path.joined(separator: ".") }

        /// Whether `value` has this response's records member or one of its
        /// paging members.
        func isPresent(in value: JSONValue) -> Bool {
            guard let first = path.first, value[first] == nil else { return true }
            return signature.contains { value[$0] != nil }
        }
    }

    /// Each vendor's list response, as its API documents it:
    /// Kombo `{"status": "success", "data": {"next": ..., "results": [...]}}`;
    /// Merge `{"next": ..., "previous": ..., "results": [...]}`;
    /// Truto `{"result": [...], "next_cursor": ...}`;
    /// Bindbee `{"items": [...], "cursor": ..., "page_size": ...}`
    /// (`PaginatedResponse_AtsScheduledInterview_`);
    /// the AI-interview platform `{"data": [...], "pagination": {...}}`;
    /// our Page `{"interviews": [...], "nextPageToken": ..., "totalSize": ...}`.
    static let kombo = Shape(name: "a Kombo list response", path: ["data", "results"], signature: [])
    static let merge = Shape(name: "a Merge list response", path: ["results"], signature: ["next", "previous"])
    static let truto = Shape(name: "a Truto list response", path: ["result"], signature: ["next_cursor"])
    static let bindbee = Shape(name: "a Bindbee list response", path: ["items"], signature: ["cursor", "page_size"])
    static let platform = Shape(
        name: "the AI-interview platform's list response", path: ["data"], signature: ["pagination"])
    static let ours = Shape(
        name: "our Page", path: ["interviews"],
        signature: ["nextPageToken", "previousPageToken", "totalSize", "next_page_token", "total_size"])

    /// The list response a format's records come in; nil for `.auto`.
    static func shape(of format: ImportFormat) -> Shape? {
        switch format {
        case .auto: nil
        case .ours: ours
        case .merge: merge
        case .kombo: kombo
        case .truto: truto
        case .bindbee: bindbee
        case .platform: platform
        }
    }

    /// The records in `document`, each as its own exact bytes.
    ///
    /// A top-level array is the list itself. An object is a list response
    /// when it has a list response's records member or one of its paging
    /// members (see ``Shape``): `format`'s own first, then Kombo's
    /// `data.results`, Merge's `results` + `next`/`previous`, Truto's
    /// `result` + `next_cursor`, Bindbee's `items` + `cursor`/`page_size`,
    /// the platform's `data` + `pagination`, our Page's `interviews` +
    /// `nextPageToken`. An object with none of these members is a single
    /// record and is returned whole, whitespace trimmed.
    ///
    /// - Throws: ``JSONDecodingError`` when `document` is not JSON, is
    ///   neither an object nor an array, or is a list response whose records
    ///   member is missing or not an array (the error names the member).
    /// - Complexity: O(n) in the document's length (it is read twice).
    public static func records(
        in document: [UInt8], format: ImportFormat = .auto
    ) throws(JSONDecodingError) -> [[UInt8]] {
        let value = try JSONParser.parse(document)
        let path: [String]
        switch value {
        case .array: path = []
        case .object:
            if let expected = shape(of: format), expected.isPresent(in: value) {
                try check(value, expected)
                path = expected.path
            } else if let found = try detect(value) {
                path = found.path
            } else {
                return [InterviewImporter.trimmed(document)]
            }
        default:
            throw ProtoJSONReader.mismatch(value, "", "an object or an array of records")
        }
        var parser = JSONParser(document)
        parser.skipByteOrderMark()
        for key in path { try parser.enterMember(key) }
        return try parser.arrayElementRanges().map { Array(document[$0]) }
    }

    /// Throws unless `value` holds an array of records where `shape` says.
    static func check(_ value: JSONValue, _ shape: Shape) throws(JSONDecodingError) {
        var current: JSONValue? = value
        for key in shape.path { current = current?[key] }
        guard let records = current else {
            throw JSONDecodingError(
                path: shape.keyPath,
                problem: "missing; \(shape.name) holds its records in \"\(shape.keyPath)\"")
        }
        if case .array = records { return }
        throw JSONDecodingError(
            path: shape.keyPath,
            problem: "expected an array of records (\(shape.name)), got \(records.kindDescription)")
    }

    /// The list response `value` is, or nil when it is a single record.
    static func detect(_ value: JSONValue) throws(JSONDecodingError) -> Shape? {
        if value["data"]?.members != nil || (value["data"] != nil && value["status"]?.stringValue == "success") {
            try check(value, kombo)
            return kombo
        }
        let flat = [merge, truto, bindbee, platform, ours]
        for shape in flat {
            if let key = shape.path.first, case .array? = value[key] { return shape }
        }
        for shape in flat where shape.isPresent(in: value) {
            try check(value, shape)
            return shape
        }
        return nil
    }
}

extension JSONParser {
    /// Moves to the value of the first member named `key` of the object that
    /// starts next.
    mutating func enterMember(_ key: String) throws(JSONDecodingError) {
        try expect(UInt8(ascii: "{"), "an object")
        repeat {
            let name = try parseString()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            if name == key {
                skipWhitespace()
                return
            }
            _ = try parseValue(depth: 1)
        } while consume(UInt8(ascii: ","))
        throw JSONDecodingError(path: key, problem: "missing")
    }

    /// The byte ranges of the elements of the array that starts next.
    mutating func arrayElementRanges() throws(JSONDecodingError) -> [Range<Int>] {
        try expect(UInt8(ascii: "["), "an array")
        var ranges: [Range<Int>] = []
        if consume(UInt8(ascii: "]")) { return ranges }
        repeat {
            skipWhitespace()
            let start = index
            _ = try parseValue(depth: 1)
            ranges.append(start..<index)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"), "',' or ']' in an array")
        return ranges
    }
}
