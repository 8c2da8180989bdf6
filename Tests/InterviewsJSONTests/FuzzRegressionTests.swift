import InterviewsJSON
import InterviewsModel
import Testing

/// Inputs the fuzz targets (Fuzz/, docs/FUZZING.md) found crashing, each kept
/// as the smallest input that shows it.
@Suite("Inputs found by fuzzing")
struct FuzzRegressionTests {
    @Test(
        "a timestamp with more than nine fraction digits reads the first nine (it trapped)",
        arguments: [
            ("2023-11-14T22:13:20.0000000010Z", 1),
            ("2023-11-14T22:13:20.000000001001Z", 1),
            ("2023-11-14T22:13:20.123456789999999999999Z", 123_456_789),
        ])
    func longFraction(text: String, nanos: Int32) throws {
        let decoded = try ProtoJSON.decodeInterview(#"{"createdAt":""# + text + #""}"#)
        #expect(decoded.interview.createdAt == Timestamp(seconds: 1_700_000_000, nanos: nanos))
        #expect(RFC3339.parse(text) == Timestamp(seconds: 1_700_000_000, nanos: nanos))
    }

    @Test("a vendor record's timestamp with a long fraction imports (it trapped)")
    func longFractionInAnImport() throws {
        let record = Array(#"{"id":"k1","starting_at":"2024-01-02T03:04:05.1234567891+01:00"}"#.utf8)
        let imported = try InterviewImporter.importRecord(record, format: .kombo)
        #expect(imported.interview.startAt == Timestamp(seconds: 1_704_161_045, nanos: 123_456_789))
    }
}
