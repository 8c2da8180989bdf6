import Foundation
import InterviewsClient
import InterviewsModel
import InterviewsTestSupport
import RPCCore
import Synchronization
import Testing

/// The records the crash test's writers create and update: every field is a
/// function of (round, writer, counter), and the title also of the version,
/// so any stored record can be checked for being whole.
enum CrashRecords {
    static let company = "crash-co"

    static func remoteID(round: Int, writer: Int, counter: Int) -> String { "r\(round)-w\(writer)-c\(counter)" }

    static func title(round: Int, writer: Int, counter: Int, version: Int) -> String {
        "title \(remoteID(round: round, writer: writer, counter: counter)) v\(version)"
    }

    /// Version 1 of the record, as a client sends it.
    static func interview(round: Int, writer: Int, counter: Int) -> Interview {
        let id = remoteID(round: round, writer: writer, counter: counter)
        let filler = String(repeating: "x", count: (counter * 37 + writer * 11) % 400)
        return Interview(
            remoteID: id, candidateID: "round-\(round)", applicationID: "app-\(id)", jobID: "job-\(writer)",
            title: title(round: round, writer: writer, counter: counter, version: 1),
            organizer: Participant(id: "org-\(id)", firstName: "Ada", email: "ada@example.com"),
            startAt: Timestamp(seconds: 1_700_000_000 + Int64(counter)), status: .scheduled,
            customFields: ["writer": "\(writer)", "filler": filler], remoteData: Array("{\"id\":\"\(id)\"}".utf8),
            analysis: Analysis(summary: "summary of \(id)", transcript: [TranscriptSegment(speaker: "a", text: filler)])
        )
    }

    /// (round, writer, counter, version) of a stored record, or nil when its
    /// content is not exactly what the writers send (half-written or foreign).
    static func check(_ stored: Interview) -> (round: Int, writer: Int, counter: Int, version: Int)? {
        let parts = stored.remoteID.split(separator: "-")
        guard parts.count == 3, let round = Int(parts[0].dropFirst()), let writer = Int(parts[1].dropFirst()),
            let counter = Int(parts[2].dropFirst()), let version = Int(stored.title.split(separator: "v").last ?? "")
        else { return nil }
        var expected = interview(round: round, writer: writer, counter: counter)
        expected.title = title(round: round, writer: writer, counter: counter, version: version)
        expected.id = stored.id
        expected.companyID = stored.companyID
        expected.createdAt = stored.createdAt
        expected.updatedAt = stored.updatedAt
        expected.revision = stored.revision
        guard stored == expected, stored.revision == UInt64(version), stored.companyID == company else { return nil }
        return (round, writer, counter, version)
    }
}

/// Every acknowledged write, shared by the writer tasks.
final class Acknowledgements: Sendable {
    /// The newest acknowledged version of each record, by id.
    let newest = Mutex<[String: Interview]>([:])

    func record(_ interview: Interview) {
        newest.withLock { map in
            if let known = map[interview.id], known.revision >= interview.revision { return }
            map[interview.id] = interview
        }
    }

    var count: Int { newest.withLock { $0.count } }
    var all: [String: Interview] { newest.withLock { $0 } }
}

/// Kills a real `interviews serve --backend file` with SIGKILL at random
/// moments while clients create and update records as fast as it answers,
/// restarts it, and checks that every acknowledged write is there and whole
/// and that every record it serves is one a client sent, whole.
@Suite("Crash: SIGKILL of a real server while clients write")
struct ServerCrashTests {
    /// Rounds in this run: `INTERVIEWS_SERVER_CRASH_ROUNDS`, default 100
    /// (`tools/crash-soak server` runs 1000).
    static var rounds: Int {
        ProcessInfo.processInfo.environment["INTERVIEWS_SERVER_CRASH_ROUNDS"].flatMap { Int($0) } ?? 100
    }

    static let writers = 8

    /// Creates records and updates each three times, until the connection fails.
    static func write(_ client: InterviewsClient, round: Int, writer: Int, acks: Acknowledgements) async {
        var counter = 0
        while true {
            counter += 1
            let request = CreateInterviewRequest(
                interview: CrashRecords.interview(round: round, writer: writer, counter: counter),
                requestID: "req-\(round)-\(writer)-\(counter)")
            guard let created = try? await client.create(request) else { return }
            acks.record(created)
            // Every record is updated three times: most of the log is then
            // dead, so compaction runs.
            for version in 2...4 {
                var changes = Interview(id: created.id)
                changes.title = CrashRecords.title(round: round, writer: writer, counter: counter, version: version)
                let update = UpdateInterviewRequest(
                    interview: changes, updateMask: ["title"], expectedRevision: UInt64(version - 1))
                guard let updated = try? await client.update(update) else { return }
                acks.record(updated)
            }
        }
    }

