import Foundation
import InterviewsModel
import Testing

/// Test data: the vendor sample files and an Interview with every field set.
enum Fixtures {
    /// The bytes of `Fixtures/<name>`.
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return Array(try Data(contentsOf: url))
    }

    static func time(_ text: String) throws -> Timestamp {
        try #require(RFC3339.parse(text))
    }

    /// Every field set, non-ASCII and escapes included, extremes of the ranges.
    static func fullInterview() -> Interview {
        Interview(
            id: "0190f0e8-7c3a-7def-8a2b-4c5d6e7f8091", remoteID: "remote-42", companyID: "acme",
            candidateID: "cand-ü", applicationID: "app-1", jobID: "job-1", agentID: "agent-1",
            jobInterviewStageID: "stage-1",
            title: "Entretien — équipe 東京 🚀 \"quoted\" back\\slash\n\ttab \u{0}nul \u{1B}esc",
            organizer: Participant(
                id: "u1", remoteID: "r1", firstName: "Zoë", lastName: "Ørsted", email: "zoe@example.com"),
            interviewers: [
                Participant(id: "u2", remoteID: "r2", firstName: "李", lastName: "雷", email: "li@example.com"),
                Participant(id: "u3"),
                Participant(),
            ],
            location: Location(
                raw: "Lohmühlenstraße 65, Berlin", street1: "Lohmühlenstraße 65", street2: "Hinterhaus", city: "Berlin",
                state: "Berlin", zipCode: "12435", country: "DE"),
            startAt: Timestamp(seconds: 1_687_789_800, nanos: 500_000_000),
            endAt: Timestamp(seconds: 1_687_793_400, nanos: 123_456_789),
            status: .awaitingFeedback, remoteStatus: "Feedback pending",
            createdAt: Timestamp(seconds: -1, nanos: 5), updatedAt: Timestamp.max,
            remoteCreatedAt: Timestamp.min, remoteUpdatedAt: Timestamp(seconds: 1_600_000_000, nanos: 1000),
            deletedAt: Timestamp(seconds: 0), remoteDeletedAt: Timestamp(seconds: 1_700_000_000),
            customFields: ["a": "1", "ключ": "значение", "": "empty key", "z": "", "emoji 🎉": "✓"],
            remoteData: Array("{\"raw\":true}".utf8) + [0, 255, 128, 10],
            analysis: Analysis(
                summary: "Strong — très bien", recommendation: "STRONG_YES", overallScore: 87.5,
                scores: [
                    Score(name: "communication", value: 4.5, maxValue: 5),
                    Score(name: "tiny", value: 1e-7, maxValue: 1e300),
                    Score(name: "negative", value: -0.25),
                    Score(),
                ],
                transcript: [
                    TranscriptSegment(speaker: "interviewer", text: "Grüß Gott", startOffsetMs: 0, endOffsetMs: 1200),
                    TranscriptSegment(speaker: "candidate", text: "こんにちは", startOffsetMs: 1300, endOffsetMs: .max),
                ]),
            revision: .max)
    }
}
