import Glibc
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
        UInt32(truncatingIfNeeded: hash(field: field, value: value))
    }

    /// The tag of the partition of a status (its raw value).
    static func tag(status: Int32) -> UInt32 { UInt32(truncatingIfNeeded: hash(status: status)) }

    /// The 64-bit hash a tag is the low half of.
    static func hash(field: UInt32, value: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(field)
        hasher.combine(value.count)
        hasher.combine(bytes: value)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }

    /// The 64-bit hash of a status partition.
    static func hash(status: Int32) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(15 as UInt32)
        hasher.combine(status)
        return UInt64(UInt(bitPattern: hasher.finalize()))
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
/// string or a dictionary entry per record: each record's partitions are
/// hashed from its encoding's bytes and counted by hash; partitions of at
/// most ``IndexPartition/fewLimit`` records go to the multimap under the
/// hash's low half (their tag). For the others and the company, per list
/// order, the company's slots are sorted once (keys beside slots, so the
/// sort reads memory in order) and handed out in that order to the lists of
/// their partitions, which come out sorted.
///
/// Two values of a large partition hashing alike would merge; every member
/// of a large partition is checked against the first, and a company where
/// one differs is built one record at a time instead.
package struct CompanyIndexBuilder {
    /// Partitions per record: status and the five reference ids (fields 4...8).
    private static let perRecord = 6
    private var slots: [Slot] = []
    /// ``perRecord`` partition hashes per slot, 0 for none.
    private var memberships: [UInt64] = []
    /// Beside each membership, where its value sits in the record's
    /// encoding (`start << 32 | count`), or the status: what the check of a
    /// large partition compares.
    private var values: [UInt64] = []
    private var counts = HashCounts()
    private var few = SlotMultimap()
    /// A partition hashed to 0 (never expected): build one record at a time.
    private var slowPath = false

    /// How a partition's value is hashed: its field (4...8, or 15 with the
    /// status's raw value as 4 bytes) and bytes. The default is the hash
    /// whose low half is ``IndexPartition/tag``; a test passes a colliding
    /// one to check that a merged partition is caught.
    package typealias PartitionHash = @Sendable (_ field: UInt32, _ value: UnsafeRawBufferPointer) -> UInt64
    private let hash: PartitionHash?

    /// An empty builder; `hash` replaces the partition hash (tests only).
    package init(hash: PartitionHash? = nil) { self.hash = hash }

    private func hash(field: UInt32, value: UnsafeRawBufferPointer) -> UInt64 {
        hash?(field, value) ?? IndexPartition.hash(field: field, value: value)
    }

    private func hash(status: Int32) -> UInt64 {
        guard let hash else { return IndexPartition.hash(status: status) }
        return withUnsafeBytes(of: status) { hash(15, $0) }
    }

    /// Adds the record in `slot` to every partition it belongs to; `fields`
    /// is its scan (``StoredRecord/BulkFields``).
    package mutating func add(_ slot: Slot, _ record: StoredRecord, _ fields: StoredRecord.BulkFields) {
        slots.append(slot)
        record.bytes.withUnsafeBytes { raw in
            if !fields.remoteID.isEmpty {
                few.insert(
                    IndexPartition.tag(field: 2, value: UnsafeRawBufferPointer(rebasing: raw[fields.remoteID])), slot)
            }
            note(hash(status: fields.status), value: UInt64(UInt32(bitPattern: fields.status)))
            for (offset, range) in [fields.candidate, fields.application, fields.job, fields.agent, fields.stage]
                .enumerated()
            {
                if range.isEmpty {
                    memberships.append(0)
                    values.append(0)
                } else {
                    note(
                        hash(
                            field: UInt32(4 + offset), value: UnsafeRawBufferPointer(rebasing: raw[range])),
                        value: UInt64(range.lowerBound) << 32 | UInt64(range.count))
                }
            }
        }
    }

    private mutating func note(_ hash: UInt64, value: UInt64) {
        if hash == 0 { slowPath = true }
        memberships.append(hash)
        values.append(value)
        counts.add(hash)
    }

    /// The partition a membership stands for, read from the record in `slot`.
    private static func partition(_ slot: Slot, offset: Int, _ table: RecordTable) -> IndexPartition {
        let record = table[slot].record
        if offset == 0 { return .status(record.status) }
        let text = String(decoding: record.stringField(UInt32(3 + offset)), as: UTF8.self)
        switch offset {
        case 1: return .candidate(text)
        case 2: return .application(text)
        case 3: return .job(text)
        case 4: return .agent(text)
        default: return .stage(text)
        }
    }

    /// The index.
    package mutating func build(_ table: RecordTable) -> CompanyIndex {
        // Number the large partitions; check that each one's members agree.
        var large: [UInt64: Int] = [:]
        var representatives: [(slot: Slot, offset: Int, membership: Int)] = []
        var numbers = [Int32](repeating: -1, count: memberships.count)
        for (position, slot) in slots.enumerated() where !slowPath {
            for offset in 0..<Self.perRecord {
                let membership = position * Self.perRecord + offset
                let hash = memberships[membership]
                guard hash != 0, counts[hash] > IndexPartition.fewLimit else { continue }
                let number: Int
                if let known = large[hash] {
                    number = known
                    let first = representatives[number]
                    if first.offset != offset
                        || !sameValue(
                            offset: offset, first.slot, values[first.membership], slot, values[membership], table)
                    {
                        slowPath = true
                    }
                } else {
                    number = representatives.count
                    large[hash] = number
                    representatives.append((slot, offset, membership))
                }
                numbers[membership] = Int32(number)
            }
        }
        if slowPath { return oneByOne(table) }
        var index = CompanyIndex()
        for (position, slot) in slots.enumerated() {
            for offset in 0..<Self.perRecord where numbers[position * Self.perRecord + offset] < 0 {
                let hash = memberships[position * Self.perRecord + offset]
                if hash != 0 { few.insert(UInt32(truncatingIfNeeded: hash), slot) }
            }
        }
        let deleted = slots.map { table[$0].record.isDeleted }
        let slots = self.slots
        let partitions = representatives.count
        let perRecord = Self.perRecord
        let partitionOf = numbers
        // The three orders are independent: each sorts the company's slots
        // by its keys and hands them out (on several threads when large).
        let orders: [OrderBy] = [.createdAt, .startAt, .updatedAt]
        let sorted = concurrentMap(orders.count, parallel: slots.count >= Self.parallelThreshold) {
            number -> (company: (live: [Slot], deleted: [Slot]), live: [[Slot]], dead: [[Slot]]) in
            let keysOf = table.keys(orders[number])
            var pairs = slots.indices.map { (key: keysOf[slots[$0]], position: Int32($0)) }
            pairs.sort { $0.key < $1.key }
            var companyLive: [Slot] = []
            var companyDeleted: [Slot] = []
            var live = [[Slot]](repeating: [], count: partitions)
            var dead = [[Slot]](repeating: [], count: partitions)
            for pair in pairs {
                let position = Int(pair.position)
                let slot = slots[position]
                let isDeleted = deleted[position]
                if isDeleted { companyDeleted.append(slot) } else { companyLive.append(slot) }
                for number in partitionOf[(position * perRecord)..<((position + 1) * perRecord)] where number >= 0 {
                    if isDeleted { dead[Int(number)].append(slot) } else { live[Int(number)].append(slot) }
                }
            }
            return ((companyLive, companyDeleted), live, dead)
        }
        var lists = [PartitionLists](repeating: PartitionLists(), count: partitions)
        var all = PartitionLists()
        for (order, result) in zip(orders, sorted) {
            all.set(order, live: result.company.live, deleted: result.company.deleted)
            for number in 0..<partitions {
                lists[number].set(order, live: result.live[number], deleted: result.dead[number])
            }
        }
        index.all = all
        for (number, first) in representatives.enumerated() {
            index.lists[Self.partition(first.slot, offset: first.offset, table)] = lists[number]
        }
        index.few = few
        few = SlotMultimap()
        return index
    }

    /// Whether two memberships at `offset` hold the same value: the status
    /// (offset 0), or equal bytes in the two records' encodings.
    private func sameValue(
        offset: Int, _ first: Slot, _ a: UInt64, _ other: Slot, _ b: UInt64, _ table: RecordTable
    ) -> Bool {
        if offset == 0 { return a == b }
        let count = Int(a & 0xFFFF_FFFF)
        guard count == Int(b & 0xFFFF_FFFF) else { return false }
        return table[first].record.bytes.withUnsafeBytes { x in
            table[other].record.bytes.withUnsafeBytes { y in
                guard let x = x.baseAddress, let y = y.baseAddress else { return count == 0 }
                return memcmp(x + Int(a >> 32), y + Int(b >> 32), count) == 0
            }
        }
    }

    /// The indexes of several companies, each from the slots of its records
    /// (`companies[n]` for the n-th), built on the machine's cores: the
    /// companies are independent and `table` is only read. Largest first,
    /// so that the last company to start is a small one.
    package static func build(companies: [[Slot]], _ table: RecordTable, hash: PartitionHash?) -> [CompanyIndex] {
        let order = companies.indices.sorted { companies[$0].count > companies[$1].count }
        let parallel = table.count >= parallelThreshold
        let built = concurrentMap(order.count, parallel: parallel) { position -> CompanyIndex in
            var builder = CompanyIndexBuilder(hash: hash)
            for slot in companies[order[position]] {
                let record = table[slot].record
                builder.add(slot, record, record.bulkFields)
            }
            return builder.build(table)
        }
        var indexes = [CompanyIndex](repeating: CompanyIndex(), count: companies.count)
        for (position, index) in built.enumerated() { indexes[order[position]] = index }
        return indexes
    }

    /// Below this many records an open builds its index on the calling
    /// thread alone: waking other threads would cost more than it saves.
    package static let parallelThreshold = 4096

    /// The index built by inserting each record in turn.
    private func oneByOne(_ table: RecordTable) -> CompanyIndex {
        var index = CompanyIndex()
        for slot in slots { index.insert(slot, table[slot].record.indexFields, table) }
        return index
    }

    /// `slots` in key order, as a list. Keys are unique because ids are.
    static func sorted(_ slots: [Slot], _ keys: SlotKeys) -> CountedSortedList<Slot> {
        var pairs = slots.map { (key: keys[$0], slot: $0) }
        pairs.sort { $0.key < $1.key }
        return CountedSortedList(sorted: pairs.map(\.slot))
    }
}

