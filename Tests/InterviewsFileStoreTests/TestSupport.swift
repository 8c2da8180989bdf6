import Foundation
import InterviewsFileStore
import InterviewsModel
import InterviewsTestSupport
import Testing

extension TemporaryDirectory {
    /// The segment file names, oldest first.
    func segments() throws -> [String] { try names().filter { $0.hasPrefix("log-") && $0.hasSuffix(".seg") } }
}

/// A log opened in `directory` and the records it replayed.
struct Opened {
    var log: DurableLog
    var records: [LogRecord]
}

/// Opens the log in `directory`, collecting the replayed records.
func openLog(
    _ directory: TemporaryDirectory, options: LogOptions = LogOptions(), io: any FileIO = PosixFileIO()
) throws -> Opened {
    var records: [LogRecord] = []
    let log = try DurableLog.open(
        directory: directory.path, options: options, io: io, discard: { records.removeAll() },
        replay: { records.append($0) })
    return Opened(log: log, records: records)
}

/// Opens, collects the replayed records, and closes.
func replayed(_ directory: TemporaryDirectory, options: LogOptions = LogOptions()) async throws -> (
    records: [LogRecord], report: RecoveryReport
) {
    let opened = try openLog(directory, options: options)
    await opened.log.close()
    return (opened.records, opened.log.recovery)
}

/// The deterministic data of test record `index`: its number and a filler of
/// varying length, so that records differ in size.
func testData(_ index: Int, size: Int? = nil) -> [UInt8] {
    var bytes = Array("record-\(index):".utf8)
    for offset in 0..<(size ?? (index * 37) % 120) { bytes.append(UInt8(truncatingIfNeeded: index &* 31 &+ offset)) }
    return bytes
}

/// Entry `index` of a test workload.
func testEntry(_ index: Int, size: Int? = nil) -> LogEntry {
    LogEntry(kind: UInt8(index % 3), data: testData(index, size: size))
}

/// Appends entries `range` one at a time (each its own write batch).
@discardableResult
func appendEach(_ log: DurableLog, _ range: ClosedRange<Int>, size: Int? = nil) async throws -> [UInt64] {
    var sequences: [UInt64] = []
    for index in range { sequences.append(try await log.append(testEntry(index, size: size))) }
    return sequences
}

/// The error `body` throws as an ``InterviewsError``, or a test failure.
func interviewsError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> InterviewsError? {
    do {
        try await body()
        Issue.record("expected an error", sourceLocation: sourceLocation)
        return nil
    } catch let error as InterviewsError {
        return error
    } catch {
        Issue.record("expected InterviewsError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Offsets of every frame in a segment's bytes (after the 32-byte header).
func frameOffsets(_ segment: [UInt8]) -> [Int] {
    var offsets: [Int] = []
    var offset = 32
    while offset + 8 <= segment.count {
        let length =
            Int(segment[offset]) | Int(segment[offset + 1]) << 8 | Int(segment[offset + 2]) << 16
            | Int(segment[offset + 3]) << 24
        offsets.append(offset)
        offset += 8 + length
    }
    return offsets
}
