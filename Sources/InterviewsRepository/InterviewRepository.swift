public import InterviewsModel

/// Who a repository call acts for. Every call names its tenant; a backend
/// never returns, counts or changes another tenant's records.
public struct Tenant: Sendable, Hashable, CustomStringConvertible {
    /// The company id.
    public var companyID: String

    /// Creates a tenant.
    public init(_ companyID: String) { self.companyID = companyID }

    public var description: String { companyID }
}

/// A change to one record, as the watch feed reports it.
public struct Change: Sendable, Hashable {
    /// Strictly increasing across the whole store, starting at 1.
    public var sequence: UInt64
    public var kind: ChangeKind
    /// The record after the change.
    public var interview: Interview

    /// Creates a change.
    public init(sequence: UInt64, kind: ChangeKind, interview: Interview) {
        self.sequence = sequence
        self.kind = kind
        self.interview = interview
    }
}

/// Counts for one tenant, and store-wide facts.
public struct RepositoryStats: Sendable, Hashable {
    /// Records of the tenant that are not deleted.
    public var liveCount: UInt64
    /// Soft-deleted records of the tenant.
    public var deletedCount: UInt64
    /// The newest change sequence of the whole store (0 when empty).
    public var lastSequence: UInt64
    /// False when the backend refuses writes (fail-stop after an I/O error).
    public var writable: Bool

    /// Creates stats.
    public init(liveCount: UInt64, deletedCount: UInt64, lastSequence: UInt64, writable: Bool) {
        self.liveCount = liveCount
        self.deletedCount = deletedCount
        self.lastSequence = lastSequence
        self.writable = writable
    }
}

/// A page of changes for the watch feed.
public struct ChangeBatch: Sendable, Hashable {
    /// Changes with a sequence greater than the one asked for, in order.
    public var changes: [Change]
    /// True when changes after the requested sequence were already discarded
    /// (the feed keeps a bounded history): the caller has fallen too far behind.
    public var truncated: Bool
    /// How far the read looked: every change of the tenant with a sequence up
    /// to this one is in `changes` (or was at or before the requested
    /// sequence). When `changes` is shorter than the limit this is the store's
    /// last sequence at the time of the read, so a watcher can wait for a
    /// newer one without missing a change or spinning on other tenants' changes.
    public var scannedThrough: UInt64

    /// Creates a batch.
    public init(changes: [Change], truncated: Bool, scannedThrough: UInt64) {
        self.changes = changes
        self.truncated = truncated
        self.scannedThrough = scannedThrough
    }
}

/// The storage-agnostic repository every backend implements (in-memory,
/// file-backed), and which the service calls. Shaped like swift-log's
/// backend protocol: one protocol, several implementations, one conformance
/// suite that all of them pass.
///
/// Every method validates its input with ``InterviewValidation`` and throws
/// ``InterviewsError`` carrying a gRPC status code: INVALID_ARGUMENT (naming
/// the field and the limit), NOT_FOUND (also for another tenant's id),
/// ALREADY_EXISTS (duplicate remote_id), FAILED_PRECONDITION (revision
/// mismatch), UNAVAILABLE (the backend refuses writes).
public protocol InterviewRepository: Sendable {
    /// Stores a new record. The backend assigns id (UUIDv7), company_id (from
    /// `tenant`), created_at, updated_at and revision 1; deleted_at is cleared.
    ///
    /// - Parameter requestID: When non-empty, a retry with the same id and the
    ///   same client-owned fields within the idempotency window returns the
    ///   first call's record (as it is now) instead of creating a second one;
    ///   the same id with different fields is ALREADY_EXISTS. The window is
    ///   the backend's (in-memory: 24 hours, 100 000 request ids).
    /// - Throws: ALREADY_EXISTS also when a live record of the tenant has the
    ///   same remote_id (a deleted record's remote_id is free again).
    func create(_ interview: Interview, requestID: String, tenant: Tenant) async throws -> Interview

    /// The record with `id`, or NOT_FOUND (also for another tenant's record,
    /// and for a deleted one unless `includeDeleted`).
    func get(id: String, includeDeleted: Bool, tenant: Tenant) async throws -> Interview

    /// Copies the fields named in `mask` (top-level snake_case Interview field
    /// names) from `changes` onto the stored record `changes.id`, bumps the
    /// revision and updated_at. When `expectedRevision` is non-zero and differs
    /// from the stored one: FAILED_PRECONDITION.
    func update(_ changes: Interview, mask: [String], expectedRevision: UInt64, tenant: Tenant) async throws
        -> Interview

    /// Soft-deletes: sets deleted_at, bumps revision, updated_at and the sequence.
    func delete(id: String, expectedRevision: UInt64, tenant: Tenant) async throws -> Interview

