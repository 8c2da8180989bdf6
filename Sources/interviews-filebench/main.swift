// interviews-filebench: measures the file-backed repository (docs/BENCHMARKS.md,
// "File-backed storage").
//
//   interviews-filebench creates <dir> [--seconds S] [--writers 1,8,64]
//       A raw pwrite+fdatasync loop on the same disk, then durable creates/s
//       through FileInterviewRepository with each number of concurrent writers.
//
//   interviews-filebench open <dir> [--records 100000,1000000] [--companies 100] [--keep]
//       Fills a data directory with that many records (upserts of 1000,
//       spread over that many companies: tenants bench-0, bench-1, ...;
//       one company is the tenant bench),
//       then times opening it from the log alone and again from a snapshot,
//       and reports bytes on disk per record and resident memory. --keep
//       leaves the directories (<dir>/open-<count>) in place.
//
//   interviews-filebench fill <dir> [--records 1000000] [--companies 100]
//       Fills <dir>/fill-<count> the same way and closes it: a data
//       directory of log segments only, for reopen.
//
//   interviews-filebench reopen <data dir>
//       Times opening an existing data directory.
import Glibc
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import InterviewsWire

/// A record like the ones the vendors sync: every common field set, a short
/// analysis; `n` makes it unique.
func record(_ n: Int) -> Interview {
    Interview(
        remoteID: "remote-\(n)", candidateID: "cand-\(n % 5000)", applicationID: "app-\(n)",
        jobID: "job-\(n % 200)", agentID: "agent-\(n % 10)", jobInterviewStageID: "stage-\(n % 5)",
        title: "Technical interview \(n)",
        organizer: Participant(id: "org-\(n % 50)", firstName: "Ada", lastName: "Lovelace", email: "ada@example.com"),
        interviewers: [Participant(id: "int-\(n % 80)", firstName: "Alan", lastName: "Turing")],
        location: Location(raw: "1 Main St, Springfield", city: "Springfield", country: "US"),
        startAt: Timestamp(seconds: 1_704_067_200 + Int64(n) * 60),
        endAt: Timestamp(seconds: 1_704_067_200 + Int64(n) * 60 + 2700), status: .scheduled,
        remoteStatus: "Scheduled", remoteCreatedAt: Timestamp(seconds: 1_704_000_000),
        customFields: ["team": "platform", "level": "senior"],
        analysis: Analysis(
            summary: "Strong fundamentals; clear communication.", recommendation: "hire", overallScore: 4.2))
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    let fraction = String(abs(scaled % Int(scale)))
    return digits == 0 ? "\(whole)" : "\(whole).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
}

func option(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

func fail(_ message: String) -> Never {
    let bytes = Array("interviews-filebench: \(message)\n".utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

/// Bytes of every regular file directly in `directory`.
func bytesOnDisk(_ directory: String) -> Int64 {
    guard let dir = opendir(directory) else { return 0 }
    defer { closedir(dir) }
    var total: Int64 = 0
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var info = stat()
        if name != ".", name != "..", stat(directory + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            total += Int64(info.st_size)
        }
    }
    return total
}

/// Resident memory of this process, in MiB (the second field of /proc/self/statm).
func residentMiB() -> Double {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 128)
    guard fgets(&buffer, 128, file) != nil else { return 0 }
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let fields = text.split(separator: " ")
    guard fields.count >= 2, let pages = Double(fields[1]) else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

func removeTree(_ path: String) {
    guard let dir = opendir(path) else { return }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != ".", name != ".." { unlink(path + "/" + name) }
    }
    closedir(dir)
    rmdir(path)
}

/// Syncs per second of a loop of one `size`-byte appending pwrite plus
/// fdatasync, for `seconds`, in `directory`.
func rawSyncs(directory: String, size: Int, seconds: Double) -> Double {
    let rawPath = directory + "/raw.bin"
    let fd = open(rawPath, O_RDWR | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot create \(rawPath)") }
    defer {
        close(fd)
        unlink(rawPath)
    }
    let buffer = [UInt8](repeating: 0x5A, count: size)
    var rounds = 0
    let start = now()
    while now() - start < seconds {
        _ = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(rounds * buffer.count)) }
        fdatasync(fd)
        rounds += 1
    }
    return Double(rounds) / (now() - start)
}

