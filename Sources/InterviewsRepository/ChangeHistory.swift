import DequeModule
import InterviewsModel

/// The newest changes of the store, bounded by count: what the watch feed
/// replays before it follows live.
///
/// Entries hold the stored record after the change, which shares its one
/// buffer with the store while the record is unchanged; a change is decoded
/// only when a watcher reads it.
package struct ChangeHistory: Sendable {
    /// One kept change.
    struct Entry: Sendable {
        var sequence: UInt64
        var kind: ChangeKind
        var record: StoredRecord
    }

    /// How many changes are kept.
    package let limit: Int
    private var entries = Deque<Entry>()
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
    package mutating func append(sequence: UInt64, kind: ChangeKind, record: StoredRecord) {
        entries.append(Entry(sequence: sequence, kind: kind, record: record))
        while entries.count > limit, let oldest = entries.popFirst() {
            discarded[String(decoding: oldest.record.stringField(3), as: UTF8.self)] = oldest.sequence
        }
    }

    /// Changes of `tenant` after `sequence`, oldest first, at most `limit`.
    ///
    /// O(log h + scanned): a binary search over the h kept changes, then a
    /// scan that skips other tenants' changes.
    package func changes(after sequence: UInt64, limit: Int, tenant: Tenant) throws(InterviewsError) -> ChangeBatch {
        let batch = encodedChanges(after: sequence, limit: limit, tenant: tenant)
        var changes: [Change] = []
        changes.reserveCapacity(batch.changes.count)
        for change in batch.changes {
            changes.append(
                Change(sequence: change.sequence, kind: change.kind, interview: try change.record.interview()))
        }
        return ChangeBatch(changes: changes, truncated: batch.truncated, scannedThrough: batch.scannedThrough)
    }

    /// ``changes(after:limit:tenant:)`` with each record as it is stored.
    package func encodedChanges(after sequence: UInt64, limit: Int, tenant: Tenant) -> EncodedChangeBatch {
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
        var result: [EncodedChange] = []
        var index = low
        while index < entries.count && result.count < limit {
            let entry = entries[index]
            if entry.record.field(3, equals: tenant.companyID) {
                result.append(EncodedChange(sequence: entry.sequence, kind: entry.kind, record: entry.record))
            }
            index += 1
        }
        let truncated = sequence < max(floor, discarded[tenant.companyID] ?? 0)
        // The loop stopped at the end of the history or at the limit: either
        // way every change up to the last one it examined has been seen.
        let scannedThrough = index > 0 ? max(sequence, entries[index - 1].sequence) : sequence
        return EncodedChangeBatch(changes: result, truncated: truncated, scannedThrough: scannedThrough)
    }
}
