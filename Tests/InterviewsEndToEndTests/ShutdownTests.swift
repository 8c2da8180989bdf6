import Foundation
import InterviewsClient
import InterviewsModel
import RPCCore
import RPCUnixSocket
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Each test runs its own server process, since each ends it.
@Suite("Signals end the server process cleanly", .timeLimit(.minutes(2)))
struct ShutdownTests {
    private static let grace = 15

    @Test("with streams in flight, SIGTERM refuses new connections, drains within the grace period and exits 0")
    func sigtermWithStreamsInFlight() async throws {
        let server = try await ServerProcess.start(arguments: ["--shutdown-grace", "\(Self.grace)"])
        let key = try await server.companyKey(Company.unique("drain"))
        let owner = try await server.client(key)
        _ = try await owner.upsert(
            UpsertInterviewsRequest(
                interviews: (0..<1000).map {
                    Sample.small($0, candidate: $0 < 40 ? "fast" : "slow", remoteID: "r-\($0)")
                }
            ))
        let fast = try await server.client(apiKey: key.secret, initialWindow: 8)
        let stalled = try await server.client(apiKey: key.secret, initialWindow: 8)
        let idle = try await server.client(key)

        let (started, startedSignal) = AsyncStream.makeStream(of: Void.self)
        let (resume, resumeSignal) = AsyncStream.makeStream(of: Void.self)
        // Reads 10 of 40 records, waits for the signal to be sent, then reads on as fast as it can.
        let fastReader = Task {
            try await fast.stream(ListRequest(candidateIDs: ["fast"])) { stream in
                var count = 0
                for try await _ in stream {
                    count += 1
                    if count == 10 {
                        startedSignal.yield()
                        for await _ in resume { break }
                    }
                }
                return count
            }
        }
        // Reads one record, then nothing until the server has exited.
        let stalledReader = Task {
            try await stalled.stream(ListRequest()) { stream -> (Int, RPCError?) in
                var iterator = stream.makeAsyncIterator()
                var count = 0
                do {
                    _ = try await iterator.next()
                    count += 1
                    startedSignal.yield()
                    while server.isRunning { try await Task.sleep(for: .milliseconds(20)) }
                    while try await iterator.next() != nil { count += 1 }
                    return (count, nil)
                } catch let error as RPCError {
                    return (count, error)
                }
            }
        }
        var signals = started.makeAsyncIterator()
        for _ in 0..<2 { _ = await signals.next() }

        let signalled = ContinuousClock.now
        server.send(SIGTERM)
        resumeSignal.yield()
        #expect(try await fastReader.value == 40, "a stream that keeps reading completes during the drain")

        #expect(await eventually { access(server.socketPath, F_OK) != 0 }, "the socket file is removed")
        #expect(server.isRunning, "the stalled stream keeps the server draining")
        let refused = await #expect(throws: RPCError.self) { _ = try await server.client(apiKey: nil) }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message.hasPrefix("no server at \(server.socketPath)") == true)
        let late = await #expect(throws: RPCError.self) { try await idle.list(ListRequest()) }
        #expect(late?.code == .unavailable, "no new calls on a connection opened before the signal")

        let termination = try await server.waitForExit(timeout: .seconds(Self.grace + 20))
        let took = ContinuousClock.now - signalled
        #expect(termination == .exited(0), "\(server.log())")
        #expect(took < .seconds(Self.grace + 5), "exited \(took) after SIGTERM")
        let (count, error) = try await stalledReader.value
        #expect(count < 1000)
        #expect(error?.code == .unavailable, "\(String(describing: error))")
    }

    @Test("an open watch ends at once at SIGTERM with UNAVAILABLE naming where to resume; no wait for the grace period")
    func sigtermEndsWatches() async throws {
        let server = try await ServerProcess.start(arguments: ["--shutdown-grace", "30"])
        let client = try await server.client(try await server.companyKey(Company.unique("watch")))
        for n in 0..<2 { _ = try await client.create(CreateInterviewRequest(interview: Sample.small(n))) }
        let (caughtUp, caughtUpSignal) = AsyncStream.makeStream(of: (sequence: UInt64, epoch: UInt64).self)
        let watcher = Task {
            try await client.watch(WatchRequest()) { stream -> RPCError? in
                var count = 0
                do {
                    for try await event in stream {
                        count += 1
                        if count == 2 { caughtUpSignal.yield((event.sequence, event.storeEpoch)) }
                    }
                    return nil
                } catch let error as RPCError {
                    return error
                }
            }
        }
        var signals = caughtUp.makeAsyncIterator()
        let last = try #require(await signals.next())

        let signalled = ContinuousClock.now
        server.send(SIGTERM)
        let ended = try await watcher.value
        #expect(last.epoch != 0, "every event names its store epoch")
        #expect(
            ended
                == RPCError(
                    .unavailable,
                    "the server is shutting down; watch again with after_sequence \(last.sequence) "
                        + "and store_epoch \(last.epoch)"))
        let termination = try await server.waitForExit(timeout: .seconds(40))
        #expect(termination == .exited(0), "\(server.log())")
        let took = ContinuousClock.now - signalled
        #expect(took < .seconds(10), "exited \(took) after SIGTERM; the grace period is 30 s")
    }

    @Test(
        "an idle server exits 0 on SIGTERM or SIGINT and removes its socket; connecting then is UNAVAILABLE",
        arguments: [SIGTERM, SIGINT])
    func idleShutdown(signal: Int32) async throws {
        let server = try await ServerProcess.start()
        _ = try await server.client(apiKey: nil).health()
        let termination = try await server.stop(signal: signal, timeout: .seconds(20))
        #expect(termination == .exited(0), "\(server.log())")
        #expect(access(server.socketPath, F_OK) != 0)
        let error = await #expect(throws: RPCError.self) { _ = try await server.client(apiKey: nil) }
        #expect(error == RPCError(.unavailable, "no server at \(server.socketPath): No such file or directory"))
    }

    @Test("connecting where no server ever listened is UNAVAILABLE \"no server at <path>\"")
    func noServer() async throws {
        let path = "/tmp/iv-e2e-absent-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let error = await #expect(throws: RPCError.self) {
            _ = try await InterviewsClient.connect(to: path, apiKey: "ik_whatever")
        }
        #expect(error == RPCError(.unavailable, "no server at \(path): No such file or directory"))
    }
}

/// Polls `condition` every 10 ms for up to `timeout`.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
