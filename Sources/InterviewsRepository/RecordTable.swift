package import InterviewsModel

/// A record's position in the store: the index of its entry in
/// ``RecordTable``. A slot never changes while the store lives (records are
/// soft-deleted, never removed), so the index lists hold slots, 4 bytes per
/// entry, instead of 32-byte keys.
package typealias Slot = UInt32

/// Every record of a store, in dense slots, with the fixed-width keys the
/// list orders compare, and an open-addressing table from id to slot.
///
/// Per record: one ``Entry`` (the stored record and its three order
/// timestamps, 88 bytes) and 4 to 8 bytes of the id table, beside the
/// record's own encoding; no per-record heap object but the encoding.
package struct RecordTable: Sendable {
    /// One record and the timestamps of its three list orders.
    package struct Entry: Sendable {
        package var record: StoredRecord
        package var createdSeconds: Int64
        package var startSeconds: Int64
        package var updatedSeconds: Int64
        package var createdNanos: Int32
        package var startNanos: Int32
        package var updatedNanos: Int32

        init(_ record: StoredRecord, _ facts: StoredRecord.Facts) {
            self.record = record
            createdSeconds = facts.createdAt.seconds
            createdNanos = facts.createdAt.nanos
            updatedSeconds = facts.updatedAt.seconds
            updatedNanos = facts.updatedAt.nanos
            startSeconds = facts.startAt?.seconds ?? .min
            startNanos = facts.startAt?.nanos ?? 0
        }

        /// The record's key in `order`.
        @inline(__always)
        package func key(_ order: OrderBy) -> IndexKey {
            switch order {
            case .startAt: IndexKey(seconds: startSeconds, nanos: startNanos, id: record.id)
            case .updatedAt: IndexKey(seconds: updatedSeconds, nanos: updatedNanos, id: record.id)
            case .createdAt, .unspecified: IndexKey(seconds: createdSeconds, nanos: createdNanos, id: record.id)
            }
        }
    }

    /// The entries, by slot.
    package private(set) var entries: [Entry] = []
    /// Open addressing, linear probing: `slot + 1` of the record whose id
    /// hashes to the bucket (0: empty). The capacity is a power of two at
    /// least twice the entries.
    private var buckets: [UInt32] = []

    /// An empty table.
    package init() {}

    /// The number of records.
    package var count: Int { entries.count }

    /// Room for `count` records without growing.
    package mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
        if buckets.count < 2 * count { rehash(capacity: Self.capacity(for: count)) }
    }

    /// The slot of the record `id`, if stored.
    @inline(__always)
    package func slot(of id: UUIDv7) -> Slot? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var bucket = Self.hash(id) & mask
        while true {
            let value = buckets[bucket]
            if value == 0 { return nil }
            if entries[Int(value - 1)].record.id == id { return value - 1 }
            bucket = (bucket + 1) & mask
        }
    }

    /// The entry in `slot`.
    @inline(__always)
    package subscript(slot: Slot) -> Entry { entries[Int(slot)] }

    /// The record `id`, if stored.
    package func record(_ id: UUIDv7) -> StoredRecord? {
        slot(of: id).map { entries[Int($0)].record }
    }

    /// Stores `record` (with its `facts`) in the slot of its id, or in a new
    /// slot; returns the slot and the record it replaced.
    @discardableResult
    package mutating func store(_ record: StoredRecord, facts: StoredRecord.Facts) -> (
        slot: Slot, previous: StoredRecord?
    ) {
        let entry = Entry(record, facts)
        if let slot = slot(of: record.id) {
            let previous = entries[Int(slot)].record
            entries[Int(slot)] = entry
            return (slot, previous)
        }
        if 2 * (entries.count + 1) > buckets.count {
            rehash(capacity: Self.capacity(for: max(entries.count + 1, 2 * entries.count)))
        }
        let slot = Slot(entries.count)
        entries.append(entry)
        insertBucket(slot)
        return (slot, nil)
    }

    /// A reader of the keys in `order`, for the index lists.
    package func keys(_ order: OrderBy) -> SlotKeys { SlotKeys(entries: entries, order: order) }

    private mutating func insertBucket(_ slot: Slot) {
        let mask = buckets.count - 1
        var bucket = Self.hash(entries[Int(slot)].record.id) & mask
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = slot + 1
    }

    private mutating func rehash(capacity: Int) {
        buckets = [UInt32](repeating: 0, count: capacity)
        for slot in entries.indices { insertBucket(Slot(slot)) }
    }

    private static func capacity(for count: Int) -> Int {
        var capacity = 16
        while capacity < 2 * count { capacity *= 2 }
        return capacity
    }

    /// The id's random bits, mixed: ids are UUIDv7, whose low 62 bits are random.
    @inline(__always)
    private static func hash(_ id: UUIDv7) -> Int {
        var x = id.low ^ (id.high &* 0x9E37_79B9_7F4A_7C15)
        x ^= x >> 31
        x = x &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 29
        return Int(truncatingIfNeeded: x)
    }
}

/// The keys of slots in one list order: what a ``SlotList`` compares.
/// Holds the table's entries (a reference, retained), so it must not live
/// across a change to the table, which would then copy them.
package struct SlotKeys: Sendable {
    let entries: [RecordTable.Entry]
    /// The order.
    package let order: OrderBy

    /// The key of `slot`.
    @inline(__always)
    package subscript(slot: Slot) -> IndexKey { entries[Int(slot)].key(order) }
}

extension SlotKeys: SortKeysOf {}