/// Creates from `writers` concurrent tasks for `seconds`; the count and the time taken.
func createLoop(_ repository: any InterviewRepository, writers: Int, seconds: Double) async throws -> (Int, Double) {
    let tenant = Tenant("bench")
    let deadline = now() + seconds
    let start = now()
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for writer in 0..<writers {
            group.addTask {
                var count = 0
                while now() < deadline {
                    _ = try await repository.create(record(writer * 10_000_000 + count), requestID: "", tenant: tenant)
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    return (total, now() - start)
}

func creates(directory: String) async throws {
    let seconds = Double(option("--seconds", "5")) ?? 5
    let writerCounts = option("--writers", "1,8,64").split(separator: ",").compactMap { Int($0) }
    _ = mkdir(directory, 0o700)
    // A log record of this interview: 17 bytes of framing, 3 of header, the protobuf.
    let size = try record(1).encodedSizeForBench() + 20
    print("each phase: \(fixed(seconds, 0)) s of durable creates, then 2 s of raw \(size)-byte pwrite+fdatasync")
    print("raw before: \(fixed(rawSyncs(directory: directory, size: size, seconds: 2), 0)) syncs/s")
    // The engine alone, for scale: the in-memory backend with the most writers.
    if let most = writerCounts.max() {
        let memory = InMemoryInterviewRepository()
        let (total, elapsed) = try await createLoop(memory, writers: most, seconds: min(seconds, 3))
        print("in-memory backend, \(most) writers: \(fixed(Double(total) / elapsed, 0)) creates/s (no disk)")
    }

    for writers in writerCounts {
        let path = directory + "/repo-\(writers)"
        removeTree(path)
        // Counts the log's fdatasync calls (its trace), to report creates per sync.
        let io = FaultInjectingFileIO()
        let repository = try FileInterviewRepository.open(directory: path, io: io)
        io.clearTrace()
        let (total, elapsed) = try await createLoop(repository, writers: writers, seconds: seconds)
        let rate = Double(total) / elapsed
        let syncs = io.trace.count { $0 == .syncData }
        await repository.close()
        removeTree(path)
        let raw = rawSyncs(directory: directory, size: size, seconds: 2)
        print(
            "\(writers) writer(s): \(fixed(rate, 0)) durable creates/s (\(total) in \(fixed(elapsed, 2)) s), \(fixed(Double(syncs) / elapsed, 0)) log syncs/s, \(fixed(Double(total) / Double(max(syncs, 1)), 1)) creates per sync; then raw: \(fixed(raw, 0)) syncs/s (\(fixed(1000 / raw, 2)) ms)"
        )
    }
}

/// Fills `DIR/fill-N` with N records (upserts of 1,000, 8 concurrent) and
/// closes it: a data directory of log segments only, for `reopen` to open
/// from the log in a fresh process.
func fillOnly(directory: String) async throws {
    let count = Int(option("--records", "1000000")) ?? 1_000_000
    let tenants = benchTenants()
    _ = mkdir(directory, 0o700)
    let path = directory + "/fill-\(count)"
    removeTree(path)
    let start = now()
    let repository = try FileInterviewRepository.open(directory: path)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for lane in 0..<8 {
            group.addTask {
                var first = lane * 1000
                while first < count {
                    _ = try await repository.upsert(
                        (first..<min(first + 1000, count)).map(record), tenant: tenants[(first / 1000) % tenants.count])
                    first += 8 * 1000
                }
            }
        }
        try await group.waitForAll()
    }
    await repository.close()
    print("\(path): \(count) records in \(fixed(now() - start, 1)) s, \(bytesOnDisk(path)) B on disk")
}

/// The tenants records are spread over: `--companies N` (default 100, the
/// shape of the issue's data) as bench-0, bench-1, ...; one is bench.
func benchTenants() -> [Tenant] {
    let companies = max(1, Int(option("--companies", "100")) ?? 100)
    return companies == 1 ? [Tenant("bench")] : (0..<companies).map { Tenant("bench-\($0)") }
}

func openTimes(directory: String) async throws {
    let counts = option("--records", "100000,1000000").split(separator: ",").compactMap { Int($0) }
    let tenants = benchTenants()
    _ = mkdir(directory, 0o700)
    for count in counts {
        let path = directory + "/open-\(count)"
        removeTree(path)
        var start = now()
        let repository = try FileInterviewRepository.open(directory: path)
        let batch = 1000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var first = lane * batch
                    while first < count {
                        let items = (first..<min(first + batch, count)).map(record)
                        _ = try await repository.upsert(items, tenant: tenants[(first / batch) % tenants.count])
                        first += 8 * batch
                    }
                }
            }
            try await group.waitForAll()
        }
        let fill = now() - start
        await repository.close()
        let logBytes = bytesOnDisk(path)

        start = now()
        let fromLog = try FileInterviewRepository.open(directory: path)
        let logOpen = now() - start
        start = now()
        try await fromLog.compact()
        let compaction = now() - start
        await fromLog.close()
        let snapshotBytes = bytesOnDisk(path)

        start = now()
        let fromSnapshot = try FileInterviewRepository.open(directory: path)
        let snapshotOpen = now() - start
        var live: UInt64 = 0
        for tenant in tenants { live += try await fromSnapshot.stats(tenant: tenant).liveCount }
        await fromSnapshot.close()
        guard live == UInt64(count) else { fail("reopened \(live) records, wrote \(count)") }
        print(
            """
            \(count) records in \(tenants.count) companies: filled in \(fixed(fill, 1)) s (\(fixed(Double(count) / fill, 0)) records/s in upserts of \(batch))
              open from the log:      \(fixed(logOpen, 2)) s (\(fixed(Double(count) / logOpen, 0)) records/s)
              compaction:             \(fixed(compaction, 2)) s
              open from the snapshot: \(fixed(snapshotOpen, 2)) s (\(fixed(Double(count) / snapshotOpen, 0)) records/s)
              on disk: log \(logBytes) B = \(fixed(Double(logBytes) / Double(count), 1)) B/record; snapshot \(snapshotBytes) B = \(fixed(Double(snapshotBytes) / Double(count), 1)) B/record
            """)
        if !CommandLine.arguments.contains("--keep") { removeTree(path) }
    }
}

