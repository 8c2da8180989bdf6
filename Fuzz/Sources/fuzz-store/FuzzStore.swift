// Opens a data directory whose files come from the input: log segments,
// snapshots and left-over temporary snapshots, each named with a sequence
// from 1 to 64, with any bytes. The input is a flags byte, then entries of
// [code u8][length u16 LE][bytes]: code bits 0-1 pick the kind of file
// (segment, snapshot, temporary snapshot, a file the store does not know),
// bits 2-7 its sequence minus one.
//
// Checks: open never crashes; the records it replays agree with its report
// (counts, log records after the snapshot in increasing sequence); and, when
// flag bit 0 is set, opening with repair keeps everything a plain open kept,
// and a repaired directory then opens without repair to the same records.

import Dispatch
import FuzzSupport
import InterviewsFileStore
import InterviewsModel

let directory = "/fuzz/data"

func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

func files(from input: UnsafeBufferPointer<UInt8>) -> [(name: String, bytes: [UInt8])] {
    var files: [(name: String, bytes: [UInt8])] = []
    var offset = 1
    while offset < input.count {
        let code = input[offset]
        let length = littleEndian(input, at: offset + 1, width: 2) ?? 0
        let start = min(offset + 3, input.count)
        let end = min(start + length, input.count)
        let sequence = hex16(UInt64(code >> 2) + 1)
        let name: String
        switch code & 3 {
        case 0: name = "log-\(sequence).seg"
        case 1: name = "snapshot-\(sequence).snap"
        case 2: name = "snapshot-\(sequence).snap.tmp"
        default: name = "log-\(sequence).seg.dropped"
        }
        files.removeAll { $0.name == name }
        files.append((name: name, bytes: Array(input[start..<end])))
        offset = end
    }
    return files
}

/// What one open gave: the records replayed and the report, or the error.
struct Opened {
    var records: [LogRecord]
    var report: RecoveryReport
}

/// Runs `body` on the concurrency pool and waits for it (the fuzz callback is synchronous).
func blocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

func open(_ io: MemoryFileIO, repair: Bool) -> Result<Opened, any Error> {
    var records: [LogRecord] = []
    let log: DurableLog
    do {
        log = try DurableLog.open(
            directory: directory, options: LogOptions(repair: repair, createDirectory: false, lockWaitMilliseconds: 0),
            io: io, discard: { records.removeAll() }, replay: { records.append($0) })
    } catch {
        return .failure(error)
    }
    let report = log.recovery
    blocking { await log.close() }
    check(records, report)
    return .success(Opened(records: records, report: report))
}

func check(_ records: [LogRecord], _ report: RecoveryReport) {
    guard records.count == report.snapshotRecords + report.logRecords else {
        fuzzFailure(
            "replayed \(records.count) records; the report says \(report.snapshotRecords) + \(report.logRecords)")
    }
    var previous = report.snapshotSequence ?? 0
    for record in records.dropFirst(report.snapshotRecords) {
        guard record.sequence > previous else {
            fuzzFailure("log record \(record.sequence) replayed after \(previous)")
        }
        previous = record.sequence
    }
    guard previous <= report.lastSequence || records.count == report.snapshotRecords else {
        fuzzFailure("replayed sequence \(previous) beyond the last sequence \(report.lastSequence)")
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    writeSeedsIfAsked(seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let flags = input.first else { return 0 }
    let layout = files(from: input)
    let plain = open(MemoryFileIO(directory: directory, files: layout), repair: false)
    guard flags & 1 == 1 else { return 0 }
    let io = MemoryFileIO(directory: directory, files: layout)
    let repaired = open(io, repair: true)
    if case .success(let kept) = plain {
        guard case .success(let repairedOpen) = repaired else {
            fuzzFailure("a directory that opens does not open with repair")
        }
        guard repairedOpen.records == kept.records else {
            fuzzFailure("repair changed the records of a directory that opens without it")
        }
    }
    guard case .success(let afterRepair) = repaired else { return 0 }
    switch open(io, repair: false) {
    case .success(let reopened):
        guard reopened.records == afterRepair.records else {
            fuzzFailure(
                "a repaired directory reopens with \(reopened.records.count) records, not \(afterRepair.records.count)")
        }
    case .failure(let error):
        fuzzFailure("a repaired directory does not open without repair: \(error)")
    }
    return 0
}

// MARK: Seeds: directories written by the store itself.

/// A store built through DurableLog (appends, a compaction, rotations) in memory,
/// as fuzz input.
func seeds() -> [(name: String, bytes: [UInt8])] {
    var seeds: [(name: String, bytes: [UInt8])] = []
    let shapes: [(name: String, batches: [Int], compactAfter: Int?, rotate: Bool)] = [
        ("one-record", [1], nil, false),
        ("batches", [1, 3, 2], nil, false),
        ("rotated", [2, 2], nil, true),
        ("snapshot", [3, 2], 1, false),
        ("snapshot-rotated", [2, 2, 3], 2, true),
    ]
    for shape in shapes {
        let io = MemoryFileIO(directory: directory, files: [])
        blocking {
            do {
                let log = try DurableLog.open(directory: directory, io: io, discard: {}, replay: { _ in })
                var live: [LogRecord] = []
                for (index, count) in shape.batches.enumerated() {
                    let entries = (0..<count).map { n in
                        LogEntry(kind: UInt8(n % 3), data: Array("record \(index).\(n) of \(shape.name)".utf8))
                    }
                    let sequences = try await log.append(entries)
                    live += zip(sequences, entries).map { LogRecord(sequence: $0, kind: $1.kind, data: $1.data) }
                    if shape.compactAfter == index {
                        _ = try await log.compact(through: sequences.upperBound, records: live)
                    }
                    if shape.rotate { _ = try log.rotate() }
                }
                await log.close()
            } catch {
                fuzzFailure("writing the seed \(shape.name): \(error)")
            }
        }
        var bytes: [UInt8] = [1]
        for file in io.files(in: directory) {
            let code: UInt8
            let sequenceText: Substring
            if file.name.hasPrefix("log-") && file.name.hasSuffix(".seg") {
                code = 0
                sequenceText = file.name.dropFirst(4).dropLast(4)
            } else if file.name.hasPrefix("snapshot-") && file.name.hasSuffix(".snap") {
                code = 1
                sequenceText = file.name.dropFirst(9).dropLast(5)
            } else {
                continue
            }
            guard let sequence = UInt64(sequenceText, radix: 16), sequence >= 1, sequence <= 64,
                file.bytes.count <= Int(UInt16.max)
            else { fuzzFailure("seed file \(file.name) does not fit the input format") }
            bytes.append(code | UInt8(sequence - 1) << 2)
            bytes += [UInt8(file.bytes.count & 0xFF), UInt8(file.bytes.count >> 8)]
            bytes += file.bytes
        }
        seeds.append((name: shape.name, bytes: bytes))
    }
    return seeds
}
