import ArgumentParser
import Foundation
import InterviewsClient
import InterviewsJSON
import InterviewsModel

/// `interviews import` (and `interviews upsert`): JSON lines in, upserts by remote_id in batches.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import JSON lines (ours, or Merge/Kombo/Truto/Bindbee/platform records), upserting by remote_id.",
        discussion: """
            Each line is one record. Vendor records are mapped to an Interview; the source payload is kept \
            in remote_data and the vendor's id becomes remote_id. Lines of our own export without a remote_id \
            are created, idempotently (request id "import-<id>"). A line with deletedAt (export \
            --include-deleted) is stored deleted, and an import never brings a deleted record back: \
            a record deleted here stays deleted when a line with its remote_id is imported again. A bad line is reported with its number; \
            --on-error decides whether the import skips it or stops (exit status 65) — never silently.

            Examples:
              interviews export > all.jsonl && interviews import --file all.jsonl
              interviews import --format kombo < kombo.jsonl
              interviews import --envelope --file merge-page.json --on-error abort
              interviews import --format kombo --dry-run --output jsonl < kombo.jsonl | jq .title
            """)

    /// What a bad line does.
    enum OnError: String, ExpressibleByArgument, CaseIterable { case skip, abort }

    @OptionGroup var client: ClientOptions
    @OptionGroup var tenant: CompanyOption
    @Option(
        name: [.customShort("f"), .long],
        help: "The input file, read as a stream (a FIFO or /dev/fd/N works; '-' or omitted: standard input).")
    var file: String = "-"
    @Option(
        help: "auto (default), ours, merge, kombo, truto, bindbee or platform.",
        completion: .list(ImportFormat.allCases.map(\.rawValue)))
    var format: String = "auto"
    @Flag(
        help: """
            The input is one JSON document holding a list, not JSON lines: an array, or a list response \
            (Merge results, Kombo data.results, Truto result, Bindbee items, the platform's data, our Page's \
            interviews).
            """)
    var envelope = false
    @Option(
        help: """
            skip (report the bad line and go on; the exit status is then 65 unless --allow-skipped) or abort (stop at \
            the first bad line: the lines before it stay imported, so it is not all-or-nothing).
            """)
    var onError: OnError = .skip
    @Flag(help: "Exit 0 when lines were skipped with --on-error skip (by default a skipped line makes it 65).")
    var allowSkipped = false
    @Option(help: "Records per UpsertInterviews call (1...1000).") var batchSize: Int = 500
    @Flag(
        help: """
            Map and check every record, store nothing, and say what an import would do; no server or key is \
            needed. With --output jsonl the mapped records are printed in our format.
            """)
    var dryRun = false

    func validate() throws {
        try client.refuseRecordFormats("import")
        guard ImportFormat(rawValue: format) != nil else {
            throw ValidationError(
                "--format: \"\(format)\" is not one of \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard (1...1_000).contains(batchSize) else {
            throw ValidationError("--batch-size: \(batchSize) is out of range; must be 1...1000")
        }
    }

    func run() async throws {
        if dryRun {
            try await runReportingErrors { try checkOnly() }
            return
        }
        try await runReportingErrors {
            try await client.withConnection(defaultTimeout: .seconds(300)) { connection in
                let input = try readInput()
                let all = try records(in: input)
                var importer = BatchImporter(
                    connection: connection, company: tenant.company, format: ImportFormat(rawValue: format) ?? .auto,
                    onError: onError, batchSize: batchSize, position: envelope ? "record" : "line", total: all.count)
                do {
                    for record in all {
                        try await importer.add(Array(record.bytes), line: record.line)
                    }
                    try await importer.finish()
                } catch {
                    importer.interrupt()
                    throw error
                }
                if let output = client.output, output != .table {
                    emitDocument(Self.report(importer), output)
                }
                if importer.failed > 0 {
                    writeStandardError("\(importer.failed) \(importer.position)(s) skipped; see the errors above\n")
                    if !allowSkipped { throw ExitCode(ExitStatus.forCode(.invalidArgument)) }
                }
            }
        }
    }

    /// `--dry-run`: every record mapped and checked as the import would
    /// (the checks made before anything is sent), nothing sent.
    private func checkOnly() throws {
        let input = try readInput()
        let importFormat = ImportFormat(rawValue: format) ?? .auto
        var upserts = 0
        var creates = 0
        var errors: [(line: Int, message: String)] = []
        let position = envelope ? "record" : "line"
        for record in try records(in: input) {
            let interview: Interview
            do {
                interview = try InterviewImporter.importRecord(
                    Array(record.bytes), format: importFormat, ignoringUnknownFields: true
                ).interview
                try InterviewValidation.validate(interview)
            } catch {
                let message =
                    (error as? JSONDecodingError)?.message ?? (error as? InterviewsError)?.message ?? "\(error)"
                errors.append((record.line, message))
                writeStandardError("\(position) \(record.line): \(message)\n")
                if onError == .abort {
                    writeStandardError("dry run: stopped at \(position) \(record.line); nothing was stored\n")
                    throw CLIError(.invalidArgument, "\(position) \(record.line): \(message)")
                }
                continue
            }
            if interview.remoteID.isEmpty { creates += 1 } else { upserts += 1 }
            if client.output == .jsonl { emit(interview.protoJSON) }
        }
        if client.output == .json || client.output == .yaml {
            let object: [String: Any] = [
                "dryRun": true, "valid": upserts + creates, "upserts": upserts, "creates": creates,
                "failed": errors.count,
                "errors": errors.map { ["line": $0.line, "message": $0.message] as [String: Any] },
            ]
            emitDocument(jsonText(object), client.output)
        }
        writeStandardError(
            "dry run: \(upserts + creates) record(s) would be imported (\(upserts) upserted by remote_id, \(creates) "
                + "created), \(errors.count) \(position)(s) would be skipped; nothing was stored\n")
        if !errors.isEmpty && !allowSkipped { throw ExitCode(ExitStatus.forCode(.invalidArgument)) }
    }

    /// The machine-readable report of `--output json|jsonl`: counts and
    /// every bad line, `{"imported":N,"failed":M,"errors":[{"line":L,"message":"..."}]}`.
    static func report(_ importer: BatchImporter) -> String {
        let object: [String: Any] = [
            "imported": importer.imported, "failed": importer.failed,
            "errors": importer.errors.map { ["line": $0.line, "message": $0.message] as [String: Any] },
        ]
        return jsonText(object)
    }

    /// The records of `input` and their numbers: line numbers, or with
    /// --envelope positions in the list; blank lines are skipped.
    private func records(in input: [UInt8]) throws -> [(line: Int, bytes: ArraySlice<UInt8>)] {
        if envelope {
            do throws(JSONDecodingError) {
                return try JSONEnvelope.records(in: input, format: ImportFormat(rawValue: format) ?? .auto).enumerated()
                    .map { ($0.offset + 1, $0.element[...]) }
            } catch {
                throw CLIError(.invalidArgument, "\(file == "-" ? "standard input" : file): \(error.message)")
            }
        }
        return input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
            .map { ($0.offset + 1, $0.element) }
            .filter { !$0.bytes.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } }
    }

    private func readInput() throws -> [UInt8] {
        if file == "-", isatty(STDIN_FILENO) != 0 {
            writeAll(
                STDERR_FILENO,
                "reading JSON lines from the terminal; end with Ctrl-D (or give --file PATH, or pipe them in)\n")
        }
        return try InputFile.read(file, option: "--file")
    }
}

