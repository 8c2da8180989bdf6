/// RFC 3339 text for ``Timestamp`` (the proto3 JSON mapping's format), without
/// Foundation: civil-date arithmetic from Howard Hinnant's algorithms.
public enum RFC3339 {
    /// Formats in UTC with `Z`; the fraction has 3, 6 or 9 digits and is
    /// omitted when zero, as the proto3 JSON mapping does.
    public static func format(_ t: Timestamp) -> String {
        let days = floorDiv(t.seconds, 86_400)
        let secondOfDay = t.seconds - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        var s = pad(y, 4) + "-" + pad(Int64(m), 2) + "-" + pad(Int64(d), 2) + "T"
        s += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":"
        s += pad(secondOfDay % 60, 2)
        if t.nanos != 0 {
            if t.nanos % 1_000_000 == 0 {
                s += "." + pad(Int64(t.nanos / 1_000_000), 3)
            } else if t.nanos % 1000 == 0 {
                s += "." + pad(Int64(t.nanos / 1000), 6)
            } else {
                s += "." + pad(Int64(t.nanos), 9)
            }
        }
        return s + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; returns nil when the
    /// text is not of that form or the result is out of Timestamp's range.
    /// A fraction may have any number of digits; those past the ninth are dropped.
    public static func parse(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ width: Int) -> Int64? {
            guard i + width <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<width {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += width
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = number(4), expect(UInt8(ascii: "-")), let mo = number(2),
            expect(UInt8(ascii: "-")), let d = number(2)
        else { return nil }
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == 32
        else { return nil }
        i += 1
        guard let h = number(2), expect(UInt8(ascii: ":")), let mi = number(2),
            expect(UInt8(ascii: ":")), let s = number(2)
        else { return nil }
        guard (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y), h < 24, mi < 60,
            s < 60
        else { return nil }
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            // Digits past the ninth (below a nanosecond) are read and dropped.
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        var offset: Int64 = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = number(2), expect(UInt8(ascii: ":")), let om = number(2), oh < 24,
                om < 60
            else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = days(fromCivil: y, Int(mo), Int(d)) * 86_400 + h * 3600 + mi * 60 + s - offset
        let t = Timestamp(seconds: seconds, nanos: Int32(nanos))
        return t.isValid ? t : nil
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func isLeap(_ y: Int64) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func civil(fromDays z0: Int64) -> (Int64, Int, Int) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, Int(m), Int(d))
    }

    private static func days(fromCivil y0: Int64, _ m: Int, _ d: Int) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
