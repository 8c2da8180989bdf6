import Foundation
import Testing

/// Runs commands on a pseudo-terminal made by util-linux `script`, as a person at a terminal would.
enum Terminal {
    static let script = "/usr/bin/script"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: script) }

    /// `text` quoted for `sh`.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Runs `interviews arguments...` with standard input, output and error on
    /// a terminal `columns` wide. The result's stdout is everything the
    /// terminal showed (output and errors interleaved), newlines not turned
    /// into CRLF.
    static func run(
        _ arguments: [String], columns: Int = 100, environment: [String: String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandResult {
        let executable = try CommandLineTool.path(sourceLocation: sourceLocation)
        let command =
            "stty cols \(columns) rows 40 -onlcr; exec "
            + ([executable] + arguments).map(quoted).joined(separator: " ")
        return try await CommandLineTool.run(
            executable: script, ["-qec", command, "/dev/null"], environment: environment,
            sourceLocation: sourceLocation)
    }

    /// Runs `interviews arguments...` with only standard error on a terminal
    /// (output to a file), and returns what the terminal showed.
    static func runWithStandardErrorOnTerminal(
        _ arguments: [String], output: String, environment: [String: String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandResult {
        let executable = try CommandLineTool.path(sourceLocation: sourceLocation)
        let command =
            "stty -onlcr; exec "
            + ([executable] + arguments).map(quoted).joined(separator: " ") + " > " + quoted(output)
        return try await CommandLineTool.run(
            executable: script, ["-qec", command, "/dev/null"], environment: environment,
            sourceLocation: sourceLocation)
    }
}

/// The number of terminal columns `line` takes (ASCII, "…" and CJK ideographs only).
func columns(_ line: String) -> Int {
    line.unicodeScalars.reduce(0) { $0 + ((0x4E00...0x9FFF).contains($1.value) ? 2 : 1) }
}

@Suite("On a terminal: tables that fit and a progress line", .runningServer(), .enabled(if: Terminal.available))
struct TerminalTests {
    func environment(_ tenant: Tenant) -> [String: String] {
        ["INTERVIEWS_SOCKET": tenant.server.socket, "INTERVIEWS_API_KEY": tenant.key, "TERM": "xterm"]
    }

    /// Lines fit the terminal; ids are never cut: at 80 columns REVISION,
    /// CANDIDATE and START give way first (InterviewTable.dropOrder).
    @Test("list prints a table by default, each line fitting the terminal's width", arguments: [80, 100, 132])
    func tableFits(_ width: Int) async throws {
        let acme = try await ServerProcess.current().newTenant()
        let first = try await acme.create(
            "--title", "Final round with the platform team about the distributed storage design",
            "--candidate", "candidate-with-a-rather-long-identifier-0001", "--status", "awaiting_feedback",
            "--start", "2026-02-01T09:00:00Z")
        let second = try await acme.create("--title", "東京オフィスでの最終面接と技術的な議論", "--candidate", "cand-2")
        let ids = try [first, second].map { try #require($0["id"] as? String) }
        let shown = try await Terminal.run(["list"], columns: width, environment: environment(acme))
        #expect(shown.status == 0, "\(shown)")
        let lines = shown.lines
        try #require(lines.count == 4, "\(shown)")
        #expect(lines[0].hasPrefix("ID "), "\(lines[0])")
        #expect(lines[3] == "2 matching")
        for line in lines {
            #expect(columns(line) <= width, "\(columns(line)) columns: \(line)")
            #expect(!line.contains("\r") && !line.contains("\u{1B}"), "no control characters: \(line.debugDescription)")
        }
        #expect(
            Set(lines[1...2].map { String($0.prefix { $0 != " " }) }) == Set(ids), "ids are never cut: \(lines)")
        if lines[0].hasSuffix(" REVISION") {
            let revisionEnd = lines[0].count
            #expect(lines[1].hasSuffix(" 1") && lines[1].count == revisionEnd, "REVISION is right-aligned")
        } else {
            #expect(width < 100, "REVISION gives way only on a narrow terminal: \(lines[0])")
        }
        if width < 120 { #expect(lines[1].contains("…"), "a cut cell ends with an ellipsis") }
    }

    @Test("import shows one progress line redrawn in place, ending in a summary")
    func importProgressOnTerminal() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let file = acme.server.directory.file("progress-\(acme.company).jsonl")
        let records = (0..<3_000).map { #"{"remoteId":"p-\#($0)","title":"T\#($0)"}"# }
        try Data(records.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        let shown = try await Terminal.run(
            ["import", "--file", file, "--batch-size", "100"], environment: environment(acme))
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.stdout.hasPrefix("\r"), "\(shown.stdout.debugDescription)")
        #expect(shown.stdout.contains("\r3,000 records in "), "\(shown.stdout.debugDescription)")
        #expect(shown.stdout.contains(" of 3,000 records ("), "the total is known: \(shown.stdout.debugDescription)")
        #expect(!shown.stdout.contains(" \n"), "the summary ends without trailing spaces")
        #expect(shown.stdout.hasSuffix("/s\n"), "\(shown.stdout.debugDescription)")
        #expect(shown.stdout.filter { $0 == "\n" }.count == 1, "one line, redrawn: \(shown.stdout.debugDescription)")
    }

    @Test("a bad line's report on a terminal starts a line of its own, not the end of the progress line")
    func importErrorOnTerminal() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let file = acme.server.directory.file("bad-line-\(acme.company).jsonl")
        let records = (0..<50).map { #"{"remoteId":"b-\#($0)","title":"T\#($0)"}"# } + [#"{"remoteId":"#]
        try Data(records.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        let shown = try await Terminal.run(
            ["import", "--file", file, "--batch-size", "1"], environment: environment(acme))
        #expect(shown.status == 65, "a skipped line fails the import: \(shown)")
        let report = try #require(shown.stdout.range(of: "line 51: "), "\(shown.stdout.debugDescription)")
        #expect(
            report.lowerBound == shown.stdout.startIndex
                || ["\r", "\n"].contains(shown.stdout[shown.stdout.index(before: report.lowerBound)]),
            "\(shown.stdout.debugDescription)")
        #expect(shown.stdout.contains("\r50 records in "), "\(shown.stdout.debugDescription)")
    }

    @Test("import writes plain progress lines, without carriage returns, when standard error is a file")
    func importProgressToFile() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let records = (0..<100).map { #"{"remoteId":"p-\#($0)","title":"T\#($0)"}"# }
        let result = try await acme.run("import", input: records.joined(separator: "\n"))
        #expect(result.status == 0, "\(result)")
        #expect(!result.stderr.contains("\r"), "\(result.stderr.debugDescription)")
        #expect(result.stderr.hasPrefix("100 records in "), "\(result.stderr.debugDescription)")
        #expect(result.stderr.hasSuffix("\n"))
    }

    @Test("export shows its progress on the terminal while the records go to a file")
    func exportProgressOnTerminal() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let records = (0..<200).map { #"{"remoteId":"e-\#($0)","title":"T\#($0)"}"# }
        _ = try await acme.succeed("import", input: records.joined(separator: "\n"))
        let output = acme.server.directory.file("export-\(acme.company).jsonl")
        let shown = try await Terminal.runWithStandardErrorOnTerminal(
            ["export"], output: output, environment: environment(acme))
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.stdout.hasPrefix("\r"), "\(shown.stdout.debugDescription)")
        #expect(shown.stdout.contains("\r200 records in "), "\(shown.stdout.debugDescription)")
        let exported = try String(contentsOfFile: output, encoding: .utf8)
        #expect(exported.split(separator: "\n").count == 200)
    }

    @Test("export to the terminal itself shows whole record lines, never a progress line inside them")
    func exportToTerminal() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let records = (0..<200).map { #"{"remoteId":"t-\#($0)","title":"T\#($0)"}"# }
        _ = try await acme.succeed("import", input: records.joined(separator: "\n"))
        let shown = try await Terminal.run(["export"], environment: environment(acme))
        #expect(shown.status == 0, "\(shown)")
        #expect(!shown.stdout.contains("\r"), "\(shown.stdout.prefix(500).debugDescription)")
        let lines = shown.lines
        #expect(lines.last?.hasPrefix("200 records in ") == true, "the summary comes last: \(lines.last ?? "")")
        #expect(try lines.dropLast().map { try JSONObjects.object($0) }.count == 200)
    }

    @Test("an error on a terminal is one line on standard error")
    func errorOnTerminal() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let shown = try await Terminal.run(["get", "missing-id"], environment: environment(acme))
        #expect(shown.status == 66, "\(shown)")
        #expect(shown.stdout.hasPrefix("error: NOT_FOUND: "), "\(shown)")
        #expect(shown.lines.count == 1, "\(shown)")
    }
}

@Suite("Pipelines", .runningServer())
struct PipelineTests {
    @Test("export | head -n 1 ends quietly with status 0 when head stops reading")
    func closedPipe() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let records = (0..<5_000).map { #"{"remoteId":"h-\#($0)","title":"T\#($0)"}"# }
        _ = try await acme.succeed("import", input: records.joined(separator: "\n"))
        let executable = try CommandLineTool.path()
        let result = try await CommandLineTool.run(
            executable: "/bin/bash",
            ["-o", "pipefail", "-c", "\(Terminal.quoted(executable)) export 2>/dev/null | head -n 1"],
            environment: ["INTERVIEWS_SOCKET": acme.server.socket, "INTERVIEWS_API_KEY": acme.key])
        #expect(result.status == 0, "\(result)")
        #expect(result.lines.count == 1)
    }

    @Test("export --timeout bounds the export: a reader that stalls past it ends it with DEADLINE_EXCEEDED (exit 75)")
    func exportTimeout() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let records = (0..<3_000).map { #"{"remoteId":"d-\#($0)","title":"T\#($0)"}"# }
        _ = try await acme.succeed("import", input: records.joined(separator: "\n"))
        let executable = try CommandLineTool.path()
        // 3,000 records overfill the pipe, so export waits for the reader,
        // which sleeps well past the 1 s deadline.
        let result = try await CommandLineTool.run(
            executable: "/bin/bash",
            [
                "-o", "pipefail", "-c",
                "\(Terminal.quoted(executable)) export --timeout 1 | { sleep 3; cat > /dev/null; }",
            ],
            environment: ["INTERVIEWS_SOCKET": acme.server.socket, "INTERVIEWS_API_KEY": acme.key])
        #expect(result.status == 75, "\(result)")
        #expect(result.stderr.contains("error: DEADLINE_EXCEEDED: "), "\(result)")
    }

    @Test("--output json is indented on a terminal and one line through a pipe, the same document either way")
    func prettyJSONOnTerminal() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let record = try await acme.create(
            "--title", #"Quote " and {brace}, [bracket]: colon"#, "--custom", "empty=", "--candidate", "cand-1")
        let id = try #require(record["id"] as? String)
        try #require(Terminal.available, "util-linux script makes the terminal")
        let shown = try await Terminal.run(
            ["get", id, "--output", "json"],
            environment: ["INTERVIEWS_SOCKET": acme.server.socket, "INTERVIEWS_API_KEY": acme.key, "TERM": "xterm"])
        #expect(shown.status == 0, "\(shown)")
        let lines: [String] = shown.stdout.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        #expect(lines.first == "{", "\(shown.stdout)")
        #expect(lines.contains("  \"id\": \"\(id)\","), "\(shown.stdout)")
        let title = #"  "title": "Quote \" and {brace}, [bracket]: colon","#
        #expect(lines.contains(title), "\(shown.stdout)")
        let piped = try await acme.succeed("get", id, "--output", "json")
        #expect(piped.stdout.split(separator: "\n").count == 1, "\(piped.stdout)")
        let pretty = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? NSDictionary
        let compact = try JSONSerialization.jsonObject(with: Data(piped.stdout.utf8)) as? NSDictionary
        #expect(pretty != nil && pretty == compact)
    }
}
