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

/// The records of a partition of a few records (one application's
/// interviews, one candidate's), held as their slots, 4 bytes each, and put
/// in order when a list reads them; a larger partition has counted lists.
package enum FewSlots: Sendable {
    case one(Slot)
    case few([Slot])

    /// Partitions up to this size are held as slots.
    static let limit = 16

    var slots: [Slot] {
        switch self {
        case .one(let slot): [slot]
        case .few(let slots): slots
        }
    }

    func adding(_ slot: Slot) -> FewSlots {
        switch self {
        case .one(let other): .few([other, slot])
        case .few(let slots): .few(slots + [slot])
        }
    }

    /// The slots without `slot`; nil when none is left.
    func removing(_ slot: Slot) -> FewSlots? {
        var slots = slots
        slots.removeAll { $0 == slot }
        return slots.count > 1 ? .few(slots) : slots.first.map { .one($0) }
    }

    init?(_ slots: [Slot]) {
        guard let first = slots.first else { return nil }
        self = slots.count == 1 ? .one(first) : .few(slots)
    }
}

/// The ordered lists of one company's records, by partition, and the
/// company's remote ids.
package struct CompanyIndex: Sendable {
    /// Every record of the company, live and deleted, in counted lists.
    package fileprivate(set) var all = PartitionLists()
    /// The partitions of more than ``FewSlots/limit`` records.
    package fileprivate(set) var lists: [IndexPartition: PartitionLists] = [:]
    /// The other partitions that hold at least one record.
    package fileprivate(set) var few: [IndexPartition: FewSlots] = [:]
    /// Records by a hash of their remote_id (a lookup checks the record's own).
    fileprivate(set) var remoteIDs: [Int: FewSlots] = [:]

    /// Live records of the company.
    package var liveCount: Int { all.live.createdAt.count }
    /// Soft-deleted records of the company.
    package var deletedCount: Int { all.deleted.createdAt.count }

    /// Files the record in `slot` (as `table` holds it now) under its partitions.
    mutating func insert(_ slot: Slot, _ fields: StoredRecord.IndexFields, _ table: RecordTable) {
        let deleted = table[slot].record.isDeleted
        all.insert(slot, table, deleted: deleted)
        for partition in fields.partitions where partition != .company {
            if lists[partition] != nil {
                // In place: the dictionary's storage is the only owner of the lists.
                lists[partition, default: PartitionLists()].insert(slot, table, deleted: deleted)
            } else if let members = few.removeValue(forKey: partition) {
                if members.slots.count < FewSlots.limit {
                    few[partition] = members.adding(slot)
                } else {
                    var grown = PartitionLists()
                    for member in members.slots {
                        grown.insert(member, table, deleted: table[member].record.isDeleted)
                    }
                    grown.insert(slot, table, deleted: deleted)
                    lists[partition] = grown
                }
            } else {
                few[partition] = .one(slot)
            }
        }
        if !fields.remoteID.isEmpty {
            let hash = Self.hash(fields.remoteID)
            remoteIDs[hash] = remoteIDs[hash]?.adding(slot) ?? .one(slot)
        }
    }

    /// Takes the record in `slot` (as `table` still holds it) out of its partitions.
    mutating func remove(_ slot: Slot, _ fields: StoredRecord.IndexFields, _ table: RecordTable) {
        let deleted = table[slot].record.isDeleted
        all.remove(slot, table, deleted: deleted)
        for partition in fields.partitions where partition != .company {
            if lists[partition] != nil {
                lists[partition, default: PartitionLists()].remove(slot, table, deleted: deleted)
                if lists[partition]?.isEmpty == true { lists[partition] = nil }
            } else if let members = few.removeValue(forKey: partition) {
                few[partition] = members.removing(slot)
            }
        }
        if !fields.remoteID.isEmpty {
            let hash = Self.hash(fields.remoteID)
            if let members = remoteIDs.removeValue(forKey: hash) { remoteIDs[hash] = members.removing(slot) }
        }
    }

    /// The slots of the records whose remote_id hashes like `remoteID` (the
    /// caller checks each record's own).
    package func slots(remoteID: String) -> [Slot] {
        remoteIDs[Self.hash(ArraySlice(remoteID.utf8))]?.slots ?? []
    }

    static func hash(_ bytes: ArraySlice<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes.count)
        for byte in bytes { hasher.combine(byte) }
        return hasher.finalize()
    }

    /// The slices of `partition` in `order` between the given keys: live
    /// records, and deleted ones too when `includeDeleted`. A partition held
    /// as slots is put in order here, O(k log k) for its k ≤ 16 records.
    package func ranges(
        _ partition: IndexPartition, order: OrderBy, includeDeleted: Bool, from lower: IndexKey?, to upper: IndexKey?,
        table: RecordTable
    ) -> [ListRange] {
        let found: PartitionLists
        if partition == .company {
            found = all
        } else if let partitionLists = lists[partition] {
            found = partitionLists
        } else if let members = few[partition] {
            let slots = members.slots.filter { includeDeleted || !table[$0].record.isDeleted }
            return [ListRange(sorting: slots, table.keys(order), from: lower, to: upper)]
        } else {
            return []
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
    private var remoteIDs: [Int: FewSlots] = [:]

    /// An empty builder.
    package init() {}

    /// Adds the record in `slot` to every partition it belongs to.
    package mutating func add(_ slot: Slot, _ fields: StoredRecord.IndexFields, isDeleted: Bool) {
        if !fields.remoteID.isEmpty {
            let hash = CompanyIndex.hash(fields.remoteID)
            remoteIDs[hash] = remoteIDs[hash]?.adding(slot) ?? .one(slot)
        }
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
        index.remoteIDs = remoteIDs
        remoteIDs = [:]
        for partition in Set(live.keys).union(deleted.keys) {
            let liveSlots = live.removeValue(forKey: partition) ?? []
            let deletedSlots = deleted.removeValue(forKey: partition) ?? []
            if partition != .company && liveSlots.count + deletedSlots.count <= FewSlots.limit {
                index.few[partition] = FewSlots(liveSlots + deletedSlots)
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
