import Foundation
import Testing

@Suite("watch follows changes live", .runningServer())
struct WatchTests {
    /// Starts `interviews watch` for `tenant` in the background.
    func watch(_ tenant: Tenant, _ arguments: String...) throws -> BackgroundCommand {
        try BackgroundCommand(
            ["watch"] + arguments,
            environment: ["INTERVIEWS_SOCKET": tenant.server.socket, "INTERVIEWS_API_KEY": tenant.key])
    }

    @Test("watch prints an event for a create made while it runs, and SIGTERM ends it")
    func eventForCreate() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let watcher = try watch(acme, "--output", "jsonl")
        let created = try await acme.create("--title", "Live")
        let line = try #require(try await watcher.firstLine(), "no event; stderr: \(watcher.stderr)")
        let event = try JSONObjects.object(line)
        #expect(event["kind"] as? String == "CHANGE_KIND_CREATED")
        #expect(event["sequence"] is String)
        let interview = try #require(event["interview"] as? [String: Any])
        #expect(interview["id"] as? String == created["id"] as? String)
        #expect(interview["title"] as? String == "Live")
        let end = await watcher.stop()
        #expect(end.signaled && end.status == SIGTERM || end.status == 0, "\(end)")
        #expect(!watcher.stderr.contains("Fatal error"), "\(watcher.stderr)")
    }

    @Test("watch's table keeps an event on one line and never passes a title's control characters to the terminal")
    func tableIsOneLinePerEvent() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let watcher = try watch(acme, "--output", "table")
        _ = try await acme.create("--json", #"{"title":"two\nlines \u001b]0;pwned\u0007 done"}"#)
        let line = try #require(try await watcher.firstLine(), "no event; stderr: \(watcher.stderr)")
        _ = await watcher.stop()
        let fields = line.split(separator: "\t")
        #expect(fields.count == 4, "\(line.debugDescription)")
        #expect(fields.last == "two lines  ]0;pwned  done", "\(line.debugDescription)")
        #expect(
            !watcher.stdout.unicodeScalars.contains {
                $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t"
            })
    }

    @Test("watch --timeout replays, follows for that long, then ends with exit 0 and where to resume")
    func timeoutEndsTheWatch() async throws {
        let acme = try await ServerProcess.current().newTenant()
        _ = try await acme.create("--title", "Before")
        let started = ContinuousClock.now
        let result = try await acme.run("watch", "--timeout", "2", "--output", "jsonl", limit: .seconds(30))
        let took = ContinuousClock.now - started
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.split(separator: "\n").count == 1, "the replayed create: \(result)")
        #expect(result.stderr.contains("watched for 2 s (--timeout); resume: interviews watch --after-sequence "))
        #expect(took >= .seconds(2) && took < .seconds(20), "\(took)")
    }

    @Test("watch --until-caught-up prints the kept changes and ends with exit 0 and where to resume")
    func untilCaughtUp() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let first = try await acme.create("--title", "One")
        let second = try await acme.create("--title", "Two")
        let result = try await acme.run("watch", "--until-caught-up", "--output", "jsonl", limit: .seconds(30))
        #expect(result.status == 0, "\(result)")
        let ids = try result.stdout.split(separator: "\n").map { line in
            (try JSONObjects.object(String(line))["interview"] as? [String: Any])?["id"] as? String
        }
        #expect(ids == [first["id"] as? String, second["id"] as? String], "\(result.stdout)")
        #expect(!result.stdout.contains("caughtUp"), "the marker is not printed as an event")
        let resume = try #require(
            result.stderr.firstMatch(
                of: /caught up at sequence (\d+); resume: interviews watch --after-sequence (\d+) --store-epoch \d+/),
            "\(result.stderr)")
        #expect(resume.1 == resume.2)
        let again = try await acme.run(
            "watch", "--until-caught-up", "--after-sequence", String(resume.1), "--output", "jsonl",
            limit: .seconds(30))
        #expect(again.status == 0 && again.stdout.isEmpty, "nothing after the marker's sequence: \(again)")
    }

    @Test("watch shows only the caller's company")
    func tenantScoped() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        let globex = try await server.newTenant("globex")
        let watcher = try watch(acme, "--output", "jsonl")
        _ = try await globex.create("--title", "Not yours")
        _ = try await acme.create("--title", "Yours")
        let line = try #require(try await watcher.firstLine(), "no event; stderr: \(watcher.stderr)")
        #expect(line.contains("\"Yours\""))
        #expect(!watcher.stdout.contains("Not yours"))
        _ = await watcher.stop(with: SIGINT)
    }

    @Test("watch ends with UNAVAILABLE (exit 69) when its server stops")
    func serverStops() async throws {
        // A live watch is a call in flight: the server waits the grace period for it.
        let server = try await ServerProcess.start(
            backend: ServerProcess.current().backend, options: ["--shutdown-grace", "1"])
        let outcome = await Result(awaiting: {
            let acme = try await server.newTenant()
            let watcher = try watch(acme, "--output", "jsonl")
            _ = try await acme.create("--title", "Before the stop")
            _ = try #require(try await watcher.firstLine(), "no event; stderr: \(watcher.stderr)")
            #expect(await server.stop() == 0)
            let end = await watcher.stop(with: 0)
            #expect(end.status == 69 && !end.signaled, "\(end): \(watcher.stderr)")
            #expect(watcher.stderr.hasPrefix("error: UNAVAILABLE: "), "\(watcher.stderr)")
            #expect(watcher.stderr.split(separator: "\n").count == 1, "\(watcher.stderr)")
        })
        if server.isRunning { await server.stop() }
        try outcome.get()
    }

    @Test("watch --after-sequence replays later changes first")
    func replay() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let id = try #require(try await acme.create("--title", "Before")["id"] as? String)
        _ = try await acme.succeed("update", id, "--title", "Renamed")
        _ = try await acme.succeed("delete", id)
        let watcher = try watch(acme, "--output", "jsonl")
        let deadline = ContinuousClock.now + .seconds(20)
        while watcher.stdout.filter({ $0 == "\n" }).count < 3 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = await watcher.stop()
        let events = try watcher.stdout.split(separator: "\n").map { try JSONObjects.object(String($0)) }
        #expect(
            events.map { $0["kind"] as? String } == [
                "CHANGE_KIND_CREATED", "CHANGE_KIND_UPDATED", "CHANGE_KIND_DELETED",
            ])
        let sequences = events.compactMap { ($0["sequence"] as? String).flatMap(UInt64.init) }
        #expect(sequences == sequences.sorted() && Set(sequences).count == 3)
        let after = try #require(sequences.first)
        let later = try watch(acme, "--after-sequence", String(after), "--output", "jsonl")
        let first = try #require(try await later.firstLine())
        #expect(first.contains("CHANGE_KIND_UPDATED"))
        _ = await later.stop()
    }

    @Test("watch prints each event's storeEpoch, resumes with --store-epoch, and refuses another epoch (exit 65)")
    func storeEpoch() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let info = try await acme.succeed("info", "--output", "json").json()
        let epoch = try #require((info["storeEpoch"] as? String).flatMap(UInt64.init), "\(info)")
        #expect(epoch != 0)
        let table = try await acme.succeed("info", "--output", "table")
        #expect(table.stdout.contains("epoch       \(epoch)"), "\(table.stdout)")
        _ = try await acme.create("--title", "Epoch")

        let watcher = try watch(acme, "--store-epoch", String(epoch), "--output", "jsonl")
        let line = try #require(try await watcher.firstLine(), "no event; stderr: \(watcher.stderr)")
        _ = await watcher.stop()
        #expect(try JSONObjects.object(line)["storeEpoch"] as? String == String(epoch), "\(line)")

        let other = epoch == 1 ? 2 : epoch - 1
        let refused = try await acme.run(
            "watch", "--after-sequence", "5", "--epoch", String(other), limit: .seconds(20))
        #expect(refused.status == 65 && !refused.signaled, "\(refused)")
        #expect(
            refused.stderr.hasPrefix(
                "error: FAILED_PRECONDITION: store_epoch: sequence 5 belongs to store epoch \(other); "
                    + "this store's epoch is \(epoch)"),
            "\(refused.stderr)")
    }
}
