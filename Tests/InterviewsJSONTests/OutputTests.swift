import InterviewsModel
import Testing

@testable import InterviewsJSON

@Suite("Interview tables for people")
struct InterviewTableTests {
    static let rows = [
        Interview(
            id: "0190f0e8-7c3a-7def-8a2b-4c5d6e7f8091", candidateID: "cand-1", title: "Backend screen",
            startAt: Timestamp(seconds: 1_687_789_859, nanos: 900_000_000), status: .scheduled, revision: 3),
        Interview(
            id: "0190f0e8-7c3a-7def-8a2b-4c5d6e7f8092", status: .cancelled,
            deletedAt: Timestamp(seconds: 1_700_000_000), revision: 12),
    ]

    @Test("columns at their natural width; empty cells show -; START is to the minute")
    func natural() {
        #expect(
            InterviewTable.render(Self.rows)
                == """
                ID                                    STATUS               TITLE           CANDIDATE  START              REVISION
                0190f0e8-7c3a-7def-8a2b-4c5d6e7f8091  SCHEDULED            Backend screen  cand-1     2023-06-26T14:30Z         3
                0190f0e8-7c3a-7def-8a2b-4c5d6e7f8092  CANCELLED (deleted)  -               -          -                        12

                """)
    }

    @Test("no interviews is a header alone")
    func empty() {
        #expect(InterviewTable.render([]) == "ID  STATUS  TITLE  CANDIDATE  START  REVISION\n")
    }

    static let long = Interview(
        id: "0190f0e8-7c3a-7def-8a2b-4c5d6e7f8093", candidateID: "candidate-with-a-very-long-identifier",
        title: "A very long title that cannot possibly fit in a narrow terminal", status: .completed, revision: 1)

    @Test("a narrow width shrinks TITLE and CANDIDATE first, cutting with …", arguments: [140, 120, 100])
    func fits(_ width: Int) {
        let lines = InterviewTable.render(Self.rows + [Self.long], width: width).split(separator: "\n")
        for line in lines { #expect(line.count <= width) }
        #expect(lines.last?.contains("…") == true)
        #expect(lines.last?.contains("0190f0e8-7c3a-7def-8a2b-4c5d6e7f8093") == true, "ids are cut last")
    }

    static let ids = (Self.rows + [Self.long]).map(\.id)

    @Test("narrower still, columns are left out, REVISION first; ids are never cut", arguments: [90, 80, 72])
    func neverCutsIDs(_ width: Int) {
        let lines = InterviewTable.render(Self.rows + [Self.long], width: width).split(separator: "\n")
        try? #require(lines.count == 4)
        for line in lines { #expect(line.count <= width, "\(line)") }
        #expect(!lines[0].contains("REVISION"))
        for (line, id) in zip(lines.dropFirst(), Self.ids) { #expect(line.hasPrefix(id + "  "), "\(line)") }
    }

    @Test("at 80 columns ids stay whole: REVISION, CANDIDATE and START give way, TITLE takes back the space")
    func eightyColumns() {
        #expect(
            InterviewTable.render(Self.rows + [Self.long], width: 80)
                == """
                ID                                    STATUS               TITLE
                0190f0e8-7c3a-7def-8a2b-4c5d6e7f8091  SCHEDULED            Backend screen
                0190f0e8-7c3a-7def-8a2b-4c5d6e7f8092  CANCELLED (deleted)  -
                0190f0e8-7c3a-7def-8a2b-4c5d6e7f8093  COMPLETED            A very long title th…

                """)
    }

    @Test("past ID and STATUS the lines stay whole rather than cut an id")
    func tooNarrow() {
        let lines = InterviewTable.render(Self.rows, width: 10).split(separator: "\n")
        #expect(lines[0] == "ID                                    STATUS")
        #expect(lines[1] == "0190f0e8-7c3a-7def-8a2b-4c5d6e7f8091  SCHEDULED")
    }

    @Test("wide characters count two columns; control characters become spaces")
    func unicode() {
        let row = Interview(id: "x", title: "東京の面接です\nline two", status: .draft)
        let table = InterviewTable.render([row], width: 41)
        let lines = table.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0] == "ID  STATUS  TITLE  CAND…  START  REVISION")
        #expect(lines[1] == "x   DRAFT   東京…  -      -             0")
    }

    @Test("minute strings floor the seconds")
    func minutes() {
        #expect(
            InterviewTable.minuteString(Timestamp(seconds: 1_687_789_859, nanos: 999_999_999)) == "2023-06-26T14:30Z")
    }
}

@Suite("Progress lines")
struct ProgressReporterTests {
    @Test(
        "counts are grouped by thousands",
        arguments: [
            (0, "0"), (999, "999"), (1000, "1,000"), (12_345, "12,345"), (1_234_567, "1,234,567"), (-1234, "-1,234"),
        ])
    func grouped(_ n: Int, _ text: String) {
        #expect(ProgressReporter.grouped(n) == text)
    }

    @Test(
        "elapsed time reads naturally",
        arguments: [
            (Duration.milliseconds(2703), "2.7s"), (.milliseconds(59_990), "59.9s"), (.seconds(60), "1m00s"),
            (.seconds(185), "3m05s"), (.seconds(3723), "1h02m03s"),
        ])
    func elapsed(_ d: Duration, _ text: String) {
        #expect(ProgressReporter.elapsedString(d) == text)
    }

