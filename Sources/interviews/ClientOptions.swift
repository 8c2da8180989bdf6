import ArgumentParser
import Foundation
import InterviewsClient
import InterviewsJSON
import InterviewsModel
import RPCCore
import RPCUnixSocket

/// How a client command reaches the server and prints what comes back.
struct ClientOptions: ParsableArguments {
    /// Output formats.
    enum Output: String, ExpressibleByArgument, CaseIterable {
        case table, wide, json, jsonl, yaml, csv
    }

    @Option(
        name: .customLong("socket"),
        help: "The server's socket (default: $INTERVIEWS_SOCKET, the profile's, or the server's default).")
    var socketFlag: String?

    @Option(
        help: ArgumentHelp(
            "The profile of the config file to use (default: $INTERVIEWS_PROFILE, else [default] if the file has it).",
            valueName: "name"))
    var profile: String?

    /// The socket: --socket, else $INTERVIEWS_SOCKET, else the profile's,
    /// else the server's default.
    var socket: String {
        socketFlag ?? Defaults.environment("INTERVIEWS_SOCKET") ?? Profile.current?.socket ?? Defaults.socketPath
    }

    @Option(
        name: .long,
        help: "A file holding the API key (default: $INTERVIEWS_API_KEY). The key is never taken as an argument.")
    var apiKeyFile: String?

    @Option(
        name: .customLong("server-uid"),
        help: ArgumentHelp(
            "A uid besides yours and root's that the server may run as (default: $INTERVIEWS_SERVER_UID).",
            discussion:
                "Before sending anything (the API key included) the client checks which user the listening process runs as, and refuses any other.",
            valueName: "uid"))
    var serverUID: UInt32?

    @Option(
        help:
            "Seconds each call may take (1...3600; default 30, for import 300, for stream and export 86400; watch follows until Ctrl-C unless given, then ends with exit 0)."
    )
    var timeout: Int?

    @Option(
        name: [.customShort("o"), .long],
        help: """
            table (default on a terminal), json (one document), yaml (the same document as YAML), jsonl (one \
            record a line; default otherwise); for list, stream, get, create and update also wide (a table with \
            more columns) and csv.
            """)
    var output: Output?
    @Flag(help: "Leave the header line out of tables (for scripts reading table output).")
    var noHeaders = false

    /// `text`, a table whose first line is its header, without that line
    /// when --no-headers is given.
    func table(_ text: String) -> String {
        guard noHeaders else { return text }
        guard let newline = text.firstIndex(of: "\n") else { return "" }
        return String(text[text.index(after: newline)...])
    }

    /// Refuses `--output wide|csv` for a command that prints no interviews.
    func refuseRecordFormats(_ command: String) throws {
        if let output, output == .wide || output == .csv {
            throw ValidationError(
                "--output \(output.rawValue): \(command) prints no interviews; use table, json or jsonl "
                    + "(wide and csv are for list, stream, get, create and update)")
        }
    }

    /// Prints `interviews` as a table, wide table or CSV: `--fields` when
    /// given, else `table()` for a table and ``InterviewColumns/wide`` for the others.
    func printRows(_ interviews: [Interview], fields: [InterviewField]?, header: Bool = true, table: () -> String) {
        switch format {
        case .csv:
            writeAll(
                STDOUT_FILENO,
                InterviewColumns.csv(interviews, fields ?? InterviewColumns.wide, header: header && !noHeaders))
        case .wide:
            emitLines(self.table(InterviewColumns.table(interviews, fields ?? InterviewColumns.wide)))
        case .table:
            emitLines(fields.map { self.table(InterviewColumns.table(interviews, $0)) } ?? table())
        case .json, .jsonl, .yaml:
            break
        }
    }

    func validate() throws {
        try Profile.load(named: profile)
        if let timeout, !(1...3_600).contains(timeout) {
            throw ValidationError("--timeout: \(timeout) is out of range; must be 1...3600")
        }
    }

    /// The output format in effect.
    var format: Output { output ?? Profile.current?.output ?? (isatty(STDOUT_FILENO) != 0 ? .table : .jsonl) }

