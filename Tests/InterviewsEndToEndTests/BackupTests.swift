import Foundation
import InterviewsClient
import InterviewsModel
import RPCCore
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `interviews backup` against a server taking writes, then the backup
/// restored (or served as it is) and compared with what the server held at
/// the backup's sequence, record by record.
@Suite("Backup and restore of a running server", .timeLimit(.minutes(4)))
struct BackupTests {
    @Test(
        "a backup taken while writers run holds every change up to its sequence and none after, restored whole",
        arguments: Backend.allCases)
    func backupWhileWriting(backend: Backend) async throws {
        let server = try await ServerProcess.start(backend: backend)
        let company = Company.unique("backup")
        let key = try await server.companyKey(company)
        let other = Company.unique("backup-other")
        let otherKey = try await server.companyKey(other)
        let seed = try await server.client(key)
        var seeded: [Interview] = []
        for n in 0..<60 {
            seeded.append(
                try await seed.create(
                    CreateInterviewRequest(interview: Sample.full(n, remoteID: "seed-\(n)"), requestID: "req-\(n)")))
        }
        for interview in seeded.prefix(10) {
            _ = try await seed.delete(DeleteInterviewRequest(id: interview.id))
        }
        let otherClient = try await server.client(otherKey)
        _ = try await otherClient.create(CreateInterviewRequest(interview: Sample.small(1)))
        await otherClient.close()
        let pageToken = try await seed.list(ListRequest(pageSize: 5)).nextPageToken
        #expect(!pageToken.isEmpty)

        // Every change of the company, from the first, as the feed reports it.
        let events = Locked<[WatchEvent]>([])
        let watcher = try await server.client(key)
        let watch = Task {
            try await watcher.watch(WatchRequest(includeRemoteData: true)) { stream in
                for try await event in stream { events.withLock { $0.append(event) } }
            }
        }

        // Writers: creates, updates and deletes until the backup is done.
        let stop = Locked(false)
        let ids = seeded.dropFirst(10).map(\.id)
        let writers = (0..<4).map { w in
            Task {
                let client = try await server.client(key)
                var n = 0
                while !stop.withLock({ $0 }) {
                    n += 1
                    switch n % 3 {
                    case 0:
                        _ = try await client.create(CreateInterviewRequest(interview: Sample.full(1000 * w + n)))
                    case 1:
                        _ = try await client.update(
                            UpdateInterviewRequest(
                                interview: Interview(id: ids[(w * 7 + n) % ids.count], title: "w\(w) n\(n)"),
                                updateMask: ["title"]))
                    default:
                        let made = try await client.create(CreateInterviewRequest(interview: Sample.small(n)))
                        _ = try await client.delete(DeleteInterviewRequest(id: made.id))
                    }
                }
                await client.close()
                return n
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let backup = try ScratchDirectory()
        let backupDirectory = backup.path + "/copy"
        let taken = try await runCLI(["backup", backupDirectory, "--output", "json"], socket: server.socketPath)
        try await Task.sleep(for: .milliseconds(300))
        stop.withLock { $0 = true }
        var writes = 0
        for writer in writers { writes += try await writer.value }
        #expect(taken.status == 0, "backup: \(taken.stderr)")
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(taken.stdout.utf8)) as? [String: Any], "\(taken.stdout)")
        let sequence = try #require((manifest["sequence"] as? NSNumber)?.uint64Value)

        let info = try await seed.serverInfo()
        #expect(info.lastSequence > sequence, "writes went on after the backup (\(writes) writes)")
        #expect(sequence > 72, "the backup came after the seed and some of the writers' changes")
        #expect(manifest["sourceStoreEpoch"] as? String == String(info.storeEpoch))
        // The watcher has every change once it has seen the newest.
        let deadline = ContinuousClock.now + .seconds(60)
        while events.withLock({ $0.last?.sequence ?? 0 }) < info.lastSequence, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        watch.cancel()
        _ = await watch.result
        await watcher.close()
        var expected: [String: Interview] = [:]
        for event in events.withLock({ $0 }) where event.sequence <= sequence {
            if let interview = event.interview { expected[interview.id] = interview }
        }
        await seed.close()
        #expect(try await server.stop() == .exited(0), "\(server.log())")

        // The file backend's backup is restored into a new data directory;
        // the memory backend's is served as it is.
        let restoredScratch = try ScratchDirectory()
        if backend == .file {
            let restored = try await runCLI(
                ["restore", backupDirectory, "--data-dir", restoredScratch.path + "/data"], socket: "")
            #expect(restored.status == 0, "restore: \(restored.stderr)")
            #expect(restored.stdout.contains("through sequence \(sequence)"), "\(restored.stdout)")
        } else {
            try FileManager.default.moveItem(atPath: backupDirectory, toPath: restoredScratch.path + "/data")
        }
        let again = try await ServerProcess.start(backend: .file, in: restoredScratch)
        let client = try await again.client(key)
        let restoredInfo = try await client.serverInfo()
        #expect(restoredInfo.lastSequence == sequence)
        #expect(restoredInfo.storeEpoch != info.storeEpoch, "a restored store has an epoch of its own")
        var all: [Interview] = []
        try await client.stream(ListRequest(includeDeleted: true, includeRemoteData: true)) { stream in
            for try await interview in stream { all.append(interview) }
        }
        let mismatches = all.filter { $0 != expected[$0.id] }
        #expect(all.count == expected.count, "every record up to the sequence, none after")
        #expect(Set(all.map(\.id)) == Set(expected.keys))
        #expect(
            mismatches.isEmpty, "each record equal to the server's at the backup's sequence: \(mismatches.prefix(2))")
        #expect(all.count(where: { $0.deletedAt != nil }) == expected.values.count(where: { $0.deletedAt != nil }))

