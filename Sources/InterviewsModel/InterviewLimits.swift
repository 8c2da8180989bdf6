/// The bounds every backend enforces on records and requests, in one place.
///
/// Lengths are UTF-8 bytes, counted as protobuf counts them. The limits are
/// generous enough for any record the five source APIs produce and small
/// enough that one record cannot exhaust a server, and that the largest valid
/// record (under 3 MiB encoded: the transcript and remote_data bounds
/// dominate) always fits in one 4 MiB RPC message.
public enum InterviewLimits {
    /// Ids and references (id, remote_id, company_id, candidate_id, ...,
    /// participant ids, request ids, filter ids): 1...128 bytes of printable
    /// ASCII without spaces.
    public static let maxIDBytes = 128
    /// `title` and `location.raw`.
    public static let maxTitleBytes = 1024
    /// Short texts: names, email, location parts, remote_status, speaker,
    /// score names, recommendation.
    public static let maxShortTextBytes = 256
    /// `analysis.summary` and one transcript segment's text.
    public static let maxLongTextBytes = 64 * 1024
    /// The text and speakers of all transcript segments together (1 MiB).
    public static let maxTranscriptTextBytes = 1024 * 1024
    /// Segments in `analysis.transcript`.
    public static let maxTranscriptSegments = 10_000
    /// Entries in `analysis.scores`.
    public static let maxScores = 100
    /// `remote_data` (1 MiB).
    public static let maxRemoteDataBytes = 1024 * 1024
    /// Entries in `custom_fields`.
    public static let maxCustomFields = 100
    /// One `custom_fields` key (1...128 bytes).
    public static let maxCustomFieldKeyBytes = 128
    /// One `custom_fields` value.
    public static let maxCustomFieldValueBytes = 4096
    /// Entries in `interviewers`.
    public static let maxInterviewers = 100

    /// The highest page number (`ListRequest.page`, 1-based).
    public static let maxPage: UInt32 = 10_000
    /// The largest page size (`ListRequest.page_size`).
    public static let maxPageSize: UInt32 = 100
    /// The page size used when a request gives 0.
    public static let defaultPageSize: UInt32 = 20
    /// A page token's length; tokens this server issues are far shorter.
    public static let maxPageTokenBytes = 512
    /// Values in one list filter (candidate_ids, ids, remote_ids, statuses).
    public static let maxFilterValues = 100
    /// Items in one UpsertInterviews call.
    public static let maxUpsertItems = 1000
}
