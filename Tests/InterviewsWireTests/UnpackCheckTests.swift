import InterviewsModel
import InterviewsWire
import Testing

/// A decode lets protobuf-c check framing and wire types and checks what it
/// does not (strings, field numbers) on the unpacked structs; these pin the
/// paths of those checks that the other suites reach only by chance.
@Suite("What protobuf-c leaves unchecked is checked on what it unpacked")
struct UnpackCheckTests {
    /// A length-delimited field.
    static func field(_ number: UInt32, _ body: [UInt8]) -> [UInt8] {
        var tag = number << 3 | 2
        var out: [UInt8] = []
        while tag >= 0x80 {
            out.append(UInt8(tag & 0x7F) | 0x80)
            tag >>= 7
        }
        return out + [UInt8(tag), UInt8(body.count)] + body
    }

    /// Field 536,870,912 (one beyond protobuf's largest), a varint of 1.
    static let tooLargeNumber: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x10, 0x01]

    @Test("a field number beyond protobuf's largest is refused at every depth")
    func fieldNumberAtEveryDepth() throws {
        let cases: [(String, [UInt8])] = [
            ("top level", Self.tooLargeNumber),
            ("in organizer", Self.field(10, [0x0A, 0x01, 0x61] + Self.tooLargeNumber)),
            ("in start_at", Self.field(13, [0x08, 0x01] + Self.tooLargeNumber)),
            ("in interviewers[1]", Self.field(11, []) + Self.field(11, Self.tooLargeNumber)),
            ("in a custom_fields entry", Self.field(23, [0x0A, 0x01, 0x6B] + Self.tooLargeNumber)),
        ]
        for (name, bytes) in cases {
            let error = try #require(decodeError(Interview.self, bytes), "\(name)")
            #expect(error.kind == .malformed, "\(name)")
            #expect(error.message.contains("field number 536870912 at byte"), "\(name): \(error.message)")
            #expect(throws: WireError.self, "\(name)") {
                try bytes.withUnsafeBytes { raw in
                    try Result { () throws(WireError) in try Interview.validateEncoding(raw) }.get()
                }
            }
        }
        // Field 0, in a tag of five bytes (protobuf-c takes it as unknown
        // unless the tag is one byte).
        let zero = try #require(decodeError(Interview.self, [0x80, 0x80, 0x80, 0x80, 0x00, 0x00]))
        #expect(zero.message == "field number 0 at byte 0 is out of range")
        // The largest number itself is an unknown field like any other.
        let largest: [UInt8] = [0xF8, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]
        #expect(try Interview.decode(Self.field(9, [0x61]) + largest).title == "a")
    }

    @Test("a string in a oneof is checked when its case is set, as a plain or nested field")
    func oneofStrings() throws {
        let good = try ReflectionRequest.decode(Self.field(3, Array("a.proto".utf8)))
        #expect(good.query == .fileByFilename("a.proto"))
        let badUTF8 = try #require(decodeError(ReflectionRequest.self, Self.field(3, [0x61, 0xFF])))
        #expect(badUTF8.kind == .invalidUTF8)
        #expect(badUTF8.field == "file_by_filename")
        let nul = try #require(decodeError(ReflectionRequest.self, Self.field(7, [0x00])))
        #expect(nul.kind == .containsNUL)
        #expect(nul.field == "list_services")
        let nested = try #require(
            decodeError(ReflectionRequest.self, Self.field(5, Self.field(1, [0x78, 0xC0, 0xAF]) + [0x10, 0x07])))
        #expect(nested.kind == .invalidUTF8)
        #expect(nested.field == "file_containing_extension.containing_type")
        // The last member of the oneof on the wire is the one set; a bad
        // string in a member that another replaced was still on the wire.
        let replaced = try #require(
            decodeError(ReflectionRequest.self, Self.field(3, [0xFF]) + Self.field(4, Array("x".utf8))))
        #expect(replaced.field == "file_by_filename")
    }

    @Test("a bad value that a later occurrence of its field replaced is still refused")
    func replacedValues() throws {
        // protobuf-c keeps the last of a field that is not repeated (and
        // merges a message field's occurrences): the first is in no struct.
        let title = try #require(decodeError(Interview.self, Self.field(9, [0xFF]) + Self.field(9, [0x61])))
        #expect(title.kind == .invalidUTF8)
        #expect(title.field == "title")
        let organizer = try #require(
            decodeError(Interview.self, Self.field(10, Self.field(5, [0x00])) + Self.field(10, Self.field(5, [0x61]))))
        #expect(organizer.kind == .containsNUL)
        #expect(organizer.field == "organizer.email")
        // A record of more than 16 fields, sent twice over: the second copy
        // replaces every value of the first, all of them good (repeated
        // fields add up).
        let record = Fixtures.interview()
        let bytes = try record.encodedBytes()
        let twice = try Interview.decode(bytes + bytes)
        #expect(twice.title == record.title)
        #expect(twice.organizer == record.organizer)
        #expect(twice.interviewers == record.interviewers + record.interviewers)
        // ... and with one bad byte in the first copy's title.
        let bad = patch(bytes, String(record.title.prefix(2)), [0xC0, 0x80])
        #expect(decodeError(Interview.self, bad + bytes)?.field == "title")
    }

    @Test("repeated strings and map values are checked, each named by its index")
    func repeatedAndMapStrings() throws {
        let list = patch(try ListRequest(candidateIDs: ["ok", "Q#"]).encodedBytes(), "Q#", [0x51, 0x00])
        let listError = try #require(decodeError(ListRequest.self, list))
        #expect(listError.kind == .containsNUL)
        #expect(listError.field == "candidate_ids[1]")

        let map = patch(
            try Interview(customFields: ["a": "fine", "b": "Q#"]).encodedBytes(), "Q#", [0xED, 0xA0])
        let mapError = try #require(decodeError(Interview.self, map))
        #expect(mapError.kind == .invalidUTF8)
        #expect(mapError.field.hasPrefix("custom_fields["), "\(mapError.field)")
        #expect(mapError.field.hasSuffix("].value"), "\(mapError.field)")
    }

    @Test("a ten-byte varint keeps its low 64 bits, as protobuf-c reads it; eleven bytes are refused")
    func tenByteVarints() throws {
        let ten: [UInt8] = [0xD0, 0x01] + [UInt8](repeating: 0xFF, count: 9) + [0x7F]  // revision
        #expect(try Interview.decode(ten).revision == UInt64.max)
        try ten.withUnsafeBytes { raw in
            try Result { () throws(WireError) in try Interview.validateEncoding(raw) }.get()
        }
        let eleven: [UInt8] = [0xD0, 0x01] + [UInt8](repeating: 0xFF, count: 10) + [0x01]
        let error = try #require(decodeError(Interview.self, eleven))
        #expect(error.message == "revision: bad varint at byte 2")
    }

    @Test("an explicitly empty string and an unset one both decode as empty")
    func emptyStrings() throws {
        #expect(try Interview.decode(Self.field(9, [])).title == "")
        #expect(try Interview.decode([]).title == "")
    }
}