        // Page tokens, request ids and the other company's keys and records come along.
        #expect(try await client.list(ListRequest(pageSize: 5, pageToken: pageToken)).interviews.count == 5)
        let retried = try await client.create(
            CreateInterviewRequest(interview: Sample.full(3, remoteID: "seed-3"), requestID: "req-3"))
        #expect(retried.id == seeded[3].id, "a retried create is still recognised by its request id")
        let otherAgain = try await again.client(otherKey)
        #expect(try await otherAgain.serverInfo().interviewCount == 1)
        await otherAgain.close()
        // Writes go on from the backup's sequence.
        _ = try await client.create(CreateInterviewRequest(interview: Sample.small(9)))
        #expect(try await client.serverInfo().lastSequence == sequence + 1)
        await client.close()
        #expect(try await again.stop() == .exited(0), "\(again.log())")
    }

    @Test("bad backups and targets are refused with a reason, and nothing is left behind")
    func refusals() async throws {
        let server = try await ServerProcess.start(backend: .file)
        let key = try await server.companyKey(Company.unique("backup-bad"))
        let client = try await server.client(key)
        _ = try await client.create(CreateInterviewRequest(interview: Sample.full(1)))
        await client.close()
        let scratch = try ScratchDirectory()
        let manager = FileManager.default
        func leftovers() throws -> [String] {
            try manager.contentsOfDirectory(atPath: scratch.path).filter { $0.contains(".partial-") }
        }

        // Targets that are not new or empty directories.
        try manager.createDirectory(atPath: scratch.path + "/taken", withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: scratch.path + "/taken/file"))
        let intoTaken = try await runCLI(["backup", scratch.path + "/taken"], socket: server.socketPath)
        #expect(intoTaken.status == 65)
        #expect(
            intoTaken.stderr.contains("FAILED_PRECONDITION: \(scratch.path)/taken is not empty"), "\(intoTaken.stderr)")
        #expect(try manager.contentsOfDirectory(atPath: scratch.path + "/taken") == ["file"])
        let ontoFile = try await runCLI(["backup", scratch.path + "/taken/file"], socket: server.socketPath)
        #expect(ontoFile.status == 65)
        #expect(ontoFile.stderr.contains("exists and is not a directory"), "\(ontoFile.stderr)")

        // A good backup, into a directory that exists and is empty.
        try manager.createDirectory(atPath: scratch.path + "/good", withIntermediateDirectories: false)
        let good = try await runCLI(["backup", scratch.path + "/good"], socket: server.socketPath)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.hasPrefix("backup of 1 interview(s) through sequence 1 written to"), "\(good.stdout)")
        #expect(try await server.stop() == .exited(0))
        var status = stat()
        #expect(stat(scratch.path + "/good/keys.json", &status) == 0 && status.st_mode & 0o777 == 0o600)

        let restoreInto = try await runCLI(
            ["restore", scratch.path + "/good", "--data-dir", scratch.path + "/taken"], socket: "")
        #expect(restoreInto.status == 65)
        #expect(restoreInto.stderr.contains("is not empty"), "\(restoreInto.stderr)")

        let notBackup = try await runCLI(
            ["restore", scratch.path + "/taken", "--data-dir", scratch.path + "/d1"], socket: "")
        #expect(notBackup.status == 65)
        #expect(notBackup.stderr.contains("is not a backup: \(scratch.path)/taken/backup.json cannot be read"))

        // One flipped byte in the snapshot; then a missing file.
        try manager.copyItem(atPath: scratch.path + "/good", toPath: scratch.path + "/flipped")
        let snapshot = scratch.path + "/flipped/snapshot-0000000000000001.snap"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: snapshot)))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: snapshot))
        let flipped = try await runCLI(
            ["restore", scratch.path + "/flipped", "--data-dir", scratch.path + "/d2"], socket: "")
        #expect(flipped.status == 70)
        #expect(flipped.stderr.contains("DATA_LOSS: \(snapshot) is damaged"), "\(flipped.stderr)")
        try manager.copyItem(atPath: scratch.path + "/good", toPath: scratch.path + "/partial")
        try manager.removeItem(atPath: scratch.path + "/partial/keys.json")
        let missing = try await runCLI(
            ["restore", scratch.path + "/partial", "--data-dir", scratch.path + "/d3"], socket: "")
        #expect(missing.status == 70)
        #expect(missing.stderr.contains("keys.json cannot be read"), "\(missing.stderr)")
        for target in ["d1", "d2", "d3"] { #expect(!manager.fileExists(atPath: scratch.path + "/" + target)) }
        #expect(try leftovers().isEmpty)

        // The good one restores; a second restore onto it is refused.
        let restored = try await runCLI(
            ["restore", scratch.path + "/good", "--data-dir", scratch.path + "/d4"], socket: "")
        #expect(restored.status == 0, "\(restored.stderr)")
        let twice = try await runCLI(
            ["restore", scratch.path + "/good", "--data-dir", scratch.path + "/d4"], socket: "")
        #expect(twice.status == 65)
        #expect(try leftovers().isEmpty)
    }
}

/// A value shared between tasks, behind a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

/// The result of running the `interviews` executable.
struct CLIRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `interviews arguments...` with INTERVIEWS_SOCKET set to `socket`.
func runCLI(_ arguments: [String], socket: String) async throws -> CLIRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try ServerProcess.executablePath())
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["INTERVIEWS_SOCKET"] = socket
    environment["INTERVIEWS_CONFIG"] = "/nonexistent/interviews-test-config"
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    async let stdout = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
    async let stderr = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
    let (o, e) = await (stdout, stderr)
    process.waitUntilExit()
    return CLIRun(
        status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
        stderr: String(decoding: e, as: UTF8.self))
}