    /// Checks the records of `round` (of every round when nil): each must be
    /// whole, and each acknowledged write of `ids` must be there, at its
    /// acknowledged version or a later one.
    static func verify(
        _ client: InterviewsClient, acks: [String: Interview], ids: [String], round: Int?
    ) async throws {
        var request = ListRequest(includeRemoteData: true)
        if let round { request.candidateIDs = ["round-\(round)"] }
        var stored: [String: Interview] = [:]
        try await client.stream(request) { stream in
            for try await record in stream { stored[record.id] = record }
        }
        for record in stored.values where CrashRecords.check(record) == nil {
            Issue.record("a served record is not whole: \(record)")
        }
        for id in ids {
            guard let ack = acks[id] else { continue }
            guard let record = stored[id], let made = CrashRecords.check(record) else {
                Issue.record("acknowledged record \(id) (revision \(ack.revision)) is missing or not whole")
                continue
            }
            #expect(made.version >= Int(ack.revision), "record \(id) lost its acknowledged version \(ack.revision)")
            if made.version == Int(ack.revision) { #expect(record == ack, "record \(id) differs from its ack") }
        }
        // The unary read path agrees with the stream.
        for id in ids.prefix(5) {
            #expect(try await client.get(GetInterviewRequest(id: id, includeRemoteData: true)) == stored[id])
        }
    }

    @Test("every acknowledged write survives SIGKILL of the server; nothing half-written is served")
    func killNineWhileWriting() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.root + "/data"
        let socket = directory.root + "/s.sock"
        // Compaction runs often, so kills land in it too.
        let serveArguments = ["--compaction-threshold", "65536"]
        let acks = Acknowledgements()
        var key: String?
        let started = ContinuousClock.now
        for round in 1...Self.rounds {
            let server = try ServerProcess(
                dataDirectory: data, socket: socket, errorLog: directory.root + "/stderr-\(round)",
                arguments: serveArguments)
            if round % 10 == 5 {
                // Kill it while it opens (recovery, torn-tail cut, segment creation).
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...40)))
                server.kill()
                continue
            }
            if key == nil { key = try await createKey(server, company: CrashRecords.company) }
            guard let client = try await server.connect(apiKey: key) else {
                Issue.record("round \(round): the server exited: \(server.errors)")
                server.kill()
                break
            }
            let before = acks.all
            // Check what the previous rounds acknowledged (the newest ones every
            // round, all of them every 25 rounds).
            if round % 25 == 0 {
                try await Self.verify(client, acks: before, ids: Array(before.keys), round: nil)
            }
            var writerClients: [InterviewsClient] = []
            for _ in 0..<2 {
                if let extra = try await server.connect(apiKey: key) { writerClients.append(extra) }
            }
            let pid = server.process.processIdentifier
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<Self.writers {
                    let connection = writerClients.isEmpty ? client : writerClients[writer % writerClients.count]
                    group.addTask { await Self.write(connection, round: round, writer: writer, acks: acks) }
                }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 20...250)))
                    kill(pid, SIGKILL)
                }
            }
            server.process.waitUntilExit()
            #expect(server.process.terminationReason == .uncaughtSignal, "round \(round): \(server.errors)")
            for extra in writerClients { await extra.close() }
            await client.close()

            // Restart and check this round's acknowledgements and records.
            let restarted = try ServerProcess(
                dataDirectory: data, socket: socket, errorLog: directory.root + "/stderr-\(round)-check",
                arguments: serveArguments)
            guard let checker = try await restarted.connect(apiKey: key) else {
                Issue.record("round \(round): the server did not restart: \(restarted.errors)")
                restarted.kill()
                break
            }
            let after = acks.all
            let fresh = after.filter { before[$0.key]?.revision != $0.value.revision }.map(\.key)
            try await Self.verify(checker, acks: after, ids: fresh, round: round)
            await checker.close()
            restarted.kill()
        }
        // A last, full check after a clean restart.
        let server = try ServerProcess(
            dataDirectory: data, socket: socket, errorLog: directory.root + "/stderr-final", arguments: serveArguments)
        let client = try #require(try await server.connect(apiKey: key))
        let all = acks.all
        try await Self.verify(client, acks: all, ids: Array(all.keys), round: nil)
        let info = try await client.serverInfo()
        #expect(info.backend == "file")
        await client.close()
        server.stop()
        #expect(acks.count > Self.rounds * 5)
        let logs = try FileManager.default.contentsOfDirectory(atPath: directory.root).filter { $0.hasPrefix("stderr") }
        let compactions = try logs.filter {
            try String(contentsOfFile: directory.root + "/" + $0, encoding: .utf8).contains("compacted the log")
        }
        #expect(!compactions.isEmpty || Self.rounds < 20, "no server compacted its log")
        print(
            "server crash test: \(Self.rounds) rounds, \(acks.count) acknowledged records, \(compactions.count) runs compacted, \(ContinuousClock.now - started)"
        )
    }
}