    /// The API key from --api-key-file or $INTERVIEWS_API_KEY, if any.
    func apiKey() throws -> String? {
        if let apiKeyFile {
            let text = String(decoding: try InputFile.read(apiKeyFile, option: "--api-key-file"), as: UTF8.self)
            let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw CLIError(.invalidArgument, "--api-key-file: \(apiKeyFile) is empty") }
            return key
        }
        if let key = Defaults.environment("INTERVIEWS_API_KEY") { return key }
        guard let profile = Profile.current, let file = profile.apiKeyFile else { return nil }
        let option = "api-key-file of profile \(profile.name)"
        let key = String(decoding: try InputFile.read(file, option: option), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw CLIError(.invalidArgument, "\(option): \(file) is empty") }
        return key
    }

    /// The uid the server may run as besides the user's own and root's:
    /// `--server-uid`, else `$INTERVIEWS_SERVER_UID`, else none.
    func trustedServerUIDs() throws -> Set<UInt32> {
        if let serverUID { return [serverUID] }
        guard let text = Defaults.environment("INTERVIEWS_SERVER_UID") else { return [] }
        guard let uid = UInt32(text.trimmingCharacters(in: .whitespaces)) else {
            throw CLIError(.invalidArgument, "INTERVIEWS_SERVER_UID: \"\(text)\" is not a uid (a number such as 1000)")
        }
        return [uid]
    }

    /// Connects to the server, runs `body` with the connection and closes it.
    ///
    /// - Parameter defaultTimeout: each call's deadline unless `--timeout` is given.
    /// - Throws: what `body` throws; `UNAVAILABLE` when no server listens.
    ///   When no key was given and the server asks for one, the error says
    ///   how to give one.
    func withConnection(
        defaultTimeout: Duration = .seconds(30), _ body: (InterviewsClient) async throws -> Void
    ) async throws {
        if socket == Defaults.privateSocketPath {
            try PrivateDirectory.check(Defaults.privateSocketDirectory, missingIsFine: true)
        }
        let key = try apiKey()
        var configuration = RPCClientConfiguration()
        configuration.trustedServerUIDs = try trustedServerUIDs()
        let connection = try await InterviewsClient.connect(
            to: socket, apiKey: key, timeout: timeout.map { .seconds($0) } ?? defaultTimeout,
            configuration: configuration)
        do {
            try await body(connection)
        } catch let error as any StatusError where error.code == .unauthenticated && key == nil {
            await connection.close()
            throw CLIError(
                .unauthenticated,
                "no API key given; set INTERVIEWS_API_KEY or use --api-key-file (`interviews keys create` makes one)")
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }
}

/// The company a data command acts for.
struct CompanyOption: ParsableArguments {
    @Option(
        name: [.customLong("company")],
        help: "The company to act for (required with a partner key; default: the profile's).")
    var companyFlag: String?

    /// --company, else the profile's company, else none.
    var company: String { companyFlag ?? Profile.current?.company ?? "" }
}

/// An error the CLI reports itself, with a status code for its exit status.
struct CLIError: StatusError {
    var code: StatusCode
    var message: String

    init(_ code: StatusCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Exit statuses, one per class of failure (sysexits.h numbers).
enum ExitStatus {
    /// Bad flags or arguments (ArgumentParser's own).
    static let usage: Int32 = 64
    /// The server refused the input: INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS, OUT_OF_RANGE, ABORTED.
    static let invalidArgument: Int32 = 65
    /// NOT_FOUND.
    static let notFound: Int32 = 66
    /// UNAVAILABLE: no server, or it is stopping.
    static let unavailable: Int32 = 69
    /// INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED and anything else.
    static let software: Int32 = 70
    /// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED: try again later.
    static let temporary: Int32 = 75
    /// UNAUTHENTICATED, PERMISSION_DENIED.
    static let auth: Int32 = 77

    static func forCode(_ code: StatusCode) -> Int32 {
        switch code {
        case .invalidArgument, .failedPrecondition, .alreadyExists, .outOfRange, .aborted: invalidArgument
        case .notFound: notFound
        case .unavailable: unavailable
        case .deadlineExceeded, .resourceExhausted, .cancelled: temporary
        case .unauthenticated, .permissionDenied: auth
        default: software
        }
    }
}

/// Runs a client command's body and turns its failure into `error: <CODE>: <message>`
/// on standard error and the exit status of its class.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as any StatusError {
        var message = error.message
        if error.code == .unavailable, message.hasPrefix("no server at ") {
            message +=
                "; start one with `interviews serve`, or point --socket (or INTERVIEWS_SOCKET) at a running server's socket"
        }
        writeAll(STDERR_FILENO, "error: \(error.code): \(message)\n")
        throw ExitCode(ExitStatus.forCode(error.code))
    }
}

