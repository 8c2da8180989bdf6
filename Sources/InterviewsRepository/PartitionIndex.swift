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

/// One counted list per list order.
package struct OrderedLists: Sendable {
    var createdAt = CountedSortedList<IndexKey>()
    var startAt = CountedSortedList<IndexKey>()
    var updatedAt = CountedSortedList<IndexKey>()

    /// The list for `field`.
    package subscript(field: OrderBy) -> CountedSortedList<IndexKey> {
        switch field {
        case .startAt: startAt
        case .updatedAt: updatedAt
        case .createdAt, .unspecified: createdAt
        }
    }

    mutating func insert(_ keys: (createdAt: IndexKey, startAt: IndexKey, updatedAt: IndexKey)) {
        createdAt.insert(keys.createdAt)
        startAt.insert(keys.startAt)
        updatedAt.insert(keys.updatedAt)
    }

    mutating func remove(_ keys: (createdAt: IndexKey, startAt: IndexKey, updatedAt: IndexKey)) {
        createdAt.remove(keys.createdAt)
        startAt.remove(keys.startAt)
        updatedAt.remove(keys.updatedAt)
    }
}

/// The lists of one partition, live and soft-deleted records apart, so that
/// the usual query (deleted hidden) reads one list and include_deleted two.
package struct PartitionLists: Sendable {
    var live = OrderedLists()
    var deleted = OrderedLists()

    /// Whether the partition holds no record.
    var isEmpty: Bool { live.createdAt.isEmpty && deleted.createdAt.isEmpty }

    mutating func insert(_ keys: (createdAt: IndexKey, startAt: IndexKey, updatedAt: IndexKey), deleted: Bool) {
        if deleted { self.deleted.insert(keys) } else { live.insert(keys) }
    }

    mutating func remove(_ keys: (createdAt: IndexKey, startAt: IndexKey, updatedAt: IndexKey), deleted: Bool) {
        if deleted { self.deleted.remove(keys) } else { live.remove(keys) }
    }
}

/// The records of a partition of a few records (one application's
/// interviews, one candidate's), held as their ids, 16 bytes each, and put
/// in order when a list reads them; a larger partition has counted lists.
package enum FewIDs: Sendable {
    case one(UUIDv7)
    case few([UUIDv7])

    /// Partitions up to this size are held as ids.
    static let limit = 16

    var ids: [UUIDv7] {
        switch self {
        case .one(let id): [id]
        case .few(let ids): ids
        }
    }

    func adding(_ id: UUIDv7) -> FewIDs {
        switch self {
        case .one(let other): .few([other, id])
        case .few(let ids): .few(ids + [id])
        }
    }

    /// The ids without `id`; nil when none is left.
    func removing(_ id: UUIDv7) -> FewIDs? {
        var ids = ids
        ids.removeAll { $0 == id }
        return ids.count > 1 ? .few(ids) : ids.first.map { .one($0) }
    }

    init?(_ ids: [UUIDv7]) {
        guard let first = ids.first else { return nil }
        self = ids.count == 1 ? .one(first) : .few(ids)
    }
}

/// How a company index learns what it does not hold: a record's keys in the
/// three orders, and whether it is deleted (nil: no such record).
package typealias RecordKeys = (UUIDv7) -> (
    keys: (createdAt: IndexKey, startAt: IndexKey, updatedAt: IndexKey), deleted: Bool
)?

