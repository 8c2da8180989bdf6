import BenchmarkSupport
import Foundation
import InterviewsClient
import InterviewsModel

/// `concurrency` tasks, each making one call at a time for the warm-up and
/// the measured duration; calls started in the measured window count.
struct LoadRun: Sendable {
    let clients: [InterviewsClient]
    let concurrency: Int
    let mix: CallMix
    let ids: [(company: Int, id: String)]
    /// The first record number no preload used: creates take numbers from here.
    let nextRecord: Int
    /// The server's process id, when this run started it: its CPU time is reported.
    let serverPID: Int32?
    /// Each caller task runs on its connection's event loop (RPCClient.taskExecutor).
    var loopExecutor = false
    /// Gets go out in batches of this many (InterviewsClient.getBatch); 1: one call at a time.
    var batch = 1

    struct Result {
        var latencies: [CallKind: LatencyRecorder] = [:]
        var errors = 0
        var firstError: String? = nil
        var seconds = 0.0
        /// CPU time used during the measured window: this process (the
        /// clients) and the server, when known.
        var clientCPU: UInt64? = nil
        var serverCPU: UInt64? = nil

        mutating func merge(_ other: Result) {
            for (kind, recorder) in other.latencies { latencies[kind, default: LatencyRecorder()].add(recorder) }
            errors += other.errors
            firstError = firstError ?? other.firstError
        }

        var calls: UInt64 { latencies.values.reduce(0) { $0 + $1.count } }
    }

    func run(warmup: Double, duration: Double) async throws -> Result {
        let start = ProcessStats.nanoseconds()
        let measureFrom = start + UInt64(warmup * 1e9)
        let end = measureFrom + UInt64(duration * 1e9)
        let serverPID = self.serverPID
        async let cpu = Self.cpuDuring(from: measureFrom, to: end, serverPID: serverPID)
        var total = try await withThrowingTaskGroup(of: Result.self) { group in
            for worker in 0..<concurrency {
                if loopExecutor {
                    let executor = clients[worker % clients.count].rpc.taskExecutor
                    group.addTask(executorPreference: executor) {
                        try await self.worker(worker, measureFrom: measureFrom, end: end)
                    }
                } else {
                    group.addTask { try await self.worker(worker, measureFrom: measureFrom, end: end) }
                }
            }
            var total = Result()
            while let result = try await group.next() { total.merge(result) }
            return total
        }
        total.seconds = duration
        (total.clientCPU, total.serverCPU) = try await cpu
        return total
    }

    /// The CPU time this process and the server used between two instants.
    private static func cpuDuring(from start: UInt64, to end: UInt64, serverPID: Int32?) async throws -> (
        UInt64?, UInt64?
    ) {
        func sleep(until instant: UInt64) async throws {
            let now = ProcessStats.nanoseconds()
            if instant > now { try await Task.sleep(nanoseconds: instant - now) }
        }
        try await sleep(until: start)
        let client0 = ProcessStats.cpuNanoseconds()
        let server0 = serverPID.flatMap { ProcessStats.cpuNanoseconds(pid: $0) }
        try await sleep(until: end)
        let client1 = ProcessStats.cpuNanoseconds()
        let server1 = serverPID.flatMap { ProcessStats.cpuNanoseconds(pid: $0) }
        func difference(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
            guard let a, let b, b >= a else { return nil }
            return b - a
        }
        return (difference(client0, client1), difference(server0, server1))
    }

    private func worker(_ index: Int, measureFrom: UInt64, end: UInt64) async throws -> Result {
        let client = clients[index % clients.count]
        var random = SplitMix64(seed: UInt64(index) &+ 1)
        var created = 0
        var result = Result()
        for kind in mix.kinds { result.latencies[kind] = LatencyRecorder() }
        while true {
            let before = ProcessStats.nanoseconds()
            if before >= end { break }
            let kind = mix.pick(random.next())
            do {
                switch kind {
                case .get where batch > 1:
                    // Each call of the batch counts, with the batch's latency.
                    let requests = (0..<batch).map { _ in
                        let (company, id) = ids[Int(random.next() % UInt64(ids.count))]
                        return GetInterviewRequest(companyID: Dataset.companyID(company), id: id)
                    }
                    let results = await client.getBatch(requests)
                    let elapsed = ProcessStats.nanoseconds() - before
                    for outcome in results {
                        if case .failure(let error) = outcome {
                            result.errors += 1
                            if result.firstError == nil { result.firstError = "get: \(error)" }
                        } else if before >= measureFrom {
                            result.latencies[kind]!.record(nanoseconds: elapsed)
                        }
                    }
                    continue
                case .get:
                    let (company, id) = ids[Int(random.next() % UInt64(ids.count))]
                    _ = try await client.get(GetInterviewRequest(companyID: Dataset.companyID(company), id: id))
                case .list:
                    let company = Int(random.next() % UInt64(Dataset.companies))
                    let page = try await client.list(
                        ListRequest(
                            companyID: Dataset.companyID(company), pageSize: 20, orderBy: .createdAt,
                            direction: .descending))
                    precondition(page.interviews.count == min(20, ids.isEmpty ? 0 : 20), "short page")
                case .create:
                    let n = nextRecord + index + created * concurrency
                    created += 1
                    _ = try await client.create(
                        CreateInterviewRequest(
                            companyID: Dataset.companyID(n % Dataset.companies), interview: Dataset.record(n)))
                }
            } catch {
                result.errors += 1
                if result.firstError == nil { result.firstError = "\(kind.rawValue): \(error)" }
                continue
            }
            if before >= measureFrom {
                result.latencies[kind]!.record(nanoseconds: ProcessStats.nanoseconds() - before)
            }
        }
        return result
    }
}

extension LoadRun.Result {
    func print(concurrency: Int, connections: Int, floor: LatencyRecorder?) {
        let throughput = Double(calls) / seconds
        Swift.print(
            "calls: \(calls) in " + String(format: "%.1f s = %.0f calls/s", seconds, throughput)
                + " (\(concurrency) in flight over \(connections) connection(s)); errors: \(errors)")
        if let firstError { Swift.print("first error: \(firstError)") }
        if calls > 0 {
            // CPU per call holds up on a busy machine better than wall-clock latency does.
            func perCall(_ nanoseconds: UInt64?) -> String {
                nanoseconds.map { String(format: "%.1f us", Double($0) / 1000 / Double(calls)) } ?? "?"
            }
            Swift.print(
                "  CPU per call (10 ms tick resolution): clients \(perCall(clientCPU)), server \(perCall(serverCPU))")
        }
        for kind in CallKind.allCases {
            guard let recorder = latencies[kind], recorder.count > 0 else { continue }
            var line = "  \(kind.rawValue): \(recorder.count) calls, " + recorder.summary
            if let floor {
                let ratio = recorder.microseconds(atPercentile: 50) / floor.microseconds(atPercentile: 50)
                line += String(format: "; p50 = %.1fx the ping-pong floor", ratio)
            }
            Swift.print(line)
        }
    }
}
