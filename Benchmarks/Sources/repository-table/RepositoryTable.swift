// In-process get, create and list on InMemoryInterviewRepository at several
// data-set sizes, printed as one table. Each size is built once, in its own
// child process, so that its resident-memory delta is not blurred by the
// heap of an earlier size; the parent collects the rows and prints them
// with the ratio of each figure to the smallest size's.
//
// This is a plain executable rather than an ordo-one benchmark because the
// benchmark plugin runs every benchmark in a fresh process, which would
// rebuild a million records for each of the twenty shapes.
import BenchmarkSupport
import Foundation
import InterviewsModel
import InterviewsRepository

@main
struct RepositoryTable {
    struct Options {
        var sizes = [10_000, 100_000, 1_000_000]
        var seconds = 0.4
        var child = false
        /// Run the SQLite peer beside each size (default), or not.
        var peer = true
        /// The child runs the SQLite peer instead of the in-memory store.
        var sqliteChild = false
        /// Only rows whose name contains this (for profiling one shape).
        var only: String? = nil
    }

    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            _ = usage("")
            return
        }
        let options: Options
        do {
            options = try parse(arguments)
        } catch {
            // The usage is printed; the reason goes to standard error, and
            // the exit status is a usage error's.
            FileHandle.standardError.write(Data("repository-table: \(error)\n".utf8))
            exit(64)
        }
        if options.child, let size = options.sizes.first {
            if options.sqliteChild {
                try await runSQLiteSize(size, seconds: options.seconds, only: options.only)
            } else {
                try await runSize(size, seconds: options.seconds, only: options.only)
            }
            return
        }
        print(
            "repository-table: InMemoryInterviewRepository"
                + (options.peer ? " beside SQLite (peer)" : "") + ", \(Dataset.companies) companies, page_size 20")
        print(
            "cpus allowed: \(ProcessStats.allowedCPUs()); load average at start: "
                + String(format: "%.2f", ProcessStats.loadAverage() ?? -1))
        var table = Table()
        var peerTable = Table()
        for size in options.sizes {
            table.add(size: size, try runChild(size: size, seconds: options.seconds, only: options.only, sqlite: false))
            if options.peer {
                peerTable.add(
                    size: size, try runChild(size: size, seconds: options.seconds, only: options.only, sqlite: true))
            }
        }
        print()
        for size in options.sizes {
            print("\(label(size)): \(table.facts[size] ?? "(no facts: the child failed)")")
            if options.peer { print("\(label(size)) peer: \(peerTable.facts[size] ?? "(no facts: the child failed)")") }
        }
        print()
        printTable(rows: table.rows, order: table.order, sizes: options.sizes)
        if options.peer {
            print()
            printPeerTable(ours: table, peer: peerTable, sizes: options.sizes)
        }
    }

    /// The rows and facts the children of one kind printed.
    struct Table {
        var rows: [String: [Int: Row]] = [:]
        var order: [String] = []
        var facts: [Int: String] = [:]

        mutating func add(size: Int, _ output: String) {
            for line in output.split(separator: "\n") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                if fields.first == "ROW", fields.count == 6, let row = Row(fields) {
                    if rows[row.name] == nil { order.append(row.name) }
                    rows[row.name, default: [:]][size] = row
                } else if fields.first == "FACT", fields.count == 2 {
                    facts[size] = fields[1]
                }
            }
        }
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            switch flag {
            case "--sizes":
                guard let value = rest.popFirst() else { throw usage("--sizes needs a value") }
                options.sizes = value.split(separator: ",").compactMap { Int($0) }
            case "--seconds":
                guard let value = rest.popFirst().flatMap(Double.init) else { throw usage("--seconds needs a number") }
                options.seconds = value
            case "--only":
                guard let value = rest.popFirst() else { throw usage("--only needs a value") }
                options.only = value
            case "--child":
                options.child = true
            case "--sqlite-child":
                options.child = true
                options.sqliteChild = true
            case "--no-peer":
                options.peer = false
            default:
                throw usage("unknown argument \(flag)")
            }
        }
        return options
    }

    static func usage(_ message: String) -> UsageError {
        print(
            "usage: repository-table [--sizes 10000,100000,1000000] [--seconds 0.4] [--only TEXT] [--no-peer]\n"
                + "  --seconds: time spent measuring each row at each size\n"
                + "  --only: run only the rows whose name contains TEXT (e.g. to profile one shape)\n"
                + "  --no-peer: skip the SQLite peer (WAL, synchronous=FULL, 256 MB cache) run beside each size")
        return UsageError(message)
    }

    struct UsageError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func runChild(size: Int, seconds: Double, only: String?, sqlite: Bool) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = [
            sqlite ? "--sqlite-child" : "--child", "--sizes", String(size), "--seconds", String(seconds),
        ]
        if let only { process.arguments! += ["--only", only] }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        if process.terminationStatus != 0 {
            print("size \(size): the child exited with status \(process.terminationStatus)")
        }
        return text
    }

    // MARK: One size

    struct Row {
        var name: String
        var calls: UInt64
        var p50: Double
        var p99: Double
        var mean: Double

        init?(_ fields: [String]) {
            guard let calls = UInt64(fields[2]), let p50 = Double(fields[3]), let p99 = Double(fields[4]),
                let mean = Double(fields[5])
            else { return nil }
            self.name = fields[1]
            self.calls = calls
            self.p50 = p50
            self.p99 = p99
            self.mean = mean
        }
    }

    static func emit(_ name: String, _ recorder: LatencyRecorder) {
        let p50 = recorder.microseconds(atPercentile: 50)
        let p99 = recorder.microseconds(atPercentile: 99)
        print("ROW\t\(name)\t\(recorder.count)\t\(p50)\t\(p99)\t\(recorder.meanMicroseconds)")
        fflush(nil)
    }

    static func runSize(_ size: Int, seconds: Double, only: String?) async throws {
        func wanted(_ name: String) -> Bool { only.map(name.contains) ?? true }
        let repository = InMemoryInterviewRepository()
        let before = ProcessStats.residentBytes()
        let buildStart = ProcessStats.nanoseconds()
        let sample = try await build(repository, records: 0..<size)
        let buildSeconds = Double(ProcessStats.nanoseconds() - buildStart) / 1e9
        let after = ProcessStats.residentBytes()
        let perRecord = Double(after - before) / Double(size)
        print(
            "FACT\tbuilt in "
                + String(format: "%.1f s (%.0f creates/s)", buildSeconds, Double(size) / buildSeconds)
                + "; RSS +\((after - before) >> 20) MiB = "
                + String(format: "%.0f bytes/record", perRecord)
                + " (store, indexes, and the change history of the last min(n, 100000) writes)")
        fflush(nil)

        // Updating the sampled records moves them to the end of the
        // updated_at order, so that it differs from the created_at order.
        for (company, id) in sample.entries {
            var changes = Interview(id: id)
            changes.title = "Rescheduled interview \(id)"
            _ = try await repository.update(
                changes, mask: ["title"], expectedRevision: 0, tenant: Dataset.tenant(company))
        }

        var random = SplitMix64(seed: 42)
        let ids = sample.entries
        let perCompany = Dataset.recordsPerCompany(size)
        let candidates = Dataset.candidatesPerCompany(size)

        // The server's read path: records as slices of their stored encoding.
        if wanted("get") {
            let recorder = try await measure(seconds: seconds, batch: 32) { _ in
                let (company, id) = ids[Int(random.next() % UInt64(ids.count))]
                _ = try repository.getEncoded(
                    id: id, includeDeleted: false, includeRemoteData: false, tenant: Dataset.tenant(company))
            }
            emit("get", recorder)
        }
        if wanted("get, typed") {
            let recorder = try await measure(seconds: seconds, batch: 32) { _ in
                let (company, id) = ids[Int(random.next() % UInt64(ids.count))]
                _ = try await repository.get(id: id, includeDeleted: false, tenant: Dataset.tenant(company))
            }
            emit("get, typed", recorder)
        }

        func list(_ name: String, _ make: @escaping (Int, inout SplitMix64) -> ListRequest) async throws {
            guard wanted(name) else { return }
            let recorder = try await measure(seconds: seconds) { ordinal in
                let company = ordinal % Dataset.companies
                let request = make(company, &random)
                let page = try repository.listEncoded(request, tenant: Dataset.tenant(company))
                precondition(!page.interviews.isEmpty, "\(name) returned an empty page")
            }
            emit(name, recorder)
        }

        let orders: [(String, OrderBy, OrderDirection)] = [
            ("created asc", .createdAt, .ascending), ("created desc", .createdAt, .descending),
            ("start asc", .startAt, .ascending), ("start desc", .startAt, .descending),
            ("updated asc", .updatedAt, .ascending), ("updated desc", .updatedAt, .descending),
        ]
        for (name, field, direction) in orders {
            try await list("list company, \(name)") { _, _ in
                ListRequest(pageSize: 20, orderBy: field, direction: direction)
            }
        }
        if wanted("list company, created desc, typed") {
            let request = ListRequest(pageSize: 20, orderBy: .createdAt, direction: .descending)
            let recorder = try await measure(seconds: seconds) { ordinal in
                let company = ordinal % Dataset.companies
                let page = try await repository.list(request, tenant: Dataset.tenant(company))
                precondition(!page.interviews.isEmpty, "the typed list returned an empty page")
            }
            emit("list company, created desc, typed", recorder)
        }
        try await list("list company+candidate, created desc") { company, random in
            let candidate = Dataset.candidateID(company: company, Int(random.next() % UInt64(candidates)))
            return ListRequest(candidateIDs: [candidate], pageSize: 20, orderBy: .createdAt, direction: .descending)
        }
        try await list("list company+status, created desc") { _, random in
            let status = InterviewStatus.allCases[Int(random.next() % 8)]
            return ListRequest(statuses: [status], pageSize: 20, orderBy: .createdAt, direction: .descending)
        }
        try await list("list company+job, created desc") { company, random in
            let job = Dataset.jobID(company: company, Int(random.next() % UInt64(Dataset.jobsPerCompany)))
            return ListRequest(jobID: job, pageSize: 20, orderBy: .createdAt, direction: .descending)
        }
        try await list("list company+2 statuses, start desc") { _, random in
            let first = Int(random.next() % 8)
            let statuses = [InterviewStatus.allCases[first], InterviewStatus.allCases[(first + 3) % 8]]
            return ListRequest(statuses: statuses, pageSize: 20, orderBy: .startAt, direction: .descending)
        }
        try await list("list company, created desc, page 5") { _, _ in
            ListRequest(page: 5, pageSize: 20, orderBy: .createdAt, direction: .descending)
        }

        // A cursor walk per company: page 1 (untimed), then up to 50 pages by next_page_token (timed).
        let walkName = "list company, created desc, next_page_token"
        var tokens = [String](repeating: "", count: Dataset.companies)
        var depth = [Int](repeating: 0, count: Dataset.companies)
        let walkLength = min(50, perCompany / 20)
        let first = ListRequest(pageSize: 20, orderBy: .createdAt, direction: .descending)
        let walk = try await measure(
            seconds: wanted(walkName) ? seconds : 0, warmup: 0,
            prepare: { ordinal in
                let company = ordinal % Dataset.companies
                if depth[company] == 0 || depth[company] >= walkLength {
                    let page = try await repository.list(first, tenant: Dataset.tenant(company))
                    tokens[company] = page.nextPageToken
                    depth[company] = 0
                }
            },
            { ordinal in
                let company = ordinal % Dataset.companies
                var request = first
                request.pageToken = tokens[company]
                let page = try repository.listEncoded(request, tenant: Dataset.tenant(company))
                precondition(page.interviews.count == 20, "the walk ended early")
                tokens[company] = page.nextPageToken
                depth[company] = page.nextPageToken.isEmpty ? walkLength : depth[company] + 1
            })
        if wanted(walkName) { emit(walkName, walk) }

        var created = size
        if wanted("create") {
            let recorder = try await measure(seconds: seconds, maxCalls: 20_000) { _ in
                _ = try await repository.create(
                    Dataset.record(created), requestID: "", tenant: Dataset.tenant(created % Dataset.companies))
                created += 1
            }
            emit("create", recorder)
        }
    }

    // MARK: The table

    static func label(_ size: Int) -> String {
        size >= 1_000_000 && size % 1_000_000 == 0
            ? "\(size / 1_000_000)M" : size >= 1_000 && size % 1_000 == 0 ? "\(size / 1_000)k" : "\(size)"
    }

    static func printTable(rows: [String: [Int: Row]], order: [String], sizes: [Int]) {
        let width = max(24, order.map(\.count).max() ?? 0)
        var header = "benchmark".padding(toLength: width, withPad: " ", startingAt: 0)
        for size in sizes { header += "  " + "p50 \(label(size))".leftPad(10) + " " + "p99".leftPad(8) }
        if sizes.count > 1 { header += "  " + "\(label(sizes.last!))/\(label(sizes.first!))".leftPad(9) }
        print(header + "   (microseconds)")
        for name in order {
            var line = name.padding(toLength: width, withPad: " ", startingAt: 0)
            for size in sizes {
                if let row = rows[name]?[size] {
                    line += "  " + String(format: "%10.3f %8.2f", row.p50, row.p99)
                } else {
                    line += "  " + "-".leftPad(10) + " " + "-".leftPad(8)
                }
            }
            if sizes.count > 1, let first = rows[name]?[sizes.first!], let last = rows[name]?[sizes.last!] {
                line += "  " + String(format: "%8.2fx", last.p50 / first.p50)
            }
            print(line)
        }
    }
}

