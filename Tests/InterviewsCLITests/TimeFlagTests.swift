import Foundation
import Testing

@Suite("Time flags take timestamps, dates, now and durations", .runningServer())
struct TimeFlagTests {
    /// Seconds since 1970 of a proto3 JSON timestamp.
    static func seconds(_ text: Any?) throws -> TimeInterval {
        let text = try #require(text as? String)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text), "\(text)")
        return date.timeIntervalSince1970
    }

    @Test("a duration is before now, +duration after it, and a date is midnight UTC")
    func filters() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let created = try await acme.create("--title", "recent")
        let id = try #require(created["id"] as? String)
        func ids(_ arguments: String...) async throws -> [String] {
            let result = try await acme.run(["list", "--output", "jsonl"] + arguments)
            try #require(result.status == 0, "\(arguments): \(result)")
            return try result.jsonLines().compactMap { $0["id"] as? String }
        }
        #expect(try await ids("--created-after", "1h") == [id])
        #expect(try await ids("--created-after", "1h30m", "--created-before", "now") == [id])
        #expect(try await ids("--since", "2d") == [id])
        #expect(try await ids("--created-after", "+1h").isEmpty)
        #expect(try await ids("--created-before", "1w").isEmpty)
        #expect(try await ids("--created-before", "2000-01-01").isEmpty)
        #expect(try await ids("--created-after", "2000-01-01", "--created-before", "+1d") == [id])
    }

    @Test("create --start +2h is two hours from now; --end takes a date")
    func createWithRelativeStart() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let before = Date().timeIntervalSince1970
        let record = try await acme.create("--title", "soon", "--start", "+2h", "--end", "9999-12-31")
        let after = Date().timeIntervalSince1970
        let start = try Self.seconds(record["startAt"])
        #expect(start >= before + 7200 - 1 && start <= after + 7200 + 1, "\(record)")
        #expect(record["endAt"] as? String == "9999-12-31T00:00:00Z")
    }

    /// Values no time flag takes (run by BadInputTests with the other bad flags).
    static let badTimes = [
        BadFlag(
            arguments: ["list", "--created-after", "yesterday"], status: 64,
            message: "\"yesterday\" is not a time: give an RFC 3339 timestamp (2026-01-31T09:00:00Z), a date"),
        BadFlag(arguments: ["list", "--start-before", "5"], status: 64, message: "\"5\" is not a time"),
        BadFlag(arguments: ["list", "--start-before", "1m1h"], status: 64, message: "\"1m1h\" is not a time"),
        BadFlag(
            arguments: ["list", "--start-before", "2026-02-30"], status: 64, message: "\"2026-02-30\" is not a time"),
        BadFlag(arguments: ["list", "--end-after", "h"], status: 64, message: "\"h\" is not a time"),
        BadFlag(arguments: ["list", "--end-after", "+"], status: 64, message: "\"+\" is not a time"),
        BadFlag(
            arguments: ["list", "--end-after", "99999999999w"], status: 64, message: "\"99999999999w\" is not a time"),
        BadFlag(
            arguments: ["list", "--since", "1h", "--updated-after", "2h"], status: 64,
            message: "--since and --updated-after name the same bound; give one of them"),
    ]
}
