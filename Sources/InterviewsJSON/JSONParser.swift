/// Bounds on the JSON this module reads.
public enum JSONLimits {
    /// The deepest nesting of arrays and objects accepted (64). Deeper input is
    /// rejected rather than risking the stack; an Interview needs 4 levels.
    public static let maximumDepth = 64
}

/// A strict RFC 8259 parser over UTF-8 bytes: no comments, no trailing commas,
/// strings must be valid UTF-8, nesting at most ``JSONLimits/maximumDepth``.
///
/// Errors name the byte offset where parsing stopped. A UTF-8 byte order mark
/// before the document is skipped.
struct JSONParser {
    private let bytes: [UInt8]
    /// The offset of the next byte to read.
    private(set) var index: Int

    /// Starts reading `bytes` at offset 0.
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.index = 0
    }

    /// Parses `bytes` as one JSON document, allowing only whitespace around it.
    ///
    /// - Complexity: O(n) in the length of the input.
    static func parse(_ bytes: [UInt8]) throws(JSONDecodingError) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipByteOrderMark()
        let value = try parser.parseValue(depth: 0)
        try parser.expectEnd()
        return value
    }

    mutating func skipByteOrderMark() {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF, index == 0 { index = 3 }
    }

    /// Fails unless only whitespace remains.
    mutating func expectEnd() throws(JSONDecodingError) {
        skipWhitespace()
        if index < bytes.count { throw syntax("unexpected text after the JSON value") }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after whitespace) or fails saying what was expected.
    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONDecodingError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw syntax("expected \(what)") }
        index += 1
    }

    /// Consumes `byte` (after whitespace) when it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Parses the value starting at the next non-whitespace byte.
    mutating func parseValue(depth: Int) throws(JSONDecodingError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw syntax("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw syntax("unexpected character \(describe(bytes[index]))")
        }
    }

    /// Parses the string starting at the next non-whitespace byte (a `"`).
    mutating func parseString() throws(JSONDecodingError) -> String {
        try expect(UInt8(ascii: "\""), "a string")
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try validated(bytes[start..<index])
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try parseEscapedString(from: start) }
            if byte < 0x20 { throw syntax("control character \(describe(byte)) in a string; escape it") }
            index += 1
        }
        throw syntax("unterminated string")
    }

    private mutating func parseEscapedString(from start: Int) throws(JSONDecodingError) -> String {
        var buffer = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return try validated(buffer[...])
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw syntax("unterminated string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"): buffer.append(contentsOf: try parseUnicodeEscape())
                default:
                    index -= 1
                    throw syntax("invalid escape \\\(describe(escape))")
                }
            default:
                if byte < 0x20 { throw syntax("control character \(describe(byte)) in a string; escape it") }
                buffer.append(byte)
                index += 1
            }
        }
        throw syntax("unterminated string")
    }

    /// Reads the hex digits after `\u` (and a low surrogate's `\uXXXX` after a
    /// high one); returns the scalar's UTF-8 bytes.
    private mutating func parseUnicodeEscape() throws(JSONDecodingError) -> String.UTF8View {
        let first = try hex4()
        var scalarValue = first
        if (0xD800..<0xDC00).contains(first) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw syntax("\\u escape of a lone high surrogate") }
            index += 2
            let second = try hex4()
            guard (0xDC00..<0xE000).contains(second) else { throw syntax("\\u escape of a lone high surrogate") }
            scalarValue = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else if (0xDC00..<0xE000).contains(first) {
            throw syntax("\\u escape of a lone low surrogate")
        }
        guard let scalar = Unicode.Scalar(scalarValue) else { throw syntax("invalid \\u escape") }
        return String(Character(scalar)).utf8
    }

    private mutating func hex4() throws(JSONDecodingError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw syntax("\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw syntax("\\u needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private func validated(_ slice: ArraySlice<UInt8>) throws(JSONDecodingError) -> String {
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw syntax("a string is not valid UTF-8")
        }
        return text
    }

    private mutating func parseNumber() throws(JSONDecodingError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw syntax("a number needs digits") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw syntax("a number cannot have a leading zero") }
        } else {
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw syntax("a fraction needs digits") }
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw syntax("an exponent needs digits") }
            skipDigits()
        }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    private mutating func parseLiteral(_ word: String, _ value: JSONValue) throws(JSONDecodingError) -> JSONValue {
        for expected in word.utf8 {
            guard index < bytes.count, bytes[index] == expected else {
                throw syntax("invalid literal; expected \(word)")
            }
            index += 1
        }
        return value
    }

    private mutating func parseArray(depth: Int) throws(JSONDecodingError) -> JSONValue {
        guard depth <= JSONLimits.maximumDepth else { throw tooDeep() }
        index += 1
        var elements: [JSONValue] = []
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        repeat {
            elements.append(try parseValue(depth: depth))
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"), "',' or ']' in an array")
        return .array(elements)
    }

    private mutating func parseObject(depth: Int) throws(JSONDecodingError) -> JSONValue {
        guard depth <= JSONLimits.maximumDepth else { throw tooDeep() }
        index += 1
        var members: [JSONMember] = []
        if consume(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            let key = try parseString()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            members.append(JSONMember(key: key, value: try parseValue(depth: depth)))
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "',' or '}' in an object")
        return .object(members)
    }

    private func tooDeep() -> JSONDecodingError {
        syntax("nesting deeper than \(JSONLimits.maximumDepth) levels")
    }

    private func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16)
    }

    private func syntax(_ problem: String) -> JSONDecodingError {
        JSONDecodingError(path: "", problem: "invalid JSON at byte offset \(index): \(problem)")
    }
}
