// interviews-logcrash: drives InterviewsFileStore hard, for crash tests and
// measurements.
//
//   interviews-logcrash run <dir> [--epoch E] [--writers N] [--keys N] [--segment-size BYTES]
//       Replays the log into a key -> record map, then appends from N
//       concurrent tasks as fast as the log acknowledges, and prints
//       "<sequence> <epoch> <writer> <counter>" for each acknowledged record,
//       one write(2) per line, only after the append returned. Compacts
//       whenever the log has more than 2 segments (snapshot = the map).
//       Runs until killed. Record data: CrashWorkload.data(epoch:writer:counter:).
//
//   interviews-logcrash bench <dir> [--writers N] [--seconds S] [--size BYTES]
//       Measures a raw pwrite+fdatasync, single-writer append latency, and
//       throughput with N concurrent writers.
import Glibc
import InterviewsFileStore
import Synchronization

/// The records the `run` mode writes; the crash test checks them with the
/// same functions.
enum CrashWorkload {
    /// Keys per writer: writer w's counter c updates key w * keys + c % keys.
    static let keysPerWriter = 50

    /// The data of the `counter`-th record of writer `writer` in run `epoch`:
    /// a readable prefix and a deterministic filler of 0...299 bytes.
    static func data(epoch: Int, writer: Int, counter: Int) -> [UInt8] {
        var bytes = Array("e\(epoch) w\(writer) c\(counter) ".utf8)
        let filler = (counter &* 7 &+ writer &* 13 &+ epoch) % 300
        for index in 0..<filler { bytes.append(UInt8(truncatingIfNeeded: index &+ counter &+ writer)) }
        return bytes
    }

    /// The epoch, writer and counter a record's data was made from, or nil
    /// when the data is not exactly what ``data(epoch:writer:counter:)`` makes.
    static func parse(_ data: [UInt8]) -> (epoch: Int, writer: Int, counter: Int)? {
        let fields = data.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3 else { return nil }
        func number(_ field: ArraySlice<UInt8>, _ tag: Unicode.Scalar) -> Int? {
            guard field.first == UInt8(ascii: tag) else { return nil }
            return Int(String(decoding: field.dropFirst(), as: UTF8.self))
        }
        guard let epoch = number(fields[0], "e"), let writer = number(fields[1], "w"),
            let counter = number(fields[2], "c"), data == Self.data(epoch: epoch, writer: writer, counter: counter)
        else { return nil }
        return (epoch, writer, counter)
    }

    /// The key writer `writer`'s `counter`-th record updates.
    static func key(writer: Int, counter: Int) -> Int { writer * keysPerWriter + counter % keysPerWriter }
}

/// Writes `text` to `fd` (stdout by default) with as few write(2) calls as
/// the kernel allows: one per line in practice, so a kill leaves at most the
/// last line partial.
func emit(_ text: String, to fd: Int32 = 1) {
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        var offset = 0
        while offset < raw.count {
            let n = write(fd, base + offset, raw.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}

/// `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    let fraction = String(abs(scaled % Int(scale)))
    return digits == 0 ? "\(whole)" : "\(whole).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
}

/// `--name value` from the command line, or `fallback`.
func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
        let value = Int(arguments[index + 1])
    else { return fallback }
    return value
}

func fail(_ message: String) -> Never {
    emit("interviews-logcrash: \(message)\n", to: 2)
    exit(2)
}

/// Monotonic time in seconds.
func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// The live record of every key, updated in the same critical section as
/// submit, so that rotate() and a copy of it form a consistent snapshot.
final class LiveRecords: Sendable {
    let records = Mutex<[Int: LogRecord]>([:])
}

func run(directory: String) async throws {
    let epoch = option("--epoch", 0)
    let writers = option("--writers", 16)
    let segmentSize = option("--segment-size", 256 << 10)
    let live = LiveRecords()
    let log = try DurableLog.open(
        directory: directory, options: LogOptions(segmentSize: segmentSize),
        discard: { live.records.withLock { $0.removeAll() } },
        replay: { record in
            guard let made = CrashWorkload.parse(record.data) else {
                fail("replayed a record that is not the workload's")
            }
            live.records.withLock { $0[CrashWorkload.key(writer: made.writer, counter: made.counter)] = record }
        })
    emit("opened: last sequence \(log.recovery.lastSequence)\n", to: 2)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
            group.addTask {
                var counter = 0
                while true {
                    counter += 1
                    let data = CrashWorkload.data(epoch: epoch, writer: writer, counter: counter)
                    let key = CrashWorkload.key(writer: writer, counter: counter)
                    let pending = try live.records.withLock { map throws in
                        let pending = try log.submit([LogEntry(kind: 1, data: data)])
                        map[key] = LogRecord(sequence: pending.sequences.lowerBound, kind: 1, data: data)
                        return pending
                    }
                    try await pending.durable()
                    emit("\(pending.sequences.lowerBound) \(epoch) \(writer) \(counter)\n")
                }
            }
        }
        group.addTask {
            while true {
                try await Task.sleep(for: .milliseconds(30))
                let stats = log.storageStats()
                guard stats.segmentCount > 2 else { continue }
                let (sequence, records) = try live.records.withLock { map throws in
                    (try log.rotate(), map.values.sorted { $0.sequence < $1.sequence })
                }
                _ = try await log.compact(through: sequence, records: records)
            }
        }
        try await group.next()
    }
}

func bench(directory: String) async throws {
    let writers = option("--writers", 64)
    let seconds = Double(option("--seconds", 5))
    let size = option("--size", 200)
    _ = mkdir(directory, 0o700)

    // 1. Raw: pwrite + fdatasync of one record-sized write, appending.
    let rawPath = directory + "/raw.bin"
    let fd = open(rawPath, O_RDWR | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot create \(rawPath)") }
    let buffer = [UInt8](repeating: 0x5A, count: size + 17)
    let rawRounds = 300
    var start = now()
    for round in 0..<rawRounds {
        _ = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(round * buffer.count)) }
        fdatasync(fd)
    }
    let raw = (now() - start) / Double(rawRounds)
    close(fd)
    unlink(rawPath)
    print("raw pwrite+fdatasync: \(fixed(raw * 1000, 3)) ms")

    // 2. One writer, sequential appends.
    let log = try DurableLog.open(directory: directory + "/log", discard: {}, replay: { _ in })
    let data = [UInt8](repeating: 0x42, count: size)
    start = now()
    for _ in 0..<rawRounds { _ = try await log.append(LogEntry(data: data)) }
    let single = (now() - start) / Double(rawRounds)
    print("single-writer append: \(fixed(single * 1000, 3)) ms (\(fixed(single / raw, 2))x raw)")

    // 3. Many writers for `seconds`.
    let deadline = now() + seconds
    start = now()
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<writers {
            group.addTask {
                var count = 0
                while now() < deadline {
                    _ = try await log.append(LogEntry(data: data))
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = now() - start
    print(
        "\(writers) writers: \(total) appends in \(fixed(elapsed, 2)) s = \(fixed(Double(total) / elapsed, 0)) appends/s"
    )
    await log.close()
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: interviews-logcrash run|bench <dir> [options]") }
do {
    switch arguments[1] {
    case "run": try await run(directory: arguments[2])
    case "bench": try await bench(directory: arguments[2])
    default: fail("unknown mode \(arguments[1]); use run or bench")
    }
} catch {
    fail("\(error)")
}
