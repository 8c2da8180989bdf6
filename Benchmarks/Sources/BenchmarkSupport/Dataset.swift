public import InterviewsModel
public import InterviewsRepository

/// The synthetic data set every repository and load benchmark uses: records
/// spread evenly over ``companies`` tenants, each about 500 bytes on the
/// wire, with every string built at run time so that no two records share
/// storage (as records decoded from the wire do not).
///
/// Record `n` belongs to company `n % companies` and is that company's
/// record number `n / companies`. Within a company, five consecutive records
/// share a candidate, `jobsPerCompany` jobs and the eight statuses take turns, and start_at is scattered over a year so that
/// the start_at order differs from the created_at order.
public struct Dataset: Sendable {
    /// Tenants the records are spread over.
    public static let companies = 100
    /// Distinct job ids per company.
    public static let jobsPerCompany = 20
    /// Records per candidate.
    public static let recordsPerCandidate = 5

    /// The company id of tenant `index` (0..<companies): a UUID's text, like a real tenant id.
    public static func companyID(_ index: Int) -> String {
        let tail = String(100_000_000_000 + index)
        return "123e4567-e89b-12d3-a456-\(tail.suffix(12))"
    }

    /// The tenant of company `index`.
    public static func tenant(_ index: Int) -> Tenant { Tenant(companyID(index)) }

    /// The candidate id of the `k`-th candidate of company `company`.
    public static func candidateID(company: Int, _ k: Int) -> String { "cand-\(company)-\(k)" }

    /// The job id of the `k`-th job of company `company`.
    public static func jobID(company: Int, _ k: Int) -> String { "job-\(company)-\(k)" }

    /// Record `n` of the data set, as a client would send it (no id, no
    /// server-owned fields). `remoteID` is unique per company.
    public static func record(_ n: Int) -> Interview {
        let company = n % companies
        let local = n / companies
        var generator = SplitMix64(seed: UInt64(n))
        let start = 1_700_000_000 + Int64(generator.next() % 31_536_000)
        let statuses = InterviewStatus.allCases
        return Interview(
            remoteID: "greenhouse-\(n)", candidateID: candidateID(company: company, local / recordsPerCandidate),
            applicationID: "app-\(company)-\(local)", jobID: jobID(company: company, local % jobsPerCompany),
            agentID: "agent-\(local % 7)", jobInterviewStageID: "stage-\(local % 4)",
            title: "Onsite interview — backend engineer #\(n)",
            organizer: Participant(
                id: "u-\(n % 97)", remoteID: "\(n % 97 + 30)", firstName: "John\(n % 97)", lastName: "Doe",
                email: "john.doe\(n % 97)@kombo.dev"),
            interviewers: [
                Participant(
                    id: "u-\(n % 89)", remoteID: "\(n % 89 + 40)", firstName: "Grace", lastName: "Hopper\(n % 89)",
                    email: "grace\(n % 89)@example.com"),
                Participant(
                    id: "u-\(n % 83)", remoteID: "\(n % 83 + 50)", firstName: "Ada", lastName: "Lovelace\(n % 83)",
                    email: "ada\(n % 83)@example.com"),
            ],
            location: Location(raw: "Lohmühlenstraße \(n % 200), 12435 Berlin", city: "Berlin", country: "DE"),
            startAt: Timestamp(seconds: start), endAt: Timestamp(seconds: start + 3_600),
            status: statuses[local % statuses.count], remoteStatus: "STATUS_\(local % statuses.count)",
            remoteCreatedAt: Timestamp(seconds: 1_659_880_889), remoteUpdatedAt: Timestamp(seconds: 1_659_880_889),
            customFields: ["priority": "high\(n % 3)", "source": "referral\(n % 5)"])
    }

    /// Records per company in a data set of `size` records (companies differ by at most one).
    public static func recordsPerCompany(_ size: Int) -> Int { size / companies }

    /// Candidates per company in a data set of `size` records.
    public static func candidatesPerCompany(_ size: Int) -> Int {
        max(1, recordsPerCompany(size) / recordsPerCandidate)
    }
}

/// The ids of a built data set that benchmarks look records up by: every
/// `stride`-th record's id and company, so that a million records need not
/// keep a million id strings (which would count as the store's memory).
public struct SampledIDs: Sendable {
    /// (company index, id) pairs.
    public private(set) var entries: [(company: Int, id: String)] = []
    /// Every how many records one is kept.
    public let stride: Int

    /// An empty sample keeping one id in `stride`.
    public init(stride: Int) { self.stride = max(1, stride) }

    /// Keeps `id` of record `n` when `n` falls on the stride.
    public mutating func offer(_ n: Int, id: String) {
        if n % stride == 0 { entries.append((n % Dataset.companies, id)) }
    }
}

/// Fills `repository` with records `range` of the ``Dataset``, one create
/// each, through the public repository API.
///
/// - Returns: a sample of their ids (at most about `sample` of them).
public func build(
    _ repository: some InterviewRepository, records range: Range<Int>, sample: Int = 10_000
) async throws -> SampledIDs {
    var ids = SampledIDs(stride: max(1, range.count / sample))
    for n in range {
        let stored = try await repository.create(
            Dataset.record(n), requestID: "", tenant: Dataset.tenant(n % Dataset.companies))
        ids.offer(n, id: stored.id)
    }
    return ids
}

/// SplitMix64: a small, fast, seedable generator, so that every run builds
/// the same data set and draws the same sequence of requests.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator with the given seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