extension RepositoryTable {
    /// p50 of ours and of the peer at each size, and ours / peer (below 1: ours is faster).
    static func printPeerTable(ours: Table, peer: Table, sizes: [Int]) {
        var order = ours.order
        for name in peer.order where !order.contains(name) { order.append(name) }
        let width = max(24, order.map(\.count).max() ?? 0)
        var header = "p50 beside the peer".padding(toLength: width, withPad: " ", startingAt: 0)
        for size in sizes {
            header += "  " + "ours \(label(size))".leftPad(10) + " " + "SQLite".leftPad(10) + " " + "ratio".leftPad(7)
        }
        print(header + "   (microseconds; ratio = ours / SQLite)")
        for name in order {
            var line = name.padding(toLength: width, withPad: " ", startingAt: 0)
            for size in sizes {
                let a = ours.rows[name]?[size]?.p50
                let b = peer.rows[name]?[size]?.p50
                line += "  " + (a.map { String(format: "%10.3f", $0) } ?? "-".leftPad(10))
                line += " " + (b.map { String(format: "%10.3f", $0) } ?? "-".leftPad(10))
                if let a, let b {
                    line += " " + String(format: "%6.2fx", a / b)
                } else {
                    line += " " + "-".leftPad(7)
                }
            }
            print(line)
        }
    }
}

extension String {
    fileprivate func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
