/// JSON text as YAML (1.2 block style) for people who read YAML: the same
/// values, members in the same order.
///
/// A string is written plain when YAML would read it back as the same
/// string (no leading or trailing space, no indicator, not a number, bool or
/// null look-alike), and double-quoted with JSON's escapes otherwise (line
/// breaks, control characters and Unicode line separators escaped), which
/// YAML reads alike. Numbers keep their literal text; 64-bit integers, which
/// proto3 JSON writes as strings, stay quoted strings.
public enum YAMLText {
    /// `json` (one JSON document) as YAML, ending in a newline; nil when it
    /// is not JSON.
    public static func from(json: String) -> String? {
        guard let value = try? JSONParser.parse(Array(json.utf8)) else { return nil }
        var out = ""
        switch value {
        case .object(let members) where !members.isEmpty: write(members, indent: 0, into: &out)
        case .array(let items) where !items.isEmpty: write(items, indent: 0, into: &out)
        default: out = scalar(value) + "\n"
        }
        return out
    }

    private static func write(_ members: [JSONMember], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for member in members {
            out += pad + string(member.key) + ":"
            nested(member.value, indent: indent, into: &out)
        }
    }

    private static func write(_ items: [JSONValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .object(let members) where !members.isEmpty:
                // "- " then the first member on the same line, the rest under it.
                var block = ""
                write(members, indent: indent + 2, into: &block)
                out += pad + "- " + block.dropFirst(indent + 2)
            case .array(let inner) where !inner.isEmpty:
                out += pad + "-\n"
                write(inner, indent: indent + 2, into: &out)
            default:
                out += pad + "- " + scalar(item) + "\n"
            }
        }
    }

    /// A member's value after its `key:`.
    private static func nested(_ value: JSONValue, indent: Int, into out: inout String) {
        switch value {
        case .object(let members) where !members.isEmpty:
            out += "\n"
            write(members, indent: indent + 2, into: &out)
        case .array(let items) where !items.isEmpty:
            out += "\n"
            write(items, indent: indent, into: &out)
        default:
            out += " " + scalar(value) + "\n"
        }
    }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let literal): literal
        case .string(let text): string(text)
        case .array: "[]"
        case .object: "{}"
        }
    }

    /// Words YAML reads as something other than a string.
    private static let reserved: Set<String> = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", ".nan", ".inf", "-.inf", "+.inf",
    ]

    static func string(_ text: String) -> String {
        if isPlain(text) { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let v = scalar.value
                if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029 || v == 0xFEFF {
                    let hex = String(v, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Whether YAML reads `text`, unquoted, back as the same string.
    private static func isPlain(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        if reserved.contains(text.lowercased()) { return false }
        if first == " " || last == " " || last == ":" { return false }
        // Indicators that may not start a plain scalar.
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return false }
        if text.contains(": ") || text.contains(" #") { return false }
        // Flow indicators and anything a person might misread.
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029 || v == 0xFEFF { return false }
            if "[]{},\"'".unicodeScalars.contains(scalar) { return false }
        }
        // Numbers, dates and times in any form a YAML 1.1 or 1.2 reader
        // might take for one start with a digit, a sign or a dot.
        if first.properties.numericType != nil || first == "+" || first == "." { return false }
        return true
    }
}
