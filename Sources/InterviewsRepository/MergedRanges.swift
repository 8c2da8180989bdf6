/// A contiguous slice `lower..<upper` (by rank) of one counted list of
/// record slots, with the keys the list is ordered by.
package struct ListRange: Sendable {
    /// The list.
    package var list: CountedSortedList<Slot>
    /// The keys of its slots.
    package var keys: SlotKeys
    /// The first rank in the slice.
    package var lower: Int
    /// One past the last rank in the slice.
    package var upper: Int

    /// The slice of `list` whose keys lie in `lowerKey..<upperKey` (nil: unbounded).
    package init(_ list: CountedSortedList<Slot>, _ keys: SlotKeys, from lowerKey: IndexKey?, to upperKey: IndexKey?) {
        self.list = list
        self.keys = keys
        lower = lowerKey.map { list.lowerRank($0, keys: keys) } ?? 0
        upper = max(lower, upperKey.map { list.lowerRank($0, keys: keys) } ?? list.count)
    }

    /// The slice of a list of `slots`, put in key order here.
    package init(sorting slots: [Slot], _ keys: SlotKeys, from lowerKey: IndexKey?, to upperKey: IndexKey?) {
        self.init(CompanyIndexBuilder.sorted(slots, keys), keys, from: lowerKey, to: upperKey)
    }

    /// The number of keys in the slice.
    package var count: Int { upper - lower }

    /// The key at `rank`.
    @inline(__always)
    func key(at rank: Int) -> IndexKey { keys[list[rank]] }
}

/// Several disjoint sorted slices read as one sorted sequence: the records
/// of one index partition per value of an OR filter (statuses, candidates),
/// live and deleted. A walk position is one boundary per slice.
///
/// With `m` slices of at most `n` keys: ``positions(atRank:)`` is
/// O(m² log² n) (a selection over several order-statistic lists), each
/// step of ``walk(from:ascending:_:)`` is O(m log n).
package struct MergedRanges: Sendable {
    /// The slices.
    package var ranges: [ListRange]

    /// Slices to read as one.
    package init(_ ranges: [ListRange]) { self.ranges = ranges.filter { $0.count > 0 } }

    /// The number of keys in all slices.
    package var total: Int { ranges.reduce(0) { $0 + $1.count } }

    /// Boundaries where a walk starts at the beginning (`ascending`) or the end.
    package func start(ascending: Bool) -> [Int] { ranges.map { ascending ? $0.lower : $0.upper } }

    /// Boundaries from which a walk in the given direction yields exactly the
    /// keys strictly beyond `key` (greater when ascending, smaller otherwise).
    package func positions(beyond key: IndexKey, ascending: Bool) -> [Int] {
        ranges.map { range in
            let rank =
                ascending ? range.list.upperRank(key, keys: range.keys) : range.list.lowerRank(key, keys: range.keys)
            return min(max(rank, range.lower), range.upper)
        }
    }

    /// Boundaries that split the merged sequence after its first `rank` keys.
    package func positions(atRank rank: Int) -> [Int] {
        if rank <= 0 { return start(ascending: true) }
        if rank >= total { return start(ascending: false) }
        if ranges.count == 1 { return [ranges[0].lower + rank] }
        // Invariant: the number of keys of slice i below the answer x (the
        // key of merged rank `rank`) lies in low[i]...high[i].
        var low = ranges.map(\.lower)
        var high = ranges.map(\.upper)
        while true {
            var widest = -1
            var width = 0
            for index in ranges.indices where high[index] - low[index] > width {
                widest = index
                width = high[index] - low[index]
            }
            if widest < 0 { return low }
            let middle = (low[widest] + high[widest]) / 2
            let pivot = ranges[widest].key(at: middle)
            var below = 0
            let ranks = ranges.map { range in
                let rank = min(max(range.list.lowerRank(pivot, keys: range.keys), range.lower), range.upper)
                below += rank - range.lower
                return rank
            }
            if below == rank { return ranks }
            for index in ranges.indices {
                if below < rank {
                    low[index] = max(low[index], index == widest ? middle + 1 : ranks[index])
                } else {
                    high[index] = min(high[index], index == widest ? middle : ranks[index])
                }
            }
        }
    }

    /// Visits slots (with their keys) from `positions` in the given
    /// direction until `body` returns false or the slots run out.
    package func walk(from positions: [Int], ascending: Bool, _ body: (Slot, IndexKey) -> Bool) {
        var positions = positions
        if ranges.count == 1 {
            // One slice (the common case): no merge. Slots are read a batch
            // at a time, then their keys, so that the table reads (a cache
            // miss each in a large store) overlap instead of queueing.
            let range = ranges[0]
            var position = positions[0]
            while ascending ? position < range.upper : position > range.lower {
                let end = ascending ? min(position + 32, range.upper) : max(position - 32, range.lower)
                var slots = range.list.elements(ascending ? position..<end : end..<position)
                if !ascending { slots.reverse() }
                let keys = slots.map { range.keys[$0] }
                for index in slots.indices where !body(slots[index], keys[index]) { return }
                position = end
            }
            return
        }
        while true {
            var best = -1
            var bestKey: IndexKey? = nil
            var bestSlot: Slot = 0
            for index in ranges.indices {
                let range = ranges[index]
                if ascending {
                    guard positions[index] < range.upper else { continue }
                    let slot = range.list[positions[index]]
                    let key = range.keys[slot]
                    if bestKey.map({ key < $0 }) ?? true {
                        best = index
                        bestKey = key
                        bestSlot = slot
                    }
                } else {
                    guard positions[index] > range.lower else { continue }
                    let slot = range.list[positions[index] - 1]
                    let key = range.keys[slot]
                    if bestKey.map({ key > $0 }) ?? true {
                        best = index
                        bestKey = key
                        bestSlot = slot
                    }
                }
            }
            guard let key = bestKey else { return }
            positions[best] += ascending ? 1 : -1
            if !body(bestSlot, key) { return }
        }
    }
}
