public import InterviewsModel

/// The typical interview of the wire benchmarks: about 500 bytes on the wire
/// (ids, title, organizer, two interviewers, location, six timestamps, two
/// custom fields). `n` varies the ids.
public func typicalInterview(_ n: Int) -> Interview {
    Interview(
        id: "0190b7a8-7c2e-7d40-8f00-\(String(1_000_000_000_000 + n))", remoteID: "greenhouse-\(n)",
        companyID: "123e4567-e89b-12d3-a456-426614174000", candidateID: "cand-\(n % 1000)",
        applicationID: "app-\(n)", jobID: "job-42", agentID: "agent-7", jobInterviewStageID: "stage-onsite",
        title: "Onsite interview — backend engineer",
        organizer: Participant(
            id: "u-1", remoteID: "32", firstName: "John", lastName: "Doe", email: "john.doe@kombo.dev"),
        interviewers: [
            Participant(id: "u-2", remoteID: "33", firstName: "Grace", lastName: "Hopper", email: "grace@example.com"),
            Participant(id: "u-3", remoteID: "34", firstName: "Ada", lastName: "Lovelace", email: "ada@example.com"),
        ],
        location: Location(raw: "Lohmühlenstraße 65, 12435 Berlin", city: "Berlin", country: "DE"),
        startAt: Timestamp(seconds: 1_687_789_800), endAt: Timestamp(seconds: 1_687_793_400), status: .scheduled,
        remoteStatus: "SCHEDULED", createdAt: Timestamp(seconds: 1_700_000_000, nanos: 123_000_000),
        updatedAt: Timestamp(seconds: 1_700_000_050, nanos: 456_000_000),
        remoteCreatedAt: Timestamp(seconds: 1_659_880_889), remoteUpdatedAt: Timestamp(seconds: 1_659_880_889),
        customFields: ["priority": "high", "source": "referral"], revision: 3)
}
