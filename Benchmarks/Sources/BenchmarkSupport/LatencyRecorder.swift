public import Histogram

/// Times a call many times and keeps the per-call latencies in an
/// HdrHistogram (nanoseconds, three significant digits).
public struct LatencyRecorder: Sendable {
    /// Per-call latencies in nanoseconds.
    public private(set) var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000)

    /// An empty recorder.
    public init() {}

    /// Records one latency.
    public mutating func record(nanoseconds: UInt64, count: Int = 1) {
        _ = histogram.record(max(1, nanoseconds), count: UInt64(count))
    }

    /// Adds another recorder's latencies.
    public mutating func add(_ other: LatencyRecorder) { histogram.add(other.histogram) }

    /// The number of calls recorded.
    public var count: UInt64 { histogram.totalCount }

    /// The latency at `percentile` (0...100), in microseconds.
    public func microseconds(atPercentile percentile: Double) -> Double {
        Double(histogram.valueAtPercentile(percentile)) / 1_000
    }

    /// The mean latency in microseconds.
    public var meanMicroseconds: Double { histogram.mean / 1_000 }
}

/// Runs `body` (one call, given its ordinal) repeatedly for about `seconds`,
/// and at most `maxCalls` times, after `warmup` untimed calls. Calls are
/// timed in groups of `batch` and each group's time is divided evenly among
/// its calls, so that calls shorter than a clock read are measured fairly.
/// `prepare` runs, untimed, before each group.
public func measure(
    seconds: Double, maxCalls: Int = .max, batch: Int = 1, warmup: Int = 50,
    prepare: (Int) async throws -> Void = { _ in }, _ body: (Int) async throws -> Void
) async rethrows -> LatencyRecorder {
    var recorder = LatencyRecorder()
    var ordinal = 0
    for _ in 0..<warmup {
        try await body(ordinal)
        ordinal += 1
    }
    let budget = UInt64(seconds * 1e9)
    let start = ProcessStats.nanoseconds()
    var calls = 0
    while calls < maxCalls && ProcessStats.nanoseconds() - start < budget {
        let group = min(batch, maxCalls - calls)
        try await prepare(ordinal)
        let before = ProcessStats.nanoseconds()
        for _ in 0..<group {
            try await body(ordinal)
            ordinal += 1
        }
        let each = (ProcessStats.nanoseconds() - before) / UInt64(group)
        recorder.record(nanoseconds: each, count: group)
        calls += group
    }
    return recorder
}
