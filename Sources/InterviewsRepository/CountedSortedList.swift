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
package struct CountedSortedList<Element: Comparable & Sendable>: Sendable {
    private static var chunkLoad: Int { 512 }

    private var chunks: [[Element]] = []
    /// 1-based Fenwick tree over `chunks[i].count`; empty while there is at
    /// most one chunk.
    private var tree: [Int] = []
    /// The number of elements.
    package private(set) var count = 0

    /// An empty list.
    package init() {}

    /// A list holding `sorted`, which must be strictly increasing.
    package init(sorted: [Element]) {
        guard !sorted.isEmpty else { return }
        count = sorted.count
        var start = 0
        while start < sorted.count {
            let end = min(start + Self.chunkLoad, sorted.count)
            chunks.append(Array(sorted[start..<end]))
            start = end
        }
        rebuildTree()
    }

    /// Whether the list is empty.
    package var isEmpty: Bool { count == 0 }

    /// Inserts `element`; returns false (and changes nothing) when it is present.
    @discardableResult
    package mutating func insert(_ element: Element) -> Bool {
        if chunks.isEmpty {
            chunks = [[element]]
            count = 1
            return true
        }
        let chunk: Int
        let last = chunks.count - 1
        if chunks[last][chunks[last].count - 1] < element {
            // Past the end, the common case for created_at and updated_at
            // keys of new records: no search, no move.
            chunk = last
            chunks[last].append(element)
        } else {
            chunk = chunkIndex(for: element) ?? last
            let position = Self.lowerBound(chunks[chunk], element)
            if position < chunks[chunk].count && chunks[chunk][position] == element { return false }
            chunks[chunk].insert(element, at: position)
        }
        count += 1
        if chunks[chunk].count > 2 * Self.chunkLoad {
            let upper = Array(chunks[chunk][Self.chunkLoad...])
            chunks[chunk].removeSubrange(Self.chunkLoad...)
            chunks.insert(upper, at: chunk + 1)
            rebuildTree()
        } else if !tree.isEmpty {
            add(1, toChunk: chunk)
        }
        return true
    }

    /// Removes `element`; returns false when it was not present.
    @discardableResult
    package mutating func remove(_ element: Element) -> Bool {
        guard let chunk = chunkIndex(for: element) else { return false }
        let position = Self.lowerBound(chunks[chunk], element)
        guard position < chunks[chunk].count && chunks[chunk][position] == element else { return false }
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

    /// The number of elements less than `element`.
    package func lowerRank(_ element: Element) -> Int {
        guard let chunk = chunkIndex(for: element) else { return count }
        return elementsBefore(chunk: chunk) + Self.lowerBound(chunks[chunk], element)
    }

    /// The number of elements less than or equal to `element`.
    package func upperRank(_ element: Element) -> Int {
        let rank = lowerRank(element)
        return rank < count && self[rank] == element ? rank + 1 : rank
    }

    /// The element at 0-based `rank`; `rank` must be in `0..<count`.
    package subscript(rank: Int) -> Element {
        precondition(rank >= 0 && rank < count, "rank out of range")
        if tree.isEmpty { return chunks[0][rank] }
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
        return chunks[index][remaining]
    }

    /// The first chunk whose last element is >= `element`, or nil when every
    /// element is smaller.
    private func chunkIndex(for element: Element) -> Int? {
        var low = 0
        var high = chunks.count
        while low < high {
            let middle = (low + high) / 2
            if chunks[middle][chunks[middle].count - 1] < element {
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

    private static func lowerBound(_ array: [Element], _ element: Element) -> Int {
        var low = 0
        var high = array.count
        while low < high {
            let middle = (low + high) / 2
            if array[middle] < element {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}
