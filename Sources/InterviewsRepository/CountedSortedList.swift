/// A sorted list of unique elements that also answers positional questions
/// ("how many elements are below x", "the k-th element") in logarithmic
/// time: the counted index behind every list order.
///
/// Two levels: sorted chunks of at most `2 * chunkLoad` elements, and a
/// Fenwick tree over the chunk sizes. With `c` chunks:
/// - ``insert(_:)``, ``remove(_:)``: O(log c + chunkLoad) (a binary search,
///   then a move inside one chunk); a split rebuilds the Fenwick tree in
///   O(c), once per `chunkLoad` insertions. An insert past the last element
///   (ever-growing timestamps) is an append: O(log c) for the tree only.
/// - ``lowerRank(_:)``, ``upperRank(_:)``, ``subscript(_:)``: O(log c + log chunkLoad).
///
/// A list of one chunk keeps no Fenwick tree, so the many small lists
/// (one candidate's interviews) cost two small allocations.
///
/// Elements are ordered by their keys, which a ``SortKeysOf`` value passed
/// to each call supplies: the store's lists hold 4-byte record slots and
/// read the keys (timestamp, id) from its record table. A list of
/// `Comparable` elements ordered by themselves has overloads without it.
package struct CountedSortedList<Element: Sendable>: Sendable {
    private static var chunkLoad: Int { 512 }

    private var chunks: [[Element]] = []
    /// 1-based Fenwick tree over `chunks[i].count`; empty while there is at
    /// most one chunk.
    private var tree: [Int] = []
    /// The number of elements.
    package private(set) var count = 0

    /// An empty list.
    package init() {}

    /// A list holding `sorted`, which must be strictly increasing by key.
    package init(sorted: [Element]) {
        guard !sorted.isEmpty else { return }
        count = sorted.count
        var start = 0
        while start < sorted.count {
            // Full chunks: a list built in bulk is read far more than it grows.
            let end = min(start + 2 * Self.chunkLoad, sorted.count)
            chunks.append(Array(sorted[start..<end]))
            start = end
        }
        rebuildTree()
    }

    /// Whether the list is empty.
    package var isEmpty: Bool { count == 0 }

    /// Inserts `element`; returns false (and changes nothing) when it is present.
    @discardableResult
    package mutating func insert<Keys: SortKeysOf>(_ element: Element, keys: Keys) -> Bool
    where Keys.Element == Element {
        let key = keys[element]
        if chunks.isEmpty {
            chunks = [[element]]
            count = 1
            return true
        }
        let chunk: Int
        let last = chunks.count - 1
        var appended = false
        if keys[chunks[last][chunks[last].count - 1]] < key {
            // Past the end, the common case for created_at and updated_at
            // keys of new records: no search, no move.
            chunk = last
            chunks[last].append(element)
            appended = true
        } else {
            chunk = chunkIndex(for: key, keys) ?? last
            let position = Self.lowerBound(chunks[chunk], key, keys)
            if position < chunks[chunk].count && keys[chunks[chunk][position]] == key { return false }
            chunks[chunk].insert(element, at: position)
        }
        count += 1
        if chunks[chunk].count > 2 * Self.chunkLoad {
            // An append leaves the full chunk behind and starts a new one, so
            // ever-growing keys fill chunks; an insert inside splits in halves.
            let cut = appended ? 2 * Self.chunkLoad : Self.chunkLoad
            let upper = Array(chunks[chunk][cut...])
            chunks[chunk].removeSubrange(cut...)
            chunks.insert(upper, at: chunk + 1)
            rebuildTree()
        } else if !tree.isEmpty {
            add(1, toChunk: chunk)
        }
        return true
    }

    /// Removes `element`; returns false when it was not present.
    @discardableResult
    package mutating func remove<Keys: SortKeysOf>(_ element: Element, keys: Keys) -> Bool
    where Keys.Element == Element {
        let key = keys[element]
        guard let chunk = chunkIndex(for: key, keys) else { return false }
        let position = Self.lowerBound(chunks[chunk], key, keys)
        guard position < chunks[chunk].count && keys[chunks[chunk][position]] == key else { return false }
        chunks[chunk].remove(at: position)
        count -= 1
        if chunks[chunk].isEmpty {
            chunks.remove(at: chunk)
            rebuildTree()
        } else if !tree.isEmpty {
            add(-1, toChunk: chunk)
        }
        return true
    }

    /// The number of elements whose key is less than `key`.
    package func lowerRank<Keys: SortKeysOf>(_ key: Keys.Key, keys: Keys) -> Int where Keys.Element == Element {
        guard let chunk = chunkIndex(for: key, keys) else { return count }
        return elementsBefore(chunk: chunk) + Self.lowerBound(chunks[chunk], key, keys)
    }

    /// The number of elements whose key is less than or equal to `key`.
    package func upperRank<Keys: SortKeysOf>(_ key: Keys.Key, keys: Keys) -> Int where Keys.Element == Element {
        let rank = lowerRank(key, keys: keys)
        return rank < count && keys[self[rank]] == key ? rank + 1 : rank
    }

    /// The element at 0-based `rank`; `rank` must be in `0..<count`.
    package subscript(rank: Int) -> Element {
        precondition(rank >= 0 && rank < count, "rank out of range")
        let (chunk, offset) = locate(rank)
        return chunks[chunk][offset]
    }

    /// The elements at the ranks `ranks` (within `0...count`), in rank
    /// order: one descent, then a sequential read across chunks.
    package func elements(_ ranks: Range<Int>) -> [Element] {
        precondition(ranks.lowerBound >= 0 && ranks.upperBound <= count, "ranks out of range")
        var result: [Element] = []
        guard !ranks.isEmpty else { return result }
        result.reserveCapacity(ranks.count)
        var (chunk, offset) = locate(ranks.lowerBound)
        while result.count < ranks.count {
            let take = min(chunks[chunk].count - offset, ranks.count - result.count)
            result += chunks[chunk][offset..<(offset + take)]
            chunk += 1
            offset = 0
        }
        return result
    }

    /// The chunk and offset of `rank` (in `0..<count`).
    private func locate(_ rank: Int) -> (chunk: Int, offset: Int) {
        if tree.isEmpty { return (0, rank) }
        // Fenwick descent: the last chunk whose preceding total is <= rank.
        var index = 0
        var remaining = rank
        var step = 1
        while step * 2 < tree.count { step *= 2 }
        while step > 0 {
            let next = index + step
            if next < tree.count && tree[next] <= remaining {
                index = next
                remaining -= tree[next]
            }
            step /= 2
        }
        return (index, remaining)
    }

    /// The first chunk whose last element's key is >= `key`, or nil when
    /// every element is smaller.
    private func chunkIndex<Keys: SortKeysOf>(for key: Keys.Key, _ keys: Keys) -> Int? where Keys.Element == Element {
        var low = 0
        var high = chunks.count
        while low < high {
            let middle = (low + high) / 2
            if keys[chunks[middle][chunks[middle].count - 1]] < key {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < chunks.count ? low : nil
    }

    private func elementsBefore(chunk: Int) -> Int {
        if tree.isEmpty { return 0 }
        var total = 0
        var index = chunk
        while index > 0 {
            total += tree[index]
            index -= index & -index
        }
        return total
    }

    private mutating func add(_ delta: Int, toChunk chunk: Int) {
        var index = chunk + 1
        while index < tree.count {
            tree[index] += delta
            index += index & -index
        }
    }

    private mutating func rebuildTree() {
        guard chunks.count > 1 else {
            tree = []
            return
        }
        tree = [Int](repeating: 0, count: chunks.count + 1)
        for (offset, chunk) in chunks.enumerated() {
            let index = offset + 1
            tree[index] += chunk.count
            let parent = index + (index & -index)
            if parent < tree.count { tree[parent] += tree[index] }
        }
    }

    private static func lowerBound<Keys: SortKeysOf>(_ array: [Element], _ key: Keys.Key, _ keys: Keys) -> Int
    where Keys.Element == Element {
        var low = 0
        var high = array.count
        while low < high {
            let middle = (low + high) / 2
            if keys[array[middle]] < key {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}

/// How a ``CountedSortedList`` learns the key of an element.
package protocol SortKeysOf {
    associatedtype Element
    associatedtype Key: Comparable
    /// The key of `element`.
    subscript(element: Element) -> Key { get }
}

/// Elements that are their own keys.
package struct SelfKeys<Element: Comparable>: SortKeysOf {
    /// The identity.
    package init() {}

    @inline(__always)
    package subscript(element: Element) -> Element { element }
}

extension CountedSortedList where Element: Comparable {
    /// Inserts `element`; returns false (and changes nothing) when it is present.
    @discardableResult
    package mutating func insert(_ element: Element) -> Bool { insert(element, keys: SelfKeys()) }

    /// Removes `element`; returns false when it was not present.
    @discardableResult
    package mutating func remove(_ element: Element) -> Bool { remove(element, keys: SelfKeys()) }

    /// The number of elements less than `element`.
    package func lowerRank(_ element: Element) -> Int { lowerRank(element, keys: SelfKeys()) }

    /// The number of elements less than or equal to `element`.
    package func upperRank(_ element: Element) -> Int { upperRank(element, keys: SelfKeys()) }
}
