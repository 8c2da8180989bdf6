/// Progress of a long import or export, as text for people. Pure: the caller
/// passes the counts and the elapsed time and writes what comes back (to
/// standard error, typically).
///
/// On a terminal, one line is redrawn in place with a carriage return:
/// `"\r12,345 records  4,567/s"`. Elsewhere (a log, a pipe), a plain line is
/// written now and then: `"12,345 records in 2.7s  4,567/s\n"`. When the
/// total is known, lines say how far along and how long is left:
/// `"12,345 of 50,000 records (24%)  4,567/s  8s left"`.
public struct ProgressReporter: Sendable {
    /// Where the text goes.
    public enum Style: Sendable, Hashable {
        /// A terminal: one line redrawn in place.
        case terminal
        /// A file or a pipe: a new line every ``ProgressReporter/interval``.
        case plain
    }

    /// The default time between terminal redraws: 100 ms.
    public static let terminalInterval = Duration.milliseconds(100)
    /// The default time between plain lines: 10 s.
    public static let plainInterval = Duration.seconds(10)

    /// How the reporter writes.
    public let style: Style
    /// The least time between two updates.
    public let interval: Duration
    /// How many records there are in all, when known.
    public let total: Int?
    private var lastUpdate: Duration?
    private var drawnWidth = 0

    /// Creates a reporter; `interval` defaults to ``terminalInterval`` or
    /// ``plainInterval`` by style.
    public init(style: Style, interval: Duration? = nil, total: Int? = nil) {
        self.style = style
        self.interval = interval ?? (style == .terminal ? Self.terminalInterval : Self.plainInterval)
        self.total = total
    }

    /// The text to write now, or nil when the last update is too recent. A
    /// terminal's first update is immediate; a plain one waits an interval.
    public mutating func update(records: Int, failed: Int = 0, elapsed: Duration) -> String? {
        if let lastUpdate {
            guard elapsed - lastUpdate >= interval else { return nil }
        } else if style == .plain {
            guard elapsed >= interval else { return nil }
        }
        lastUpdate = elapsed
        switch style {
        case .terminal:
            return redraw(
                Self.status(records: records, failed: failed, elapsed: elapsed, showTime: false, total: total))
        case .plain:
            return Self.status(records: records, failed: failed, elapsed: elapsed, showTime: true, total: total) + "\n"
        }
    }

    /// The final line, always, ending in a newline; on a terminal it replaces
    /// the progress line.
    public mutating func finish(records: Int, failed: Int = 0, elapsed: Duration) -> String {
        let text = Self.status(records: records, failed: failed, elapsed: elapsed, showTime: true)
        switch style {
        case .terminal:
            // A shorter summary clears the progress line first, so that the
            // last line ends without trailing spaces.
            if DisplayWidth.of(text) < drawnWidth { return interruption() + text + "\n" }
            return redraw(text) + "\n"
        case .plain: return text + "\n"
        }
    }

    /// The text to write before any other message, so that the message
    /// starts a line of its own: on a terminal where a progress line is
    /// drawn, a carriage return, spaces over that line and another carriage
    /// return (the next update draws it again); otherwise nothing.
    public mutating func interruption() -> String {
        guard style == .terminal, drawnWidth > 0 else { return "" }
        defer { drawnWidth = 0 }
        return "\r" + String(repeating: " ", count: drawnWidth) + "\r"
    }

    /// `"\r"` and `text`, padded with spaces over what the last redraw left.
    private mutating func redraw(_ text: String) -> String {
        let width = DisplayWidth.of(text)
        let padding = String(repeating: " ", count: max(0, drawnWidth - width))
        drawnWidth = width
        return "\r" + text + padding
    }

    /// `12,345 records[ in 2.7s]  4,567/s[  3 failed]`; the rate is left out
    /// while no time has passed.
    ///
    /// With `total`: `12,345 of 50,000 records (24%)  4,567/s  8s left`,
    /// where the share and the time left count failed records as done.
    static func status(
        records: Int, failed: Int, elapsed: Duration, showTime: Bool, total: Int? = nil
    ) -> String {
        var text = grouped(records)
        if let total {
            let done = records + failed
            let percent = total > 0 ? min(100, done * 100 / total) : 100
            text += " of \(grouped(total))" + (total == 1 ? " record" : " records") + " (\(percent)%)"
        } else {
            text += records == 1 ? " record" : " records"
        }
        if showTime { text += " in " + elapsedString(elapsed) }
        if let rate = rate(records, elapsed) { text += "  " + grouped(rate) + "/s" }
        if failed > 0 { text += "  " + grouped(failed) + " failed" }
        if let total, let rate = rate(records + failed, elapsed), rate > 0, records + failed < total {
            let left = Double(total - records - failed) / Double(rate)
            text += "  " + elapsedString(.milliseconds(Int64(left * 1000))) + " left"
        }
        return text
    }

    /// `n` with a comma every three digits, e.g. `12,345`.
    public static func grouped(_ n: Int) -> String {
        let digits = Array(String(n.magnitude))
        var out = n < 0 ? "-" : ""
        for (i, digit) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }

    /// Records per second, rounded; nil when no time has passed.
    public static func rate(_ records: Int, _ elapsed: Duration) -> Int? {
        let seconds = Self.seconds(elapsed)
        guard seconds > 0 else { return nil }
        return Int((Double(records) / seconds).rounded())
    }

    /// `2.7s` under a minute, `3m05s` under an hour, `1h02m03s` beyond.
    public static func elapsedString(_ elapsed: Duration) -> String {
        let seconds = max(0, Self.seconds(elapsed))
        if seconds < 60 {
            let tenths = Int((seconds * 10).rounded(.down))
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let whole = Int(seconds)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if whole < 3600 { return "\(whole / 60)m\(two(whole % 60))s" }
        return "\(whole / 3600)h\(two(whole / 60 % 60))m\(two(whole % 60))s"
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
