import ArgumentParser
import InterviewsClient
import InterviewsJSON
import InterviewsModel

#if canImport(Glibc)
    import Glibc
#endif

/// `interviews watch`.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print change events after a sequence number, then follow live until Ctrl-C (or --timeout).",
        discussion: """
            Sequences belong to a store epoch (each event's storeEpoch, `interviews info`): resume with both, \
            and a server whose store is not the one the sequence came from (a memory server that restarted) \
            answers FAILED_PRECONDITION instead of skipping changes. A watch that ends with an error prints \
            where to resume. With --until-caught-up the watch prints the kept changes and ends (exit 0) once \
            the server says it has sent every one up to its newest, printing where to resume on standard error.

            Examples:
              interviews watch
              interviews watch --after-sequence 1200 --store-epoch 9147483620557371241 --output jsonl
              interviews watch --until-caught-up --output jsonl > changes.jsonl
            """)

    @OptionGroup var client: ClientOptions

    func validate() throws { try client.refuseRecordFormats("watch") }

    @OptionGroup var tenant: CompanyOption
    @Option(help: "Replay changes after this sequence (0: the oldest kept).") var afterSequence: UInt64 = 0
    @Option(
        name: [.customLong("store-epoch"), .customLong("epoch")],
        help: "The store epoch --after-sequence belongs to (0: not checked).") var storeEpoch: UInt64 = 0
    @Flag(help: "Include the source payload (remote_data).") var includeRemoteData = false
    @Flag(help: "End once every kept change up to the server's newest has been printed (exit 0).")
    var untilCaughtUp = false

    func run() async throws {
        try await runReportingErrors {
            var resumeSequence = afterSequence
            var resumeEpoch = storeEpoch
            do {
                try await client.withConnection { connection in
                    let format = client.format
                    try await connection.watch(
                        WatchRequest(
                            companyID: tenant.company, afterSequence: afterSequence,
                            includeRemoteData: includeRemoteData, storeEpoch: storeEpoch, sendCaughtUp: untilCaughtUp),
                        timeout: client.timeout.map { .seconds($0) }
                    ) { events in
                        for try await event in events {
                            resumeSequence = event.sequence
                            resumeEpoch = event.storeEpoch
                            if event.caughtUp {
                                writeAll(
                                    STDERR_FILENO,
                                    "caught up at sequence \(event.sequence); resume: interviews watch --after-sequence "
                                        + "\(event.sequence) --store-epoch \(event.storeEpoch)\n")
                                return
                            }
                            switch format {
                            case .json, .jsonl: emit(event.protoJSON)
                            case .yaml: emitLines("---\n" + (YAMLText.from(json: event.protoJSON) ?? ""))
                            case .table, .wide, .csv:
                                let i = event.interview ?? Interview()
                                emit(
                                    "\(event.sequence)\t\(event.kind)\t\(InterviewTable.cell(i.id))\t\(InterviewTable.cell(i.title))"
                                )
                            }
                        }
                    }
                }
            } catch let error as any StatusError where error.code == .deadlineExceeded && client.timeout != nil {
                // The watch ran for the --timeout asked for: a normal end.
                let epoch = resumeEpoch == 0 ? "" : " --store-epoch \(resumeEpoch)"
                writeAll(
                    STDERR_FILENO,
                    "watched for \(client.timeout ?? 0) s (--timeout); resume: interviews watch --after-sequence "
                        + "\(resumeSequence)\(epoch)\n")
            } catch let error as any StatusError where error.code != .failedPrecondition {
                // Where to pick up again, on the error's one line.
                let epoch = resumeEpoch == 0 ? "" : " --store-epoch \(resumeEpoch)"
                throw InterviewsError(
                    error.code, "\(error.message) (resume: interviews watch --after-sequence \(resumeSequence)\(epoch))"
                )
            }
        }
    }
}

/// `interviews keys`.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys (as the server's user).",
        discussion: """
            Keys are stored hashed; a key's secret is shown once, when it is created. These commands \
            need no key: the server accepts them from processes of its own user.

            Examples:
              interviews keys create --label sidecar --company acme
              interviews keys list --include-revoked
              interviews keys revoke 3f2a9c1d0b7e4a55
            """,
        subcommands: [CreateKey.self, ListKeys.self, RevokeKey.self])

    /// `interviews keys create`.
    struct CreateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a key; its secret is printed once and never again.",
            discussion: """
                Examples:
                  interviews keys create --label sidecar --company acme
                  interviews keys create --label ats-sync --partner --company acme --company globex
                """)

        @OptionGroup var client: ClientOptions

        func validate() throws { try client.refuseRecordFormats("keys create") }

        @Option(help: "A name for people.") var label = ""
        @Option(name: .customLong("company"), help: "A granted company (repeat with --partner).") var companies:
            [String] = []
        @Flag(help: "A partner (ATS) key: granted several companies, names one per call.") var partner = false

        func run() async throws {
            try await runReportingErrors {
                try await client.withConnection { connection in
                    let created = try await connection.createKey(
                        CreateKeyRequest(label: label, kind: partner ? .partner : .company, companyIDs: companies))
                    emit(created, format: client.format) {
                        let key = created.key ?? APIKey()
                        return
                            "id      \(key.id)\nkind    \(partner ? "partner" : "company")\ncompany \(key.companyIDs.joined(separator: ", "))\nsecret  \(created.secret)"
                    }
                    writeStandardError("keep the secret now: it is not stored and cannot be shown again\n")
                }
            }
        }
    }

    /// `interviews keys list`.
    struct ListKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List keys (never their secrets).",
            discussion: "Examples:\n  interviews keys list\n  interviews keys list --include-revoked --output json")

        @OptionGroup var client: ClientOptions

        func validate() throws { try client.refuseRecordFormats("keys list") }

        @Flag(help: "Include revoked keys.") var includeRevoked = false

        func run() async throws {
            try await runReportingErrors {
                try await client.withConnection { connection in
                    let response = try await connection.listKeys(ListKeysRequest(includeRevoked: includeRevoked))
                    emit(response, format: client.format) {
                        let rows = response.keys.map { key in
                            [
                                key.id, key.kind == .partner ? "partner" : "company",
                                key.revokedAt == nil ? "active" : "revoked", InterviewTable.cell(key.label),
                                key.kind == .partner && key.companyIDs.isEmpty
                                    ? "(any)" : InterviewTable.cell(key.companyIDs.joined(separator: ",")),
                            ]
                        }
                        return client.table(
                            Keys.table(header: ["ID", "KIND", "STATE", "LABEL", "COMPANIES"], rows: rows))
                    }
                }
            }
        }
    }

    /// Columns padded to their widest cell (the last one is not padded).
    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { DisplayWidth.of($0[column]) }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1
                    ? cell : cell + String(repeating: " ", count: widths[column] - DisplayWidth.of(cell))
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `interviews keys revoke <id>`.
    struct RevokeKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Revoke a key: it stops working on the next call.",
            discussion: "Examples:\n  interviews keys revoke 3f2a9c1d0b7e4a55")

        @OptionGroup var client: ClientOptions

        func validate() throws { try client.refuseRecordFormats("keys revoke") }

        @Argument(help: "The key's id.") var id: String

        func run() async throws {
            try await runReportingErrors {
                try await client.withConnection { connection in
                    let key = try await connection.revokeKey(RevokeKeyRequest(id: id))
                    emit(key, format: client.format) { "revoked \(key.id)" }
                }
            }
        }
    }
}
