import Foundation
import InterviewsFileStore
import InterviewsModel
import InterviewsTestSupport
import Testing

@Suite("SnapshotEncoder: a snapshot made a piece at a time, and its check")
struct SnapshotEncoderTests {
    /// Records as a snapshot of sequence 40 holds them.
    static let records = (1...40).map { LogRecord(sequence: UInt64($0), kind: UInt8($0 % 5), data: testData($0)) }

    /// The snapshot's bytes, taken in pieces of at most `piece` bytes.
    static func encoded(piece: Int) -> [UInt8] {
        var encoder = SnapshotEncoder(sequence: 40)
        var bytes: [UInt8] = []
        for record in records {
            encoder.append(record)
            while encoder.pendingCount >= piece {
                let taken = encoder.take(upTo: piece)
                #expect(taken.count == piece)
                bytes += taken
            }
        }
        encoder.finish()
        #expect(encoder.isFinished)
        while encoder.pendingCount > 0 { bytes += encoder.take(upTo: piece) }
        return bytes
    }

    @Test("pieces of any size make the file a log replays, and check counts it", arguments: [1, 7, 100, 1 << 20])
    func piecesMakeOneFile(piece: Int) async throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let name = SnapshotEncoder.fileName(sequence: 40)
        #expect(name == "snapshot-0000000000000028.snap")
        #expect(SnapshotEncoder.sequence(inFileName: name) == 40)
        try Data(Self.encoded(piece: piece)).write(to: URL(fileURLWithPath: directory.path + "/" + name))
        let checked = try SnapshotEncoder.check(path: directory.path + "/" + name)
        #expect(checked.sequence == 40 && checked.records == 40)
        let (replayedRecords, recovery) = try await replayed(directory)
        #expect(replayedRecords == Self.records)
        #expect(recovery.lastSequence == 40)
    }

    @Test("check names the file, the offset and the fault of a damaged or misnamed snapshot")
    func checkRefusesDamage() async throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let path = directory.path + "/" + SnapshotEncoder.fileName(sequence: 40)
        var bytes = Self.encoded(piece: 1 << 20)
        bytes[200] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let flipped = await interviewsError { _ = try SnapshotEncoder.check(path: path) }
        #expect(flipped?.code == .dataLoss)
        #expect(flipped?.message.hasPrefix("\(path) is damaged at byte offset ") == true, "\(flipped?.message ?? "")")

        try Data(Self.encoded(piece: 1 << 20).dropLast(10)).write(to: URL(fileURLWithPath: path))
        let cut = await interviewsError { _ = try SnapshotEncoder.check(path: path) }
        #expect(cut?.code == .dataLoss, "a snapshot without its whole trailer: \(cut?.message ?? "")")

        let other = directory.path + "/" + SnapshotEncoder.fileName(sequence: 41)
        try Data(Self.encoded(piece: 1 << 20)).write(to: URL(fileURLWithPath: other))
        let renamed = await interviewsError { _ = try SnapshotEncoder.check(path: other) }
        #expect(renamed?.message.contains("does not match the file name") == true, "\(renamed?.message ?? "")")

        let misnamed = await interviewsError { _ = try SnapshotEncoder.check(path: directory.path + "/backup.snap") }
        #expect(misnamed?.code == .invalidArgument)
        let missing = await interviewsError {
            _ = try SnapshotEncoder.check(path: directory.path + "/" + SnapshotEncoder.fileName(sequence: 9))
        }
        #expect(missing?.code == .unavailable, "\(missing?.message ?? "")")
    }
}
