import Crypto
package import InterviewsModel

/// The in-memory engine behind every backend: records, their ordered
/// indexes, remote-id uniqueness, idempotency entries and the change
/// history, as one value type that its owner guards with a lock.
///
/// ``InMemoryInterviewRepository`` keeps one in a `Mutex`. A durable backend
/// reuses it as its read index:
/// - on open, ``init(snapshot:configuration:)`` with the snapshot's records
///   and idempotency entries, then ``apply(_:sequence:requestID:)`` for every
///   logged change after the snapshot, in sequence order (sequences must
///   increase; a log without a snapshot starts from ``init(configuration:)``);
/// - on a write, ``create(_:requestID:tenant:)`` (or update, delete, upsert)
///   under its lock, which validates, applies and returns the committed
///   changes (sequences `lastSequence + 1`, ...) with the request id to log;
///   it submits them to its log under the same lock, so that log and store
///   number changes alike, acknowledges the caller once they are on disk,
///   and refuses further writes if the log fails;
/// - for compaction, a copy of the store taken under the lock (O(1): every
///   collection is copy-on-write; the next write pays one O(n) copy) and
///   ``snapshot()`` of the copy outside it.
///
/// Nothing here blocks or awaits. Every method checks the tenant: another
/// tenant's record is NOT_FOUND and never counted.
package struct InterviewStore: Sendable {
    /// Bounds and secrets of a store; the defaults suit a production store.
    package struct Configuration: Sendable {
        /// Changes kept for the watch feed (default 100 000).
        package var changeHistoryLimit: Int
        /// Request ids remembered for idempotent creates (default 100 000 per store).
        package var idempotencyLimit: Int
        /// How long a request id is honoured, in seconds (default 24 h).
        package var idempotencyWindowSeconds: Int64
        /// The HMAC-SHA256 key page tokens are signed with (default: 32 random
        /// bytes, so tokens die with the process; a durable store may keep one).
        package var tokenSecret: [UInt8]

        /// A configuration; every parameter has the documented default.
        package init(
            changeHistoryLimit: Int = 100_000, idempotencyLimit: Int = 100_000,
            idempotencyWindowSeconds: Int64 = 86_400, tokenSecret: [UInt8] = Configuration.randomSecret()
        ) {
            self.changeHistoryLimit = changeHistoryLimit
            self.idempotencyLimit = idempotencyLimit
            self.idempotencyWindowSeconds = idempotencyWindowSeconds
            self.tokenSecret = tokenSecret
        }

        /// 32 bytes from the system's secure random source.
        package static func randomSecret() -> [UInt8] {
            var generator = SystemRandomNumberGenerator()
            return (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        }
    }

    private let signer: TokenSigner
    /// The 32-byte secret page tokens are signed with (a backup carries it,
    /// so tokens stay valid on a store restored from it).
    package let tokenSecret: [UInt8]
    /// Every record (live or deleted) as its encoding and fixed fields, by slot.
    private var table = RecordTable()
    private var companies: [String: CompanyIndex] = [:]
    private var history: ChangeHistory
    private var idempotency: IdempotencyCache
    /// The newest change sequence a write committed (0: none yet), staged or published.
    package private(set) var lastSequence: UInt64 = 0
    /// The newest change reads see: ``lastSequence`` unless changes are staged.
    package private(set) var publishedSequence: UInt64 = 0
    /// Committed changes reads do not see yet (see ``publishesOnWrite``).
    private var staged = StagedChanges()
    /// Whether a write's changes are visible at once (the default, for the
    /// memory backend), or staged until ``publish(through:)`` (a durable
    /// backend, once its log has synced them).
    package var publishesOnWrite = true
    /// The newest timestamp the store assigned or replayed.
    private var lastTimestamp = Timestamp(seconds: 0)
    /// While true, `insert` and `remove` leave `companies` alone: a bulk
    /// load (opening a store) builds it once at the end, with
    /// ``buildDeferredIndex()``. Lists, scans and stats need it built.
    private var indexDeferred = false

    /// An empty store.
    package init(configuration: Configuration = Configuration()) {
        signer = TokenSigner(secret: configuration.tokenSecret)
        tokenSecret = configuration.tokenSecret
        history = ChangeHistory(limit: configuration.changeHistoryLimit)
        idempotency = IdempotencyCache(
            limit: configuration.idempotencyLimit, windowSeconds: configuration.idempotencyWindowSeconds)
    }

    /// A store holding a snapshot's records; its change history starts empty
    /// after `snapshot.lastSequence` (older changes report `truncated`).
    ///
    /// - Throws: DATA_LOSS when a record is not one a store could have written.
    ///
    /// - Parameter deferringIndex: Leave the list index unbuilt, for a caller
    ///   that replays more changes first and then calls ``buildDeferredIndex()``.
    package init(snapshot: StoreSnapshot, configuration: Configuration = Configuration(), deferringIndex: Bool = false)
        throws(InterviewsError)
    {
        self.init(configuration: configuration)
        history = ChangeHistory(limit: configuration.changeHistoryLimit, floor: snapshot.lastSequence)
        indexDeferred = true
        table.reserveCapacity(snapshot.records.count)
        // Each record's timestamps, read from its encoding on the machine's cores.
        let facts =
            snapshot.records.count >= CompanyIndexBuilder.parallelThreshold
            ? concurrentMap(snapshot.records) { $0.facts } : snapshot.records.map(\.facts)
        for (record, facts) in zip(snapshot.records, facts) {
            guard table.slot(of: record.id) == nil else {
                throw InterviewsError(.dataLoss, "snapshot holds interview \(record.id) twice")
            }
            storeDeferred(record, facts: facts)
        }
        lastSequence = snapshot.lastSequence
        publishedSequence = snapshot.lastSequence
        for entry in snapshot.idempotencyEntries { idempotency.insert(entry, now: entry.createdAt) }
        if !deferringIndex { buildDeferredIndex() }
    }

    /// Stops maintaining the list index until ``buildDeferredIndex()``: for
    /// replaying many changes into a store that nobody reads yet, each
    /// change then costs a dictionary update instead of index inserts.
    package mutating func deferIndex() {
        guard !indexDeferred else { return }
        indexDeferred = true
        companies = [:]
    }

    /// Builds the list index of every record in bulk (see
    /// ``CompanyIndexBuilder``) and maintains it again from here on.
    ///
    /// - Parameter partitionHash: Replaces the partition hash of the bulk
    ///   build (tests only; see ``CompanyIndexBuilder/PartitionHash``).
    package mutating func buildDeferredIndex(partitionHash: CompanyIndexBuilder.PartitionHash? = nil) {
        guard indexDeferred else { return }
        // Companies by their bytes, so that no string is made per record.
        var numbers: [CompanyBytes: Int] = [:]
        var names: [String] = []
        var members: [[Slot]] = []
        for slot in 0..<Slot(table.count) {
            let company = CompanyBytes(bytes: table[slot].record.stringField(3))
            if let known = numbers[company] {
                members[known].append(slot)
            } else {
                numbers[company] = members.count
                names.append(String(decoding: company.bytes, as: UTF8.self))
                members.append([slot])
            }
        }
        let built = CompanyIndexBuilder.build(companies: members, table, hash: partitionHash)
        var companies: [String: CompanyIndex] = [:]
        companies.reserveCapacity(names.count)
        for (name, index) in zip(names, built) { companies[name] = index }
        self.companies = companies
        indexDeferred = false
    }

    // MARK: Reads

    /// The record `id` of `tenant`.
    ///
    /// - Throws: INVALID_ARGUMENT for a malformed id; NOT_FOUND when there is
    ///   no such record, it is another tenant's, or it is deleted and
    ///   `includeDeleted` is false.
    package func get(id: String, includeDeleted: Bool, tenant: Tenant) throws(InterviewsError) -> Interview {
        try InterviewValidation.validateCompanyID(tenant.companyID)
        try InterviewValidation.validateID(id, field: "id")
        return try stored(id: id, includeDeleted: includeDeleted, tenant: tenant).interview()
    }

    /// The record `id` of `tenant` as its encoding, without remote_data unless
    /// `includeRemoteData`; the same checks and errors as ``get(id:includeDeleted:tenant:)``.
    package func getEncoded(id: String, includeDeleted: Bool, includeRemoteData: Bool, tenant: Tenant)
        throws(InterviewsError) -> EncodedInterview
    {
        let record = try stored(id: id, includeDeleted: includeDeleted, tenant: tenant)
        return EncodedInterview(record, RecordView(customFields: true, remoteData: includeRemoteData, analysis: true))
    }

    private func stored(id: String, includeDeleted: Bool, tenant: Tenant) throws(InterviewsError) -> StoredRecord {
        try InterviewValidation.validateCompanyID(tenant.companyID)
        try InterviewValidation.validateID(id, field: "id")
        guard let record = record(id: id, tenant: tenant), includeDeleted || !record.isDeleted else {
            throw Self.notFound(id)
        }
        return record
    }

    /// Counts for `tenant` and the store's last sequence; `writable` is true.
    package func stats(tenant: Tenant) -> RepositoryStats {
        precondition(!indexDeferred, "stats of a store whose index is deferred")
        let index = companies[tenant.companyID]
        return RepositoryStats(
            liveCount: UInt64(index?.liveCount ?? 0), deletedCount: UInt64(index?.deletedCount ?? 0),
            lastSequence: publishedSequence, writable: true)
    }

    /// Changes of `tenant` after `sequence`, oldest first, at most `limit`
    /// (clamped to 1...10 000); see ``ChangeHistory/changes(after:limit:tenant:)``.
    package func changes(after sequence: UInt64, limit: Int, tenant: Tenant) throws(InterviewsError) -> ChangeBatch {
        try InterviewValidation.validateCompanyID(tenant.companyID)
        return try history.changes(after: sequence, limit: min(max(limit, 1), 10_000), tenant: tenant)
    }

    /// ``changes(after:limit:tenant:)`` with each record as stored.
    package func encodedChanges(after sequence: UInt64, limit: Int, tenant: Tenant) throws(InterviewsError)
        -> EncodedChangeBatch
    {
        try InterviewValidation.validateCompanyID(tenant.companyID)
        return history.encodedChanges(after: sequence, limit: min(max(limit, 1), 10_000), tenant: tenant)
    }

    /// Every record and the state a durable store needs to rebuild this one,
    /// staged changes included: records in id order, ``lastSequence``, live
    /// idempotency entries. O(n log n).
    package func snapshot() -> StoreSnapshot {
        var records = table.entries.map(\.record)
        var entries = idempotency.allEntries(now: lastTimestamp)
        if !staged.isEmpty {
            var newer = staged.latest
            for index in records.indices {
                if let record = newer.removeValue(forKey: records[index].id) { records[index] = record }
            }
            records += newer.values
            entries += staged.entries
        }
        records.sort { $0.id < $1.id }
        return StoreSnapshot(records: records, lastSequence: lastSequence, idempotencyEntries: entries)
    }

    /// What reads see, as a snapshot: every published record in slot order
    /// (staged changes left out), ``publishedSequence``, the published live
    /// idempotency entries. A backup takes this: only durable changes, and
    /// every one up to the sequence. O(n), no sort.
    package func publishedSnapshot() -> StoreSnapshot {
        StoreSnapshot(
            records: table.entries.map(\.record), lastSequence: publishedSequence,
            idempotencyEntries: idempotency.allEntries(now: lastTimestamp))
    }

    // MARK: Publishing

    /// Makes every staged change up to `sequence` visible to reads, in
    /// order: records, index, change history, request ids.
    ///
    /// - Throws: INTERNAL when a staged change does not apply (a bug; the
    ///   store's reads are then behind its writes).
    package mutating func publish(through sequence: UInt64) throws(InterviewsError) {
        var published = false
        while let next = staged.popFirst(through: sequence) {
            published = true
            do throws(InterviewsError) {
                _ = try apply(
                    next.record, sequence: next.sequence, requestID: next.requestID, interview: next.change.interview)
            } catch {
                staged.reindex()
                throw InterviewsError(.internalError, "publishing change \(next.sequence) failed: \(error.message)")
            }
        }
        if published { staged.reindex() }
    }

    /// Forgets the staged changes after `sequence` (their log append
    /// failed): writes see the store as it was before them.
    package mutating func discardStaged(after sequence: UInt64) {
        staged.discard(after: sequence)
        lastSequence = max(publishedSequence, min(lastSequence, sequence))
    }

    // MARK: Replay

    /// Makes `record` the stored state of its id as change `sequence`: the
    /// replay of one logged change, and the last step of every write.
    ///
    /// The change is `.created` for a new id, `.deleted` when the record
    /// became deleted, `.updated` otherwise. A non-empty `requestID` on a
    /// creation is remembered for idempotent retries.
    ///
    /// - Throws: DATA_LOSS when `sequence` is not after ``lastSequence`` or
    ///   the record lacks a store-assigned id, company, created_at or updated_at.
    ///
    /// - Parameter encoding: The record's encoding when the caller has it
    ///   (a replayed log record); it is encoded here otherwise.
    @discardableResult
    package mutating func apply(
        _ record: Interview, sequence: UInt64, requestID: String = "", encoding: [UInt8]? = nil
    ) throws(InterviewsError) -> CommittedChange {
        let stored = try StoredRecord(record, encoding: encoding)
        let kind = try apply(stored, sequence: sequence, requestID: requestID, interview: record)
        return CommittedChange(
            change: Change(sequence: sequence, kind: kind, interview: record), requestID: requestID, record: stored)
    }

    /// ``apply(_:sequence:requestID:encoding:)`` for a record as it was read
    /// from the log: the record is decoded only when the create carried a
    /// request id (for its idempotency fingerprint).
    ///
    /// - Returns: The kind of the change.
    @discardableResult
    package mutating func apply(encoded stored: StoredRecord, sequence: UInt64, requestID: String = "")
        throws(InterviewsError) -> ChangeKind
    {
        try apply(stored, sequence: sequence, requestID: requestID, interview: nil)
    }

    private mutating func apply(_ stored: StoredRecord, sequence: UInt64, requestID: String, interview: Interview?)
        throws(InterviewsError) -> ChangeKind
    {
        guard sequence > publishedSequence else {
            throw InterviewsError(.dataLoss, "change \(sequence) is not after the last sequence \(publishedSequence)")
        }
        let previousSlot = table.slot(of: stored.id)
        let previous = previousSlot.map { table[$0].record }
        store(stored, previousSlot: previousSlot)
        publishedSequence = sequence
        lastSequence = max(lastSequence, sequence)
        let kind = Self.kind(of: stored, replacing: previous)
        if kind == .created && !requestID.isEmpty {
            let record: Interview
            if let interview { record = interview } else { record = try stored.interview() }
            idempotency.insert(idempotencyEntry(record, requestID: requestID), now: lastTimestamp)
        }
        history.append(sequence: sequence, kind: kind, record: stored)
        return kind
    }

    // MARK: Writes

    /// Creates a record (see ``InterviewRepository/create(_:requestID:tenant:)``).
    /// A retry of a create with the same `requestID` and the same client-owned
    /// fields within the idempotency window returns the record the first call
    /// created, as it is now, and commits nothing.
    ///
    /// - Throws: INVALID_ARGUMENT; ALREADY_EXISTS when a live record of the
    ///   tenant has the same remote_id, or when `requestID` was used within
    ///   the window for a create with different fields.
    package mutating func create(_ interview: Interview, requestID: String, tenant: Tenant) throws(InterviewsError)
        -> StoreWrite
    {
        try InterviewValidation.validateCompanyID(tenant.companyID)
        try InterviewValidation.validateRequestID(requestID)
        let fields = interview.clientOwnedFields
        try InterviewValidation.validate(fields)
        if !requestID.isEmpty,
            let entry =
                staged.requests[IdempotencyCache.Key(companyID: tenant.companyID, requestID: requestID)]
                ?? idempotency.entry(companyID: tenant.companyID, requestID: requestID, now: Timestamp.now())
        {
            var candidate = fields
            candidate.companyID = tenant.companyID
            guard entry.fingerprint == Self.fingerprint(candidate) else {
                throw InterviewsError(
                    .alreadyExists,
                    "request_id: \(InterviewValidation.quoted(requestID)) was already used for a create with different fields; use a new request_id for a new interview"
                )
            }
            if let original = currentRecord(id: entry.interviewID, tenant: tenant) {
                return StoreWrite(interview: try original.interview(), changes: [])
            }
        }
        try checkRemoteIDIsFree(fields.remoteID, tenant: tenant, except: nil)
        let now = nextTimestamp()
        var record = fields
        record.id = UUIDv7.generate().description
        record.companyID = tenant.companyID
        record.createdAt = now
        record.updatedAt = now
        record.revision = 1
        let committed = try stage(record, requestID: requestID)
        return StoreWrite(interview: record, changes: [committed])
    }

    /// Copies the masked fields onto a live record
    /// (see ``InterviewRepository/update(_:mask:expectedRevision:tenant:)``).
    /// An update that changes nothing returns the record and commits nothing.
    ///
    /// - Throws: INVALID_ARGUMENT (bad mask, id or resulting field),
    ///   NOT_FOUND, FAILED_PRECONDITION (revision), ALREADY_EXISTS (remote_id).
    package mutating func update(
        _ changes: Interview, mask: [String], expectedRevision: UInt64, tenant: Tenant
    ) throws(InterviewsError) -> StoreWrite {
        try InterviewValidation.validateCompanyID(tenant.companyID)
        let fields = try InterviewValidation.updateMask(mask)
        try InterviewValidation.validateID(changes.id, field: "id")
        let stored = try liveRecord(id: changes.id, expectedRevision: expectedRevision, tenant: tenant)
        var updated = stored
        for field in fields { field.copy(from: changes, into: &updated) }
        try InterviewValidation.validate(updated)
        if updated == stored { return StoreWrite(interview: stored, changes: []) }
        if updated.remoteID != stored.remoteID {
            try checkRemoteIDIsFree(updated.remoteID, tenant: tenant, except: stored.id)
        }
        return try commitUpdate(updated, revisionOf: stored)
    }

    /// Soft-deletes a live record: sets deleted_at, bumps revision and updated_at.
    ///
    /// - Throws: INVALID_ARGUMENT, NOT_FOUND (also when already deleted),
    ///   FAILED_PRECONDITION (revision).
    package mutating func delete(id: String, expectedRevision: UInt64, tenant: Tenant) throws(InterviewsError)
        -> StoreWrite
    {
        try InterviewValidation.validateCompanyID(tenant.companyID)
        try InterviewValidation.validateID(id, field: "id")
        let stored = try liveRecord(id: id, expectedRevision: expectedRevision, tenant: tenant)
        var record = stored
        // Marks the deletion; commitUpdate stamps it with the new updated_at.
        record.deletedAt = stored.updatedAt
        return try commitUpdate(record, revisionOf: stored)
    }

    /// Creates or updates each item by remote_id, in order (see
    /// ``InterviewRepository/upsert(_:tenant:)`` for deleted records).
    /// Results hold the stored record without remote_data.
    ///
    /// - Throws: INVALID_ARGUMENT for the whole call when there are more
    ///   than ``InterviewLimits/maxUpsertItems`` items; an invalid item gets
    ///   an ERROR result and does not stop the others.
    package mutating func upsert(_ items: [Interview], tenant: Tenant) throws(InterviewsError) -> UpsertWrite {
        try InterviewValidation.validateCompanyID(tenant.companyID)
        if items.count > InterviewLimits.maxUpsertItems {
            throw .invalidArgument(
                "interviews", "\(items.count) items; must be at most \(InterviewLimits.maxUpsertItems)")
        }
        var results: [UpsertResult] = []
        var committed: [CommittedChange] = []
        for (index, item) in items.enumerated() {
            var result = UpsertResult(index: UInt32(index))
            do throws(InterviewsError) {
                let (outcome, record, changes) = try upsertOne(item, tenant: tenant)
                var shown = record
                shown.remoteData = []
                result.outcome = outcome
                result.interview = shown
                committed += changes
            } catch {
                result.outcome = .error
                result.errorCode = error.code.rawValue
                result.errorMessage = error.message
            }
            results.append(result)
        }
        return UpsertWrite(results: results, changes: committed)
    }

    private mutating func upsertOne(_ item: Interview, tenant: Tenant) throws(InterviewsError) -> (
        UpsertOutcome, Interview, [CommittedChange]
    ) {
        let fields = item.clientOwnedFields
        if fields.remoteID.isEmpty {
            throw .invalidArgument("remote_id", "is empty; every upsert item must carry the source system's id")
        }
        try InterviewValidation.validate(fields)
        // deleted_at, server-owned elsewhere, asks for the record deleted.
        let deleting = item.deletedAt != nil
        guard let stored = try upsertTarget(remoteID: fields.remoteID, tenant: tenant) else {
            let write = try create(fields, requestID: "", tenant: tenant)
            guard deleting else { return (.created, write.interview, write.changes) }
            var record = write.interview
            record.deletedAt = record.updatedAt
            let deletion = try commitUpdate(record, revisionOf: write.interview)
            return (.created, deletion.interview, write.changes + deletion.changes)
        }
        var updated = fields
        for field in InterviewField.serverOwned { field.copy(from: stored, into: &updated) }
        // A deletion is never undone by an upsert.
        if deleting && updated.deletedAt == nil { updated.deletedAt = stored.updatedAt }
        if updated == stored { return (.unchanged, stored, []) }
        let write = try commitUpdate(updated, revisionOf: stored)
        return (.updated, write.interview, write.changes)
    }

    private mutating func commitUpdate(_ record: Interview, revisionOf stored: Interview) throws(InterviewsError)
        -> StoreWrite
    {
        var record = record
        record.revision = stored.revision + 1
        record.updatedAt = nextTimestamp()
        if record.deletedAt != nil && stored.deletedAt == nil { record.deletedAt = record.updatedAt }
        let committed = try stage(record, requestID: "")
        return StoreWrite(interview: record, changes: [committed])
    }

    /// The kind of the change that makes `stored` the state of its id.
    private static func kind(of stored: StoredRecord, replacing previous: StoredRecord?) -> ChangeKind {
        if previous == nil { return .created }
        return stored.isDeleted && previous?.isDeleted == false ? .deleted : .updated
    }

    /// The entry that remembers `requestID` for the create of `record`.
    private func idempotencyEntry(_ record: Interview, requestID: String) -> IdempotencyEntry {
        IdempotencyEntry(
            companyID: record.companyID, requestID: requestID, interviewID: record.id,
            fingerprint: Self.fingerprint(record), createdAt: record.createdAt ?? lastTimestamp)
    }

    /// Commits `record` as the next change: published at once when
    /// ``publishesOnWrite``, staged otherwise.
    private mutating func stage(_ record: Interview, requestID: String) throws(InterviewsError) -> CommittedChange {
        let stored = try StoredRecord(record)
        let sequence = lastSequence + 1
        let previous = staged.latest[stored.id] ?? table.record(stored.id)
        let kind = Self.kind(of: stored, replacing: previous)
        let committed = CommittedChange(
            change: Change(sequence: sequence, kind: kind, interview: record), requestID: requestID, record: stored)
        if publishesOnWrite && staged.isEmpty {
            _ = try apply(stored, sequence: sequence, requestID: requestID, interview: record)
            return committed
        }
        let entry = kind == .created && !requestID.isEmpty ? idempotencyEntry(record, requestID: requestID) : nil
        staged.append(committed, entry: entry)
        lastSequence = sequence
        if publishesOnWrite { try publish(through: sequence) }
        return committed
    }

    // MARK: Lists

    /// One page of `request`'s matches (SPEC.md's listing semantics).
    ///
    /// Cost, with n the records of the chosen partition (see ``IndexPartition``):
    /// - filters served by one index (company alone, or one of candidate,
    ///   status, application, job, agent, stage, plus the order's own time
    ///   bounds and include_deleted): O(log n + page) with an exact
    ///   total_size from the counted lists; an OR over m values costs m times
    ///   the lists (O(m² log² n) to reach a page number);
    /// - ids or remote_ids filters: O(k log k) over the k named records;
    /// - any other combination: the smallest matching partition is scanned
    ///   and filtered, O(n) for total_size.
    ///
    /// - Throws: INVALID_ARGUMENT for a bad request or page token.
    package func list(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) -> Page {
        var (page, keys, query) = try pageKeys(request, tenant: tenant)
        page.interviews = try selected(keys, query)
        return page
    }

    /// The page ``list(_:tenant:)`` returns, with each record as slices of its
    /// encoding (or, under a read mask, as the masked value).
    package func listEncoded(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) -> EncodedPage {
        let (page, keys, query) = try pageKeys(request, tenant: tenant)
        let interviews = try encoded(keys, query)
        return EncodedPage(
            interviews: interviews, nextPageToken: page.nextPageToken, previousPageToken: page.previousPageToken,
            totalSize: page.totalSize, page: page.page, pageSize: page.pageSize)
    }

    /// A page's fields (without its records), the keys of its records, and the query.
    private func pageKeys(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) -> (
        Page, [Hit], ListQuery
    ) {
        let query = try ListQuery(request, tenant: tenant)
        // The binding is a SHA-256 of the query: made only when a token is
        // read or written (a page with no other page needs none).
        var bindingDigest: [UInt8]?
        func binding() -> [UInt8] {
            if let bindingDigest { return bindingDigest }
            let digest = query.binding
            bindingDigest = digest
            return digest
        }
        let cursor: ListCursor? =
            request.pageToken.isEmpty
            ? nil : try ListCursor(token: request.pageToken, binding: binding(), signer: signer)
        let plan = plan(for: query)
        let ascending = !query.order.descending
        var page = Page(pageSize: UInt32(query.pageSize))
        var keys: [Hit] = []
        var hasNext = false
        var hasPrevious = false
        if let cursor {
            let walkAscending = cursor.backward ? !ascending : ascending
            let start = plan.ranges.positions(beyond: cursor.key, ascending: walkAscending)
            keys = collect(plan, query, from: start, ascending: walkAscending, limit: query.pageSize)
            if cursor.backward { keys.reverse() }
            page.totalSize = UInt64(count(plan, query))
            hasNext = exists(plan, query, beyond: keys.last?.key ?? cursor.key, ascending: ascending)
            hasPrevious = exists(plan, query, beyond: keys.first?.key ?? cursor.key, ascending: !ascending)
        } else {
            let pageNumber = Int(InterviewValidation.effectivePage(request))
            let offset = (pageNumber - 1) * query.pageSize
            page.page = UInt32(pageNumber)
            let total: Int
            if plan.covered {
                total = plan.ranges.total
                let count = max(0, min(query.pageSize, total - offset))
                let first = ascending ? offset : total - offset - count
                keys = collect(plan, query, from: plan.ranges.positions(atRank: first), ascending: true, limit: count)
                if !ascending { keys.reverse() }
            } else {
                var seen = 0
                plan.ranges.walk(from: plan.ranges.start(ascending: ascending), ascending: ascending) { slot, key in
                    guard query.matches(table[slot].record) else { return true }
                    if seen >= offset && seen < offset + query.pageSize { keys.append(Hit(slot, key)) }
                    seen += 1
                    return true
                }
                total = seen
            }
            page.totalSize = UInt64(total)
            hasNext = !keys.isEmpty && offset + keys.count < total
            hasPrevious = !keys.isEmpty && offset > 0
        }
        let reference = keys.isEmpty ? cursor?.key : nil
        if hasNext, let key = keys.last?.key ?? reference {
            page.nextPageToken = ListCursor(key: key, backward: false).token(binding: binding(), signer: signer)
        }
        if hasPrevious, let key = keys.first?.key ?? reference {
            page.previousPageToken = ListCursor(key: key, backward: true).token(binding: binding(), signer: signer)
        }
        return (page, keys, query)
    }

    /// Up to `limit` matches of `request` that come after `key` (from the
    /// start when nil) in its order, and the key of the last one: one batch
    /// of a scan. Paging fields are ignored.
    ///
    /// - Throws: INVALID_ARGUMENT for a bad request.
    package func scanBatch(_ request: ListRequest, tenant: Tenant, after key: IndexKey?, limit: Int)
        throws(InterviewsError) -> (interviews: [Interview], last: IndexKey?)
    {
        let (keys, query) = try scanKeys(request, tenant: tenant, after: key, limit: limit)
        return (try selected(keys, query), keys.last?.key)
    }

    /// ``scanBatch(_:tenant:after:limit:)`` with the records as stored encodings.
    package func scanBatchEncoded(_ request: ListRequest, tenant: Tenant, after key: IndexKey?, limit: Int)
        throws(InterviewsError) -> (interviews: [EncodedInterview], last: IndexKey?)
    {
        let (keys, query) = try scanKeys(request, tenant: tenant, after: key, limit: limit)
        return (try encoded(keys, query), keys.last?.key)
    }

    private func scanKeys(_ request: ListRequest, tenant: Tenant, after key: IndexKey?, limit: Int)
        throws(InterviewsError) -> ([Hit], ListQuery)
    {
        var request = request
        request.page = 0
        request.pageSize = 0
        request.pageToken = ""
        let query = try ListQuery(request, tenant: tenant)
        let plan = plan(for: query)
        let ascending = !query.order.descending
        let start =
            key.map { plan.ranges.positions(beyond: $0, ascending: ascending) }
            ?? plan.ranges.start(ascending: ascending)
        return (collect(plan, query, from: start, ascending: ascending, limit: limit), query)
    }

    /// The records of `keys` as `query` asks to see them, as stored encodings.
    private func encoded(_ keys: [Hit], _ query: ListQuery) throws(InterviewsError) -> [EncodedInterview] {
        var interviews: [EncodedInterview] = []
        interviews.reserveCapacity(keys.count)
        let view = query.view
        for hit in keys {
            let record = table[hit.slot].record
            if let view {
                interviews.append(EncodedInterview(record, view))
            } else {
                interviews.append(try EncodedInterview(typed: query.select(try record.interview())))
            }
        }
        return interviews
    }

    /// The records of `keys` as `query` asks to see them, decoded.
    private func selected(_ keys: [Hit], _ query: ListQuery) throws(InterviewsError) -> [Interview] {
        var result: [Interview] = []
        result.reserveCapacity(keys.count)
        for hit in keys { result.append(query.select(try table[hit.slot].record.interview())) }
        return result
    }

    /// A record a list found: its slot and its key in the list's order.
    private struct Hit {
        var slot: Slot
        var key: IndexKey

        init(_ slot: Slot, _ key: IndexKey) {
            self.slot = slot
            self.key = key
        }
    }

    /// The slices a query reads and whether every key in them matches.
    private struct Plan {
        var ranges: MergedRanges
        var covered: Bool
    }

    private func plan(for query: ListQuery) -> Plan {
        precondition(!indexDeferred, "a list of a store whose index is deferred")
        guard let index = companies[query.tenant.companyID] else {
            return Plan(ranges: MergedRanges([]), covered: true)
        }
        let request = query.request
        let fields = query.filterFields
        if fields.contains(.ids) || fields.contains(.remoteIDs) {
            var slots = Set<Slot>()
            if !query.ids.isEmpty {
                slots = Set(query.ids.compactMap { UUIDv7($0).flatMap(table.slot(of:)) })
            } else {
                for remoteID in query.remoteIDs {
                    slots.formUnion(index.slots(remoteID: remoteID))
                }
            }
            let matching = slots.filter { slot in
                let record = table[slot].record
                return record.field(3, equals: query.tenant.companyID) && query.matches(record)
            }
            let range = ListRange(sorting: Array(matching), table.keys(query.order.field), from: nil, to: nil)
            return Plan(ranges: MergedRanges([range]), covered: true)
        }
        let (lower, upper) = query.keyRange
        if fields.isEmpty {
            // No filter beyond the order's own bounds: the company's order.
            let ranges = index.ranges(
                .company, order: query.order.field, includeDeleted: request.includeDeleted, from: lower, to: upper,
                table: table)
            return Plan(ranges: MergedRanges(ranges), covered: true)
        }
        var options: [(ListQuery.FilterField?, [IndexPartition])] = [(nil, [.company])]
        if !query.candidateIDs.isEmpty {
            options.append((.candidate, query.candidateIDs.map { .candidate($0) }))
        }
        if !query.statuses.isEmpty { options.append((.status, query.statuses.map { .status($0) })) }
        let singles: [(String, ListQuery.FilterField, (String) -> IndexPartition)] = [
            (request.applicationID, .application, IndexPartition.application),
            (request.jobID, .job, IndexPartition.job),
            (request.agentID, .agent, IndexPartition.agent),
            (request.jobInterviewStageID, .stage, IndexPartition.stage),
        ]
        for (value, field, make) in singles where !value.isEmpty {
            options.append((field, [make(value)]))
        }
        // A plan is covered when its index serves every filter; at most one
        // option can be. It wins, since its total costs nothing to count;
        // otherwise the smallest candidate set is scanned.
        var best: Plan? = nil
        for (field, partitions) in options {
            let ranges = MergedRanges(
                partitions.flatMap {
                    index.ranges(
                        $0, order: query.order.field, includeDeleted: request.includeDeleted, from: lower, to: upper,
                        table: table)
                })
            let covered = fields.subtracting(field.map { [$0] } ?? []).isEmpty
            if covered { return Plan(ranges: ranges, covered: true) }
            if best.map({ ranges.total < $0.ranges.total }) ?? true { best = Plan(ranges: ranges, covered: false) }
        }
        return best ?? Plan(ranges: MergedRanges([]), covered: true)
    }

    /// Up to `limit` matching keys walking from `start`.
    private func collect(_ plan: Plan, _ query: ListQuery, from start: [Int], ascending: Bool, limit: Int) -> [Hit] {
        var keys: [Hit] = []
        guard limit > 0 else { return keys }
        keys.reserveCapacity(min(limit, 1000))
        plan.ranges.walk(from: start, ascending: ascending) { slot, key in
            if plan.covered || query.matches(table[slot].record) { keys.append(Hit(slot, key)) }
            return keys.count < limit
        }
        return keys
    }

    /// Whether a match lies strictly beyond `key` in the given direction.
    private func exists(_ plan: Plan, _ query: ListQuery, beyond key: IndexKey, ascending: Bool) -> Bool {
        let start = plan.ranges.positions(beyond: key, ascending: ascending)
        return !collect(plan, query, from: start, ascending: ascending, limit: 1).isEmpty
    }

    /// The number of matches: O(m log n) when covered, a scan otherwise.
    private func count(_ plan: Plan, _ query: ListQuery) -> Int {
        if plan.covered { return plan.ranges.total }
        var total = 0
        plan.ranges.walk(from: plan.ranges.start(ascending: true), ascending: true) { slot, _ in
            if query.matches(table[slot].record) { total += 1 }
            return true
        }
        return total
    }

    // MARK: Helpers

    private func record(id: String, tenant: Tenant) -> StoredRecord? {
        guard let key = UUIDv7(id), let record = table.record(key), record.field(3, equals: tenant.companyID) else {
            return nil
        }
        return record
    }

    /// The company id of a stored record (read from its encoding).
    private static func company(of record: StoredRecord) -> String {
        String(decoding: record.stringField(3), as: UTF8.self)
    }

    /// The record `id` of `tenant` as writes see it: staged, else published.
    private func currentRecord(id: String, tenant: Tenant) -> StoredRecord? {
        guard let key = UUIDv7(id), let record = staged.latest[key] ?? table.record(key),
            record.field(3, equals: tenant.companyID)
        else { return nil }
        return record
    }

    /// The live record of `tenant` with `remoteID`, as writes see it.
    private func liveRecord(remoteID: String, tenant: Tenant) throws(InterviewsError) -> Interview? {
        try records(remoteID: remoteID, tenant: tenant).first { !$0.isDeleted }?.interview()
    }

    /// The record an upsert of `remoteID` writes to: the live one, else the
    /// one deleted last (a deleted record stays the source record's copy).
    private func upsertTarget(remoteID: String, tenant: Tenant) throws(InterviewsError) -> Interview? {
        let found = records(remoteID: remoteID, tenant: tenant)
        if let live = found.first(where: { !$0.isDeleted }) { return try live.interview() }
        let deleted = try found.map { record throws(InterviewsError) in try record.interview() }
        let epoch = Timestamp(seconds: 0)
        return deleted.max { ($0.updatedAt ?? epoch, $0.id) < ($1.updatedAt ?? epoch, $1.id) }
    }

    /// Every record of `tenant` with `remoteID`, live and deleted, as writes
    /// see them (at most one is live), still encoded.
    private func records(remoteID: String, tenant: Tenant) -> [StoredRecord] {
        var found: [StoredRecord] = []
        for slot in companies[tenant.companyID]?.slots(remoteID: remoteID) ?? [] {
            let record = table[slot].record
            // A staged version replaces the published one.
            if !staged.isEmpty, staged.latest[record.id] != nil { continue }
            if record.field(2, equals: remoteID) { found.append(record) }
        }
        guard !staged.isEmpty else { return found }
        var seen = Set<UUIDv7>()
        for id in staged.remoteIDs[IndexPartition.remoteIDTag(ArraySlice(remoteID.utf8))] ?? [] {
            guard let record = staged.latest[id], seen.insert(id).inserted else { continue }
            if record.field(2, equals: remoteID), record.field(3, equals: tenant.companyID) { found.append(record) }
        }
        return found
    }

    private func liveRecord(id: String, expectedRevision: UInt64, tenant: Tenant) throws(InterviewsError) -> Interview {
        guard let stored = currentRecord(id: id, tenant: tenant), !stored.isDeleted else { throw Self.notFound(id) }
        if expectedRevision != 0 && expectedRevision != stored.revision {
            throw InterviewsError(
                .failedPrecondition,
                "expected_revision: \(expectedRevision) does not match the stored revision \(stored.revision); read the interview again and retry"
            )
        }
        return try stored.interview()
    }

    private func checkRemoteIDIsFree(_ remoteID: String, tenant: Tenant, except id: String?) throws(InterviewsError) {
        guard !remoteID.isEmpty, let other = try liveRecord(remoteID: remoteID, tenant: tenant), other.id != id else {
            return
        }
        throw InterviewsError(
            .alreadyExists,
            "remote_id: \(InterviewValidation.quoted(remoteID)) is already used by interview \(other.id); remote ids are unique per company"
        )
    }

    /// Puts `record` in the table (in `previousSlot`, where the record it
    /// replaces is) and, unless deferred, in the index: the old version out
    /// of its lists first, while the table still holds its keys.
    private mutating func store(_ record: StoredRecord, previousSlot: Slot?) {
        if !indexDeferred, let previousSlot {
            let previous = table[previousSlot].record
            let fields = previous.indexFields
            companies[fields.company]?.remove(previousSlot, fields, table)
        }
        if indexDeferred {
            storeDeferred(record, facts: record.facts)
            return
        }
        let fields = record.indexFields
        let slot = table.store(record, facts: fields.facts).slot
        observe(fields.facts)
        companies[fields.company, default: CompanyIndex()].insert(slot, fields, table)
    }

    /// Puts `record`, whose timestamps are `facts`, in the table while the
    /// index is deferred.
    private mutating func storeDeferred(_ record: StoredRecord, facts: StoredRecord.Facts) {
        table.store(record, facts: facts)
        observe(facts)
    }

    /// Keeps the store clock ahead of every timestamp it has seen.
    private mutating func observe(_ facts: StoredRecord.Facts) {
        for timestamp in [facts.createdAt, facts.updatedAt, facts.deletedAt] {
            if let timestamp, timestamp > lastTimestamp { lastTimestamp = timestamp }
        }
    }

    /// The current time, but always after the last timestamp the store
    /// assigned: created_at and updated_at strictly increase within a store
    /// even when the wall clock steps back, so `updated_after` never misses a change.
    private mutating func nextTimestamp() -> Timestamp {
        let now = Timestamp.now()
        if now > lastTimestamp {
            lastTimestamp = now
        } else {
            lastTimestamp =
                lastTimestamp.nanos < 999_999_999
                ? Timestamp(seconds: lastTimestamp.seconds, nanos: lastTimestamp.nanos + 1)
                : Timestamp(seconds: lastTimestamp.seconds + 1)
        }
        return lastTimestamp
    }

    private static func notFound(_ id: String) -> InterviewsError {
        InterviewsError(.notFound, "interview \(InterviewValidation.quoted(id)) not found")
    }

    /// SHA-256 (first 16 bytes) of a create's client-owned fields and company.
    private static func fingerprint(_ record: Interview) -> [UInt8] {
        var candidate = record.clientOwnedFields
        candidate.companyID = record.companyID
        var bytes = CanonicalBytes()
        bytes.append(candidate)
        return Array(SHA256.hash(data: bytes.bytes).prefix(16))
    }
}

/// The result of a write: the record as stored, and the changes it
/// committed (none for an idempotent retry or a no-op update), which a
/// durable backend appends to its log.
package struct StoreWrite: Sendable {
    /// The record after the write.
    package var interview: Interview
    /// The committed changes, in sequence order.
    package var changes: [CommittedChange]
}

/// The result of an upsert: per-item results and the committed changes.
package struct UpsertWrite: Sendable {
    /// One result per item, in request order.
    package var results: [UpsertResult]
    /// The committed changes, in sequence order.
    package var changes: [CommittedChange]
}

/// A committed change and the request id of the create that made it (empty
/// otherwise): what a durable backend logs and later passes back to
/// ``InterviewStore/apply(_:sequence:requestID:)``.
package struct CommittedChange: Sendable, Hashable {
    /// The change.
    package var change: Change
    /// The create's request id, or empty.
    package var requestID: String
    /// The record after the change as the store holds it: its encoding is
    /// what a durable backend logs, so a write is encoded once.
    package var record: StoredRecord

    /// The change's kind.
    package var kind: ChangeKind { change.kind }
    /// The change's sequence.
    package var sequence: UInt64 { change.sequence }
}

/// Everything a store needs to rebuild itself without its log.
package struct StoreSnapshot: Sendable, Hashable {
    /// Every record, deleted ones included: in id order from ``InterviewStore/snapshot()``, in slot
    /// order from ``InterviewStore/publishedSnapshot()``.
    package var records: [StoredRecord]
    /// The newest change sequence the records reflect.
    package var lastSequence: UInt64
    /// Live idempotency entries, oldest first.
    package var idempotencyEntries: [IdempotencyEntry]

    /// A snapshot.
    package init(records: [StoredRecord], lastSequence: UInt64, idempotencyEntries: [IdempotencyEntry]) {
        self.records = records
        self.lastSequence = lastSequence
        self.idempotencyEntries = idempotencyEntries
    }
}

extension InterviewStore {
    /// The scan loop of a backend built on a store behind a lock: each batch
    /// of at most `batchSize` (clamped to 1...1000) records is read by `read`
    /// (which takes the lock and calls ``scanBatch(_:tenant:after:limit:)``)
    /// and handed to `body` outside it. Keyset-based like page tokens:
    /// concurrent writes never make it skip or repeat a record that exists
    /// throughout. `body` returning false stops the scan.
    package static func scanInBatches<Record>(
        batchSize: Int,
        read: (_ after: IndexKey?, _ limit: Int) throws(InterviewsError) -> (interviews: [Record], last: IndexKey?),
        _ body: ([Record]) async throws -> Bool
    ) async throws {
        let limit = min(max(batchSize, 1), 1000)
        var last: IndexKey? = nil
        while true {
            let batch = try read(last, limit)
            if batch.interviews.isEmpty { return }
            guard try await body(batch.interviews), batch.interviews.count == limit else { return }
            last = batch.last
        }
    }
}

/// A company id as its encoding's bytes, hashed in bulk.
private struct CompanyBytes: Hashable {
    var bytes: ArraySlice<UInt8>

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (lhs: CompanyBytes, rhs: CompanyBytes) -> Bool { lhs.bytes.elementsEqual(rhs.bytes) }
}