/// Counts by 64-bit hash: open addressing, linear probing, no deletion.
private struct HashCounts {
    private var keys: [UInt64] = []
    private var values: [Int32] = []
    private var count = 0

    /// The count of `hash` (0 when never added).
    subscript(hash: UInt64) -> Int {
        guard !keys.isEmpty else { return 0 }
        let mask = keys.count - 1
        var bucket = Int(truncatingIfNeeded: hash) & mask
        while keys[bucket] != 0 {
            if keys[bucket] == hash { return Int(values[bucket]) }
            bucket = (bucket + 1) & mask
        }
        return 0
    }

    /// Adds one to the count of `hash` (not 0).
    mutating func add(_ hash: UInt64) {
        guard hash != 0 else { return }
        if 2 * (count + 1) > keys.count { grow() }
        let mask = keys.count - 1
        var bucket = Int(truncatingIfNeeded: hash) & mask
        while keys[bucket] != 0 && keys[bucket] != hash { bucket = (bucket + 1) & mask }
        if keys[bucket] == 0 {
            keys[bucket] = hash
            count += 1
        }
        values[bucket] += 1
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = [UInt64](repeating: 0, count: max(64, 2 * oldKeys.count))
        values = [Int32](repeating: 0, count: keys.count)
        let mask = keys.count - 1
        for (key, value) in zip(oldKeys, oldValues) where key != 0 {
            var bucket = Int(truncatingIfNeeded: key) & mask
            while keys[bucket] != 0 { bucket = (bucket + 1) & mask }
            keys[bucket] = key
            values[bucket] = value
        }
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