/// A JSON object of the CLI's own (not a proto message) on one line, keys
/// sorted: strings, numbers, arrays and objects of them.
func jsonText(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

/// Prints one JSON document (`--output json`): indented by two spaces when
/// standard output is a terminal, as it came (one line) when piped.
func emitJSON(_ text: String) {
    emit(isatty(STDOUT_FILENO) != 0 ? JSONIndent.pretty(text) : text)
}

/// Prints one document: as YAML for `--output yaml`, as JSON for `--output
/// json` (``emitJSON(_:)``), else on one line.
func emitDocument(_ json: String, _ format: ClientOptions.Output?) {
    switch format {
    case .yaml: emitLines(YAMLText.from(json: json) ?? json)
    case .json: emitJSON(json)
    default: emit(json)
    }
}

/// Indents compact JSON for people to read, changing no token: a newline
/// and two spaces per level after `{`, `[` and `,`, a space after `:`;
/// empty objects and arrays stay `{}` and `[]`. Text that is not JSON
/// comes out with whitespace added but nothing lost.
enum JSONIndent {
    static func pretty(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 2)
        var depth = 0
        var inString = false
        var escaped = false
        let bytes = Array(text.utf8)
        func newline() {
            output.append(UInt8(ascii: "\n"))
            output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
        }
        for (index, byte) in bytes.enumerated() {
            if inString {
                output.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                output.append(byte)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                output.append(byte)
                let next = index + 1 < bytes.count ? bytes[index + 1] : 0
                if next == UInt8(ascii: "}") || next == UInt8(ascii: "]") { continue }
                depth += 1
                newline()
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                let previous = index > 0 ? bytes[index - 1] : 0
                if previous != UInt8(ascii: "{") && previous != UInt8(ascii: "[") {
                    depth = max(0, depth - 1)
                    newline()
                }
                output.append(byte)
            case UInt8(ascii: ","):
                output.append(byte)
                newline()
            case UInt8(ascii: ":"):
                output.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                continue
            default:
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Prints a line to standard output. When the reader has gone (`interviews export | head`),
/// the command ends quietly with status 0, as a pipeline expects.
func emit(_ text: String) {
    writeAll(STDOUT_FILENO, text + "\n")
}

/// Prints text made of whole lines, such as a table, whose last newline may
/// already be there: it is never doubled into an empty line.
func emitLines(_ text: String) {
    guard !text.isEmpty else { return }
    writeAll(STDOUT_FILENO, text.hasSuffix("\n") ? text : text + "\n")
}

/// Writes all of `text` to `fd`, retrying short writes; a closed pipe ends the process quietly.
func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { exit(0) }
                return
            }
            offset += n
        }
    }
}

/// Prints one message in the chosen format; `table` renders it for people.
func emit(_ message: some ProtoJSONEncodable, format: ClientOptions.Output, table: () -> String) {
    switch format {
    case .table, .wide, .csv: emitLines(table())
    case .json, .yaml, .jsonl: emitDocument(message.protoJSON, format)
    }
}

/// `--fields`: which of each interview's fields to show.
struct FieldsOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            """
            Fields to show, comma-separated, snake_case or JSON names (id,title,start_at): the columns of \
            a table or CSV, the keys of JSON (id is always kept).
            """, valueName: "fields"),
        transform: FlagValue.fields)
    var fields: [InterviewField]?

    /// `interview` with only the chosen fields (and id), or whole.
    func shown(_ interview: Interview) -> Interview { Self.shown(interview, fields) }

    /// `interview` with only `fields` (and id), or whole when nil.
    static func shown(_ interview: Interview, _ fields: [InterviewField]?) -> Interview {
        fields.map { interview.keeping(Set($0)) } ?? interview
    }
}

/// Parsers for flag values that ArgumentParser cannot read by itself. Each
/// runs while the command line is parsed, so a bad value is a usage error
/// (exit status 64) before any connection is made, reported as
/// `The value 'x' is invalid for '--flag <flag>': <what is allowed>`.
enum FlagValue {
    /// A time: an RFC 3339 timestamp (`2026-01-31T09:00:00Z`), a date
    /// (`2026-01-31`, midnight UTC), `now`, or a duration before now (`90m`,
    /// `1h30m`, `2d`, `1w`) or after it (`+2h`).
    static func timestamp(_ value: String) throws -> Timestamp {
        try timestamp(value, now: .now())
    }