    /// Creates or updates each item by remote_id; per-item results in order.
    /// An item replaces every client-owned field; it is UNCHANGED when those
    /// equal the stored ones (server-owned fields are ignored, but for
    /// deleted_at below). An invalid item, or one without remote_id, gets an
    /// ERROR result and does not stop the others. Result records omit
    /// remote_data.
    ///
    /// Deleted records: an item matches the tenant's live record with its
    /// remote_id, else the one of them deleted last, which it updates and
    /// which stays deleted (an upsert never undoes a deletion; a create with
    /// the remote_id makes a new live record). An item with deleted_at set
    /// asks for the record deleted: a live match is deleted (deleted_at is
    /// the server's time), a deleted match stays as it is, and with no match
    /// the record is created and then deleted (two changes). So an export
    /// with deleted records, imported again, changes nothing, and into
    /// another store keeps every deletion.
    func upsert(_ interviews: [Interview], tenant: Tenant) async throws -> [UpsertResult]

    /// One page of the records matching `request` (SPEC.md's listing semantics).
    func list(_ request: ListRequest, tenant: Tenant) async throws -> Page

    /// Every record matching `request`'s filters and order (paging fields are
    /// ignored), delivered in batches so that the whole set is never held in memory.
    /// `body` returning false stops the scan.
    func scan(_ request: ListRequest, tenant: Tenant, batchSize: Int, _ body: ([Interview]) async throws -> Bool)
        async throws

    /// Changes of `tenant` with a sequence greater than `sequence`, oldest
    /// first, at most `limit`.
    func changes(after sequence: UInt64, limit: Int, tenant: Tenant) async throws -> ChangeBatch

    /// Waits until the store's last sequence is greater than `sequence` (or
    /// the task is cancelled), then returns the last sequence.
    func waitForChanges(after sequence: UInt64) async throws -> UInt64

    /// Counts for `tenant` and store-wide facts.
    func stats(tenant: Tenant) async throws -> RepositoryStats

    /// The store's identity: random and never 0, chosen when the store was
    /// created (a durable backend keeps it across restarts; an in-memory one
    /// picks a new one each time). Change sequences belong to it: sequence N
    /// of one epoch says nothing about another. 0 when the backend has none.
    var storeEpoch: UInt64 { get }

    /// Whether the backend accepts writes now (false in fail-stop after an
    /// I/O error, or once closed). Answered without suspending or I/O, so a
    /// health check can call it on an event loop.
    var isWritable: Bool { get }
}

extension InterviewRepository {
    /// No epoch: watchers' resumes are not checked.
    public var storeEpoch: UInt64 { 0 }
    /// Always writable, for a backend that cannot fail-stop.
    public var isWritable: Bool { true }
}

/// Store epochs: see ``InterviewRepository/storeEpoch``.
public enum StoreEpoch {
    /// A new random epoch (64 bits from the system's generator, never 0).
    public static func random() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        while true {
            let epoch = generator.next()
            if epoch != 0 { return epoch }
        }
    }
}

/// A repository that answers point reads and pages from memory without
/// suspending: no I/O, no waiting on another task, only a lock held for the
/// read itself. The server runs these on its event loops, without a task per
/// call (``InterviewsService`` serves GetInterview and ListInterviews
/// through them when the backend offers them). Both built-in backends do.
///
/// Each method behaves exactly as its async counterpart in
/// ``InterviewRepository``; the conformance suite checks they agree.
public protocol NonblockingInterviewReads: InterviewRepository {
    /// ``InterviewRepository/get(id:includeDeleted:tenant:)``, without suspending.
    func getNonblocking(id: String, includeDeleted: Bool, tenant: Tenant) throws(InterviewsError) -> Interview

    /// ``InterviewRepository/list(_:tenant:)``, without suspending.
    func listNonblocking(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) -> Page
}

/// A repository that hands out records as their stored encoding: a read
/// copies slices of bytes into the response instead of building and
/// re-encoding an ``Interview``. Both built-in backends do; the server uses
/// these for GetInterview and ListInterviews when the backend offers them.
///
/// Each method answers exactly as its typed counterpart: the encoding of
/// the result is the encoding of the typed result, byte for byte (the
/// conformance suite checks both).
public protocol EncodedInterviewReads: NonblockingInterviewReads {
    /// ``InterviewRepository/get(id:includeDeleted:tenant:)`` as an encoding,
    /// without remote_data unless `includeRemoteData`.
    func getEncoded(id: String, includeDeleted: Bool, includeRemoteData: Bool, tenant: Tenant)
        throws(InterviewsError) -> EncodedInterview

    /// ``InterviewRepository/list(_:tenant:)`` with its records as encodings.
    func listEncoded(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) -> EncodedPage

    /// ``InterviewRepository/changes(after:limit:tenant:)`` with the records as encodings.
    func encodedChanges(after sequence: UInt64, limit: Int, tenant: Tenant) async throws -> EncodedChangeBatch

    /// ``InterviewRepository/scan(_:tenant:batchSize:_:)`` with the records as encodings.
    func scanEncoded(
        _ request: ListRequest, tenant: Tenant, batchSize: Int, _ body: ([EncodedInterview]) async throws -> Bool
    ) async throws
}
