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

/// The ordered lists of one company's records, by partition.
package struct CompanyIndex: Sendable {
    /// The partitions that hold at least one record.
    package fileprivate(set) var partitions: [IndexPartition: PartitionLists] = [:]

    /// Live records of the company.
    package var liveCount: Int { partitions[.company]?.live.createdAt.count ?? 0 }
    /// Soft-deleted records of the company.
    package var deletedCount: Int { partitions[.company]?.deleted.createdAt.count ?? 0 }

    mutating func insert(_ record: StoredRecord) {
        let keys = record.keys
        for partition in IndexPartition.partitions(of: record) {
            if !record.isDeleted {
                partitions[partition, default: PartitionLists()].live.insert(keys)
            } else {
                partitions[partition, default: PartitionLists()].deleted.insert(keys)
            }
        }
    }

    mutating func remove(_ record: StoredRecord) {
        let keys = record.keys
        for partition in IndexPartition.partitions(of: record) {
            guard var lists = partitions.removeValue(forKey: partition) else { continue }
            if !record.isDeleted {
                lists.live.remove(keys)
            } else {
                lists.deleted.remove(keys)
            }
            if !lists.isEmpty { partitions[partition] = lists }
        }
    }

    /// The slices of `partition` in `order` between the given keys: live
    /// records, and deleted ones too when `includeDeleted`.
    package func ranges(
        _ partition: IndexPartition, order: OrderBy, includeDeleted: Bool, from lower: IndexKey?, to upper: IndexKey?
    ) -> [ListRange] {
        guard let lists = partitions[partition] else { return [] }
        var result = [ListRange(lists.live[order], from: lower, to: upper)]
        if includeDeleted { result.append(ListRange(lists.deleted[order], from: lower, to: upper)) }
        return result
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

    /// An empty builder.
    package init() {}

    /// Adds `record` to every partition it belongs to.
    package mutating func add(_ record: StoredRecord) {
        let keys = record.keys
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
        for partition in Set(live.keys).union(deleted.keys) {
            var lists = PartitionLists()
            if var keys = live.removeValue(forKey: partition) { lists.live = keys.build() }
            if var keys = deleted.removeValue(forKey: partition) { lists.deleted = keys.build() }
            index.partitions[partition] = lists
        }
        return index
    }
}
