import Foundation
import InterviewsClient
import InterviewsModel
import RPCCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Sequences belong to a store epoch; a watcher resuming across stores is told so.
@Suite("The store epoch tells a watcher whose sequences it holds", .timeLimit(.minutes(2)))
struct StoreEpochTests {
    @Test("the file backend keeps its epoch across a restart, in an owner-only store.epoch")
    func fileEpochSurvivesRestart() async throws {
        let first = try await ServerProcess.start(backend: .file)
        let key = try await first.companyKey(Company.unique("epoch-file"))
        let before = try await first.client(key).serverInfo()
        #expect(before.storeEpoch != 0)
        #expect(try await first.stop() == .exited(0), "\(first.log())")

        let path = first.dataDirectory + "/store.epoch"
        var status = stat()
        #expect(stat(path, &status) == 0, "no \(path)")
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(status.st_size == 8)

        let second = try await first.restarted()
        let after = try await second.client(key).serverInfo()
        #expect(after.storeEpoch == before.storeEpoch, "a restart keeps the file store's identity")
        #expect(try await second.stop() == .exited(0), "\(second.log())")
    }

    @Test("a restarted memory server has a new epoch; a watch resumed with the old one is FAILED_PRECONDITION")
    func memoryEpochChangesOnRestart() async throws {
        let first = try await ServerProcess.start(backend: .memory)
        let key = try await first.companyKey(Company.unique("epoch-memory"))
        let client = try await first.client(key)
        for n in 0..<3 { _ = try await client.create(CreateInterviewRequest(interview: Sample.small(n))) }
        let before = try await client.serverInfo()
        #expect(before.storeEpoch != 0)
        #expect(before.lastSequence == 3)
        await client.close()
        #expect(try await first.stop() == .exited(0), "\(first.log())")

        let second = try await first.restarted()
        let again = try await second.client(key)
        let after = try await again.serverInfo()
        #expect(after.storeEpoch != 0 && after.storeEpoch != before.storeEpoch, "a memory store is new at each start")
        for n in 0..<4 { _ = try await again.create(CreateInterviewRequest(interview: Sample.small(n))) }

        // Resuming with the sequence and epoch the first server gave: refused, with both epochs named.
        let staleWatch = Task {
            await firstError {
                try await again.watch(
                    WatchRequest(afterSequence: before.lastSequence, storeEpoch: before.storeEpoch)
                ) { stream in for try await _ in stream {} }
            }
        }
        let staleEnd = await value(of: staleWatch, within: .seconds(10))
        let stale = try #require(staleEnd, "a watch resumed from another epoch was still open after 10 s")
        #expect(stale?.code == .failedPrecondition, "\(String(describing: stale))")
        #expect(
            stale?.message
                == "store_epoch: sequence 3 belongs to store epoch \(before.storeEpoch); this store's epoch is "
                + "\(after.storeEpoch) (another store, or one that restarted empty); list the records again and "
                + "watch from 0 (or ServerInfo.last_sequence) with store_epoch \(after.storeEpoch)")

        // With this store's epoch the watch resumes, and every event names the epoch.
        let resumed = try await again.watch(
            WatchRequest(afterSequence: 3, storeEpoch: after.storeEpoch)
        ) { stream -> WatchEvent? in
            for try await event in stream { return event }
            return nil
        }
        #expect(resumed?.sequence == 4)
        #expect(resumed?.storeEpoch == after.storeEpoch)

