// The storage peer of repository-table: the same records and the same reads
// on SQLite (the system library, C API), WAL mode, synchronous=FULL, a
// 256 MB page cache, and an index for every order and filter the table
// times. Each record is a row of its indexed columns plus its protobuf
// encoding as a BLOB, which is what a careful SQLite-backed server would
// store and return.
//
// Rows carry the same names as the in-memory rows, so that the parent
// prints them side by side; the durable-create rows and the open time exist
// only here (the in-memory store has neither; interviews-filebench measures
// ours).
import BenchmarkSupport
import CSQLite
import Foundation
import InterviewsModel
import InterviewsWire

/// SQLite's "copy the bound value now" destructor, which C spells as a cast of -1.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

struct SQLiteError: Error, CustomStringConvertible {
    var description: String
}

/// One connection and its prepared statements.
final class SQLitePeer {
    let path: String
    private(set) var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    static let schema = """
        CREATE TABLE interviews(
          id TEXT PRIMARY KEY, company TEXT NOT NULL, remote_id TEXT, candidate_id TEXT, job_id TEXT,
          status INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
          start_at INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, body BLOB NOT NULL);
        CREATE INDEX by_created ON interviews(company, deleted, created_at, id);
        CREATE INDEX by_updated ON interviews(company, deleted, updated_at, id);
        CREATE INDEX by_start ON interviews(company, deleted, start_at, id);
        CREATE INDEX by_candidate ON interviews(company, candidate_id, deleted, created_at, id);
        CREATE INDEX by_status ON interviews(company, status, deleted, created_at, id);
        CREATE INDEX by_job ON interviews(company, job_id, deleted, created_at, id);
        CREATE UNIQUE INDEX by_remote ON interviews(company, remote_id) WHERE deleted = 0;
        """

    /// The number of indexes besides the primary key, for the report.
    static let indexCount = 7

