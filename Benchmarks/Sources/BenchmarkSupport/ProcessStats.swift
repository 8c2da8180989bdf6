#if canImport(Glibc)
    import Glibc
#endif

extension Substring {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        String(drop { characters.contains($0) }.reversed().drop { characters.contains($0) }.reversed())
    }
}

/// Facts about this process that benchmarks report.
public enum ProcessStats {
    /// The resident set size in bytes, from `/proc/self/statm` (its second
    /// field, in pages); 0 when the file cannot be read.
    public static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
        let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
        return pages * sysconf(Int32(_SC_PAGESIZE))
    }

    /// The CPU time (user + system) process `pid` has used so far, in
    /// nanoseconds, from fields 14 and 15 of `/proc/<pid>/stat` (clock ticks,
    /// usually 10 ms); nil when unreadable. `pid` 0 means this process.
    public static func cpuNanoseconds(pid: Int32 = 0) -> UInt64? {
        let path = pid == 0 ? "/proc/self/stat" : "/proc/\(pid)/stat"
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 1024)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // The command name (field 2) may hold spaces: count fields after its ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let ticks = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        return (user + system) * 1_000_000_000 / ticks
    }

    /// Monotonic nanoseconds (CLOCK_MONOTONIC), for timing calls cheaply.
    @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// The CPUs this process may run on (its affinity), e.g. "0" or "0-1",
    /// from the `Cpus_allowed_list` line of `/proc/self/status`.
    public static func allowedCPUs() -> String {
        guard let file = fopen("/proc/self/status", "r") else { return "?" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        let prefix = "Cpus_allowed_list:"
        while fgets(&line, Int32(line.count), file) != nil {
            let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if text.hasPrefix(prefix) {
                return text.dropFirst(prefix.count).trimmingCharacters(in: " \t\n")
            }
        }
        return "?"
    }

    /// The 1-minute load average, from `/proc/loadavg`; nil when unreadable.
    public static func loadAverage() -> Double? {
        var loads = [Double](repeating: 0, count: 3)
        guard getloadavg(&loads, 3) >= 1 else { return nil }
        return loads[0]
    }
}
