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

    /// The partitions `record` belongs to (empty references are not indexed).
    package static func partitions(of record: Interview) -> [IndexPartition] {
        var result: [IndexPartition] = [.company, .status(record.status)]
        if !record.candidateID.isEmpty { result.append(.candidate(record.candidateID)) }
        if !record.applicationID.isEmpty { result.append(.application(record.applicationID)) }
        if !record.jobID.isEmpty { result.append(.job(record.jobID)) }
        if !record.agentID.isEmpty { result.append(.agent(record.agentID)) }
        if !record.jobInterviewStageID.isEmpty { result.append(.stage(record.jobInterviewStageID)) }
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

    mutating func insert(_ record: Interview, id: UUIDv7) {
        createdAt.insert(IndexKey(record.createdAt, id: id))
        startAt.insert(IndexKey(record.startAt, id: id))
        updatedAt.insert(IndexKey(record.updatedAt, id: id))
    }

    mutating func remove(_ record: Interview, id: UUIDv7) {
        createdAt.remove(IndexKey(record.createdAt, id: id))
        startAt.remove(IndexKey(record.startAt, id: id))
        updatedAt.remove(IndexKey(record.updatedAt, id: id))
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
    package private(set) var partitions: [IndexPartition: PartitionLists] = [:]

    /// Live records of the company.
    package var liveCount: Int { partitions[.company]?.live.createdAt.count ?? 0 }
    /// Soft-deleted records of the company.
    package var deletedCount: Int { partitions[.company]?.deleted.createdAt.count ?? 0 }

    mutating func insert(_ record: Interview, id: UUIDv7) {
        for partition in IndexPartition.partitions(of: record) {
            if record.deletedAt == nil {
                partitions[partition, default: PartitionLists()].live.insert(record, id: id)
            } else {
                partitions[partition, default: PartitionLists()].deleted.insert(record, id: id)
            }
        }
    }

    mutating func remove(_ record: Interview, id: UUIDv7) {
        for partition in IndexPartition.partitions(of: record) {
            guard var lists = partitions.removeValue(forKey: partition) else { continue }
            if record.deletedAt == nil {
                lists.live.remove(record, id: id)
            } else {
                lists.deleted.remove(record, id: id)
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
