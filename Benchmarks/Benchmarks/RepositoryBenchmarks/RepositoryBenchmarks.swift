// In-process get, create and list (page_size 20) on InMemoryInterviewRepository
// through the public repository API, at 10k and 100k records over 100
// companies. The plugin runs every benchmark in a process of its own, so each
// one builds its data set in its setup (not measured). The 1M-record figures
// and resident memory per record come from `repository-table`, which builds
// each size once (see docs/BENCHMARKS.md).
import Benchmark
import BenchmarkSupport
import InterviewsModel
import InterviewsRepository

/// A built data set: the repository and a sample of its ids.
struct Built: Sendable {
    let repository: InMemoryInterviewRepository
    let ids: [(company: Int, id: String)]
    let size: Int
}

func makeBuilt(_ size: Int) async throws -> Built {
    let repository = InMemoryInterviewRepository()
    let sample = try await build(repository, records: 0..<size)
    // Updating the sampled records makes the updated_at order differ from the created_at order.
    for (company, id) in sample.entries {
        var changes = Interview(id: id)
        changes.title = "Rescheduled interview \(id)"
        _ = try await repository.update(changes, mask: ["title"], expectedRevision: 0, tenant: Dataset.tenant(company))
    }
    return Built(repository: repository, ids: sample.entries, size: size)
}

/// A list shape: the request for a company, given a random source.
struct ListShape: Sendable {
    let name: String
    let make: @Sendable (_ company: Int, _ size: Int, _ random: inout SplitMix64) -> ListRequest
}

let listShapes: [ListShape] = [
    ListShape(name: "company, created desc") { _, _, _ in
        ListRequest(pageSize: 20, orderBy: .createdAt, direction: .descending)
    },
    ListShape(name: "company, created asc") { _, _, _ in
        ListRequest(pageSize: 20, orderBy: .createdAt, direction: .ascending)
    },
    ListShape(name: "company, start asc") { _, _, _ in
        ListRequest(pageSize: 20, orderBy: .startAt, direction: .ascending)
    },
    ListShape(name: "company, start desc") { _, _, _ in
        ListRequest(pageSize: 20, orderBy: .startAt, direction: .descending)
    },
    ListShape(name: "company, updated asc") { _, _, _ in
        ListRequest(pageSize: 20, orderBy: .updatedAt, direction: .ascending)
    },
    ListShape(name: "company, updated desc") { _, _, _ in
        ListRequest(pageSize: 20, orderBy: .updatedAt, direction: .descending)
    },
    ListShape(name: "company+candidate, created desc") { company, size, random in
        let candidate = Int(random.next() % UInt64(Dataset.candidatesPerCompany(size)))
        return ListRequest(
            candidateIDs: [Dataset.candidateID(company: company, candidate)], pageSize: 20, orderBy: .createdAt,
            direction: .descending)
    },
    ListShape(name: "company+status, created desc") { _, _, random in
        ListRequest(
            statuses: [InterviewStatus.allCases[Int(random.next() % 8)]], pageSize: 20, orderBy: .createdAt,
            direction: .descending)
    },
    ListShape(name: "company+job, created desc") { company, _, random in
        let job = Int(random.next() % UInt64(Dataset.jobsPerCompany))
        return ListRequest(
            jobID: Dataset.jobID(company: company, job), pageSize: 20, orderBy: .createdAt, direction: .descending)
    },
]

func label(_ size: Int) -> String { size >= 1_000_000 ? "\(size / 1_000_000)M" : "\(size / 1_000)k" }

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    for size in [10_000, 100_000] {
        Benchmark(
            "get @\(label(size))", configuration: .init(scalingFactor: .kilo),
            closure: { benchmark, built in
                var random = SplitMix64(seed: 1)
                for _ in benchmark.scaledIterations {
                    let (company, id) = built.ids[Int(random.next() % UInt64(built.ids.count))]
                    blackHole(
                        try! await built.repository.get(id: id, includeDeleted: false, tenant: Dataset.tenant(company)))
                }
            }, setup: { try await makeBuilt(size) })

        for shape in listShapes {
            Benchmark(
                "list \(shape.name) @\(label(size))",
                closure: { benchmark, built in
                    var random = SplitMix64(seed: 2)
                    for iteration in benchmark.scaledIterations {
                        let company = iteration % Dataset.companies
                        let request = shape.make(company, built.size, &random)
                        blackHole(try! await built.repository.list(request, tenant: Dataset.tenant(company)))
                    }
                }, setup: { try await makeBuilt(size) })
        }

        Benchmark(
            "list company, created desc, next_page_token @\(label(size))", configuration: .init(scalingFactor: .kilo),
            closure: { benchmark, built in
                let first = ListRequest(pageSize: 20, orderBy: .createdAt, direction: .descending)
                var starts: [String] = []
                for company in 0..<Dataset.companies {
                    starts.append(
                        try! await built.repository.list(first, tenant: Dataset.tenant(company)).nextPageToken)
                }
                var tokens = starts
                benchmark.startMeasurement()
                for iteration in benchmark.scaledIterations {
                    let company = iteration % Dataset.companies
                    var request = first
                    request.pageToken = tokens[company]
                    let page = try! await built.repository.list(request, tenant: Dataset.tenant(company))
                    // Walk on while the company has pages, then start again from page 2.
                    tokens[company] = page.nextPageToken.isEmpty ? starts[company] : page.nextPageToken
                    blackHole(page)
                }
                benchmark.stopMeasurement()
            }, setup: { try await makeBuilt(size) })

        Benchmark(
            "create @\(label(size))",
            closure: { benchmark, built in
                // Random record numbers far above the data set: remote ids stay unique across iterations.
                var random = SplitMix64(seed: ProcessStats.nanoseconds())
                for _ in benchmark.scaledIterations {
                    let n = built.size + Int(random.next() % (1 << 50))
                    blackHole(
                        try! await built.repository.create(
                            Dataset.record(n), requestID: "", tenant: Dataset.tenant(n % Dataset.companies)))
                }
            }, setup: { try await makeBuilt(size) })
    }
}
