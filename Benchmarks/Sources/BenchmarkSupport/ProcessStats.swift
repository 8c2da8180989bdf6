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
