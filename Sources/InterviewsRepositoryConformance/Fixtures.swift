import InterviewsModel
import InterviewsRepository

/// A deterministic random source (SplitMix64), so that a failing randomized
/// check replays exactly from its seed.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Sample records.
enum Fixtures {
    /// 2024-01-01T00:00:00Z plus `hours`.
    static func time(hours: Int64, minutes: Int64 = 0) -> Timestamp {
        Timestamp(seconds: 1_704_067_200 + hours * 3600 + minutes * 60)
    }

    /// A record with every kind of field set.
    static func full(_ n: Int = 1) -> Interview {
        Interview(
            remoteID: "remote-\(n)", candidateID: "cand-\(n)", applicationID: "app-\(n)", jobID: "job-\(n)",
            agentID: "agent-\(n)", jobInterviewStageID: "stage-\(n)", title: "Interview \(n)",
            organizer: Participant(
                id: "org-\(n)", remoteID: "rorg-\(n)", firstName: "Ada", lastName: "Lovelace", email: "ada@example.com"),
            interviewers: [
                Participant(id: "int-\(n)", firstName: "Alan"), Participant(id: "int-x", lastName: "Turing"),
            ],
            location: Location(raw: "1 Main St, Springfield", street1: "1 Main St", city: "Springfield", country: "US"),
            startAt: time(hours: Int64(n)), endAt: time(hours: Int64(n), minutes: 45), status: .scheduled,
            remoteStatus: "Scheduled", remoteCreatedAt: time(hours: -1), remoteUpdatedAt: time(hours: -1, minutes: 30),
            customFields: ["team": "platform", "level": "senior"], remoteData: Array("{\"id\":\(n)}".utf8),
            analysis: Analysis(
                summary: "Strong systems knowledge.", recommendation: "STRONG_YES", overallScore: 4.5,
                scores: [Score(name: "communication", value: 4, maxValue: 5)],
                transcript: [
                    TranscriptSegment(speaker: "interviewer", text: "Hello", startOffsetMs: 0, endOffsetMs: 900)
                ]))
    }

    /// A record with only the given references set.
    static func plain(
        candidate: String = "", status: InterviewStatus = .unspecified, remoteID: String = "", start: Timestamp? = nil
    ) -> Interview {
        Interview(remoteID: remoteID, candidateID: candidate, startAt: start, status: status)
    }

    /// `interview` with every server-owned field cleared.
    static func clientFields(_ interview: Interview) -> Interview { interview.clientOwnedFields }
}

extension InterviewRepository {
    /// Every match of `request`, walking page tokens with `pageSize`.
    func listAll(_ request: ListRequest, tenant: Tenant, pageSize: UInt32 = 100) async throws -> [Interview] {
        var request = request
        request.pageSize = pageSize
        var result: [Interview] = []
        var pages = 0
        while true {
            let page = try await list(request, tenant: tenant)
            result += page.interviews
            pages += 1
            if page.nextPageToken.isEmpty || pages > 100_000 { return result }
            request.pageToken = page.nextPageToken
        }
    }
}
