import DequeModule
import InterviewsModel

/// A create that carried a request id, remembered so that a retry returns
/// the record the first call created.
package struct IdempotencyEntry: Sendable, Hashable {
    /// The tenant the create ran for.
    package var companyID: String
    /// The caller's request id.
    package var requestID: String
    /// The id of the record the create made.
    package var interviewID: String
    /// SHA-256 (first 16 bytes) of the create's client-owned fields: tells a
    /// retry from a different create that reuses the request id.
    package var fingerprint: [UInt8]
    /// When the create ran; the entry expires a window after it.
    package var createdAt: Timestamp

    /// An entry.
    package init(companyID: String, requestID: String, interviewID: String, fingerprint: [UInt8], createdAt: Timestamp)
    {
        self.companyID = companyID
        self.requestID = requestID
        self.interviewID = interviewID
        self.fingerprint = fingerprint
        self.createdAt = createdAt
    }
}

/// The remembered creates, bounded twice: by age (the window) and by count
/// (oldest forgotten first).
package struct IdempotencyCache: Sendable {
    /// An entry's key: its company and request id.
    struct Key: Hashable, Sendable {
        var companyID: String
        var requestID: String
    }

    /// How many entries are kept.
    package let limit: Int
    /// How long an entry is honoured, in seconds.
    package let windowSeconds: Int64
    private var entries: [Key: IdempotencyEntry] = [:]
    private var order = Deque<Key>()

    /// An empty cache.
    package init(limit: Int, windowSeconds: Int64) {
        self.limit = max(1, limit)
        self.windowSeconds = windowSeconds
    }

    /// The live entry for `requestID` of `companyID` at time `now`, if any.
    package func entry(companyID: String, requestID: String, now: Timestamp) -> IdempotencyEntry? {
        guard let entry = entries[Key(companyID: companyID, requestID: requestID)], !isExpired(entry, now: now)
        else { return nil }
        return entry
    }

    /// Remembers `entry` (replacing an older one for the same request id) and
    /// forgets entries past the window or beyond the limit.
    package mutating func insert(_ entry: IdempotencyEntry, now: Timestamp) {
        let key = Key(companyID: entry.companyID, requestID: entry.requestID)
        if entries.updateValue(entry, forKey: key) == nil { order.append(key) }
        while let oldest = order.first, let stored = entries[oldest],
            entries.count > limit || isExpired(stored, now: now)
        {
            entries[oldest] = nil
            order.removeFirst()
        }
    }

    /// Every live entry, oldest first (for a snapshot).
    package func allEntries(now: Timestamp) -> [IdempotencyEntry] {
        order.compactMap { entries[$0] }.filter { !isExpired($0, now: now) }
    }

    private func isExpired(_ entry: IdempotencyEntry, now: Timestamp) -> Bool {
        now.seconds - entry.createdAt.seconds >= windowSeconds
    }
}
