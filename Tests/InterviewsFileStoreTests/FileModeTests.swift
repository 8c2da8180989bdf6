import Foundation
import InterviewsFileStore
import InterviewsModel
import InterviewsTestSupport
import Testing

/// The permission bits of `path` (without the file type).
private func permissions(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

@Suite("File modes")
struct FileModeTests {
    @Test("the data directory is created 0700, and LOCK, segments and snapshots 0600")
    func ownerOnlyFiles() async throws {
        let directory = try TemporaryDirectory()
        var workload = KeyedWorkload(log: try openLog(directory, options: LogOptions(segmentSize: 600)).log)
        try await workload.put(keys: 0..<10, versions: 1...10)
        _ = try await workload.compact()
        try await workload.put(keys: 0..<3, versions: 11...11)
        await workload.log.close()

        #expect(permissions(directory.path) == 0o700)
        let names = try directory.names()
        #expect(names.contains("LOCK"))
        #expect(names.contains { $0.hasSuffix(".snap") }, "a snapshot was written: \(names)")
        #expect(names.contains { $0.hasSuffix(".seg") }, "a segment was written: \(names)")
        for name in names {
            #expect(permissions(directory.file(name)) == 0o600, "\(name) is owner-only")
        }
    }

    @Test("the copy of a torn tail that recovery sets aside is 0600")
    func tornTailCopyIsOwnerOnly() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory).log
        try await appendEach(log, 1...5)
        await log.close()
        let segment = try #require(try directory.segments().last)
        let bytes = try directory.bytes(segment)
        #expect(truncate(directory.file(segment), off_t(bytes.count - 3)) == 0)

        let opened = try openLog(directory)
        let torn = try #require(opened.log.recovery.tornTail, "the cut last record is a torn tail")
        await opened.log.close()
        #expect(permissions(directory.file(torn.savedAs)) == 0o600, "\(torn.savedAs) is owner-only")
    }
}
