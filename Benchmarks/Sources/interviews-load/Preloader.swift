import BenchmarkSupport
import InterviewsClient
import InterviewsModel

/// Loads records 0..<count of the ``Dataset`` with UpsertInterviews batches
/// of 1000 (each batch one company's records), four batches in flight.
enum Preloader {
    static let batchSize = 1_000

    /// - Returns: up to 10 000 (company, id) pairs of the loaded records, for GetInterview.
    static func load(_ count: Int, clients: [InterviewsClient]) async throws -> [(company: Int, id: String)] {
        var batches: [(company: Int, records: [Int])] = []
        for company in 0..<Dataset.companies {
            let numbers = Array(stride(from: company, to: count, by: Dataset.companies))
            var start = 0
            while start < numbers.count {
                let end = min(start + batchSize, numbers.count)
                batches.append((company, Array(numbers[start..<end])))
                start = end
            }
        }
        let keepEvery = max(1, count / 10_000)
        return try await withThrowingTaskGroup(of: [(company: Int, id: String)].self) { group in
            var ids: [(company: Int, id: String)] = []
            var next = 0
            func submit(_ index: Int) {
                let (company, numbers) = batches[index]
                let client = clients[index % clients.count]
                group.addTask {
                    let request = UpsertInterviewsRequest(
                        companyID: Dataset.companyID(company), interviews: numbers.map(Dataset.record))
                    let response = try await client.upsert(request)
                    var kept: [(company: Int, id: String)] = []
                    for (offset, result) in response.results.enumerated() {
                        guard result.outcome == .created || result.outcome == .unchanged, let stored = result.interview
                        else {
                            throw ServerError("preload: item \(offset) of company \(company): \(result.errorMessage)")
                        }
                        if numbers[offset] % keepEvery == 0 { kept.append((company, stored.id)) }
                    }
                    return kept
                }
            }
            while next < min(4, batches.count) {
                submit(next)
                next += 1
            }
            while let kept = try await group.next() {
                ids += kept
                if next < batches.count {
                    submit(next)
                    next += 1
                }
            }
            return ids
        }
    }
}
