import BenchmarkSupport
import Foundation
import InterviewsClient
import InterviewsModel
import InterviewsWire

// `rpc-cost SOCKET KIND COUNT`: a fixed number of unary calls, one at a time,
// against a running server, after the same set-up every time (an admin
// connection, a partner key, 100 records of one company). Run it twice with
// different counts under valgrind (or with the server under valgrind) and
// the difference divided by the difference of the counts is the cost of one
// call, set-up excluded: see Benchmarks/run-rpc-cost.
//
// KIND: get (GetInterview), list (ListInterviews, page 20), create
// (CreateInterview), health (Health, no key).

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]), count >= 0,
    ["get", "list", "create", "health"].contains(arguments[2])
else {
    FileHandle.standardError.write(Data("usage: rpc-cost SOCKET get|list|create|health COUNT\n".utf8))
    exit(64)
}
let socketPath = arguments[1]
let kind = arguments[2]

func connectWhenReady() async throws -> InterviewsClient {
    for _ in 0..<1000 {
        if let client = try? await InterviewsClient.connect(to: socketPath, apiKey: nil) {
            if (try? await client.health()) != nil { return client }
            await client.close()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    let client = try await InterviewsClient.connect(to: socketPath, apiKey: nil)
    _ = try await client.health()
    return client
}

let admin = try await connectWhenReady()
let company = Dataset.companyID(0)
let key = try await admin.createKey(CreateKeyRequest(label: "rpc-cost", kind: .partner, companyIDs: [company]))
await admin.close()
let client = try await InterviewsClient.connect(to: socketPath, apiKey: key.secret)
let loaded = try await client.upsert(
    UpsertInterviewsRequest(companyID: company, interviews: (0..<100).map { Dataset.record($0 * Dataset.companies) }))
let ids = loaded.results.compactMap { $0.interview?.id }
guard ids.count == 100 else {
    FileHandle.standardError.write(Data("rpc-cost: the preload stored \(ids.count) of 100 records\n".utf8))
    exit(1)
}
// One call of each kind before counting, so that one-time costs (metadata
// caches, the first buffer of each size) fall in the set-up.
let get = GetInterviewRequest(companyID: company, id: ids[0])
let list = ListRequest(companyID: company, pageSize: 20, orderBy: .createdAt, direction: .descending)
_ = try await client.get(get)
_ = try await client.list(list)
_ = try await client.health()
for n in 0..<count {
    switch kind {
    case "get":
        _ = try await client.get(GetInterviewRequest(companyID: company, id: ids[n % ids.count]))
    case "list":
        let page = try await client.list(list)
        precondition(page.interviews.count == 20, "short page")
    case "create":
        _ = try await client.create(
            CreateInterviewRequest(companyID: company, interview: Dataset.record((1000 + n) * Dataset.companies)))
    default:
        _ = try await client.health()
    }
}
await client.close()