/// The records of the bench tenant.
func records(in repository: FileInterviewRepository) async throws -> Int {
    let stats = try await repository.stats(tenant: Tenant("bench"))
    return Int(stats.liveCount + stats.deletedCount)
}

func reopen(directory: String) async throws {
    let baseline = residentMiB()
    let start = now()
    let repository = try FileInterviewRepository.open(directory: directory)
    let elapsed = now() - start
    let opened = residentMiB() - baseline
    // The first write: a record of its own (a remote id no earlier run used),
    // so that reopening the same directory again works.
    _ = try await repository.create(record(-1 - records(in: repository)), requestID: "", tenant: Tenant("bench"))
    let written = residentMiB() - baseline
    let recovery = repository.recovery
    let records = recovery.snapshotRecords + recovery.logRecords
    print(
        "opened \(records) records (\(recovery.snapshotRecords) from the snapshot) in \(fixed(elapsed, 2)) s; resident +\(fixed(opened, 0)) MiB after open, +\(fixed(written, 0)) MiB after the first write"
    )
    await repository.close()
}

extension Interview {
    /// The protobuf size of this record once the store has stamped it.
    func encodedSizeForBench() throws -> Int {
        var stamped = self
        stamped.id = "0190a5c8-0000-7000-8000-000000000000"
        stamped.companyID = "bench"
        stamped.createdAt = Timestamp(seconds: 1_704_067_200)
        stamped.updatedAt = stamped.createdAt
        stamped.revision = 1
        return try stamped.encodedBytes().count
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: interviews-filebench creates|open|fill|reopen <dir> [options]") }
print("record: \(try record(1).encodedSizeForBench()) bytes of protobuf")
do {
    switch arguments[1] {
    case "creates": try await creates(directory: arguments[2])
    case "open": try await openTimes(directory: arguments[2])
    case "fill": try await fillOnly(directory: arguments[2])
    case "reopen": try await reopen(directory: arguments[2])
    default: fail("unknown mode \(arguments[1]); use creates, open or reopen")
    }
} catch {
    fail("\(error)")
}
