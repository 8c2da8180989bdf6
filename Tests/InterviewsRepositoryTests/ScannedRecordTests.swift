import InterviewsModel
import Testing

@testable import InterviewsRepository

/// Records read from disk are scanned, not decoded: the scan must refuse what
/// the decoder refuses, or a record could be opened that no read can serve.
@Suite("A record read from disk is checked as the decoder would check it")
struct ScannedRecordTests {
    private func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return out + [UInt8(value)]
    }

    private func string(_ number: UInt64, _ text: String) -> [UInt8] {
        varint(number << 3 | 2) + varint(UInt64(text.utf8.count)) + Array(text.utf8)
    }

    private func timestamp(_ number: UInt64, seconds: Int64) -> [UInt8] {
        let body = [0x08] + varint(UInt64(bitPattern: seconds))
        return varint(number << 3 | 2) + varint(UInt64(body.count)) + body
    }

    /// id, company, optional job ids, status, created_at, updated_at.
    private func record(jobs: [String] = ["job-1"], status: UInt64 = 1, updated: Int64 = 1_700_000_001) -> [UInt8] {
        string(1, "01a23350-36f4-7def-aba8-69b516ed2f81") + string(3, "acme") + jobs.flatMap { string(6, $0) }
            + varint(15 << 3) + varint(status) + timestamp(17, seconds: 1_700_000_000)
            + timestamp(18, seconds: updated)
    }

    @Test("a record as this wire layer writes it is accepted")
    func valid() throws {
        let stored = try StoredRecord(scanning: record())
        #expect(try stored.interview().jobID == "job-1")
    }

    @Test(
        "a timestamp out of range, an undefined status or a repeated single field is DATA_LOSS",
        arguments: [
            ("updated_at past year 9999", 0), ("updated_at at Int64.max", 1), ("status 99", 2), ("job_id twice", 3),
        ])
    func refused(name: String, variant: Int) {
        let bytes =
            switch variant {
            case 0: record(updated: 253_402_300_800)
            case 1: record(updated: .max)
            case 2: record(status: 99)
            default: record(jobs: ["job-1", "job-2"])
            }
        #expect(throws: InterviewsError.self, "\(name)") { _ = try StoredRecord(scanning: bytes) }
    }
}
