import InterviewsClient
import InterviewsModel
import RPCCore
import Testing

/// Revoking a key ends the calls it already opened, not only its next ones.
@Suite("Revoking a key ends its open watches and streams", .serverProcess(), .timeLimit(.minutes(2)))
struct RevocationTests {
    @Test("an open watch and an unread StreamInterviews of a revoked key end with UNAUTHENTICATED while still open")
    func revokeEndsOpenCalls() async throws {
        let server = try ServerProcess.shared
        let company = Company.unique("revoke-open")
        let revoked = try await server.companyKey(company)
        let kept = try await server.companyKey(company)
        // A window of 2: the stream fills it and then waits for credit the test never returns.
        let streamer = try await server.client(apiKey: revoked.secret, initialWindow: 2)
        let watcherClient = try await server.client(revoked)
        let keptClient = try await server.client(kept)
        let total = 20
        for n in 0..<total { _ = try await streamer.create(CreateInterviewRequest(interview: Sample.small(n))) }

        // A watch of each key, both caught up and idle (no record is written while they wait).
        let (revokedLive, revokedLiveSignal) = AsyncStream.makeStream(of: Void.self)
        let revokedWatch = Task { () -> RPCError? in
            await firstError {
                try await watcherClient.watch(WatchRequest()) { stream in
                    var count = 0
                    for try await _ in stream {
                        count += 1
                        if count == total { revokedLiveSignal.yield() }
                    }
                }
            }
        }
        let (keptEvents, keptEventSignal) = AsyncStream.makeStream(of: WatchEvent.self)
        let keptWatch = Task { () -> RPCError? in
            await firstError {
                try await keptClient.watch(WatchRequest()) { stream in
                    for try await event in stream { keptEventSignal.yield(event) }
                }
            }
        }
        var keptIterator = keptEvents.makeAsyncIterator()
        for _ in 0..<total { _ = try #require(await keptIterator.next()) }
        var revokedLiveIterator = revokedLive.makeAsyncIterator()
        _ = try #require(await revokedLiveIterator.next())

        // A StreamInterviews read once, then left unread: the server waits for credit.
        let (firstRead, firstReadSignal) = AsyncStream.makeStream(of: Void.self)
        let (resume, resumeSignal) = AsyncStream.makeStream(of: Void.self)
        let stream = Task { () -> (read: Int, error: RPCError?) in
            var read = 0
            let error = await firstError {
                try await streamer.stream(ListRequest()) { stream in
                    var resumeIterator = resume.makeAsyncIterator()
                    for try await _ in stream {
                        read += 1
                        if read == 1 {
                            firstReadSignal.yield()
                            await resumeIterator.next()
                        }
                    }
                }
            }
            return (read, error)
        }
        var firstReadIterator = firstRead.makeAsyncIterator()
        _ = try #require(await firstReadIterator.next())

        // How fast they end is a figure for a benchmark (well under a second
        // on an idle machine); the test bounds it only against a hang.
        try await server.revoke(revoked)

        let watchEnd = await value(of: revokedWatch, within: .seconds(5))
        let watchError = try #require(watchEnd, "the revoked key's idle watch was still open 5 s after the revoke")
        #expect(watchError?.code == .unauthenticated, "\(String(describing: watchError))")
        #expect(watchError?.message.contains("revoked") == true, "\(String(describing: watchError))")

        // The stream's reader comes back: what was already sent, then the status.
        resumeSignal.yield()
        let streamEnd = try #require(
            await value(of: stream, within: .seconds(5)),
            "the revoked key's StreamInterviews was still open 5 s after the revoke")
        #expect(streamEnd.error?.code == .unauthenticated, "\(String(describing: streamEnd.error))")
        #expect(streamEnd.error?.message.contains("revoked") == true, "\(String(describing: streamEnd.error))")
        #expect(streamEnd.read < total, "read \(streamEnd.read) of \(total): the stream went on after the revoke")

        // The company's other key keeps its watch: it sees the next record.
        let created = try await keptClient.create(CreateInterviewRequest(interview: Sample.small(99)))
        let next = try #require(await keptIterator.next(), "the other key's watch ended")
        #expect(next.interview?.id == created.id)
        keptWatch.cancel()
        _ = await keptWatch.value
        for client in [streamer, watcherClient, keptClient] { await client.close() }
    }
}

/// The RPCError `body` ends with, or nil when it returns.
func firstError(_ body: () async throws -> Void) async -> RPCError? {
    do {
        try await body()
        return nil
    } catch let error as RPCError {
        return error
    } catch {
        return RPCError(.unknown, "\(error)")
    }
}

/// The task's value, or nil when it takes longer than `limit` (the task is then cancelled).
func value<T: Sendable>(of task: Task<T, Never>, within limit: Duration) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await task.value }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let first = await group.next() ?? nil
        if first == nil { task.cancel() }
        group.cancelAll()
        return first
    }
}
