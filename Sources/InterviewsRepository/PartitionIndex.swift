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
        switch self {
        case .company: return Self.tag(field: 0, value: UnsafeRawBufferPointer(start: nil, count: 0))
        case .status(let status): return Self.tag(status: status.rawValue)
        case .candidate(var value), .application(var value), .job(var value), .agent(var value),
            .stage(var value):
            let field = fieldNumber
            return value.withUTF8 { Self.tag(field: field, value: UnsafeRawBufferPointer($0)) }
        }
    }

    /// The tag of the partition of string field `field` (4...8) with the
    /// UTF-8 `value`: what ``tag`` computes, from the encoding's bytes.
    static func tag(field: UInt32, value: UnsafeRawBufferPointer) -> UInt32 {
        var hasher = Hasher()
        hasher.combine(field)
        hasher.combine(value.count)
        hasher.combine(bytes: value)
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// The tag of the partition of a status (its raw value).
    static func tag(status: Int32) -> UInt32 {
        var hasher = Hasher()
        hasher.combine(15 as UInt32)
        hasher.combine(status)
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// The record's field this partition is by (0 for company and status).
    var fieldNumber: UInt32 {
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
        bytes.withUnsafeBytes { tag(field: 2, value: $0) }
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

/// One company's index built in bulk, for opening a store, without a
/// string per record: each record's partitions are read from its encoding
/// as byte ranges and numbered; then, per list order, the company's slots
/// are sorted once (keys beside slots, so the sort reads memory in order)
/// and handed out in that order to the lists of the record's partitions,
/// which come out sorted. Partitions of at most ``IndexPartition/fewLimit``
/// records go to the multimap.
package struct CompanyIndexBuilder {
    /// A partition as the encoding spells it: the field (4...8, or 15 for
    /// status) and its value's bytes (or the status).
    private struct Key: Hashable {
        var field: UInt32
        var status: Int32
        var value: ArraySlice<UInt8>

        func hash(into hasher: inout Hasher) {
            hasher.combine(field)
            hasher.combine(status)
            value.withUnsafeBytes { hasher.combine(bytes: $0) }
        }

        static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.field == rhs.field && lhs.status == rhs.status && lhs.value.elementsEqual(rhs.value)
        }

        var partition: IndexPartition {
            let text = String(decoding: value, as: UTF8.self)
            switch field {
            case 4: return .candidate(text)
            case 5: return .application(text)
            case 6: return .job(text)
            case 7: return .agent(text)
            case 8: return .stage(text)
            default: return .status(InterviewStatus(rawValue: status) ?? .unspecified)
            }
        }

        var tag: UInt32 {
            field == 15
                ? IndexPartition.tag(status: status)
                : value.withUnsafeBytes { IndexPartition.tag(field: field, value: $0) }
        }
    }

    /// Partitions per record: status and the five reference ids.
    private static let perRecord = 6
    private var numbers: [Key: Int32] = [:]
    private var keys: [Key] = []
    private var sizes: [Int] = []
    private var slots: [Slot] = []
    /// ``perRecord`` partition numbers per slot, -1 for none.
    private var memberships: [Int32] = []
    private var few = SlotMultimap()

    /// An empty builder.
    package init() {}

    /// Adds the record in `slot` to every partition it belongs to; `fields`
    /// is its scan (``StoredRecord/BulkFields``).
    package mutating func add(_ slot: Slot, _ record: StoredRecord, _ fields: StoredRecord.BulkFields) {
        slots.append(slot)
        if !fields.remoteID.isEmpty { few.insert(IndexPartition.remoteIDTag(record.bytes[fields.remoteID]), slot) }
        append(Key(field: 15, status: fields.status, value: []))
        for (offset, range) in [fields.candidate, fields.application, fields.job, fields.agent, fields.stage]
            .enumerated()
        {
            if range.isEmpty {
                memberships.append(-1)
            } else {
                append(Key(field: UInt32(4 + offset), status: 0, value: record.bytes[range]))
            }
        }
    }

    private mutating func append(_ key: Key) {
        if let number = numbers[key] {
            sizes[Int(number)] += 1
            memberships.append(number)
        } else {
            let number = Int32(keys.count)
            numbers[key] = number
            keys.append(key)
            sizes.append(1)
            memberships.append(number)
        }
    }

    /// The index.
    package mutating func build(_ table: RecordTable) -> CompanyIndex {
        var index = CompanyIndex()
        numbers = [:]
        let large = sizes.map { $0 > IndexPartition.fewLimit }
        // Small partitions: their members, by tag.
        let tags = keys.indices.map { large[$0] ? 0 : keys[$0].tag }
        for (position, slot) in slots.enumerated() {
            for number in memberships[(position * Self.perRecord)..<((position + 1) * Self.perRecord)]
            where number >= 0 && !large[Int(number)] {
                few.insert(tags[Int(number)], slot)
            }
        }
        // Large partitions and the company: one sort per order.
        var lists = [PartitionLists](repeating: PartitionLists(), count: keys.count)
        var all = PartitionLists()
        let deleted = slots.map { table[$0].record.isDeleted }
        for order in [OrderBy.createdAt, .startAt, .updatedAt] {
            let keysOf = table.keys(order)
            var pairs = slots.indices.map { (key: keysOf[slots[$0]], position: Int32($0)) }
            pairs.sort { $0.key < $1.key }
            var companyLive: [Slot] = []
            var companyDeleted: [Slot] = []
            var live = [[Slot]](repeating: [], count: keys.count)
            var dead = [[Slot]](repeating: [], count: keys.count)
            for pair in pairs {
                let position = Int(pair.position)
                let slot = slots[position]
                let isDeleted = deleted[position]
                if isDeleted { companyDeleted.append(slot) } else { companyLive.append(slot) }
                for number in memberships[(position * Self.perRecord)..<((position + 1) * Self.perRecord)]
                where number >= 0 && large[Int(number)] {
                    if isDeleted { dead[Int(number)].append(slot) } else { live[Int(number)].append(slot) }
                }
            }
            all.set(order, live: companyLive, deleted: companyDeleted)
            for number in keys.indices where large[number] {
                lists[number].set(order, live: live[number], deleted: dead[number])
            }
        }
        index.all = all
        for number in keys.indices where large[number] { index.lists[keys[number].partition] = lists[number] }
        index.few = few
        few = SlotMultimap()
        return index
    }

    /// `slots` in key order, as a list. Keys are unique because ids are.
    static func sorted(_ slots: [Slot], _ keys: SlotKeys) -> CountedSortedList<Slot> {
        var pairs = slots.map { (key: keys[$0], slot: $0) }
        pairs.sort { $0.key < $1.key }
        return CountedSortedList(sorted: pairs.map(\.slot))
    }
}

extension PartitionLists {
    /// Sets the lists of `order` from slots already in key order.
    fileprivate mutating func set(_ order: OrderBy, live: [Slot], deleted: [Slot]) {
        self.live.set(order, CountedSortedList(sorted: live))
        self.deleted.set(order, CountedSortedList(sorted: deleted))
    }
}

extension OrderedLists {
    fileprivate mutating func set(_ order: OrderBy, _ list: CountedSortedList<Slot>) {
        switch order {
        case .startAt: startAt = list
        case .updatedAt: updatedAt = list
        case .createdAt, .unspecified: createdAt = list
        }
    }
}
