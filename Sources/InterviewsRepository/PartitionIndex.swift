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

    /// The partitions `record` belongs to (empty references are not indexed),
    /// read from its encoding: candidate_id (4), application_id (5), job_id (6),
    /// agent_id (7), job_interview_stage_id (8).
    package static func partitions(of record: StoredRecord) -> [IndexPartition] {
        var result: [IndexPartition] = [.company, .status(record.status)]
        let references: [(UInt32, (String) -> IndexPartition)] = [
            (4, IndexPartition.candidate), (5, IndexPartition.application), (6, IndexPartition.job),
            (7, IndexPartition.agent), (8, IndexPartition.stage),
        ]
        record.bytes.withUnsafeBytes { raw in
            var reader = FieldReader(raw)
            var next = 0
            while next < references.count, let field = reader.next() {
                while next < references.count && references[next].0 < field.number { next += 1 }
                guard next < references.count, references[next].0 == field.number, field.wireType == 2,
                    !field.value.isEmpty
                else { continue }
                result.append(
                    references[next].1(String(decoding: UnsafeRawBufferPointer(rebasing: raw[field.value]), as: UTF8.self)))
                next += 1
            }
        }
        return result
    }
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
}

/// The records of one partition. A partition of a few records (one
/// application's interviews, one candidate's) is held as their ids, 16 bytes
/// each, and put in order when a list reads it; a larger one has counted lists.
package enum PartitionEntry: Sendable {
    case one(UUIDv7)
    case few([UUIDv7])
    indirect case lists(PartitionLists)

    /// Partitions up to this size are held as ids.
    static let fewLimit = 16
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
    /// The other partitions that hold at least one record.
    package fileprivate(set) var partitions: [IndexPartition: PartitionEntry] = [:]
    /// Records by a hash of their remote_id (a lookup checks the record's own).
    fileprivate(set) var remoteIDs: [Int: PartitionEntry] = [:]

    /// Live records of the company.
    package var liveCount: Int { all.live.createdAt.count }
    /// Soft-deleted records of the company.
    package var deletedCount: Int { all.deleted.createdAt.count }

    mutating func insert(_ record: StoredRecord, keysOf: RecordKeys) {
        let keys = record.keys
        if !record.isDeleted { all.live.insert(keys) } else { all.deleted.insert(keys) }
        for partition in IndexPartition.partitions(of: record) where partition != .company {
            partitions[partition] = Self.inserting(record, keys, into: partitions[partition], keysOf: keysOf)
        }
        let remoteID = record.stringField(2)
        if !remoteID.isEmpty {
            let hash = Self.hash(remoteID)
            remoteIDs[hash] = Self.insertingID(record.id, into: remoteIDs[hash])
        }
    }

    mutating func remove(_ record: StoredRecord) {
        let keys = record.keys
        if !record.isDeleted { all.live.remove(keys) } else { all.deleted.remove(keys) }
        for partition in IndexPartition.partitions(of: record) where partition != .company {
            guard let entry = partitions.removeValue(forKey: partition) else { continue }
            partitions[partition] = Self.removing(record, keys, from: entry)
        }
        let remoteID = record.stringField(2)
        if !remoteID.isEmpty {
            let hash = Self.hash(remoteID)
            if let entry = remoteIDs.removeValue(forKey: hash) {
                remoteIDs[hash] = Self.removing(record, keys, from: entry)
            }
        }
    }

    /// The ids of the records whose remote_id hashes like `remoteID` (the
    /// caller checks each record's own).
    package func ids(remoteID: String) -> [UUIDv7] {
        let hash = Self.hash(ArraySlice(remoteID.utf8))
        switch remoteIDs[hash] {
        case .one(let id): return [id]
        case .few(let ids): return ids
        case .lists, nil: return []
        }
    }

    static func hash(_ bytes: ArraySlice<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes.count)
        for byte in bytes { hasher.combine(byte) }
        return hasher.finalize()
    }

    /// Remote ids map to one live record, and a few deleted ones at most:
    /// ids only, never lists.
    private static func insertingID(_ id: UUIDv7, into entry: PartitionEntry?) -> PartitionEntry {
        switch entry {
        case nil: .one(id)
        case .one(let other): .few([other, id])
        case .few(let ids): .few(ids + [id])
        case .lists(let lists): .lists(lists)
        }
    }

    private static func inserting(
        _ record: StoredRecord, _ keys: (createdAt: IndexKey, startAt: IndexKey, updatedAt: IndexKey),
        into entry: PartitionEntry?, keysOf: RecordKeys
    ) -> PartitionEntry {
        switch entry {
        case nil: return .one(record.id)
        case .one(let other): return .few([other, record.id])
        case .few(var ids) where ids.count < PartitionEntry.fewLimit:
            ids.append(record.id)
            return .few(ids)
        case .few(let ids):
            var lists = PartitionLists()
            for id in ids {
                guard let member = keysOf(id) else { continue }
                if member.deleted { lists.deleted.insert(member.keys) } else { lists.live.insert(member.keys) }
            }
            if record.isDeleted { lists.deleted.insert(keys) } else { lists.live.insert(keys) }
            return .lists(lists)
        case .lists(var lists):
            if record.isDeleted { lists.deleted.insert(keys) } else { lists.live.insert(keys) }
            return .lists(lists)
        }
    }

    private static func removing(
        _ record: StoredRecord, _ keys: (createdAt: IndexKey, startAt: IndexKey, updatedAt: IndexKey),
        from entry: PartitionEntry
    ) -> PartitionEntry? {
        switch entry {
        case .one(let id): return id == record.id ? nil : entry
        case .few(var ids):
            ids.removeAll { $0 == record.id }
            return ids.count > 1 ? .few(ids) : ids.first.map { .one($0) }
        case .lists(var lists):
            if record.isDeleted { lists.deleted.remove(keys) } else { lists.live.remove(keys) }
            return lists.isEmpty ? nil : .lists(lists)
        }
    }

    /// The slices of `partition` in `order` between the given keys: live
    /// records, and deleted ones too when `includeDeleted`. A partition held
    /// as ids is put in order here, O(k log k) for its k ≤ 16 records.
    package func ranges(
        _ partition: IndexPartition, order: OrderBy, includeDeleted: Bool, from lower: IndexKey?, to upper: IndexKey?,
        keysOf: RecordKeys
    ) -> [ListRange] {
        let lists: PartitionLists
        switch partition == .company ? .lists(all) : partitions[partition] {
        case nil: return []
        case .lists(let found): lists = found
        case .one(let id): return Self.ranges(of: [id], order, includeDeleted, lower, upper, keysOf)
        case .few(let ids): return Self.ranges(of: ids, order, includeDeleted, lower, upper, keysOf)
        }
        var result = [ListRange(lists.live[order], from: lower, to: upper)]
        if includeDeleted { result.append(ListRange(lists.deleted[order], from: lower, to: upper)) }
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
    private var remoteIDs: [Int: PartitionEntry] = [:]

    /// An empty builder.
    package init() {}

    /// Adds `record` to every partition it belongs to.
    package mutating func add(_ record: StoredRecord) {
        let keys = record.keys
        let remoteID = record.stringField(2)
        if !remoteID.isEmpty {
            let hash = CompanyIndex.hash(remoteID)
            switch remoteIDs[hash] {
            case nil: remoteIDs[hash] = .one(record.id)
            case .one(let other): remoteIDs[hash] = .few([other, record.id])
            case .few(let ids): remoteIDs[hash] = .few(ids + [record.id])
            case .lists: break
            }
        }
        for partition in IndexPartition.partitions(of: record) {
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
            if partition != .company && ids.count <= PartitionEntry.fewLimit {
                index.partitions[partition] = ids.count == 1 ? .one(ids[0]) : .few(ids)
                continue
            }
            var lists = PartitionLists()
            if var keys = liveKeys.take() { lists.live = keys.build() }
            if var keys = deletedKeys.take() { lists.deleted = keys.build() }
            if partition == .company {
                index.all = lists
            } else {
                index.partitions[partition] = .lists(lists)
            }
        }
        return index
    }
}
