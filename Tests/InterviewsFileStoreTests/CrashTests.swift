import Foundation
import InterviewsFileStore
import InterviewsTestSupport
import Testing

@testable import interviews_logcrash

/// Kills a real appending process with SIGKILL at random moments, and checks
/// after every kill that each acknowledged record is there and intact, and
/// that nothing half-written is replayed.
@Suite("Crash: SIGKILL while appending")
struct CrashTests {
    /// Rounds in this run: `INTERVIEWS_CRASH_ROUNDS`, default 20
    /// (tools/crash-soak runs 1000).
    static var rounds: Int {
        ProcessInfo.processInfo.environment["INTERVIEWS_CRASH_ROUNDS"].flatMap { Int($0) } ?? 20
    }

    /// The interviews-logcrash binary: `INTERVIEWS_LOGCRASH`, or the one built
    /// next to this test binary.
    static func executable() throws -> String {
        if let path = ProcessInfo.processInfo.environment["INTERVIEWS_LOGCRASH"] { return path }
        let tests = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let path = tests.deletingLastPathComponent().appendingPathComponent("interviews-logcrash").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "build interviews-logcrash first: \(path)")
        return path
    }

    /// One acknowledged record, as the process printed it.
    struct Ack: Hashable {
        var sequence: UInt64
        var epoch: Int
        var writer: Int
        var counter: Int
    }

    /// The acknowledgements in `file`; a last line cut by the kill is ignored.
    static func acks(in file: String) throws -> [Ack] {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var acks: [Ack] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let fields = line.split(separator: " ")
            guard fields.count == 4, let sequence = UInt64(fields[0]), let epoch = Int(fields[1]),
                let writer = Int(fields[2]), let counter = Int(fields[3])
            else {
                Issue.record("malformed ack line: \(line)")
                continue
            }
            acks.append(Ack(sequence: sequence, epoch: epoch, writer: writer, counter: counter))
        }
        return acks
    }

    @Test("every acknowledged record survives SIGKILL at random moments; nothing half-written is replayed")
    func killNineWhileAppending() async throws {
        let binary = try Self.executable()
        let directory = try TemporaryDirectory()
        /// Every acknowledgement so far, by sequence.
        var acknowledged: [UInt64: Ack] = [:]
        /// The newest acknowledged (epoch, counter) of each key.
        var newest: [Int: (epoch: Int, counter: Int)] = [:]
        var tornTails = 0
        for round in 1...Self.rounds {
            let output = directory.root + "/acks-\(round)"
            let errors = directory.root + "/stderr-\(round)"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            _ = FileManager.default.createFile(atPath: errors, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "run", directory.path, "--epoch", "\(round)", "--writers", "16", "--segment-size", "65536",
            ]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
            try process.run()
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...700)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(
                process.terminationReason == .uncaughtSignal,
                "round \(round): \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")

            for ack in try Self.acks(in: output) {
                acknowledged[ack.sequence] = ack
                let key = CrashWorkload.key(writer: ack.writer, counter: ack.counter)
                if let known = newest[key], (known.epoch, known.counter) >= (ack.epoch, ack.counter) { continue }
                newest[key] = (ack.epoch, ack.counter)
            }

            let opened = try openLog(directory)
            await opened.log.close()
            let recovery = opened.log.recovery
            if recovery.tornTail != nil { tornTails += 1 }
            #expect(recovery.repair == nil)
            let covered = recovery.snapshotSequence ?? 0
            var bySequence: [UInt64: LogRecord] = [:]
            var state: [Int: (epoch: Int, counter: Int)] = [:]
            for record in opened.records {
                guard let made = CrashWorkload.parse(record.data) else {
                    Issue.record("round \(round): record \(record.sequence) is not intact")
                    continue
                }
                if record.sequence > covered { bySequence[record.sequence] = record }
                state[CrashWorkload.key(writer: made.writer, counter: made.counter)] = (made.epoch, made.counter)
            }
            let logSequences = opened.records.map(\.sequence).filter { $0 > covered }
            #expect(logSequences == Array((covered + 1)..<(covered + 1 + UInt64(logSequences.count))))
            for (sequence, ack) in acknowledged where sequence > covered {
                let made = bySequence[sequence].flatMap { CrashWorkload.parse($0.data) }
                #expect(
                    made?.epoch == ack.epoch && made?.writer == ack.writer && made?.counter == ack.counter,
                    "round \(round): acknowledged sequence \(sequence) is missing or different")
            }
            for (key, ack) in newest {
                let stored = state[key]
                #expect(
                    stored.map { ($0.epoch, $0.counter) >= (ack.epoch, ack.counter) } == true,
                    "round \(round): key \(key) lost its acknowledged version \(ack)")
            }
        }
        #expect(acknowledged.count > Self.rounds * 10)
        print(
            "crash test: \(Self.rounds) rounds, \(acknowledged.count) acknowledged records, \(tornTails) torn tails cut"
        )
    }
}
