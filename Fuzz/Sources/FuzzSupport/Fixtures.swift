public import InterviewsModel

/// Values with every field set, as the wire tests' fixtures
/// (Tests/InterviewsWireTests/Fixtures.swift): the seeds' starting points.
public enum FuzzFixtures {
    public static func interview(_ n: Int = 1) -> Interview {
        Interview(
            id: "0190b7a8-7c2e-7d40-8f00-00000000000\(n % 10)", remoteID: "remote-\(n)",
            companyID: "acme", candidateID: "cand-1", applicationID: "app-1", jobID: "job-1",
            agentID: "agent-1", jobInterviewStageID: "stage-1", title: "Entretien technique — Zoë 面接 🎯",
            organizer: Participant(
                id: "u-1", remoteID: "r-u-1", firstName: "Ada", lastName: "Lovelace", email: "ada@example.com"),
            interviewers: [
                Participant(
                    id: "u-2", remoteID: "r-u-2", firstName: "Grace", lastName: "Hopper", email: "grace@example.com"),
                Participant(id: "u-3", firstName: "Jürgen", lastName: "Müller"),
            ],
            location: Location(
                raw: "Lohmühlenstraße 65, Berlin", street1: "Lohmühlenstraße 65", street2: "Hinterhof",
                city: "Berlin", state: "Berlin", zipCode: "12435", country: "DE"),
            startAt: Timestamp(seconds: 1_687_789_800, nanos: 500_000_000),
            endAt: Timestamp(seconds: 1_687_793_400),
            status: .awaitingFeedback, remoteStatus: "feedback_pending",
            createdAt: Timestamp(seconds: 1_700_000_000, nanos: 1),
            updatedAt: Timestamp(seconds: 1_700_000_100, nanos: 999_999_999),
            remoteCreatedAt: Timestamp(seconds: 1_659_880_889, nanos: 196_000_000),
            remoteUpdatedAt: Timestamp(seconds: 1_659_880_890),
            deletedAt: Timestamp(seconds: 1_700_000_200),
            remoteDeletedAt: Timestamp.min,
            customFields: ["priority": "high", "région": "Île-de-France", "empty": ""],
            remoteData: Array(#"{"/interviews":{"id":"32","canceled":false}}"#.utf8) + [0, 255, 1],
            analysis: Analysis(
                summary: "Strong candidate.", recommendation: "STRONG_YES", overallScore: 4.5,
                scores: [
                    Score(name: "communication", value: 4, maxValue: 5),
                    Score(name: "coding", value: 4.75, maxValue: 5),
                ],
                transcript: [
                    TranscriptSegment(
                        speaker: "interviewer", text: "Bonjour ! Can you hear me?", startOffsetMs: 0, endOffsetMs: 2_500
                    ),
                    TranscriptSegment(
                        speaker: "candidate", text: "Yes — 聞こえます.", startOffsetMs: 2_600, endOffsetMs: 4_000),
                ]),
            revision: 7)
    }

    public static func listRequest() -> ListRequest {
        ListRequest(
            companyID: "acme", candidateIDs: ["cand-1", "cand-2"], ids: ["id-1"], remoteIDs: ["r-1", "r-2"],
            applicationID: "app-1", jobID: "job-1", agentID: "agent-1", jobInterviewStageID: "stage-1",
            organizerID: "u-1", interviewerID: "u-2", statuses: [.scheduled, .completed],
            createdAfter: Timestamp(seconds: 1), createdBefore: Timestamp(seconds: 2),
            updatedAfter: Timestamp(seconds: 3), updatedBefore: Timestamp(seconds: 4),
            startAfter: Timestamp(seconds: 5), startBefore: Timestamp(seconds: 6),
            endAfter: Timestamp(seconds: 7), endBefore: Timestamp.max, includeDeleted: true, page: 3,
            pageSize: 100, pageToken: "tok_ü", orderBy: .updatedAt, direction: .descending,
            includeRemoteData: true, excludeCustomFields: true, excludeAnalysis: true,
            readMask: ["id", "title", "start_at"])
    }

    public static func page() -> Page {
        Page(
            interviews: (1...3).map { interview($0) }, nextPageToken: "next", previousPageToken: "prev",
            totalSize: 12_345, page: 2, pageSize: 20)
    }
}
