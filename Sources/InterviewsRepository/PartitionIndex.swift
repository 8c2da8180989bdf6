import InterviewsModel

/// A subset of one company's records that has its own ordered lists: the
/// shapes a list can serve in O(log n + page) with an exact total.
package enum IndexPartition: Sendable, Hashable {
    /// Every record of the company.
    case company
    case candidate(String)
    case status(InterviewStatus)
    case application(String)
    case job(String)
    case agent(String)
    case stage(String)
}

/// One counted list of record slots per list order.
package struct OrderedLists: Sendable {
    var createdAt = CountedSortedList<Slot>()
    var startAt = CountedSortedList<Slot>()
    var updatedAt = CountedSortedList<Slot>()

    /// The list for `field`.
    package subscript(field: OrderBy) -> CountedSortedList<Slot> {
        switch field {
        case .startAt: startAt
        case .updatedAt: updatedAt
        case .createdAt, .unspecified: createdAt
        }
    }

    /// Inserts `slot`, whose keys `table` holds.
    mutating func insert(_ slot: Slot, _ table: RecordTable) {
        createdAt.insert(slot, keys: table.keys(.createdAt))
        startAt.insert(slot, keys: table.keys(.startAt))
        updatedAt.insert(slot, keys: table.keys(.updatedAt))
    }

    /// Removes `slot`, whose keys `table` still holds.
    mutating func remove(_ slot: Slot, _ table: RecordTable) {
        createdAt.remove(slot, keys: table.keys(.createdAt))
        startAt.remove(slot, keys: table.keys(.startAt))
        updatedAt.remove(slot, keys: table.keys(.updatedAt))
    }
}

/// The lists of one partition, live and soft-deleted records apart, so that
/// the usual query (deleted hidden) reads one list and include_deleted two.
package struct PartitionLists: Sendable {
    var live = OrderedLists()
    var deleted = OrderedLists()

    /// Whether the partition holds no record.
    var isEmpty: Bool { live.createdAt.isEmpty && deleted.createdAt.isEmpty }

    mutating func insert(_ slot: Slot, _ table: RecordTable, deleted: Bool) {
        if deleted { self.deleted.insert(slot, table) } else { live.insert(slot, table) }
    }

    mutating func remove(_ slot: Slot, _ table: RecordTable, deleted: Bool) {
        if deleted { self.deleted.remove(slot, table) } else { live.remove(slot, table) }
    }
}

/// The partitions of a few records (one application's interviews, one
/// candidate's) and remote ids, filed by tag in a ``SlotMultimap``.
extension IndexPartition {
    /// Partitions up to this size are held in the multimap; a larger one
    /// has counted lists.
    static let fewLimit = 16