/// Sends imported records in batches and reports progress and failures by line number.
///
/// A line is bad when it is not JSON, does not map to an Interview, or breaks
/// a limit (``InterviewValidation``, the checks the server makes); all of
/// that is found here, in line order. With `--on-error abort` the lines
/// before a bad one are sent and nothing after it. Only a refusal the server
/// alone can make (say, a storage error) is found after its batch was sent;
/// the report then says how many lines after it were imported.
struct BatchImporter {
    let connection: InterviewsClient
    let company: String
    let format: ImportFormat
    let onError: Import.OnError
    let batchSize: Int
    /// What a record's number counts: "line" in JSON lines, "record" in a
    /// list document (--envelope), where records span many lines.
    let position: String
    private(set) var imported = 0
    private(set) var failed = 0
    /// Every bad line: its number and why.
    private(set) var errors: [(line: Int, message: String)] = []
    private var pending: [(line: Int, interview: Interview)] = []
    private var reporter: ProgressReporter
    private let start = ContinuousClock.now

    init(
        connection: InterviewsClient, company: String, format: ImportFormat, onError: Import.OnError, batchSize: Int,
        position: String, total: Int? = nil
    ) {
        reporter = ProgressReporter(style: isatty(STDERR_FILENO) != 0 ? .terminal : .plain, total: total)
        self.connection = connection
        self.company = company
        self.format = format
        self.onError = onError
        self.batchSize = batchSize
        self.position = position
    }