    init(path: String) throws {
        self.path = path
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            throw SQLiteError(description: "cannot open \(path)")
        }
        db = handle
        try exec("PRAGMA journal_mode=WAL")
        try exec("PRAGMA synchronous=FULL")
        try exec("PRAGMA cache_size=-262144")  // KiB: 256 MB
    }

    deinit { close() }

    func close() {
        for (_, statement) in statements { sqlite3_finalize(statement) }
        statements = [:]
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    func exec(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "?"
            sqlite3_free(message)
            throw SQLiteError(description: "\(sql): \(text)")
        }
    }

    /// A prepared statement for `sql`, reset and with its bindings cleared.
    func statement(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            return statement
        }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else {
            throw SQLiteError(description: "prepare \(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
        statements[sql] = statement
        return statement
    }

    func bind(_ statement: OpaquePointer, _ index: Int32, _ text: String) {
        sqlite3_bind_text(statement, index, text, -1, transient)
    }

    func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(statement, index, value)
    }

    func bind(_ statement: OpaquePointer, _ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(statement, index, raw.baseAddress, Int32(raw.count), transient)
        }
    }

    /// Runs a statement that returns no rows.
    func run(_ statement: OpaquePointer) throws {
        guard sqlite3_step(statement) == SQLITE_DONE else {
            throw SQLiteError(description: "step: \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    /// Steps through the rows, copying column `column` (a BLOB) of each, as
    /// a server must before it answers; returns the number of rows.
    @discardableResult
    func rows(_ statement: OpaquePointer, copying column: Int32 = 0, into sink: inout [UInt8]) throws -> Int {
        var count = 0
        sink.removeAll(keepingCapacity: true)
        while true {
            let result = sqlite3_step(statement)
            if result == SQLITE_DONE { return count }
            guard result == SQLITE_ROW else {
                throw SQLiteError(description: "step: \(String(cString: sqlite3_errmsg(db)))")
            }
            let length = Int(sqlite3_column_bytes(statement, column))
            if let blob = sqlite3_column_blob(statement, column) {
                sink.append(contentsOf: UnsafeRawBufferPointer(start: blob, count: length))
            }
            count += 1
        }
    }
}

/// Nanoseconds since the epoch, strictly increasing within the process, like
/// the store's assigned timestamps.
private struct Clock {
    var last: Int64 = 0
    mutating func next() -> Int64 {
        var now = Int64(ProcessStats.nanoseconds())
        if now <= last { now = last + 1 }
        last = now
        return now
    }
}

/// A record of the data set as the peer stores it.
private struct PeerRow {
    var id: String
    var company: String
    var interview: Interview
    var created: Int64
    var updated: Int64
    var start: Int64
    var body: [UInt8]
}

extension RepositoryTable {
    static let insertSQL =
        "INSERT INTO interviews(id, company, remote_id, candidate_id, job_id, status, created_at, updated_at, start_at, body) VALUES (?,?,?,?,?,?,?,?,?,?)"

    private static func row(_ n: Int, clock: inout Clock) throws -> PeerRow {
        var interview = Dataset.record(n)
        let created = clock.next()
        interview.id = UUIDv7.generate().description
        interview.companyID = Dataset.companyID(n % Dataset.companies)
        interview.createdAt = Timestamp(seconds: created / 1_000_000_000, nanos: Int32(created % 1_000_000_000))
        interview.updatedAt = interview.createdAt
        interview.revision = 1
        return PeerRow(
            id: interview.id, company: interview.companyID, interview: interview, created: created, updated: created,
            start: interview.startAt?.seconds ?? 0, body: try interview.encodedBytes())
    }

    private static func insert(_ row: PeerRow, into peer: SQLitePeer) throws {
        let s = try peer.statement(insertSQL)
        peer.bind(s, 1, row.id)
        peer.bind(s, 2, row.company)
        peer.bind(s, 3, row.interview.remoteID)
        peer.bind(s, 4, row.interview.candidateID)
        peer.bind(s, 5, row.interview.jobID)
        peer.bind(s, 6, Int64(row.interview.status.rawValue))
        peer.bind(s, 7, row.created)
        peer.bind(s, 8, row.updated)
        peer.bind(s, 9, row.start)
        peer.bind(s, 10, row.body)
        try peer.run(s)
    }

    /// The SQLite child of one size: builds the database, then times the same
    /// rows as ``runSize(_:seconds:only:)``.
    static func runSQLiteSize(_ size: Int, seconds: Double, only: String?) async throws {
        func wanted(_ name: String) -> Bool { only.map(name.contains) ?? true }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "repository-table-sqlite-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("interviews.db").path

        let before = ProcessStats.residentBytes()
        var peer = try SQLitePeer(path: path)
        try peer.exec(SQLitePeer.schema)
        var clock = Clock()
        var sample: [(company: Int, id: String)] = []
        let stride = max(1, size / 10_000)
        let buildStart = ProcessStats.nanoseconds()
        try peer.exec("BEGIN")
        for n in 0..<size {
            let row = try row(n, clock: &clock)
            try insert(row, into: peer)
            if n % stride == 0 { sample.append((n % Dataset.companies, row.id)) }
            if n % 10_000 == 9_999 {
                try peer.exec("COMMIT")
                try peer.exec("BEGIN")
            }
        }
        try peer.exec("COMMIT")
        let buildSeconds = Double(ProcessStats.nanoseconds() - buildStart) / 1e9

        // The same updates as the in-memory child: sampled records move to the
        // end of the updated_at order.
        try peer.exec("BEGIN")
        for (_, id) in sample {
            let s = try peer.statement("UPDATE interviews SET updated_at = ? WHERE id = ?")
            peer.bind(s, 1, clock.next())
            peer.bind(s, 2, id)
            try peer.run(s)
        }
        try peer.exec("COMMIT")
        try peer.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        let after = ProcessStats.residentBytes()
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        // Open: a new connection, timed to its first page.
        peer.close()
        let openStart = ProcessStats.nanoseconds()
        peer = try SQLitePeer(path: path)
        var sink: [UInt8] = []
        let first = try peer.statement(
            "SELECT body FROM interviews WHERE company = ? AND deleted = 0 ORDER BY created_at DESC, id DESC LIMIT 20")
        peer.bind(first, 1, Dataset.companyID(0))
        try peer.rows(first, into: &sink)
        let openMicros = Double(ProcessStats.nanoseconds() - openStart) / 1e3

        print(
            "FACT\tSQLite \(String(cString: sqlite3_libversion())), WAL, synchronous=FULL, 256 MB cache, "
                + "\(SQLitePeer.indexCount) indexes: built in "
                + String(
                    format: "%.1f s (%.0f rows/s in transactions of 10,000)", buildSeconds, Double(size) / buildSeconds)
                + "; RSS +\((after - before) >> 20) MiB = "
                + String(format: "%.0f bytes/record", Double(after - before) / Double(size))
                + "; file \(fileBytes >> 20) MiB; open to first page "
                + String(format: "%.0f us", openMicros))
        fflush(nil)

        var random = SplitMix64(seed: 42)
        let candidates = Dataset.candidatesPerCompany(size)
        let perCompany = Dataset.recordsPerCompany(size)

        if wanted("get") {
            let recorder = try await measure(seconds: seconds, batch: 32) { _ in
                let (company, id) = sample[Int(random.next() % UInt64(sample.count))]
                let s = try peer.statement("SELECT body FROM interviews WHERE id = ? AND company = ? AND deleted = 0")
                peer.bind(s, 1, id)
                peer.bind(s, 2, Dataset.companyID(company))
                let found = try peer.rows(s, into: &sink)
                precondition(found == 1, "get found nothing")
            }
            emit("get", recorder)
        }

        func list(_ name: String, _ sql: String, _ bindRest: @escaping (OpaquePointer, Int, inout SplitMix64) -> Void)
            async throws
        {
            guard wanted(name) else { return }
            let recorder = try await measure(seconds: seconds) { ordinal in
                let company = ordinal % Dataset.companies
                let s = try peer.statement(sql)
                peer.bind(s, 1, Dataset.companyID(company))
                bindRest(s, company, &random)
                let found = try peer.rows(s, into: &sink)
                precondition(found > 0, "\(name) returned an empty page")
            }
            emit(name, recorder)
        }

        let base = "SELECT body FROM interviews WHERE company = ? AND deleted = 0"
        let orders: [(String, String, String)] = [
            ("created asc", "created_at", "ASC"), ("created desc", "created_at", "DESC"),
            ("start asc", "start_at", "ASC"), ("start desc", "start_at", "DESC"),
            ("updated asc", "updated_at", "ASC"), ("updated desc", "updated_at", "DESC"),
        ]
        for (name, column, direction) in orders {
            try await list(
                "list company, \(name)", "\(base) ORDER BY \(column) \(direction), id \(direction) LIMIT 20"
            ) { _, _, _ in }
        }
        try await list(
            "list company+candidate, created desc",
            "\(base) AND candidate_id = ? ORDER BY created_at DESC, id DESC LIMIT 20"
        ) { s, company, random in
            peer.bind(s, 2, Dataset.candidateID(company: company, Int(random.next() % UInt64(candidates))))
        }
        try await list(
            "list company+status, created desc", "\(base) AND status = ? ORDER BY created_at DESC, id DESC LIMIT 20"
        ) { s, _, random in
            peer.bind(s, 2, Int64(InterviewStatus.allCases[Int(random.next() % 8)].rawValue))
        }
        try await list(
            "list company+job, created desc", "\(base) AND job_id = ? ORDER BY created_at DESC, id DESC LIMIT 20"
        ) { s, company, random in
            peer.bind(s, 2, Dataset.jobID(company: company, Int(random.next() % UInt64(Dataset.jobsPerCompany))))
        }
        try await list(
            "list company+2 statuses, start desc",
            "\(base) AND status IN (?, ?) ORDER BY start_at DESC, id DESC LIMIT 20"
        ) { s, _, random in
            let first = Int(random.next() % 8)
            peer.bind(s, 2, Int64(InterviewStatus.allCases[first].rawValue))
            peer.bind(s, 3, Int64(InterviewStatus.allCases[(first + 3) % 8].rawValue))
        }
        try await list(
            "list company, created desc, page 5", "\(base) ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 80"
        ) { _, _, _ in }

        // The keyset walk: page 1 untimed, then up to 50 pages after the last (created_at, id) seen.
        let walkName = "list company, created desc, next_page_token"
        if wanted(walkName) {
            let pageSQL =
                "SELECT created_at, id, body FROM interviews WHERE company = ? AND deleted = 0 AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 20"
            var cursors = [(Int64, String)](repeating: (.max, ""), count: Dataset.companies)
            var depth = [Int](repeating: 0, count: Dataset.companies)
            // Timed pages after the first: the walk stays inside the company's records.
            let walkLength = min(50, perCompany / 20 - 1)
            func page(_ company: Int) throws -> Int {
                let s = try peer.statement(pageSQL)
                peer.bind(s, 1, Dataset.companyID(company))
                peer.bind(s, 2, cursors[company].0)
                peer.bind(s, 3, cursors[company].1)
                var count = 0
                sink.removeAll(keepingCapacity: true)
                while sqlite3_step(s) == SQLITE_ROW {
                    let length = Int(sqlite3_column_bytes(s, 2))
                    if let blob = sqlite3_column_blob(s, 2) {
                        sink.append(contentsOf: UnsafeRawBufferPointer(start: blob, count: length))
                    }
                    cursors[company] = (sqlite3_column_int64(s, 0), String(cString: sqlite3_column_text(s, 1)))
                    count += 1
                }
                return count
            }
            let walk = try await measure(
                seconds: seconds, warmup: 0,
                prepare: { ordinal in
                    let company = ordinal % Dataset.companies
                    if depth[company] == 0 || depth[company] >= walkLength {
                        cursors[company] = (.max, "")
                        _ = try page(company)
                        depth[company] = 0
                    }
                },
                { ordinal in
                    let company = ordinal % Dataset.companies
                    let found = try page(company)
                    precondition(found == 20, "the walk ended early")
                    depth[company] += 1
                })
            emit(walkName, walk)
        }

        // Durable creates: one row per commit (each waits for its fsync), and
        // 32 rows per commit (the best batch a group of writers gets).
        var created = size
        if wanted("create") {
            let single = try await measure(seconds: seconds, maxCalls: 2_000, warmup: 5) { _ in
                try insert(try row(created, clock: &clock), into: peer)
                created += 1
            }
            emit("create durable, 1 per commit", single)
            let batched = try await measure(seconds: seconds, maxCalls: 20_000, batch: 32, warmup: 0) { ordinal in
                if ordinal % 32 == 0 { try peer.exec("BEGIN") }
                try insert(try row(created, clock: &clock), into: peer)
                created += 1
                if ordinal % 32 == 31 { try peer.exec("COMMIT") }
            }
            emit("create durable, 32 per commit", batched)
        }
        peer.close()
    }
}
