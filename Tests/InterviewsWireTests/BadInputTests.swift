import InterviewsModel
import InterviewsWire
import Testing

/// Replaces the first occurrence of `marker` in `bytes` with `replacement` (same length).
func patch(_ bytes: [UInt8], _ marker: String, _ replacement: [UInt8]) -> [UInt8] {
    let m = Array(marker.utf8)
    precondition(m.count == replacement.count)
    var out = bytes
    for i in 0...(bytes.count - m.count) where Array(bytes[i..<(i + m.count)]) == m {
        out.replaceSubrange(i..<(i + m.count), with: replacement)
        return out
    }
    preconditionFailure("marker \(marker) not found")
}

func decodeError<M: WireCodable>(_ type: M.Type, _ bytes: [UInt8]) -> WireError? {
    do {
        _ = try M.decode(bytes)
        return nil
    } catch {
        return error
    }
}

@Suite("Bad input gets a typed error naming the field")
struct BadInputTests {
    @Test("invalid UTF-8 in a nested repeated field names its path")
    func invalidUTF8Nested() throws {
        var interview = Fixtures.interview()
        interview.interviewers[1].email = "QQ@example.com"
        let bytes = patch(try CreateInterviewRequest(interview: interview).encodedBytes(), "QQ@", [0x61, 0xFF, 0x40])
        let error = try #require(decodeError(CreateInterviewRequest.self, bytes))
        #expect(error.kind == .invalidUTF8)
        #expect(error.field == "interview.interviewers[1].email")
        #expect(error.code == .invalidArgument)
        #expect(error.message.hasPrefix("interview.interviewers[1].email: is not valid UTF-8"))
    }

    @Test(
        "ill-formed UTF-8 sequences are refused",
        arguments: [
            [0xC3, 0x28], [0xA0, 0xA1], [0xE2, 0x28, 0xA1], [0xF0, 0x28, 0x8C, 0xBC], [0xC0, 0xAF],
            [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80],
        ] as [[UInt8]])
    func illFormedUTF8(_ sequence: [UInt8]) throws {
        let bytes: [UInt8] = [0x4A, UInt8(sequence.count)] + sequence  // field 9 (title), length-delimited
        let error = try #require(decodeError(Interview.self, bytes))
        #expect(error.kind == .invalidUTF8)
        #expect(error.field == "title")
    }

    @Test("a NUL or a stray high byte is found at every position of strings of 0 to 40 bytes")
    func everyPosition() throws {
        // The check reads whole words and the last bytes as a word
        // overlapping the one before (or padded, below 8 bytes): every
        // length and every position of the bad byte exercises one edge.
        for length in 0...40 {
            let text = String(repeating: "a", count: length)
            #expect(try Interview.decode(Interview(title: text).encodedBytes()).title == text)
            for position in 0..<length {
                for (bad, kind) in [(UInt8(0), WireError.Kind.containsNUL), (0xFF, .invalidUTF8)] {
                    var value = Array(text.utf8)
                    value[position] = bad
                    let bytes: [UInt8] = [0x4A, UInt8(length)] + value  // field 9 (title)
                    let error = try #require(decodeError(Interview.self, bytes), "length \(length), byte \(position)")
                    #expect(error.kind == kind, "length \(length), byte \(position)")
                    #expect(error.field == "title")
                    let at = kind == .containsNUL ? "at byte \(position)," : "at offset \(position))"
                    #expect(error.message.contains(at), "\(error.message)")
                }
            }
        }
    }

    @Test("well-formed multi-byte UTF-8 at the edges of the ranges decodes")
    func wellFormedUTF8() throws {
        let text = "\u{80}\u{7FF}\u{800}\u{D7FF}\u{E000}\u{FFFF}\u{10000}\u{10FFFF}"
        #expect(try Interview.decode(Interview(title: text).encodedBytes()).title == text)
    }

    @Test("a NUL inside a string is refused on decode and on encode")
    func nul() throws {
        let bytes = patch(try Interview(location: Location(city: "Ber#in")).encodedBytes(), "#", [0])
        let error = try #require(decodeError(Interview.self, bytes))
        #expect(error.kind == .containsNUL)
        #expect(error.field == "location.city")

        let encodeError = #expect(throws: WireError.self) {
            try Interview(interviewers: [Participant(email: "a\u{0}b")]).encodedBytes()
        }
        #expect(encodeError?.kind == .containsNUL)
        #expect(encodeError?.field == "interviewers[0].email")
        #expect(encodeError?.message.contains("byte 1") == true)

