import Foundation
import InterviewsClient
import InterviewsFileRepository
import InterviewsModel
import InterviewsTestSupport
import Testing

@Suite("interviews serve on a data directory")
struct ServeTests {
    @Test("the file backend is the default; records survive a graceful restart; ServerInfo says file")
    func fileIsTheDefault() async throws {
        let directory = try TemporaryDirectory()
        let socket = directory.root + "/s.sock"
        let first = try ServerProcess(dataDirectory: directory.path, socket: socket, errorLog: directory.root + "/e1")
        let key = try await createKey(first, company: "acme")
        let client = try #require(try await first.connect(apiKey: key))
        let created = try await client.create(CreateInterviewRequest(interview: sample(1)))
        #expect(try await client.serverInfo().backend == "file")
        await client.close()
        first.stop()
        #expect(first.process.terminationStatus == 0, "\(first.errors)")

        let second = try ServerProcess(dataDirectory: directory.path, socket: socket, errorLog: directory.root + "/e2")
        let again = try #require(try await second.connect(apiKey: key))
        #expect(try await again.get(GetInterviewRequest(id: created.id, includeRemoteData: true)) == created)
        let info = try await again.serverInfo()
        #expect(info.lastSequence == 1)
        #expect(info.writable)
        await again.close()
        second.stop()
    }

    @Test("a second server on the same data directory is refused, naming the directory and the pid")
    func secondServerIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let first = try ServerProcess(
            dataDirectory: directory.path, socket: directory.root + "/a.sock", errorLog: directory.root + "/e1")
        let client = try #require(try await first.connect(apiKey: nil))
        await client.close()
        let second = try ServerProcess(
            dataDirectory: directory.path, socket: directory.root + "/b.sock", errorLog: directory.root + "/e2")
        let status = try await second.exitStatus()
        #expect(status != nil && status != 0)
        #expect(second.errors.contains("data directory \(directory.path) is in use by another process"))
        #expect(second.errors.contains("pid \(first.process.processIdentifier)"), "\(second.errors)")
        first.stop()
    }

    @Test("damage refuses to start with DATA_LOSS naming file and offset and a hint; --repair starts and reports")
    func damageAndRepair() async throws {
        let directory = try TemporaryDirectory()
        let socket = directory.root + "/s.sock"
        let first = try ServerProcess(dataDirectory: directory.path, socket: socket, errorLog: directory.root + "/e1")
        let key = try await createKey(first, company: "acme")
        let client = try #require(try await first.connect(apiKey: key))
        for n in 1...30 { _ = try await client.create(CreateInterviewRequest(interview: sample(n))) }
        await client.close()
        first.stop()
        let segment = try #require(try directory.names().first { $0.hasSuffix(".seg") })
        let path = directory.file(segment)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Walk to the 11th record (each create was its own synced batch, so
        // this is damage, not a torn tail) and flip a byte of its payload.
        var offset = 32
        for _ in 0..<10 {
            offset += 8 + (Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16)
        }
        bytes[offset + 20] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))

        let refused = try ServerProcess(dataDirectory: directory.path, socket: socket, errorLog: directory.root + "/e2")
        let status = try await refused.exitStatus()
        #expect(status != nil && status != 0)
        #expect(refused.errors.contains(segment), "\(refused.errors)")
        #expect(refused.errors.contains("at byte offset \(offset)"))
        #expect(refused.errors.contains("--repair"))

        let repaired = try ServerProcess(
            dataDirectory: directory.path, socket: socket, errorLog: directory.root + "/e3", arguments: ["--repair"])
        let again = try #require(try await repaired.connect(apiKey: key))
        let info = try await again.serverInfo()
        #expect(info.interviewCount == 10)
        await again.close()
        repaired.stop()
        #expect(repaired.errors.contains("repaired"), "\(repaired.errors)")
        #expect(repaired.errors.contains("bytes"))
    }

    @Test("a damaged snapshot refuses to start with DATA_LOSS naming it; --repair starts, reports, keeps the snapshot")
    func damagedSnapshotAndRepair() async throws {
        let directory = try TemporaryDirectory()
        let socket = directory.root + "/s.sock"
        let first = try ServerProcess(dataDirectory: directory.path, socket: socket, errorLog: directory.root + "/e1")
        let key = try await createKey(first, company: "acme")
        let client = try #require(try await first.connect(apiKey: key))
        for n in 1...30 { _ = try await client.create(CreateInterviewRequest(interview: sample(n))) }
        await client.close()
        first.stop()
        // Compact (as the server's background compaction does): the snapshot
        // then holds the only copy of the first 30 creates.
        let repository = try FileInterviewRepository.open(directory: directory.path)
        try await repository.compact()
        for n in 31...35 { _ = try await repository.create(sample(n), requestID: "", tenant: acme) }
        await repository.close()
        let snapshot = try #require(try directory.names().first { $0.hasSuffix(".snap") })
        #expect(try directory.names().filter { $0.hasSuffix(".seg") }.count == 1)
        var bytes = try directory.bytes(snapshot)
        bytes[32 + 40] ^= 0x01
        try directory.write(bytes, to: snapshot)

        let refused = try ServerProcess(dataDirectory: directory.path, socket: socket, errorLog: directory.root + "/e2")
        let status = try await refused.exitStatus()
        #expect(status == 65, "\(refused.errors)")
        #expect(refused.errors.contains("DATA_LOSS"), "\(refused.errors)")
        #expect(refused.errors.contains(snapshot), "\(refused.errors)")
        #expect(refused.errors.contains("sequences 1...30"), "\(refused.errors)")
        #expect(refused.errors.contains("--repair"))
        #expect(try directory.bytes(snapshot) == bytes)

        let repaired = try ServerProcess(
            dataDirectory: directory.path, socket: socket, errorLog: directory.root + "/e3", arguments: ["--repair"])
        let again = try #require(try await repaired.connect(apiKey: key))
        #expect(try await again.serverInfo().interviewCount == 0)
        _ = try await again.create(CreateInterviewRequest(interview: sample(99)))
        await again.close()
        repaired.stop()
        let log = repaired.errors
        #expect(log.contains("repaired"), "\(log)")
        #expect(log.contains("sequences 1...35 are no longer in the log"), "\(log)")
        #expect(log.contains("\(snapshot).damaged"), "\(log)")
        // The damaged snapshot is kept beside the log, byte for byte.
        #expect(try directory.bytes("\(snapshot).damaged") == bytes)
    }
}