    mutating func add(_ record: [UInt8], line: Int) async throws {
        let interview: Interview
        do {
            interview = try InterviewImporter.importRecord(
                record, format: format, ignoringUnknownFields: true
            ).interview
            try InterviewValidation.validate(interview)
        } catch let error as JSONDecodingError {
            try await fail(line: line, error.message)
            return
        } catch let error as InterviewsError {
            try await fail(line: line, error.message)
            return
        }
        if interview.remoteID.isEmpty {
            try await flush()
            do {
                let created = try await connection.create(
                    CreateInterviewRequest(
                        companyID: company, interview: interview,
                        requestID: interview.id.isEmpty ? "" : "import-\(interview.id)"))
                // A deleted line stays deleted (a retry finds it so already).
                if interview.deletedAt != nil, created.deletedAt == nil {
                    _ = try await connection.delete(
                        DeleteInterviewRequest(
                            companyID: company, id: created.id, expectedRevision: created.revision))
                }
                imported += 1
            } catch { try await fail(line: line, "\(error.code): \(error.message)") }
            return
        }
        pending.append((line, interview))
        if pending.count >= batchSize { try await flush() }
        report()
    }

    mutating func finish() async throws {
        try await flush()
        writeStandardError(reporter.finish(records: imported, failed: failed, elapsed: ContinuousClock.now - start))
    }

    private mutating func flush() async throws {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        let response = try await connection.upsert(
            UpsertInterviewsRequest(companyID: company, interviews: batch.map(\.interview)))
        var refusal: (line: Int, message: String)?
        var importedAfterRefusal = 0
        for result in response.results {
            if result.outcome != .error {
                imported += 1
                if refusal != nil { importedAfterRefusal += 1 }
                continue
            }
            let line = Int(result.index) < batch.count ? batch[Int(result.index)].line : 0
            let message = "\(StatusCode(rawValue: result.errorCode)): \(result.errorMessage)"
            if onError == .abort {
                if refusal == nil { refusal = (line, message) }
            } else {
                try await fail(line: line, message)
            }
        }
        if let refusal {
            try stop(at: refusal.line, refusal.message, importedAfter: importedAfterRefusal)
        }
        report()
    }

    /// Reports bad line `line`; with `--on-error abort`, sends the lines
    /// before it and stops.
    private mutating func fail(line: Int, _ message: String) async throws {
        failed += 1
        errors.append((line, message))
        if onError == .abort {
            try await flush()
            try stop(at: line, message, importedAfter: 0)
        }
        writeStandardError(reporter.interruption() + "\(position) \(line): \(message)\n")
    }

    private mutating func stop(at line: Int, _ message: String, importedAfter: Int) throws -> Never {
        var summary = "imported \(imported - importedAfter) record(s) before \(position) \(line)"
        if importedAfter > 0 { summary += " and \(importedAfter) after it, sent in the same batch" }
        writeStandardError(reporter.interruption() + summary + "\n")
        throw CLIError(.invalidArgument, "\(position) \(line): \(message)")
    }

