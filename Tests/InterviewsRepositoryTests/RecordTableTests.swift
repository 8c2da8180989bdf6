import InterviewsModel
import Testing

@testable import InterviewsRepository

@Suite("The record table finds every record by id and keeps its slot")
struct RecordTableTests {
    private func record(_ id: UUIDv7, seconds: Int64, start: Int64? = nil) throws -> StoredRecord {
        var interview = Interview()
        interview.id = id.description
        interview.companyID = "company"
        interview.createdAt = Timestamp(seconds: seconds)
        interview.updatedAt = Timestamp(seconds: seconds + 1)
        interview.startAt = start.map { Timestamp(seconds: $0, nanos: 7) }
        return try StoredRecord(interview)
    }

    @Test("ids stored across several rehashes are found in their slots; others are not")
    func lookups() throws {
        var table = RecordTable()
        var ids: [UUIDv7] = []
        for n in 0..<5_000 {
            let id = UUIDv7.generate()
            let stored = try record(id, seconds: Int64(n))
            let result = table.store(stored, facts: stored.facts)
            #expect(result.slot == Slot(n) && result.previous == nil)
            ids.append(id)
        }
        #expect(table.count == 5_000)
        for (n, id) in ids.enumerated() {
            #expect(table.slot(of: id) == Slot(n))
            #expect(table.record(id)?.id == id)
        }
        for _ in 0..<1_000 { #expect(table.slot(of: UUIDv7.generate()) == nil) }
        #expect(RecordTable().slot(of: ids[0]) == nil)
    }

    @Test("storing a record again replaces it in place and returns the old one; keys follow")
    func replace() throws {
        var table = RecordTable()
        let id = UUIDv7.generate()
        let first = try record(id, seconds: 10)
        table.store(first, facts: first.facts)
        let other = try record(UUIDv7.generate(), seconds: 11)
        table.store(other, facts: other.facts)
        let second = try record(id, seconds: 20, start: 30)
        let result = table.store(second, facts: second.facts)
        #expect(result.slot == 0 && result.previous == first && table.count == 2)
        #expect(table.keys(.createdAt)[0] == IndexKey(seconds: 20, nanos: 0, id: id))
        #expect(table.keys(.updatedAt)[0] == IndexKey(seconds: 21, nanos: 0, id: id))
        #expect(table.keys(.startAt)[0] == IndexKey(seconds: 30, nanos: 7, id: id))
        #expect(table.keys(.startAt)[1] == IndexKey(seconds: .min, nanos: 0, id: other.id))
    }
}
