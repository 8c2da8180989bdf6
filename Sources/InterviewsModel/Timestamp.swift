/// A point in time with nanosecond precision, as `google.protobuf.Timestamp`
/// defines it: seconds since the Unix epoch plus a non-negative fraction.
///
/// Valid values lie in `Timestamp.min ... Timestamp.max` (the years 0001 to
/// 9999) with `nanos` in `0 ..< 1_000_000_000`; ``isValid`` says whether a
/// value does.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// The fraction of the second, `0 ..< 1_000_000_000`.
    public var nanos: Int32

    /// Creates a timestamp from its two parts, unchecked; see ``isValid``.
    @inlinable
    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// 0001-01-01T00:00:00Z, the smallest timestamp protobuf allows.
    public static let min = Timestamp(seconds: -62_135_596_800)
    /// 9999-12-31T23:59:59.999999999Z, the largest timestamp protobuf allows.
    public static let max = Timestamp(seconds: 253_402_300_799, nanos: 999_999_999)

    /// Whether the value is inside the range protobuf defines for Timestamp.
    public var isValid: Bool {
        nanos >= 0 && nanos < 1_000_000_000 && seconds >= Timestamp.min.seconds
            && seconds <= Timestamp.max.seconds
    }

    /// Nanoseconds since the epoch, saturating at the ends of `Int64`.
    public var nanosecondsSinceEpoch: Int64 {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = product.addingReportingOverflow(Int64(nanos))
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(seconds: Int64(spec.tv_sec), nanos: Int32(spec.tv_nsec))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
    }

    /// RFC 3339 in UTC, e.g. `2023-06-26T14:30:00.5Z` (fraction only when non-zero).
    public var description: String { RFC3339.format(self) }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