    /// ``timestamp(_:)`` with durations counted from `now`.
    static func timestamp(_ value: String, now: Timestamp) throws -> Timestamp {
        if let t = RFC3339.parse(value) { return t }
        if let t = RFC3339.parse(value + "T00:00:00Z"), value.utf8.count == 10 { return t }
        if value == "now" { return now }
        let ahead = value.hasPrefix("+")
        if let seconds = duration(ahead ? String(value.dropFirst()) : value) {
            let t = Timestamp(seconds: ahead ? now.seconds + seconds : now.seconds - seconds, nanos: now.nanos)
            guard t.isValid else {
                throw ValidationError("\"\(value)\" from now is outside 0001-01-01...9999-12-31")
            }
            return t
        }
        throw ValidationError(
            "\"\(value)\" is not a time: give an RFC 3339 timestamp (2026-01-31T09:00:00Z), a date (2026-01-31, "
                + "midnight UTC), now, or a duration before now (90m, 1h30m, 2d, 1w; +2h for after now)")
    }

    /// Seconds in a duration of whole units, largest first (`1w2d3h4m5s`),
    /// or nil when `text` is not one or is beyond 10,000 years.
    private static func duration(_ text: String) -> Int64? {
        let units: [(Character, Int64)] = [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        var total: Int64 = 0
        var number = ""
        var nextUnit = 0
        for character in text {
            if character.isASCII, character.isNumber {
                number.append(character)
                continue
            }
            guard let index = units.firstIndex(where: { $0.0 == character }), index >= nextUnit,
                let count = Int64(number), count <= 10_000 * 366 * 86_400
            else { return nil }
            total += count * units[index].1
            guard total <= 10_000 * 366 * 86_400 else { return nil }
            number = ""
            nextUnit = index + 1
        }
        return number.isEmpty && nextUnit > 0 ? total : nil
    }

    /// A list of Interview fields, `id,title,start_at` or `id,startAt`, in
    /// the order given, each once.
    static func fields(_ value: String) throws -> [InterviewField] {
        var fields: [InterviewField] = []
        for name in value.split(separator: ",", omittingEmptySubsequences: false) {
            let name = name.trimmingCharacters(in: .whitespaces)
            guard
                let field = InterviewField.allCases.first(where: {
                    $0.rawValue == name || jsonName($0.rawValue) == name
                })
            else {
                let known = InterviewField.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("\"\(name)\" is not an Interview field; the fields are \(known)")
            }
            if !fields.contains(field) { fields.append(field) }
        }
        return fields
    }

    /// `snake_case` as proto3 JSON names it, `snakeCase`.
    private static func jsonName(_ snake: String) -> String {
        let words = snake.split(separator: "_")
        return words.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.capitalized }.joined()
    }

    /// A status: `scheduled`, `SCHEDULED`, `in-progress`, `INTERVIEW_STATUS_SCHEDULED` or a number.
    static func status(_ value: String) throws -> InterviewStatus {
        let upper = value.uppercased().replacingOccurrences(of: "-", with: "_")
        if let n = Int32(value), let s = InterviewStatus(rawValue: n) { return s }
        if let s = InterviewStatus.allCases.first(where: {
            $0.protoName == upper || $0.protoName == "INTERVIEW_STATUS_" + upper
        }) {
            return s
        }
        throw ValidationError("\"\(value)\" is not one of \(statusNames.joined(separator: ", "))")
    }

    /// The statuses' short names (`scheduled`, `in_progress`, ...), for
    /// messages and shell completion.
    static let statusNames = InterviewStatus.allCases.map {
        $0.protoName.replacingOccurrences(of: "INTERVIEW_STATUS_", with: "").lowercased()
    }

    /// A custom field, `key=value` (the value may be empty, the key may not).
    static func customField(_ pair: String) throws -> CustomField {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
            throw ValidationError("\"\(pair)\" is not key=value")
        }
        return CustomField(key: String(pair[..<eq]), value: String(pair[pair.index(after: eq)...]))
    }
}

/// One `--custom key=value`.
struct CustomField {
    var key: String
    var value: String
}
