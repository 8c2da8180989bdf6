package import InterviewsModel

/// The position of a record in one list order: the order's timestamp, then
/// the id, which breaks ties. Records without the timestamp (start_at is
/// optional) sort before every record that has one.
package struct IndexKey: Sendable, Hashable, Comparable {
    /// Seconds of the order's timestamp; `Int64.min` when the record has none.
    package var seconds: Int64
    /// Nanoseconds of the order's timestamp.
    package var nanos: Int32
    /// The record's id.
    package var id: UUIDv7

    /// A key from its parts.
    package init(seconds: Int64, nanos: Int32, id: UUIDv7) {
        self.seconds = seconds
        self.nanos = nanos
        self.id = id
    }

    /// The key of a record with `timestamp` (nil: no timestamp) and `id`.
    package init(_ timestamp: Timestamp?, id: UUIDv7) {
        self.init(seconds: timestamp?.seconds ?? .min, nanos: timestamp?.nanos ?? 0, id: id)
    }

    /// The smallest key at `timestamp`: every record at or after it sorts at
    /// or after this key.
    package static func lowest(at timestamp: Timestamp) -> IndexKey {
        IndexKey(timestamp, id: .zero)
    }

    package static func < (lhs: IndexKey, rhs: IndexKey) -> Bool {
        if lhs.seconds != rhs.seconds { return lhs.seconds < rhs.seconds }
        if lhs.nanos != rhs.nanos { return lhs.nanos < rhs.nanos }
        return lhs.id < rhs.id
    }
}

/// The list order a query resolved to: the timestamp and the direction.
package struct ListOrder: Sendable, Hashable {
    /// created_at, start_at or updated_at (never `.unspecified`).
    package var field: OrderBy
    /// True for descending.
    package var descending: Bool

    /// Resolves a request's order (unspecified means created_at, ascending).
    package init(_ request: ListRequest) {
        field = request.orderBy == .unspecified ? .createdAt : request.orderBy
        descending = request.direction == .descending
    }

    /// The timestamp `record` is ordered by.
    package func timestamp(of record: Interview) -> Timestamp? {
        switch field {
        case .startAt: record.startAt
        case .updatedAt: record.updatedAt
        case .createdAt, .unspecified: record.createdAt
        }
    }

    /// The key of `record` in this order; `id` is the record's parsed id.
    package func key(of record: Interview, id: UUIDv7) -> IndexKey {
        IndexKey(timestamp(of: record), id: id)
    }
}