        // Without an epoch nothing is checked, as before.
        let unchecked = try await again.watch(WatchRequest(afterSequence: before.lastSequence)) {
            stream -> WatchEvent? in
            for try await event in stream { return event }
            return nil
        }
        #expect(unchecked?.sequence == 4)
        #expect(unchecked?.storeEpoch == after.storeEpoch)
        await again.close()
        #expect(try await second.stop() == .exited(0), "\(second.log())")
    }

    @Test("a watch from a sequence beyond the store's newest change is OUT_OF_RANGE; from the newest it waits")
    func futureSequence() async throws {
        let server = try await ServerProcess.start(backend: .memory)
        let key = try await server.companyKey(Company.unique("epoch-future"))
        let client = try await server.client(key)
        for n in 0..<2 { _ = try await client.create(CreateInterviewRequest(interview: Sample.small(n))) }
        let info = try await client.serverInfo()
        #expect(info.lastSequence == 2)

        let future = Task {
            await firstError {
                try await client.watch(WatchRequest(afterSequence: 5)) { stream in for try await _ in stream {} }
            }
        }
        let ended = try #require(await value(of: future, within: .seconds(10)), "still open after 10 s")
        #expect(ended?.code == .outOfRange, "\(String(describing: ended))")
        #expect(
            ended?.message
                == "after_sequence: 5 is beyond this store's newest change 2 (another store, or one that restarted "
                + "empty); list the records again and watch from ServerInfo.last_sequence with store_epoch "
                + "\(info.storeEpoch)")

        // From the newest change itself: the next change is the first event.
        let next = try await client.watch(WatchRequest(afterSequence: 2)) { stream -> WatchEvent? in
            _ = try await client.create(CreateInterviewRequest(interview: Sample.small(3)))
            for try await event in stream { return event }
            return nil
        }
        #expect(next?.sequence == 3)
        await client.close()
        #expect(try await server.stop() == .exited(0), "\(server.log())")
    }
}

/// Health and ServerInfo tell the truth about a store that refuses writes.
@Suite(
    "Health reports NOT_SERVING when the store fail-stops", .timeLimit(.minutes(2)),
    .enabled(if: SmallDisk.canMount, "skipped: mounting a tmpfs needs root (CAP_SYS_ADMIN)"))
struct FailStopHealthTests {
    @Test("a file store on a full disk: writes fail, Health is NOT_SERVING, ServerInfo.writable is false")
    func fullDisk() async throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path + "/data"
        #expect(mkdir(data, 0o700) == 0)
        guard SmallDisk.mount(data) else {
            Issue.record("cannot mount a tmpfs on \(data): \(String(cString: strerror(errno)))")
            return
        }
        defer { umount2(data, Int32(MNT_DETACH)) }
        let server = try await ServerProcess.start(backend: .file, in: scratch)
        let key = try await server.companyKey(Company.unique("full"))
        let client = try await server.client(key)
        #expect(try await client.health().status == .serving)
        #expect(try await client.serverInfo().writable)

        // 256 KiB records until the disk is full.
        var refused: RPCError?
        for n in 0..<64 {
            var interview = Sample.small(n)
            interview.remoteData = Array(repeating: UInt8(ascii: "x"), count: 256 * 1024)
            do {
                _ = try await client.create(CreateInterviewRequest(interview: interview))
            } catch {
                refused = error
                break
            }
        }
        let error = try #require(refused, "2 MiB took 16 MiB of records")
        #expect(error.code == .unavailable, "\(error)")

        #expect(try await client.health().status == .notServing)
        let info = try await client.serverInfo()
        #expect(!info.writable)
        #expect(info.interviewCount > 0, "reads keep working")
        await client.close()
        _ = try await server.stop()
    }
}

/// A 2 MiB tmpfs, to fill up.
enum SmallDisk {
    /// Mounts a 2 MiB tmpfs on `path`.
    static func mount(_ path: String) -> Bool {
        Glibc.mount("tmpfs", path, "tmpfs", 0, "size=2m,mode=0700") == 0
    }

    /// Whether this process may mount a tmpfs (tried once on a scratch directory).
    static let canMount: Bool = {
        guard let scratch = try? ScratchDirectory() else { return false }
        guard mount(scratch.path) else { return false }
        umount2(scratch.path, Int32(MNT_DETACH))
        return true
    }()
}
