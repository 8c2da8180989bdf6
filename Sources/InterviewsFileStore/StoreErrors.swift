import InterviewsModel

/// The errors the file store throws: all ``InterviewsError`` with a gRPC
/// status code and a message that names the file, the offset or the limit.
enum StoreErrors {
    /// UNAVAILABLE: a file call failed; carries the OS error text.
    static func io(_ error: FileIOError, _ what: String, path: String) -> InterviewsError {
        InterviewsError(.unavailable, "\(what) \(path) failed: \(error.osText)")
    }

    /// UNAVAILABLE: a write stored fewer bytes than asked (treated as out of space).
    static func shortWrite(path: String, wrote: Int, of count: Int) -> InterviewsError {
        InterviewsError(.unavailable, "write to \(path) was short: \(wrote) of \(count) bytes (disk full?)")
    }

    /// The fail-stop error every append gets once the log stopped: UNAVAILABLE
    /// with the first failure's text.
    static func stopped(cause: InterviewsError) -> InterviewsError {
        InterviewsError(.unavailable, "the log stopped accepting writes after an I/O failure: \(cause.message)")
    }

    /// DATA_LOSS: damage that is not a torn tail; the log refuses to open.
    /// `detail`, when given, says why the damage is not a torn tail.
    static func corrupt(path: String, offset: Int64, reason: String, detail: String? = nil) -> InterviewsError {
        InterviewsError(
            .dataLoss,
            "\(path): \(reason) at byte offset \(offset)\(detail.map { "; " + $0 } ?? ""); refusing to open. "
                + "Opening with repair: true keeps every record before this offset and sets the rest aside")
    }

    /// DATA_LOSS: the snapshot and the segments do not hold every sequence;
    /// `description` names the sequences and the files around the gap.
    static func missing(directory: String, description: String, from first: UInt64) -> InterviewsError {
        let keeps =
            first <= 1 ? "keeps no record (none precedes the gap)" : "keeps every record before sequence \(first)"
        return InterviewsError(
            .dataLoss,
            "data directory \(directory): \(description); refusing to open. "
                + "Opening with repair: true \(keeps) and sets the later files aside (renamed, not deleted)")
    }

    /// FAILED_PRECONDITION: another process holds the directory lock.
    static func locked(directory: String, holder: String) -> InterviewsError {
        InterviewsError(
            .failedPrecondition, "data directory \(directory) is in use by another process (\(holder))")
    }

    /// FAILED_PRECONDITION: the log was closed.
    static let closed = InterviewsError(.failedPrecondition, "the log is closed")
}
