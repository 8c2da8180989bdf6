import DequeModule
import InterviewsModel

/// The changes a store's writes committed that reads do not see yet: a
/// durable backend's writes wait here until the log has synced them, then
/// ``InterviewStore/publish(through:)`` applies them to the records, the
/// index and the change history. Writes see them (ids, revisions,
/// remote-id uniqueness, request ids), reads never do; there is one copy of
/// the records and the index, not one per view.
///
/// Small by design: the changes of the writes waiting for one sync.
struct StagedChanges: Sendable {
    /// Staged changes, in sequence order, with the request id entry of a create.
    private var changes = Deque<(change: CommittedChange, entry: IdempotencyEntry?)>()
    /// The newest staged version of each record.
    private(set) var latest: [UUIDv7: StoredRecord] = [:]
    /// The ids of staged records by the tag of their remote_id.
    private(set) var remoteIDs: [UInt32: [UUIDv7]] = [:]
    /// Request ids of staged creates, by company and request id.
    private(set) var requests: [IdempotencyCache.Key: IdempotencyEntry] = [:]

    /// Whether nothing is staged.
    var isEmpty: Bool { changes.isEmpty }

    /// The staged creates' request id entries.
    var entries: [IdempotencyEntry] { changes.compactMap(\.entry) }

    /// Stages `change`, remembering `entry` for its request id.
    mutating func append(_ change: CommittedChange, entry: IdempotencyEntry?) {
        changes.append((change, entry))
        index(change, entry: entry)
    }

    /// Takes the oldest staged change when its sequence is at most `sequence`.
    mutating func popFirst(through sequence: UInt64) -> CommittedChange? {
        guard let first = changes.first, first.change.sequence <= sequence else { return nil }
        changes.removeFirst()
        return first.change
    }

    /// Drops every change after `sequence`.
    mutating func discard(after sequence: UInt64) {
        while let last = changes.last, last.change.sequence > sequence { changes.removeLast() }
        reindex()
    }

    /// Rebuilds the lookups from the changes still staged (after a publish or discard).
    mutating func reindex() {
        latest = [:]
        remoteIDs = [:]
        requests = [:]
        for staged in changes { index(staged.change, entry: staged.entry) }
    }

    private mutating func index(_ change: CommittedChange, entry: IdempotencyEntry?) {
        let record = change.record
        latest[record.id] = record
        let remoteID = record.stringField(2)
        if !remoteID.isEmpty { remoteIDs[IndexPartition.remoteIDTag(remoteID), default: []].append(record.id) }
        if let entry { requests[IdempotencyCache.Key(companyID: entry.companyID, requestID: entry.requestID)] = entry }
    }
}