        let mapError = #expect(throws: WireError.self) {
            try Interview(customFields: ["ok": "x", "a\u{0}b": "y"]).encodedBytes()
        }
        #expect(mapError?.field == #"custom_fields["a\0b"].key"#)
    }

    @Test("an enum value the contract does not define names the field")
    func unknownEnum() throws {
        let error = try #require(decodeError(Interview.self, [0x78, 0x63]))  // field 15 (status) = 99
        #expect(error.kind == .unknownEnumValue)
        #expect(error.field == "status")
        #expect(error.message.contains("99"))

        // statuses (field 11) packed: [2, 42]
        let listError = try #require(decodeError(ListRequest.self, [0x5A, 0x02, 0x02, 0x2A]))
        #expect(listError.kind == .unknownEnumValue)
        #expect(listError.field == "statuses[1]")

        let nested = try #require(decodeError(WatchEvent.self, [0x1A, 0x02, 0x78, 0x08]))
        #expect(nested.field == "interview.status")
    }

    @Test(
        "timestamps out of range name the field",
        arguments: [
            Timestamp(seconds: 253_402_300_800), Timestamp(seconds: -62_135_596_801),
            Timestamp(seconds: 0, nanos: -1), Timestamp(seconds: 0, nanos: 1_000_000_000),
        ])
    func timestampRange(_ t: Timestamp) throws {
        let bytes = try ListRequest(updatedAfter: t).encodedBytes()
        let error = try #require(decodeError(ListRequest.self, bytes))
        #expect(error.kind == .timestampOutOfRange)
        #expect(error.field == "updated_after")
    }

    @Test("garbage, truncation and wrong wire types are malformed")
    func malformed() throws {
        #expect(
            decodeError(Interview.self, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])?.kind
                == .malformed)
        let valid = try Interview(title: "hello").encodedBytes()
        #expect(decodeError(Interview.self, Array(valid.dropLast(2)))?.kind == .malformed)
        // field 1 (id, a string) sent as a varint
        let wrongType = try #require(decodeError(Interview.self, [0x08, 0x01]))
        #expect(wrongType.kind == .malformed)
        #expect(wrongType.field == "id")
        // wire type 3 (start group)
        #expect(decodeError(Interview.self, [0x0B])?.kind == .malformed)
        // field number 0
        #expect(decodeError(Interview.self, [0x00, 0x00])?.kind == .malformed)
        // a length that runs past the end: named when the field is known
        let truncated = try #require(decodeError(Interview.self, [0x0A, 0x05, 0x61]))
        #expect(truncated.kind == .malformed)
        #expect(truncated.field == "id")
        #expect(truncated.message == "id: runs past the end of the message (the field starts at byte 0)")
        let unknown = try #require(decodeError(Interview.self, [0xFA, 0x3E, 0x05, 0x61]))
        #expect(unknown.field == "")
        #expect(unknown.message == "truncated: the field starting at byte 0 runs past the end")
        // a nested field's value varint that never ends: named with its path
        let nested = try #require(decodeError(Interview.self, [0x52, 0x02, 0x08, 0xFF]))
        #expect(nested.message == "organizer.id: bad varint at byte 1")
    }
}

/// A small deterministic generator (SplitMix64), so a failing input can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Seeded random and mutated input never crashes the decoder")
struct FuzzTests {
    static let iterations = 12_000

    func mutate(_ base: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = base
        switch rng.next() % 6 {
        case 0:
            for _ in 0..<(1 + Int(rng.next() % 4)) where !bytes.isEmpty {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] ^= UInt8(1 << (rng.next() % 8))
            }
        case 1:
            bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
        case 2:
            let at = Int(rng.next() % UInt64(bytes.count + 1))
            bytes.insert(
                contentsOf: (0..<(1 + rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 3 where !bytes.isEmpty:
            let i = Int(rng.next() % UInt64(bytes.count))
            bytes[i] = UInt8(truncatingIfNeeded: rng.next())
        case 4:
            let start = Int(rng.next() % UInt64(bytes.count + 1))
            let end = min(bytes.count, start + Int(rng.next() % 32))
            bytes.insert(contentsOf: bytes[start..<end], at: Int(rng.next() % UInt64(bytes.count + 1)))
        default:
            bytes = (0..<(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return bytes
    }

    /// Decodes `bytes`; when they decode, the value must survive its own round trip.
    func check<M: WireCodable & Equatable>(_ type: M.Type, _ bytes: [UInt8]) -> Bool {
        guard let value = try? M.decode(bytes) else { return false }
        let again = try? M.decode(value.encodedBytes())
        #expect(again == value, "unstable round trip of \(bytes)")
        return true
    }

    @Test("mutations of valid Interview, ListRequest, Page and request encodings")
    func mutations() throws {
        var rng = SplitMix64(seed: 0x1D7E_4B1E_5EED)
        let bases: [[UInt8]] = [
            try Fixtures.interview().encodedBytes(), try Fixtures.listRequest().encodedBytes(),
            try Page(interviews: [Fixtures.interview(1), Fixtures.interview(2)], nextPageToken: "n").encodedBytes(),
            try CreateInterviewRequest(companyID: "c", interview: Fixtures.interview(), requestID: "r").encodedBytes(),
            try RPCCallHeaders(method: "/m", metadata: [RPCMetadataEntry(key: "k", value: "v")]).encodedBytes(),
        ]
        var decoded = 0
        var refused = 0
        for n in 0..<Self.iterations {
            let bytes = mutate(bases[n % bases.count], &rng)
            var ok = false
            switch n % bases.count {
            case 0: ok = check(Interview.self, bytes)
            case 1: ok = check(ListRequest.self, bytes)
            case 2: ok = check(Page.self, bytes)
            case 3: ok = check(CreateInterviewRequest.self, bytes)
            default: ok = check(RPCCallHeaders.self, bytes)
            }
            // The same bytes through a message of another shape.
            _ = check(UpsertInterviewsRequest.self, bytes)
            if ok { decoded += 1 } else { refused += 1 }
        }
        // Both outcomes must occur, or the mutations are not exercising anything.
        #expect(decoded > 100)
        #expect(refused > 100)
    }
}
