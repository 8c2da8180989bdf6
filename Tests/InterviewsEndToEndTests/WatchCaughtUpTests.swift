import Foundation
import InterviewsClient
import InterviewsModel
import RPCCore
import Testing

/// WatchRequest.send_caught_up: one marker event between the replay and the live changes.
@Suite("A watch can be told where its replay ends", .serverProcess(backend: .file), .timeLimit(.minutes(2)))
struct WatchCaughtUpTests {
    @Test("with send_caught_up: the kept changes, one marker at the newest sequence, then live changes")
    func markerAfterReplay() async throws {
        let server = try ServerProcess.shared
        let company = Company.unique("caught-up")
        let key = try await server.companyKey(company)
        let client = try await server.client(key)
        var made: [Interview] = []
        for n in 0..<300 { made.append(try await client.create(CreateInterviewRequest(interview: Sample.small(n)))) }
        // Another company's change after the last of ours: the marker is the store's newest, not ours.
        let other = try await server.client(try await server.companyKey(Company.unique("caught-up-other")))
        _ = try await other.create(CreateInterviewRequest(interview: Sample.small(1)))
        let newest = try await other.serverInfo().lastSequence
        await other.close()

        // The live change is made once the marker has arrived, so it must come after it.
        let (events, created) = try await client.watch(WatchRequest(sendCaughtUp: true)) { stream in
            var events: [WatchEvent] = []
            var created: Interview?
            for try await event in stream {
                events.append(event)
                if event.caughtUp {
                    created = try await client.create(CreateInterviewRequest(interview: Sample.small(999)))
                } else if created != nil {
                    break
                }
            }
            return (events, try #require(created))
        }
        let index = events.firstIndex(where: \.caughtUp)
        let marker = try #require(index, "no marker in \(events.count) events")
        #expect(marker == 300, "the marker follows the whole replay (300 events, more than one feed batch)")
        #expect(events[..<marker].compactMap(\.interview?.id) == made.map(\.id))
        #expect(events[marker].sequence == newest)
        #expect(events[marker].interview == nil && events[marker].kind == .unspecified)
        #expect(events[marker].storeEpoch != 0)
        #expect(events.count(where: \.caughtUp) == 1)
        #expect(events.last?.interview?.id == created.id, "a live change after the marker")

        // Resuming from the marker's sequence replays nothing and marks at once.
        let resumed = try await client.watch(
            WatchRequest(
                afterSequence: events[marker].sequence, storeEpoch: events[marker].storeEpoch, sendCaughtUp: true)
        ) { stream in
            var seen: [WatchEvent] = []
            for try await event in stream {
                seen.append(event)
                if event.caughtUp { break }
            }
            return seen
        }
        #expect(resumed.map(\.interview?.id) == [created.id, nil], "the live change, then the marker")

        // Without send_caught_up, no marker: the first event is a change.
        let plain = try await client.watch(WatchRequest(afterSequence: newest)) { stream -> WatchEvent? in
            for try await event in stream { return event }
            return nil
        }
        #expect(plain?.caughtUp == false && plain?.interview?.id == created.id)
        await client.close()
    }
}
