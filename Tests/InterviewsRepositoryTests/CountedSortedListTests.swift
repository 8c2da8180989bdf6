import InterviewsModel
import Testing

@testable import InterviewsRepository

/// SplitMix64, for reproducible random tests.
struct TestRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("A counted sorted list answers ranks and positions like a sorted array")
struct CountedSortedListTests {
    @Test("random inserts and removes keep it equal to a sorted array", arguments: [1, 2, 3] as [UInt64])
    func randomOperations(seed: UInt64) {
        var random = TestRandom(state: seed)
        var list = CountedSortedList<Int>()
        var reference = Set<Int>()
        for step in 0..<12_000 {
            let value = Int(random.next() % 6000)
            if random.next() % 3 == 0 {
                let removed = list.remove(value)
                #expect(removed == (reference.remove(value) != nil))
            } else {
                let inserted = list.insert(value)
                #expect(inserted == reference.insert(value).inserted)
            }
            if step % 1500 == 0 { check(list, reference.sorted(), random: &random) }
        }
        check(list, reference.sorted(), random: &random)
    }

    @Test(
        "mostly ascending inserts (appends past the end) keep it equal to a sorted array",
        arguments: [4, 5] as [UInt64])
    func ascendingInserts(seed: UInt64) {
        var random = TestRandom(state: seed)
        var list = CountedSortedList<Int>()
        var reference = Set<Int>()
        var next = 0
        for step in 0..<10_000 {
            switch random.next() % 10 {
            case 0:
                let value = Int(random.next() % UInt64(next + 1))
                let removed = list.remove(value)
                #expect(removed == (reference.remove(value) != nil))
            case 1:
                let value = Int(random.next() % UInt64(next + 1))
                let inserted = list.insert(value)
                #expect(inserted == reference.insert(value).inserted)
            default:
                next += 1 + Int(random.next() % 3)
                let inserted = list.insert(next)
                #expect(inserted == reference.insert(next).inserted)
                let again = list.insert(next)
                #expect(!again, "a second insert of the last element changes nothing")
            }
            if step % 1250 == 0 { check(list, reference.sorted(), random: &random) }
        }
        check(list, reference.sorted(), random: &random)
    }

    @Test("a list built from a sorted array reads back the same")
    func fromSorted() {
        var random = TestRandom(state: 9)
        let values = Array(stride(from: 0, to: 9000, by: 3))
        check(CountedSortedList(sorted: values), values, random: &random)
        #expect(CountedSortedList<Int>(sorted: []).isEmpty)
    }

    @Test("removing everything leaves an empty list that grows again")
    func drain() {
        var list = CountedSortedList(sorted: Array(0..<3000))
        for value in (0..<3000).reversed() {
            let removed = list.remove(value)
            #expect(removed)
        }
        #expect(list.isEmpty && list.lowerRank(5) == 0)
        let removedMissing = list.remove(1)
        #expect(!removedMissing)
        list.insert(7)
        #expect(list.count == 1 && list[0] == 7)
    }

    private func check(_ list: CountedSortedList<Int>, _ sorted: [Int], random: inout TestRandom) {
        #expect(list.count == sorted.count)
        for rank in sorted.indices where rank % 97 == 0 || rank == sorted.count - 1 {
            #expect(list[rank] == sorted[rank])
        }
        for _ in 0..<200 {
            let probe = Int(random.next() % 6100) - 50
            let lower = sorted.firstIndex { $0 >= probe } ?? sorted.count
            let upper = sorted.firstIndex { $0 > probe } ?? sorted.count
            #expect(list.lowerRank(probe) == lower)
            #expect(list.upperRank(probe) == upper)
        }
        // Runs of ranks across chunk boundaries, empty runs and the whole list.
        for _ in 0..<50 {
            let start = sorted.isEmpty ? 0 : Int(random.next() % UInt64(sorted.count + 1))
            let end = min(sorted.count, start + Int(random.next() % 1500))
            #expect(list.elements(start..<end) == Array(sorted[start..<end]))
        }
        #expect(list.elements(0..<sorted.count) == sorted)
    }
}

@Suite("Merged ranges select and walk several sorted lists as one")
struct MergedRangesTests {
    /// A table record created at `seconds`.
    private func add(_ seconds: Int64, to table: inout RecordTable) throws -> Slot {
        var interview = Interview()
        interview.id = UUIDv7.generate().description
        interview.companyID = "company"
        interview.createdAt = Timestamp(seconds: seconds)
        interview.updatedAt = interview.createdAt
        let record = try StoredRecord(interview)
        return table.store(record, facts: record.facts).slot
    }

    private func key(_ seconds: Int64) -> IndexKey { IndexKey(seconds: seconds, nanos: 0, id: .zero) }

    @Test("positions at every rank split the merged order exactly", arguments: [1, 2, 5, 8] as [Int])
    func select(lists: Int) throws {
        var random = TestRandom(state: UInt64(lists))
        var table = RecordTable()
        var members: [[Slot]] = []
        for _ in 0..<lists {
            var slots: [Slot] = []
            for _ in 0..<(random.next() % 700) { slots.append(try add(Int64(random.next() % 50), to: &table)) }
            members.append(slots)
        }
        let keys = table.keys(.createdAt)
        var all: [IndexKey] = []
        var ranges: [ListRange] = []
        for slots in members {
            let lowerKey = random.next() % 2 == 0 ? key(5) : nil
            let upperKey = random.next() % 2 == 0 ? key(45) : nil
            let range = ListRange(sorting: slots, keys, from: lowerKey, to: upperKey)
            let sorted = slots.map { keys[$0] }.sorted()
            #expect((0..<range.list.count).map { keys[range.list[$0]] } == sorted)
            all += sorted[range.lower..<range.upper]
            ranges.append(range)
        }
        all.sort()
        let merged = MergedRanges(ranges)
        #expect(merged.total == all.count)
        for rank in stride(from: 0, through: all.count, by: max(1, all.count / 60)) {
            var walked: [IndexKey] = []
            merged.walk(from: merged.positions(atRank: rank), ascending: true) { slot, key in
                #expect(keys[slot] == key)
                walked.append(key)
                return walked.count < 5
            }
            #expect(walked == Array(all[rank..<min(rank + 5, all.count)]))
        }
        var backward: [IndexKey] = []
        merged.walk(from: merged.start(ascending: false), ascending: false) { _, key in
            backward.append(key)
            return true
        }
        #expect(backward == all.reversed())
    }
}
