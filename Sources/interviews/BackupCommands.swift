import ArgumentParser
import Foundation
import InterviewsClient
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsModel
import InterviewsService

/// `interviews backup DIR`: Admin/Backup, written into a new directory.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a running server's records and keys into a new directory (the server's user only).",
        discussion: """
            Takes a consistent copy while the server keeps serving and writing: every interview (deleted ones \
            included) byte for byte as stored, with its id and revision, the sequence of the newest change, the \
            remembered request ids, the page-token secret and the API keys (digests, never secrets), as of one \
            moment, durable changes only. DIR must not exist or be empty; it appears only once the backup is \
            complete and checked (written into DIR.partial-<pid> beside it, then renamed), each file synced to \
            disk. It holds store.secret, snapshot-<sequence>.snap, keys.json and backup.json (what it holds, \
            with sizes and CRC-32C checksums).

            The backup is a data directory: `interviews serve --data-dir DIR` serves it (and then writes to \
            it), or `interviews restore DIR --data-dir NEW` checks it and copies it into a new data directory, \
            leaving the backup as it was. A restored store gets a store epoch of its own: its history leaves \
            the original's after the backup, so watchers list again instead of resuming.

            Examples:
              interviews backup /var/backups/interviews/2026-12-03
              interviews backup ./backup --output json
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The directory to write: new, or empty.") var directory: String

    func validate() throws { try client.refuseRecordFormats("backup") }

    func run() async throws {
        try await runReportingErrors {
            let started = ContinuousClock.now
            let staged = try StagedDirectory(final: directory)
            let manifest: BackupManifest
            do {
                var writer = BackupWriter(directory: staged.staging)
                try await client.withConnection(defaultTimeout: .seconds(86_400)) { connection in
                    try await connection.backup { chunks in
                        for try await chunk in chunks { try writer.take(chunk) }
                    }
                }
                manifest = try writer.finish()
                try staged.commit()
            } catch {
                staged.discard()
                throw error
            }
            let elapsed = (ContinuousClock.now - started).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            if client.output == .json || client.output == .yaml || client.output == .jsonl {
                emitDocument(manifest.json(directory: directory), client.output)
            } else {
                emit(
                    "backup of \(manifest.interviews) interview(s) through sequence \(manifest.sequence) written to "
                        + "\(directory) (\(manifest.totalBytes) bytes in \(String(format: "%.1f", seconds)) s)")
            }
        }
    }
}

/// `interviews restore BACKUP --data-dir DIR`: a checked copy of a backup as a new data directory.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a backup and copy it into a new data directory (no server needed).",
        discussion: """
            Checks every file of the backup against backup.json (size, CRC-32C), copies them into DIR.partial-<pid> \
            beside the data directory, opens the copy as the server would (every record's checksum and encoding \
            checked, a new store epoch made), and only then renames it to the data directory. The data directory \
            must not exist or be empty: restore never replaces records. The backup is left as it was. Then start \
            the server on it: `interviews serve --data-dir DIR`.

            Examples:
              interviews restore /var/backups/interviews/2026-12-03 --data-dir /var/lib/interviews
              interviews restore ./backup --data-dir ./data --output json
            """)

    @Argument(help: "The backup directory (written by `interviews backup`).") var backup: String

    @Option(help: "The data directory to create: new, or empty (default: the server's default).")
    var dataDir: String = Defaults.dataDirectory

    @Option(name: [.customShort("o"), .long], help: "text (default) or json.")
    var output: ClientOptions.Output?

    func validate() throws {
        if let output, output != .json, output != .table {
            throw ValidationError("--output \(output.rawValue): restore prints text (table) or json")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let manifest = try BackupManifest.read(directory: backup)
            let staged = try StagedDirectory(final: dataDir)
            let epoch: UInt64
            do {
                for file in manifest.files {
                    try DurableFile.copy(from: backup + "/" + file.name, to: staged.staging + "/" + file.name, file)
                }
                try DurableFile.copy(
                    from: backup + "/" + BackupManifest.fileName, to: staged.staging + "/" + BackupManifest.fileName,
                    nil)
                _ = try KeyStore(directory: staged.staging)
                let repository = try FileInterviewRepository.open(directory: staged.staging)
                epoch = repository.storeEpoch
                let last = repository.recovery.lastSequence
                await repository.close()
                guard last == manifest.sequence else {
                    throw CLIError(
                        .dataLoss,
                        "\(backup): the records end at sequence \(last), backup.json says \(manifest.sequence)")
                }
                try staged.commit()
            } catch {
                staged.discard()
                throw error
            }
            if output == .json {
                emitDocument(
                    jsonText([
                        "dataDirectory": dataDir, "interviews": manifest.interviews, "sequence": manifest.sequence,
                        "storeEpoch": String(epoch),
                    ]), .json)
            } else {
                emit(
                    "restored \(manifest.interviews) interview(s) through sequence \(manifest.sequence) into \(dataDir) "
                        + "(new store epoch \(epoch)); start the server with `interviews serve --data-dir \(dataDir)`")
            }
        }
    }
}

/// What `backup.json` says: where the backup was taken and what each file holds.
struct BackupManifest {
    static let fileName = "backup.json"
    static let format = "interviews-backup"

    struct File {
        var name: String
        var bytes: Int64
        var crc32c: UInt32
    }

    var sequence: UInt64
    var interviews: UInt64
    var sourceStoreEpoch: UInt64
    var createdAt: String
    var files: [File]

    var totalBytes: Int64 { files.reduce(0) { $0 + $1.bytes } }

    /// The manifest as JSON (one line), with `directory` when given.
    func json(directory: String? = nil) -> String {
        var object: [String: Any] = [
            "format": Self.format, "version": 1, "sequence": sequence, "interviews": interviews,
            "sourceStoreEpoch": String(sourceStoreEpoch), "createdAt": createdAt,
            "files": files.map { ["name": $0.name, "bytes": $0.bytes, "crc32c": String($0.crc32c)] as [String: Any] },
        ]
        if let directory { object["directory"] = directory }
        return jsonText(object)
    }

    /// Reads and checks `directory/backup.json` and every file it lists.
    ///
    /// - Throws: FAILED_PRECONDITION when it is not a backup; DATA_LOSS when a
    ///   file is missing, has another size or checksum, or the snapshot is damaged.
    static func read(directory: String) throws -> BackupManifest {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError(
                .failedPrecondition,
                "\(directory) is not a backup: \(path) cannot be read (\(ErrnoDescription.current))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            object["format"] as? String == format, object["version"] as? Int == 1,
            let sequence = (object["sequence"] as? NSNumber)?.uint64Value,
            let interviews = (object["interviews"] as? NSNumber)?.uint64Value,
            let epoch = (object["sourceStoreEpoch"] as? String).flatMap({ UInt64($0) }),
            let list = object["files"] as? [[String: Any]]
        else {
            throw CLIError(.failedPrecondition, "\(path) is not a backup manifest of this version (format 1)")
        }
        var files: [File] = []
        for entry in list {
            guard let name = entry["name"] as? String, BackupWriter.isFileName(name, sequence: sequence),
                let bytes = (entry["bytes"] as? NSNumber)?.int64Value,
                let crc = (entry["crc32c"] as? String).flatMap({ UInt32($0) })
            else { throw CLIError(.failedPrecondition, "\(path): a file entry is not one a backup holds: \(entry)") }
            files.append(File(name: name, bytes: bytes, crc32c: crc))
        }
        guard Set(files.map(\.name)) == BackupWriter.fileNames(sequence: sequence), files.count == 3 else {
            throw CLIError(
                .failedPrecondition,
                "\(path) lists \(files.map(\.name)); a backup holds "
                    + BackupWriter.fileNames(sequence: sequence).sorted().joined(separator: ", "))
        }
        for file in files {
            let (bytes, crc) = try DurableFile.checksum(directory + "/" + file.name)
            guard bytes == file.bytes, crc == file.crc32c else {
                throw CLIError(
                    .dataLoss,
                    "\(directory)/\(file.name) is damaged: \(bytes) bytes with CRC-32C \(crc), backup.json says "
                        + "\(file.bytes) bytes with \(file.crc32c)")
            }
        }
        let snapshot = SnapshotEncoder.fileName(sequence: sequence)
        _ = try SnapshotEncoder.check(path: directory + "/" + snapshot)
        return BackupManifest(
            sequence: sequence, interviews: interviews, sourceStoreEpoch: epoch,
            createdAt: object["createdAt"] as? String ?? "", files: files)
    }
}

/// Writes the chunks of Admin/Backup into a directory as they arrive,
/// checking what the server sends: known names only, each file's chunks
/// consecutive, sizes within bounds.
struct BackupWriter {
    /// The longest keys.json accepted (10 000 keys of 1 000 companies fit well below).
    static let maxKeysFileBytes: Int64 = 256 << 20

    let directory: String
    private var header: BackupChunk?
    private var current: (name: String, fd: Int32, bytes: Int64, crc: CRC32C)?
    private var finished: [BackupManifest.File] = []

    init(directory: String) { self.directory = directory }

    /// The files a backup through `sequence` holds.
    static func fileNames(sequence: UInt64) -> Set<String> {
        ["store.secret", "keys.json", SnapshotEncoder.fileName(sequence: sequence)]
    }

    static func isFileName(_ name: String, sequence: UInt64) -> Bool { fileNames(sequence: sequence).contains(name) }

    /// Writes one chunk.
    mutating func take(_ chunk: BackupChunk) throws {
        if header == nil { header = chunk }
        let sequence = header?.sequence ?? 0
        guard Self.isFileName(chunk.file, sequence: sequence) else {
            throw CLIError(
                .internalError,
                "the server's backup is malformed: a chunk names file \"\(chunk.file)\"; a backup through sequence "
                    + "\(sequence) holds " + Self.fileNames(sequence: sequence).sorted().joined(separator: ", "))
        }
        if current?.name != chunk.file {
            try closeCurrent()
            guard !finished.contains(where: { $0.name == chunk.file }) else {
                throw CLIError(
                    .internalError, "the server's backup is malformed: file \(chunk.file) came in two separate runs")
            }
            let path = directory + "/" + chunk.file
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CLIError(.unavailable, "creating \(path) failed: \(ErrnoDescription.current)") }
            current = (chunk.file, fd, 0, CRC32C())
        }
        guard var file = current else { return }
        file.bytes += Int64(chunk.data.count)
        let limit: Int64 = file.name == "store.secret" ? 32 : file.name == "keys.json" ? Self.maxKeysFileBytes : .max
        guard file.bytes <= limit else {
            throw CLIError(
                .internalError, "the server's backup is malformed: \(file.name) is over its limit of \(limit) bytes")
        }
        file.crc.update(chunk.data)
        current = file
        try DurableFile.write(chunk.data, to: file.fd, path: directory + "/" + file.name)
    }

    /// Syncs and closes the file being written.
    private mutating func closeCurrent() throws {
        guard let file = current else { return }
        current = nil
        try DurableFile.syncAndClose(file.fd, path: directory + "/" + file.name)
        finished.append(BackupManifest.File(name: file.name, bytes: file.bytes, crc32c: file.crc.value))
    }

    /// Checks that the backup is whole, and writes backup.json.
    mutating func finish() throws -> BackupManifest {
        try closeCurrent()
        guard let header else { throw CLIError(.internalError, "the server's backup sent no data") }
        let expected = Self.fileNames(sequence: header.sequence)
        let missing = expected.subtracting(finished.map(\.name))
        guard missing.isEmpty else {
            throw CLIError(
                .internalError, "the server's backup is incomplete: no \(missing.sorted().joined(separator: ", "))")
        }
        guard finished.first(where: { $0.name == "store.secret" })?.bytes == 32 else {
            throw CLIError(.internalError, "the server's backup is malformed: store.secret is not 32 bytes")
        }
        let snapshot = try SnapshotEncoder.check(
            path: directory + "/" + SnapshotEncoder.fileName(sequence: header.sequence))
        guard snapshot.records >= 1 + Int(clamping: header.interviewCount) else {
            throw CLIError(
                .internalError,
                "the server's backup is malformed: the snapshot holds \(snapshot.records) records for "
                    + "\(header.interviewCount) interviews")
        }
        _ = try KeyStore(directory: directory)
        let manifest = BackupManifest(
            sequence: header.sequence, interviews: header.interviewCount, sourceStoreEpoch: header.storeEpoch,
            createdAt: RFC3339.format(Timestamp.now()), files: finished.sorted { $0.name < $1.name })
        let path = directory + "/" + BackupManifest.fileName
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError(.unavailable, "creating \(path) failed: \(ErrnoDescription.current)") }
        try DurableFile.write(Array(manifest.json().utf8) + [0x0A], to: fd, path: path)
        try DurableFile.syncAndClose(fd, path: path)
        return manifest
    }
}

/// A directory that appears under its final name only once complete: files
/// go into `<final>.partial-<pid>` beside it, which is renamed into place.
struct StagedDirectory {
    let final: String
    let staging: String

    /// Checks that `final` does not exist or is an empty directory, creates
    /// its missing parents (0700) and the staging directory (0700).
    ///
    /// - Throws: FAILED_PRECONDITION when `final` exists and is not an empty directory.
    init(final: String) throws {
        let trimmed = final.count > 1 && final.hasSuffix("/") ? String(final.dropLast()) : final
        self.final = trimmed
        staging = trimmed + ".partial-\(getpid())"
        var status = stat()
        if lstat(trimmed, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw CLIError(.failedPrecondition, "\(trimmed) exists and is not a directory")
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: trimmed)) ?? ["?"]
            guard entries.isEmpty else {
                throw CLIError(
                    .failedPrecondition,
                    "\(trimmed) is not empty (\(entries.count) entries); give a new or empty directory: nothing is replaced"
                )
            }
        }
        let parent = (trimmed as NSString).deletingLastPathComponent
        if !parent.isEmpty { try Serve.makeDirectory(parent) }
        guard mkdir(staging, 0o700) == 0 else {
            throw CLIError(.unavailable, "creating \(staging) failed: \(ErrnoDescription.current)")
        }
    }

    /// Syncs the staging directory, renames it to the final name and syncs the parent.
    func commit() throws {
        try DurableFile.syncDirectory(staging)
        guard rename(staging, final) == 0 else {
            throw CLIError(.unavailable, "renaming \(staging) to \(final) failed: \(ErrnoDescription.current)")
        }
        let parent = (final as NSString).deletingLastPathComponent
        try DurableFile.syncDirectory(parent.isEmpty ? "." : parent)
    }

    /// Removes the staging directory and what it holds.
    func discard() { try? FileManager.default.removeItem(atPath: staging) }
}

/// File calls that either succeed or say why, in the OS's words.
enum DurableFile {
    static func write(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CLIError(.unavailable, "writing \(path) failed: \(ErrnoDescription.current)")
                }
                offset += n
            }
        }
    }

    static func syncAndClose(_ fd: Int32, path: String) throws {
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw CLIError(.unavailable, "fsync of \(path) failed: \(ErrnoDescription.current)")
        }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError(.unavailable, "opening \(path) failed: \(ErrnoDescription.current)") }
        try syncAndClose(fd, path: path)
    }

    /// The size and CRC-32C of the file at `path`, read in 1 MiB pieces.
    static func checksum(_ path: String) throws -> (bytes: Int64, crc: UInt32) {
        var crc = CRC32C()
        var total: Int64 = 0
        try read(path) { piece in
            crc.update(piece)
            total += Int64(piece.count)
        }
        return (total, crc.value)
    }

    /// Copies `source` to a new file `destination` (0600), synced; checks
    /// size and checksum against `expected` when given.
    static func copy(from source: String, to destination: String, _ expected: BackupManifest.File?) throws {
        let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CLIError(.unavailable, "creating \(destination) failed: \(ErrnoDescription.current)")
        }
        var crc = CRC32C()
        var total: Int64 = 0
        do {
            try read(source) { piece in
                crc.update(piece)
                total += Int64(piece.count)
                try write(Array(piece), to: fd, path: destination)
            }
        } catch {
            close(fd)
            throw error
        }
        try syncAndClose(fd, path: destination)
        if let expected, total != expected.bytes || crc.value != expected.crc32c {
            throw CLIError(.dataLoss, "\(source) changed while it was copied")
        }
    }

    private static func read(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError(.dataLoss, "\(path) cannot be read: \(ErrnoDescription.current)") }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError(.unavailable, "reading \(path) failed: \(ErrnoDescription.current)")
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
    }
}

/// The text of the current `errno`, e.g. `Permission denied (errno 13)`.
enum ErrnoDescription {
    static var current: String {
        let code = errno
        return "\(String(cString: strerror(code))) (errno \(code))"
    }
}