    @Test("a terminal line redraws in place, at most once per interval, padding over a longer line")
    func terminal() {
        var reporter = ProgressReporter(style: .terminal)
        #expect(reporter.update(records: 0, elapsed: .zero) == "\r0 records")
        #expect(reporter.update(records: 12_345, elapsed: .milliseconds(2703)) == "\r12,345 records  4,567/s")
        #expect(reporter.update(records: 12_400, elapsed: .milliseconds(2750)) == nil)
        #expect(
            reporter.update(records: 12_500, failed: 2, elapsed: .milliseconds(2803))
                == "\r12,500 records  4,460/s  2 failed")
        #expect(reporter.update(records: 12_600, elapsed: .seconds(3)) == "\r12,600 records  4,200/s          ")
        #expect(reporter.finish(records: 12_600, elapsed: .seconds(3)) == "\r12,600 records in 3.0s  4,200/s\n")
    }

    @Test("an interruption clears a drawn terminal line so that a message starts a line of its own")
    func interruption() {
        var terminal = ProgressReporter(style: .terminal)
        #expect(terminal.interruption() == "", "nothing drawn yet")
        _ = terminal.update(records: 12_345, elapsed: .milliseconds(2703))
        #expect(terminal.interruption() == "\r" + String(repeating: " ", count: 23) + "\r")
        #expect(terminal.interruption() == "", "already cleared")
        #expect(terminal.finish(records: 7, elapsed: .seconds(1)) == "\r7 records in 1.0s  7/s\n")
        var plain = ProgressReporter(style: .plain)
        _ = plain.update(records: 50_000, elapsed: .seconds(10))
        #expect(plain.interruption() == "", "plain lines end in a newline already")
    }

    @Test("a plain line is written every interval, never redrawn")
    func plain() {
        var reporter = ProgressReporter(style: .plain)
        #expect(reporter.update(records: 5_000, elapsed: .seconds(1)) == nil)
        #expect(reporter.update(records: 50_000, elapsed: .seconds(10)) == "50,000 records in 10.0s  5,000/s\n")
        #expect(reporter.update(records: 60_000, elapsed: .seconds(15)) == nil)
        #expect(reporter.update(records: 1, elapsed: .seconds(20)) == "1 record in 20.0s  0/s\n")
        #expect(reporter.finish(records: 7, failed: 1, elapsed: .zero) == "7 records in 0.0s  1 failed\n")
    }

    @Test("with a known total, lines say how far along and how long is left; failed records count as done")
    func total() {
        var terminal = ProgressReporter(style: .terminal, total: 50_000)
        #expect(terminal.update(records: 0, elapsed: .zero) == "\r0 of 50,000 records (0%)")
        #expect(
            terminal.update(records: 12_000, failed: 500, elapsed: .seconds(5))
                == "\r12,000 of 50,000 records (25%)  2,400/s  500 failed  15.0s left")
        #expect(
            terminal.finish(records: 49_500, failed: 500, elapsed: .seconds(20))
                == "\r" + String(repeating: " ", count: 63) + "\r49,500 records in 20.0s  2,475/s  500 failed\n")
        var plain = ProgressReporter(style: .plain, total: 1)
        #expect(plain.update(records: 1, elapsed: .seconds(10)) == "1 of 1 record (100%) in 10.0s  0/s\n")
        var empty = ProgressReporter(style: .plain, total: 0)
        #expect(empty.update(records: 0, elapsed: .seconds(10)) == "0 of 0 records (100%) in 10.0s  0/s\n")
    }
}

@Suite("YAML output")
struct YAMLTextTests {
    @Test("objects, arrays of objects, nested arrays and empty containers in block style")
    func structure() throws {
        let json = #"{"a":{"b":[{"c":1,"d":[true,null]},[]],"e":{}},"f":[[1,2],"x"]}"#
        let yaml = try #require(YAMLText.from(json: json))
        #expect(
            yaml == """
                a:
                  b:
                  - c: 1
                    d:
                    - true
                    - null
                  - []
                  e: {}
                f:
                -
                  - 1
                  - 2
                - x

                """, "\(yaml)")
    }

    @Test(
        "a string is plain only when YAML reads it back the same",
        arguments: [
            ("acme", "acme"), ("Zoë Müller", "Zoë Müller"), ("li@example.com", "li@example.com"),
            ("", #""""#), ("yes", #""yes""#), ("No", #""No""#), ("null", #""null""#), ("~", #""~""#),
            ("1", #""1""#), ("0x1F", #""0x1F""#), ("2026-02-01T09:00:00Z", #""2026-02-01T09:00:00Z""#),
            ("01a23c67-ca40", #""01a23c67-ca40""#), ("-dash", #""-dash""#), ("a: b", #""a: b""#),
            ("a #b", #""a #b""#), ("ends:", #""ends:""#), (" lead", #"" lead""#), ("trail ", #""trail ""#),
            ("[x]", #""[x]""#), ("a,b", #""a,b""#), ("line\nbreak", #""line\nbreak""#), ("tab\there", #""tab\there""#),
            ("quote\"back\\", #""quote\"back\\""#), ("bell\u{7}", #""bell\u0007""#),
            ("sep\u{2028}", #""sep\u2028""#), ("*alias", #""*alias""#), ("&anchor", #""&anchor""#),
            ("!tag", #""!tag""#), (".5", #"".5""#), ("+1", #""+1""#),
        ])
    func strings(_ text: String, _ expected: String) {
        #expect(YAMLText.string(text) == expected)
    }

    @Test("numbers keep their literal; a top-level scalar is one line; text that is not JSON gives nil")
    func scalars() {
        #expect(
            YAMLText.from(json: #"{"num":-1.5e3,"big":"18446744073709551615"}"#)
                == "num: -1.5e3\nbig: \"18446744073709551615\"\n")
        #expect(YAMLText.from(json: "\"x\"") == "x\n")
        #expect(YAMLText.from(json: "{}") == "{}\n")
        #expect(YAMLText.from(json: "{") == nil)
    }
}