    /// The partition's tag in a company's multimap.
    var tag: UInt32 {
        var hasher = Hasher()
        switch self {
        case .company: hasher.combine(0 as UInt8)
        case .status(let status): hasher.combine(status.rawValue)
        case .candidate(let value), .application(let value), .job(let value), .agent(let value), .stage(let value):
            hasher.combine(fieldNumber)
            hasher.combine(value)
        }
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// The record's field this partition is by (0 for company and status).
    private var fieldNumber: UInt32 {
        switch self {
        case .company, .status: 0
        case .candidate: 4
        case .application: 5
        case .job: 6
        case .agent: 7
        case .stage: 8
        }
    }

    /// Whether `record` belongs to the partition (read from its encoding).
    func holds(_ record: StoredRecord) -> Bool {
        switch self {
        case .company: true
        case .status(let status): record.status == status
        case .candidate(let value), .application(let value), .job(let value), .agent(let value), .stage(let value):
            record.field(fieldNumber, equals: value)
        }
    }

    /// The tag of a remote id in a company's multimap.
    static func remoteIDTag(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var hasher = Hasher()
        hasher.combine(2 as UInt32)
        hasher.combine(bytes.count)
        for byte in bytes { hasher.combine(byte) }
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }
}

/// The ordered lists of one company's records, by partition, and the
/// company's remote ids.
package struct CompanyIndex: Sendable {
    /// Every record of the company, live and deleted, in counted lists.
    package fileprivate(set) var all = PartitionLists()
    /// The partitions of more than ``IndexPartition/fewLimit`` records.
    package fileprivate(set) var lists: [IndexPartition: PartitionLists] = [:]
    /// The other partitions' records, and every record with a remote id, by tag.
    fileprivate(set) var few = SlotMultimap()

    /// Live records of the company.
    package var liveCount: Int { all.live.createdAt.count }
    /// Soft-deleted records of the company.
    package var deletedCount: Int { all.deleted.createdAt.count }

    /// The slots of a partition held in the multimap.
    func members(_ partition: IndexPartition, _ table: RecordTable) -> [Slot] {
        few.slots(partition.tag).filter { partition.holds(table[$0].record) }
    }

    /// Files the record in `slot` (as `table` holds it now) under its partitions.
    mutating func insert(_ slot: Slot, _ fields: StoredRecord.IndexFields, _ table: RecordTable) {
        let deleted = table[slot].record.isDeleted
        all.insert(slot, table, deleted: deleted)
        for partition in fields.partitions where partition != .company {
            if lists[partition] != nil {
                // In place: the dictionary's storage is the only owner of the lists.
                lists[partition, default: PartitionLists()].insert(slot, table, deleted: deleted)
                continue
            }
            let members = members(partition, table)
            if members.count < IndexPartition.fewLimit {
                few.insert(partition.tag, slot)
                continue
            }
            var grown = PartitionLists()
            for member in members {
                few.remove(partition.tag, member)
                grown.insert(member, table, deleted: table[member].record.isDeleted)
            }
            grown.insert(slot, table, deleted: deleted)
            lists[partition] = grown
        }
        if !fields.remoteID.isEmpty { few.insert(IndexPartition.remoteIDTag(fields.remoteID), slot) }
    }

    /// Takes the record in `slot` (as `table` still holds it) out of its partitions.
    mutating func remove(_ slot: Slot, _ fields: StoredRecord.IndexFields, _ table: RecordTable) {
        let deleted = table[slot].record.isDeleted
        all.remove(slot, table, deleted: deleted)
        for partition in fields.partitions where partition != .company {
            if lists[partition] != nil {
                lists[partition, default: PartitionLists()].remove(slot, table, deleted: deleted)
                if lists[partition]?.isEmpty == true { lists[partition] = nil }
            } else {
                few.remove(partition.tag, slot)
            }
        }
        if !fields.remoteID.isEmpty { few.remove(IndexPartition.remoteIDTag(fields.remoteID), slot) }
    }

    /// The slots of the records whose remote_id has the tag of `remoteID`
    /// (the caller checks each record's own).
    package func slots(remoteID: String) -> [Slot] {
        few.slots(IndexPartition.remoteIDTag(ArraySlice(remoteID.utf8)))
    }

    /// The slices of `partition` in `order` between the given keys: live
    /// records, and deleted ones too when `includeDeleted`. A partition held
    /// in the multimap is put in order here, O(k log k) for its k ≤ 16 records.
    package func ranges(
        _ partition: IndexPartition, order: OrderBy, includeDeleted: Bool, from lower: IndexKey?, to upper: IndexKey?,
        table: RecordTable
    ) -> [ListRange] {
        let found: PartitionLists
        if partition == .company {
            found = all
        } else if let partitionLists = lists[partition] {
            found = partitionLists
        } else {
            let slots = members(partition, table).filter { includeDeleted || !table[$0].record.isDeleted }
            if slots.isEmpty { return [] }
            return [ListRange(sorting: slots, table.keys(order), from: lower, to: upper)]
        }
        let keys = table.keys(order)
        var result = [ListRange(found.live[order], keys, from: lower, to: upper)]
        if includeDeleted { result.append(ListRange(found.deleted[order], keys, from: lower, to: upper)) }
        return result
    }
}

/// One company's index built in bulk, for opening a store: slots are
/// collected in any order, then each list is sorted once (as keys beside
/// their slots, so that the sort reads memory in order) and cut into chunks.
package struct CompanyIndexBuilder {
    private var live: [IndexPartition: [Slot]] = [:]
    private var deleted: [IndexPartition: [Slot]] = [:]
    private var few = SlotMultimap()

    /// An empty builder.
    package init() {}

    /// Adds the record in `slot` to every partition it belongs to.
    package mutating func add(_ slot: Slot, _ fields: StoredRecord.IndexFields, isDeleted: Bool) {
        if !fields.remoteID.isEmpty { few.insert(IndexPartition.remoteIDTag(fields.remoteID), slot) }
        for partition in fields.partitions {
            if !isDeleted {
                live[partition, default: []].append(slot)
            } else {
                deleted[partition, default: []].append(slot)
            }
        }
    }

    /// The index. Each partition's slots are released as soon as its lists
    /// are built, so the peak is the index plus one partition's keys.
    package mutating func build(_ table: RecordTable) -> CompanyIndex {
        var index = CompanyIndex()
        for partition in Set(live.keys).union(deleted.keys) {
            let liveSlots = live.removeValue(forKey: partition) ?? []
            let deletedSlots = deleted.removeValue(forKey: partition) ?? []
            if partition != .company && liveSlots.count + deletedSlots.count <= IndexPartition.fewLimit {
                let tag = partition.tag
                for slot in liveSlots + deletedSlots { few.insert(tag, slot) }
                continue
            }
            let lists = PartitionLists(
                live: Self.lists(liveSlots, table), deleted: Self.lists(deletedSlots, table))
            if partition == .company {
                index.all = lists
            } else {
                index.lists[partition] = lists
            }
        }
        index.few = few
        few = SlotMultimap()
        return index
    }

    private static func lists(_ slots: [Slot], _ table: RecordTable) -> OrderedLists {
        guard !slots.isEmpty else { return OrderedLists() }
        return OrderedLists(
            createdAt: sorted(slots, table.keys(.createdAt)), startAt: sorted(slots, table.keys(.startAt)),
            updatedAt: sorted(slots, table.keys(.updatedAt)))
    }

    /// `slots` in key order, as a list. Keys are unique because ids are.
    static func sorted(_ slots: [Slot], _ keys: SlotKeys) -> CountedSortedList<Slot> {
        var pairs = slots.map { (key: keys[$0], slot: $0) }
        pairs.sort { $0.key < $1.key }
        return CountedSortedList(sorted: pairs.map(\.slot))
    }
}
