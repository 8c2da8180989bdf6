/// Unwraps the list responses vendors return, so each record can be imported
/// on its own.
public enum JSONEnvelope {
    /// The records in `document`, each as its own exact bytes.
    ///
    /// Recognized, in order: a top-level array; `{"data": {"results": [...]}}`
    /// (Kombo); `{"results": [...]}` (Merge); `{"result": [...]}` (Truto);
    /// `{"data": [...]}` (the AI-interview platform); `{"interviews": [...]}`
    /// (our Page). Any other object is a single record and is returned
    /// whole, whitespace trimmed.
    ///
    /// - Throws: ``JSONDecodingError`` when `document` is not JSON, or is
    ///   neither an object nor an array.
    /// - Complexity: O(n) in the document's length (it is read twice).
    public static func records(in document: [UInt8]) throws(JSONDecodingError) -> [[UInt8]] {
        let value = try JSONParser.parse(document)
        let path: [String]
        switch value {
        case .array: path = []
        case .object:
            guard let found = envelopePath(value) else { return [InterviewImporter.trimmed(document)] }
            path = found
        default:
            throw ProtoJSONReader.mismatch(value, "", "an object or an array of records")
        }
        var parser = JSONParser(document)
        parser.skipByteOrderMark()
        for key in path { try parser.enterMember(key) }
        return try parser.arrayElementRanges().map { Array(document[$0]) }
    }

    static func envelopePath(_ value: JSONValue) -> [String]? {
        func isArray(_ v: JSONValue?) -> Bool {
            if case .array? = v { true } else { false }
        }
        if isArray(value["data"]?["results"]) { return ["data", "results"] }
        for key in ["results", "result", "data", "interviews"] where isArray(value[key]) { return [key] }
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
