import BenchmarkSupport
import CUnixPingPong
import Foundation

/// The floor of a unary call: a forked echo server and blocking
/// write/read of the same byte counts over AF_UNIX.
enum PingPong {
    static func measure(request: Int, response: Int, iterations: Int) throws -> LatencyRecorder {
        let path = NSTemporaryDirectory() + "interviews-pingpong-\(getpid()).sock"
        let pid = pingpong_start_server(path, request, response)
        guard pid > 0 else { throw ServerError("ping-pong server: \(String(cString: strerror(errno)))") }
        defer { pingpong_stop_server(pid, path) }
        let fd = pingpong_connect(path)
        guard fd >= 0 else { throw ServerError("ping-pong connect: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let warmup = min(1_000, iterations)
        var latencies = [UInt64](repeating: 0, count: iterations)
        guard pingpong_run(fd, request, response, &latencies, warmup) == 0,
            pingpong_run(fd, request, response, &latencies, iterations) == 0
        else {
            throw ServerError("ping-pong exchange: \(String(cString: strerror(errno)))")
        }
        var recorder = LatencyRecorder()
        for latency in latencies { recorder.record(nanoseconds: latency) }
        return recorder
    }
}

extension LatencyRecorder {
    /// p50, p99, p99.9 and mean in microseconds.
    var summary: String {
        String(
            format: "p50 %.1f us, p99 %.1f us, p99.9 %.1f us, mean %.1f us",
            microseconds(atPercentile: 50), microseconds(atPercentile: 99), microseconds(atPercentile: 99.9),
            meanMicroseconds)
    }
}