    /// Clears the progress line before an error is reported.
    mutating func interrupt() {
        writeStandardError(reporter.interruption())
    }

    private mutating func report() {
        if let text = reporter.update(records: imported, failed: failed, elapsed: ContinuousClock.now - start) {
            writeStandardError(text)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// `interviews upsert`: JSON lines of our own format, created or updated by remote_id.
struct Upsert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or update interviews by remote_id from JSON lines in our format.",
        discussion: """
            Like `interviews import --format ours`, and prints each result by its line number. When a \
            line fails (it does not parse, or the server refuses it), the others still apply and the exit \
            status is that of the first failure's class (e.g. 65). At most 1000 records (use import for more).

            Examples:
              echo '{"remoteId":"gh-1","title":"Onsite"}' | interviews upsert
              interviews upsert --file batch.jsonl --output json
            """)

    @OptionGroup var client: ClientOptions

    func validate() throws { try client.refuseRecordFormats("upsert") }

    @OptionGroup var tenant: CompanyOption
    @Option(
        name: [.customShort("f"), .long],
        help: "The input file, read as a stream (a FIFO or /dev/fd/N works; '-' or omitted: standard input).")
    var file: String = "-"

    func run() async throws {
        try await runReportingErrors {
            let input = try InputFile.read(file, option: "--file")
            var interviews: [Interview] = []
            var lines: [Int] = []
            /// Lines that do not parse: their number and why.
            var unparsed: [(line: Int, message: String)] = []
            var line = 0
            for slice in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                line += 1
                if slice.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                do throws(JSONDecodingError) {
                    interviews.append(try ProtoJSON.decodeInterview(Array(slice)).interview)
                    lines.append(line)
                } catch { unparsed.append((line, error.message)) }
            }
            guard interviews.count <= 1_000 else {
                throw CLIError(.invalidArgument, "\(interviews.count) records; upsert takes at most 1000 (use import)")
            }
            try await client.withConnection { connection in
                let response =
                    interviews.isEmpty
                    ? UpsertInterviewsResponse()
                    : try await connection.upsert(
                        UpsertInterviewsRequest(companyID: tenant.company, interviews: interviews))
                func lineOf(_ result: UpsertResult) -> Int {
                    Int(result.index) < lines.count ? lines[Int(result.index)] : 0
                }
                switch client.format {
                case .json, .yaml: emitDocument(response.protoJSON, client.format)
                case .jsonl: for r in response.results { emit(r.protoJSON) }
                case .table, .wide, .csv:
                    var rows: [(line: Int, text: String)] = unparsed.map {
                        ($0.line, "\($0.line)\tERROR\t\tINVALID_ARGUMENT: \($0.message)")
                    }
                    for r in response.results {
                        let error = r.outcome == .error ? "\(StatusCode(rawValue: r.errorCode)): \(r.errorMessage)" : ""
                        rows.append((lineOf(r), "\(lineOf(r))\t\(r.outcome)\t\(r.interview?.id ?? "")\t\(error)"))
                    }
                    if !client.noHeaders { emit("LINE\tOUTCOME\tID\tERROR") }
                    for row in rows.sorted(by: { $0.line < $1.line }) { emit(row.text) }
                }
                var failures = unparsed.map { (line: $0.line, code: StatusCode.invalidArgument, message: $0.message) }
                for r in response.results where r.outcome == .error {
                    failures.append((lineOf(r), StatusCode(rawValue: r.errorCode), r.errorMessage))
                }
                failures.sort { $0.line < $1.line }
                if let first = failures.first {
                    throw CLIError(
                        first.code,
                        "\(failures.count) of \(unparsed.count + response.results.count) record(s) failed, the first "
                            + "on line \(first.line): \(first.message)")
                }
            }
        }
    }
}
