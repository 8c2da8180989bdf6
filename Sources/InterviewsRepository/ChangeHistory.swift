import DequeModule
import InterviewsModel

/// The newest changes of the store, bounded by count: what the watch feed
/// replays before it follows live.
///
/// Entries hold the record after the change; records share their storage
/// with the store (copy-on-write), so an entry costs the fields that changed.
package struct ChangeHistory: Sendable {
    /// How many changes are kept.
    package let limit: Int
    private var entries = Deque<Change>()
    /// Changes with a sequence up to this one may be gone for every tenant.
    private var floor: UInt64
    /// Per tenant, the newest of its changes that was discarded.
    private var discarded: [String: UInt64] = [:]

    /// An empty history keeping at most `limit` changes; changes up to
    /// `floor` count as discarded (a store restored from a snapshot).
    package init(limit: Int, floor: UInt64 = 0) {
        self.limit = max(1, limit)
        self.floor = floor
    }

    /// Records a change, discarding the oldest beyond the limit.
    package mutating func append(_ change: Change) {
        entries.append(change)
        while entries.count > limit, let oldest = entries.popFirst() {
            discarded[oldest.interview.companyID] = oldest.sequence
        }
    }

    /// Changes of `tenant` after `sequence`, oldest first, at most `limit`.
    ///
    /// O(log h + scanned): a binary search over the h kept changes, then a
    /// scan that skips other tenants' changes.
    package func changes(after sequence: UInt64, limit: Int, tenant: Tenant) -> ChangeBatch {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].sequence <= sequence {
                low = middle + 1
            } else {
                high = middle
            }
        }
        var result: [Change] = []
        var index = low
        while index < entries.count && result.count < limit {
            if entries[index].interview.companyID == tenant.companyID { result.append(entries[index]) }
            index += 1
        }
        let truncated = sequence < max(floor, discarded[tenant.companyID] ?? 0)
        // The loop stopped at the end of the history or at the limit: either
        // way every change up to the last one it examined has been seen.
        let scannedThrough = index > 0 ? max(sequence, entries[index - 1].sequence) : sequence
        return ChangeBatch(changes: result, truncated: truncated, scannedThrough: scannedThrough)
    }
}
