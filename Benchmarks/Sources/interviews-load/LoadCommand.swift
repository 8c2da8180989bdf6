import ArgumentParser
import BenchmarkSupport
import CUnixPingPong
import Foundation
import InterviewsClient
import InterviewsModel
import InterviewsWire
import RPCUnixSocket

/// `interviews-load`: unary calls from N concurrent callers against a
/// running server (or one it starts), latencies in HdrHistogram, and in the
/// same run the floor: a raw AF_UNIX ping-pong of the same sizes.
///
/// Parsed by main.swift, which runs ``measure()`` (after the optional
/// executor takeover, which must come before any task).
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interviews-load",
        abstract: "Load a running interviews server with unary calls and compare with a raw Unix-socket ping-pong.",
        discussion: """
            Run under `taskset -c 0` to pin the load generator, the server it starts and the ping-pong \
            echo server to one CPU; both the floor and the calls run in the same process, pinned alike.

            Examples:
              interviews-load --server .build/release/interviews --concurrency 1 --mix get=1
              interviews-load --server .build/release/interviews --concurrency 64 --connections 4 --mix get=8,list=1,create=1
              interviews-load --server .build/release/interviews --preload 1000000 --mix list=1
            """
    )

    @Option(help: "The `interviews` binary to start with `serve --backend memory` (a temporary socket and data dir).")
    var server: String?

    @Option(help: "The socket of a server that is already running (it must run as this user, for the admin key).")
    var socket: String?

    @Option(help: "Connections to open; calls are spread over them.")
    var connections: Int = 1

    @Option(help: "Calls in flight at once, in total (one task each).")
    var concurrency: Int = 1

    @Option(help: "Seconds to measure, after the warm-up.")
    var duration: Double = 5

    @Option(help: "Seconds of calls before measuring.")
    var warmup: Double = 1

    @Option(help: "Weights of the calls, e.g. get=8,list=1,create=1.")
    var mix: String = "get=1"

    @Option(help: "Records to load before measuring, with UpsertInterviews batches of 1000, over 100 companies.")
    var preload: Int = 10_000

    @Flag(
        help: """
            Run Swift concurrency on the NIO event loops (NIOSingletons' global-executor takeover), so a \
            call's continuation resumes on the loop that completed it instead of hopping to another thread.
            """)
    var nioExecutor = false

    @Flag(
        help: """
            Run each caller task on its connection's event loop (RPCClient.taskExecutor, a task executor \
            preference), so its calls start and resume there with no thread switch in this process.
            """)
    var loopExecutor = false

    @Option(
        help: """
            Send gets in batches of this many per caller (InterviewsClient.getBatch, pipelined on the \
            connection); each call counts, with its batch's latency. 1: one call at a time.
            """)
    var batch: Int = 1

    @Option(help: "Exchanges of the raw ping-pong floor (0 skips it).")
    var pingPongIterations: Int = 20_000

    mutating func validate() throws {
        guard (server == nil) != (socket == nil) else {
            throw ValidationError("give exactly one of --server (start one) or --socket (use a running one)")
        }
        guard connections >= 1, concurrency >= connections else {
            throw ValidationError("--connections must be >= 1 and --concurrency >= --connections")
        }
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1...10000") }
        guard preload >= 1_000 else {
            throw ValidationError(
                "--preload must be at least 1000 (GetInterview and ListInterviews read those records)")
        }
        _ = try CallMix(mix)
    }

    /// Starts (or connects to) the server, preloads, measures the floor and the calls, prints.
    func measure() async throws {
        let mix = try CallMix(mix)
        print(
            "interviews-load: cpus allowed \(ProcessStats.allowedCPUs()); load average "
                + String(format: "%.2f", ProcessStats.loadAverage() ?? -1))
        let started = try server.map { try ServerProcess.start(binary: $0) }
        defer { started?.stop() }
        let socketPath = started?.socketPath ?? socket!

        let admin = try await Self.connectWhenReady(socketPath)
        let key = try await admin.createKey(
            CreateKeyRequest(
                label: "interviews-load", kind: .partner,
                companyIDs: (0..<Dataset.companies).map(Dataset.companyID)))
        await admin.close()

        var clients: [InterviewsClient] = []
        for _ in 0..<connections {
            clients.append(try await InterviewsClient.connect(to: socketPath, apiKey: key.secret))
        }
        defer { for client in clients { Task { await client.close() } } }

        let loadStart = ProcessStats.nanoseconds()
        let ids = try await Preloader.load(preload, clients: clients)
        let loadSeconds = Double(ProcessStats.nanoseconds() - loadStart) / 1e9
        print(
            "preloaded \(preload) records in "
                + String(format: "%.1f s (%.0f records/s)", loadSeconds, Double(preload) / max(loadSeconds, 1e-9)))

        let sizes = try callSizes(ids: ids, key: key.secret, mix: mix)
        var floor: LatencyRecorder? = nil
        if pingPongIterations > 0 {
            let measured = try PingPong.measure(
                request: sizes.request, response: sizes.response, iterations: pingPongIterations)
            print(
                "ping-pong floor (\(sizes.request) B -> \(sizes.response) B, blocking AF_UNIX, \(pingPongIterations) exchanges): "
                    + measured.summary)
            floor = measured
        }

        let result = try await LoadRun(
            clients: clients, concurrency: concurrency, mix: mix, ids: ids, nextRecord: preload,
            serverPID: started?.process.processIdentifier, loopExecutor: loopExecutor, batch: batch
        ).run(warmup: warmup, duration: duration)
        result.print(concurrency: concurrency, connections: connections, floor: floor)
    }

    /// Connects once the server answers Health: a server may refuse
    /// connections accepted between its bind and its listening state.
    static func connectWhenReady(_ socketPath: String) async throws -> InterviewsClient {
        for _ in 0..<500 {
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

    /// The bytes one call puts on the socket each way (HEADERS and MESSAGE
    /// frames out, MESSAGE and TRAILERS frames back): a GetInterview, or a
    /// ListInterviews page of 20 when the mix makes lists only.
    func callSizes(ids: [(company: Int, id: String)], key: String, mix: CallMix) throws -> (
        request: Int, response: Int
    ) {
        let (company, id) = ids[0]
        let listsOnly = mix.kinds == [.list]
        let method = "/interviews.v1.Interviews/" + (listsOnly ? "ListInterviews" : "GetInterview")
        let headers = RPCCallHeaders(
            method: method, metadata: [RPCMetadataEntry(key: "authorization", value: "Bearer \(key)")])
        func stored(_ n: Int) -> Interview {
            var record = Dataset.record(n)
            record.id = id
            record.companyID = Dataset.companyID(company)
            record.createdAt = .now()
            record.updatedAt = .now()
            record.revision = 1
            return record
        }
        let request: Int
        let response: Int
        if listsOnly {
            let list = ListRequest(
                companyID: Dataset.companyID(company), pageSize: 20, orderBy: .createdAt, direction: .descending)
            request = try list.encodedBytes().count
            let page = Page(
                interviews: (0..<20).map { stored($0 * Dataset.companies + company) },
                nextPageToken: String(repeating: "A", count: 83), totalSize: 10_000, page: 1, pageSize: 20)
            response = try page.encodedBytes().count
        } else {
            request = try GetInterviewRequest(companyID: Dataset.companyID(company), id: id).encodedBytes().count
            response = try stored(0).encodedBytes().count
        }
        let frame = 12
        return (frame + (try headers.encodedBytes().count) + frame + request, frame + response + frame)
    }
}
