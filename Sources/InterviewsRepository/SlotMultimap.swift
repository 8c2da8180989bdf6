/// A hash multimap from a 32-bit tag to record slots: where a company index
/// files its partitions of a few records (one candidate's, one
/// application's interviews) and its remote ids, 8 bytes per entry at a load
/// of at most three quarters, with no key stored. A tag stands for a partition or
/// a remote id only up to collisions, so a reader checks each slot's record.
///
/// Open addressing with linear probing; an entry's home bucket is its tag
/// masked, so removal shifts the entries behind it back (no tombstones).
package struct SlotMultimap: Sendable {
    /// `tag << 32 | (slot + 1)`; 0 is an empty bucket.
    private var buckets: [UInt64] = []
    /// The number of entries.
    package private(set) var count = 0

    /// An empty multimap.
    package init() {}

    /// The slots filed under `tag`, each once.
    package func slots(_ tag: UInt32) -> [Slot] {
        var result: [Slot] = []
        guard !buckets.isEmpty else { return result }
        let mask = buckets.count - 1
        var bucket = Int(tag) & mask
        while buckets[bucket] != 0 {
            let value = buckets[bucket]
            if UInt32(truncatingIfNeeded: value >> 32) == tag {
                let slot = Slot(truncatingIfNeeded: value) &- 1
                if !result.contains(slot) { result.append(slot) }
            }
            bucket = (bucket + 1) & mask
        }
        return result
    }

    /// Files `slot` under `tag`. The same pair may be filed twice (two
    /// partitions of one record whose tags collide); each filing is removed
    /// on its own.
    package mutating func insert(_ tag: UInt32, _ slot: Slot) {
        if 4 * (count + 1) > 3 * buckets.count { grow() }
        let value = UInt64(tag) << 32 | UInt64(slot + 1)
        let mask = buckets.count - 1
        var bucket = Int(tag) & mask
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = value
        count += 1
    }

    /// Removes one filing of `slot` under `tag`; returns false when there was none.
    @discardableResult
    package mutating func remove(_ tag: UInt32, _ slot: Slot) -> Bool {
        guard !buckets.isEmpty else { return false }
        let value = UInt64(tag) << 32 | UInt64(slot + 1)
        let mask = buckets.count - 1
        var hole = Int(tag) & mask
        while buckets[hole] != value {
            if buckets[hole] == 0 { return false }
            hole = (hole + 1) & mask
        }
        buckets[hole] = 0
        count -= 1
        // Shift back every following entry whose home is at or before the hole.
        var next = (hole + 1) & mask
        while buckets[next] != 0 {
            let home = Int(truncatingIfNeeded: buckets[next] >> 32) & mask
            // The entry may move to the hole when its home is not in (hole, next].
            let distanceToHole = (hole - home) & mask
            let distanceToNext = (next - home) & mask
            if distanceToHole < distanceToNext {
                buckets[hole] = buckets[next]
                buckets[next] = 0
                hole = next
            }
            next = (next + 1) & mask
        }
        return true
    }

    private mutating func grow() {
        let old = buckets
        buckets = [UInt64](repeating: 0, count: max(16, old.count * 2))
        count = 0
        let mask = buckets.count - 1
        for value in old where value != 0 {
            var bucket = Int(truncatingIfNeeded: value >> 32) & mask
            while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
            buckets[bucket] = value
            count += 1
        }
    }
}
