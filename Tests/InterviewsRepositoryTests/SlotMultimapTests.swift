import Testing

@testable import InterviewsRepository

@Suite("The slot multimap files slots by tag like a dictionary of arrays")
struct SlotMultimapTests {
    @Test("random inserts and removes, with colliding homes and repeated pairs", arguments: [1, 2, 3] as [UInt64])
    func randomOperations(seed: UInt64) {
        var random = TestRandom(state: seed)
        var map = SlotMultimap()
        var reference: [UInt32: [Slot]] = [:]
        // Few distinct tags whose low bits collide often, so probe runs are
        // long and removals shift entries across the table's end.
        let tags: [UInt32] = (0..<40).map { UInt32($0 % 8) | UInt32($0) << 20 }
        for step in 0..<20_000 {
            let tag = tags[Int(random.next() % UInt64(tags.count))]
            let slot = Slot(random.next() % 50)
            if random.next() % 2 == 0 {
                map.insert(tag, slot)
                reference[tag, default: []].append(slot)
            } else {
                let removed = map.remove(tag, slot)
                if let index = reference[tag]?.firstIndex(of: slot) {
                    reference[tag]?.remove(at: index)
                    #expect(removed)
                } else {
                    #expect(!removed)
                }
            }
            if step % 997 == 0 {
                for tag in tags {
                    #expect(Set(map.slots(tag)) == Set(reference[tag] ?? []))
                    #expect(map.slots(tag).count == Set(map.slots(tag)).count)
                }
                #expect(map.count == reference.values.reduce(0) { $0 + $1.count })
            }
        }
        #expect(SlotMultimap().slots(1).isEmpty)
    }
}