/// The ordered lists of one company's records, by partition, and the
/// company's remote ids.
package struct CompanyIndex: Sendable {
    /// Every record of the company, live and deleted, in counted lists.
    package fileprivate(set) var all = PartitionLists()
    /// The partitions of more than ``FewIDs/limit`` records.
    package fileprivate(set) var lists: [IndexPartition: PartitionLists] = [:]
    /// The other partitions that hold at least one record.
    package fileprivate(set) var few: [IndexPartition: FewIDs] = [:]
    /// Records by a hash of their remote_id (a lookup checks the record's own).
    fileprivate(set) var remoteIDs: [Int: FewIDs] = [:]

    /// Live records of the company.
    package var liveCount: Int { all.live.createdAt.count }
    /// Soft-deleted records of the company.
    package var deletedCount: Int { all.deleted.createdAt.count }

    mutating func insert(_ record: StoredRecord, _ fields: StoredRecord.IndexFields, keysOf: RecordKeys) {
        let keys = fields.keys
        let deleted = record.isDeleted
        if deleted { all.deleted.insert(keys) } else { all.live.insert(keys) }
        for partition in fields.partitions where partition != .company {
            if lists[partition] != nil {
                // In place: the dictionary's storage is the only owner of the lists.
                lists[partition, default: PartitionLists()].insert(keys, deleted: deleted)
            } else if let members = few.removeValue(forKey: partition) {
                if members.ids.count < FewIDs.limit {
                    few[partition] = members.adding(record.id)
                } else {
                    var grown = PartitionLists()
                    for id in members.ids {
                        if let member = keysOf(id) { grown.insert(member.keys, deleted: member.deleted) }
                    }
                    grown.insert(keys, deleted: deleted)
                    lists[partition] = grown
                }
            } else {
                few[partition] = .one(record.id)
            }
        }
        if !fields.remoteID.isEmpty {
            let hash = Self.hash(fields.remoteID)
            remoteIDs[hash] = remoteIDs[hash]?.adding(record.id) ?? .one(record.id)
        }
    }

    mutating func remove(_ record: StoredRecord, _ fields: StoredRecord.IndexFields) {
        let keys = fields.keys
        let deleted = record.isDeleted
        if deleted { all.deleted.remove(keys) } else { all.live.remove(keys) }
        for partition in fields.partitions where partition != .company {
            if lists[partition] != nil {
                lists[partition, default: PartitionLists()].remove(keys, deleted: deleted)
                if lists[partition]?.isEmpty == true { lists[partition] = nil }
            } else if let members = few.removeValue(forKey: partition) {
                few[partition] = members.removing(record.id)
            }
        }
        if !fields.remoteID.isEmpty {
            let hash = Self.hash(fields.remoteID)
            if let members = remoteIDs.removeValue(forKey: hash) { remoteIDs[hash] = members.removing(record.id) }
        }
    }

    /// The ids of the records whose remote_id hashes like `remoteID` (the
    /// caller checks each record's own).
    package func ids(remoteID: String) -> [UUIDv7] {
        remoteIDs[Self.hash(ArraySlice(remoteID.utf8))]?.ids ?? []
    }

    static func hash(_ bytes: ArraySlice<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes.count)
        for byte in bytes { hasher.combine(byte) }
        return hasher.finalize()
    }

    /// The slices of `partition` in `order` between the given keys: live
    /// records, and deleted ones too when `includeDeleted`. A partition held
    /// as ids is put in order here, O(k log k) for its k ≤ 16 records.
    package func ranges(
        _ partition: IndexPartition, order: OrderBy, includeDeleted: Bool, from lower: IndexKey?, to upper: IndexKey?,
        keysOf: RecordKeys
    ) -> [ListRange] {
        let found: PartitionLists
        if partition == .company {
            found = all
        } else if let partitionLists = lists[partition] {
            found = partitionLists
        } else if let members = few[partition] {
            return Self.ranges(of: members.ids, order, includeDeleted, lower, upper, keysOf)
        } else {
            return []
        }
        var result = [ListRange(found.live[order], from: lower, to: upper)]
        if includeDeleted { result.append(ListRange(found.deleted[order], from: lower, to: upper)) }
        return result
    }

    private static func ranges(
        of ids: [UUIDv7], _ order: OrderBy, _ includeDeleted: Bool, _ lower: IndexKey?, _ upper: IndexKey?,
        _ keysOf: RecordKeys
    ) -> [ListRange] {
        var keys: [IndexKey] = []
        keys.reserveCapacity(ids.count)
        for id in ids {
            guard let member = keysOf(id), includeDeleted || !member.deleted else { continue }
            switch order {
            case .startAt: keys.append(member.keys.startAt)
            case .updatedAt: keys.append(member.keys.updatedAt)
            case .createdAt, .unspecified: keys.append(member.keys.createdAt)
            }
        }
        keys.sort()
        return [ListRange(CountedSortedList(sorted: keys), from: lower, to: upper)]
    }
}

/// One company's index built in bulk, for opening a store: keys are
/// collected in any order, then each list is sorted once and cut into chunks.
/// That is O(n log n) comparisons of 32-byte keys, where inserting one key
/// at a time moves up to a chunk (about a thousand keys) per insert.
package struct CompanyIndexBuilder {
    private struct Keys {
        var createdAt: [IndexKey] = []
        var startAt: [IndexKey] = []
        var updatedAt: [IndexKey] = []

        mutating func append(_ keys: (createdAt: IndexKey, startAt: IndexKey, updatedAt: IndexKey)) {
            createdAt.append(keys.createdAt)
            startAt.append(keys.startAt)
            updatedAt.append(keys.updatedAt)
        }

        /// The lists; keys are unique because record ids are.
        mutating func build() -> OrderedLists {
            createdAt.sort()
            startAt.sort()
            updatedAt.sort()
            return OrderedLists(
                createdAt: CountedSortedList(sorted: createdAt), startAt: CountedSortedList(sorted: startAt),
                updatedAt: CountedSortedList(sorted: updatedAt))
        }
    }

    private var live: [IndexPartition: Keys] = [:]
    private var deleted: [IndexPartition: Keys] = [:]
    private var remoteIDs: [Int: FewIDs] = [:]

    /// An empty builder.
    package init() {}

    /// Adds `record` to every partition it belongs to.
    package mutating func add(_ record: StoredRecord, _ fields: StoredRecord.IndexFields) {
        let keys = fields.keys
        if !fields.remoteID.isEmpty {
            let hash = CompanyIndex.hash(fields.remoteID)
            remoteIDs[hash] = remoteIDs[hash]?.adding(record.id) ?? .one(record.id)
        }
        for partition in fields.partitions {
            if !record.isDeleted {
                live[partition, default: Keys()].append(keys)
            } else {
                deleted[partition, default: Keys()].append(keys)
            }
        }
    }

    /// The index. Each partition's keys are released as soon as its lists
    /// are built, so the peak is the index plus one partition's keys.
    package mutating func build() -> CompanyIndex {
        var index = CompanyIndex()
        index.remoteIDs = remoteIDs
        remoteIDs = [:]
        for partition in Set(live.keys).union(deleted.keys) {
            var liveKeys = live.removeValue(forKey: partition)
            var deletedKeys = deleted.removeValue(forKey: partition)
            let ids = (liveKeys?.createdAt ?? []).map(\.id) + (deletedKeys?.createdAt ?? []).map(\.id)
            if partition != .company && ids.count <= FewIDs.limit {
                index.few[partition] = FewIDs(ids)
                continue
            }
            var lists = PartitionLists()
            if var keys = liveKeys.take() { lists.live = keys.build() }
            if var keys = deletedKeys.take() { lists.deleted = keys.build() }
            if partition == .company {
                index.all = lists
            } else {
                index.lists[partition] = lists
            }
        }
        return index
    }
}
