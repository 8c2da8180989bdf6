import Synchronization

/// A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random
/// bits, so that ids sort by creation time. Interview ids are their
/// canonical text form (lowercase, `8-4-4-4-12`).
///
/// Values compare as 128-bit unsigned integers, which is also the order of
/// their canonical text.
public struct UUIDv7: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The high 64 bits: timestamp, version and `rand_a`.
    public var high: UInt64
    /// The low 64 bits: variant and `rand_b`.
    public var low: UInt64

    /// Wraps raw bits (unchecked).
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The smallest value; sorts before every generated id.
    public static let zero = UUIDv7(high: 0, low: 0)

    /// Parses canonical lowercase text (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`);
    /// nil for anything else, so that one id has exactly one spelling.
    public init?(_ text: String) {
        self.init(utf8: text.utf8)
    }

    /// Parses canonical lowercase text given as its UTF-8 bytes (as
    /// ``init(_:)``), without building a `String`.
    @inlinable
    public init?<Bytes: Sequence>(utf8 text: Bytes) where Bytes.Element == UInt8 {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var nibbles = 0
        var index = 0
        for byte in text {
            defer { index += 1 }
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            if nibbles < 16 {
                high = high << 4 | UInt64(value)
            } else {
                low = low << 4 | UInt64(value)
            }
            nibbles += 1
        }
        guard index == 36, nibbles == 32 else { return nil }
        self.init(high: high, low: low)
    }

    /// The canonical text form.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(36)
        for nibble in 0..<32 {
            if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 { bytes.append(UInt8(ascii: "-")) }
            let word = nibble < 16 ? high : low
            let shift = UInt64(60 - (nibble % 16) * 4)
            bytes.append(digits[Int((word >> shift) & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The Unix time in milliseconds that the id carries.
    public var milliseconds: UInt64 { high >> 16 }

    public static func < (lhs: UUIDv7, rhs: UUIDv7) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }

    private static let last = Mutex(UUIDv7.zero)

    /// A new id, strictly greater than every id this process generated before,
    /// even when the clock stands still or steps back (RFC 9562 method 3: the
    /// 74 random bits then act as a counter that carries into the timestamp).
    public static func generate() -> UUIDv7 {
        var random = SystemRandomNumberGenerator()
        let now = Timestamp.now()
        let millis = UInt64(max(0, now.seconds)) &* 1000 &+ UInt64(now.nanos / 1_000_000)
        let candidate = UUIDv7(
            high: (millis & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (random.next() & 0x0FFF),
            low: 0x8000_0000_0000_0000 | (random.next() & 0x3FFF_FFFF_FFFF_FFFF))
        return last.withLock { last in
            let next = candidate > last ? candidate : last.successor()
            last = next
            return next
        }
    }

    /// The next value with the same version and variant: `rand_b`, then
    /// `rand_a`, then the timestamp, counted up by one.
    private func successor() -> UUIDv7 {
        let randB = low & 0x3FFF_FFFF_FFFF_FFFF
        if randB < 0x3FFF_FFFF_FFFF_FFFF {
            return UUIDv7(high: high, low: low + 1)
        }
        let randA = high & 0x0FFF
        let timestamp = high >> 16
        let newHigh = randA < 0x0FFF ? high + 1 : ((timestamp + 1) << 16 | 0x7000)
        return UUIDv7(high: newHigh, low: 0x8000_0000_0000_0000)
    }
}
