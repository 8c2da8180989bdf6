import InterviewsFileStore
import Testing

/// A tiny keyed store over a ``DurableLog``, as the file-backed repository
/// will use it: every record is the latest version of one key, and a
/// compaction snapshots the latest record of every key.
struct KeyedWorkload {
    let log: DurableLog
    /// The latest record of every key.
    var live: [Int: LogRecord] = [:]

    /// The data of version `version` of `key`.
    static func data(key: Int, version: Int) -> [UInt8] {
        Array("k\(key):v\(version):".utf8) + [UInt8](repeating: UInt8(truncatingIfNeeded: key &+ version), count: 40)
    }

    /// The key a record's data belongs to.
    static func key(of data: [UInt8]) -> Int? {
        let text = String(decoding: data.prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self)
        return Int(text.dropFirst())
    }

    /// The state replay rebuilds: the data of the latest record of each key.
    static func state(of records: [LogRecord]) -> [Int: [UInt8]] {
        var state: [Int: [UInt8]] = [:]
        for record in records {
            if let key = key(of: record.data) { state[key] = record.data }
        }
        return state
    }

    /// The expected state: the data of every live record.
    var state: [Int: [UInt8]] { live.mapValues(\.data) }

    /// Bytes the live records would occupy in a snapshot.
    var liveBytes: Int64 { Int64(live.values.reduce(0) { $0 + $1.storedSize }) }

    /// Writes `versions` versions of each of `keys` keys, one append each.
    mutating func put(keys: Range<Int>, versions: ClosedRange<Int>) async throws {
        for version in versions {
            for key in keys { try await put(key: key, version: version) }
        }
    }

    /// Writes one version of one key.
    mutating func put(key: Int, version: Int) async throws {
        let data = Self.data(key: key, version: version)
        let sequence = try await log.append(LogEntry(kind: 1, data: data))
        live[key] = LogRecord(sequence: sequence, kind: 1, data: data)
    }

    /// The snapshot a compaction would write now: rotate, then every live record.
    func capture() throws -> (sequence: UInt64, records: [LogRecord]) {
        (try log.rotate(), live.values.sorted { $0.sequence < $1.sequence })
    }

    /// Rotates and compacts with the live records.
    func compact() async throws -> CompactionReport {
        let (sequence, records) = try capture()
        return try await log.compact(through: sequence, records: records)
    }
}
