import InterviewsModel
import InterviewsRepository
import InterviewsWire
import Testing

extension ConformanceCheck {
    static let modelChecks: [ConformanceCheck] = [11, 22, 33].map { seed in
        ConformanceCheck(.model, "matches a naive reference over 1200 random operations (seed \(seed))") { repo in
            var model = RandomModel(repo: repo, random: SeededGenerator(seed: UInt64(seed)))
            for step in 0..<1200 { try await model.step(step) }
            try await model.compareWalks()
        }
    }
}

/// Seeded random operations applied to a backend and to ``ReferenceModel``,
/// comparing every result.
private struct RandomModel {
    let repo: any InterviewRepository
    var random: SeededGenerator
    var reference = ReferenceModel()
    var ids: [String] = []

    init(repo: any InterviewRepository, random: SeededGenerator) {
        self.repo = repo
        self.random = random
    }

    mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

    mutating func tenant() -> Tenant { chance(85) ? Tenants.acme : Tenants.globex }

    mutating func interview() -> Interview {
        let start: Timestamp? = chance(80) ? Fixtures.time(hours: Int64(random.next() % 12)) : nil
        return Interview(
            remoteID: chance(50) ? "r\(random.next() % 40)" : "", candidateID: pick(["", "c1", "c2", "c3", "c4"]),
            jobID: pick(["", "j1", "j2"]), agentID: pick(["", "a1"]), title: pick(["A", "B", "C"]),
            interviewers: chance(30) ? [Participant(id: pick(["i1", "i2"]))] : [],
            startAt: start, endAt: chance(50) ? start.map { Timestamp(seconds: $0.seconds + 1800) } : nil,
            status: pick(InterviewStatus.allCases), customFields: chance(30) ? ["k": pick(["x", "y"])] : [:],
            remoteData: chance(30) ? [UInt8(random.next() % 3)] : [])
    }

    func liveRecord(remoteID: String, tenant: Tenant, except id: String = "") -> Interview? {
        guard !remoteID.isEmpty else { return nil }
        return reference.records.values.first {
            $0.companyID == tenant.companyID && $0.remoteID == remoteID && $0.deletedAt == nil && $0.id != id
        }
    }

    /// The record an upsert of `remoteID` writes to: the live one, else the
    /// one deleted last.
    func upsertTarget(remoteID: String, tenant: Tenant) -> Interview? {
        if let live = liveRecord(remoteID: remoteID, tenant: tenant) { return live }
        return reference.records.values.filter { $0.companyID == tenant.companyID && $0.remoteID == remoteID }
            .max { ($0.updatedAt ?? Timestamp(seconds: 0), $0.id) < ($1.updatedAt ?? Timestamp(seconds: 0), $1.id) }
    }

    mutating func step(_ step: Int) async throws {
        let roll = random.next() % 100
        switch roll {
        case 0..<30: try await create()
        case 30..<45: try await update()
        case 45..<52: try await delete()
        case 52..<62: try await upsert()
        default: try await compareList()
        }
    }

    mutating func create() async throws {
        let tenant = tenant()
        let input = interview()
        if let existing = liveRecord(remoteID: input.remoteID, tenant: tenant) {
            await expectFailure(.alreadyExists) { try await repo.create(input, requestID: "", tenant: tenant) }
            #expect(existing.remoteID == input.remoteID)
            return
        }
        let created = try await repo.create(input, requestID: "", tenant: tenant)
        #expect(created.clientOwnedFields == input.clientOwnedFields)
        #expect(created.revision == 1 && created.companyID == tenant.companyID)
        reference.records[created.id] = created
        ids.append(created.id)
    }

    func stored(_ id: String, _ tenant: Tenant) -> Interview? {
        guard let record = reference.records[id], record.companyID == tenant.companyID, record.deletedAt == nil else {
            return nil
        }
        return record
    }

    mutating func update() async throws {
        guard !ids.isEmpty else { return }
        let id = pick(ids)
        let tenant = tenant()
        var changes = interview()
        changes.id = id
        let mask = ["title", "status", "candidate_id", "start_at", "end_at", "remote_id", "job_id", "custom_fields"]
            .filter { _ in chance(35) }
        guard !mask.isEmpty else { return }
        guard let stored = stored(id, tenant) else {
            await expectFailure(.notFound) {
                try await repo.update(changes, mask: mask, expectedRevision: 0, tenant: tenant)
            }
            return
        }
        var merged = stored
        for name in mask { InterviewField(rawValue: name)?.copy(from: changes, into: &merged) }
        if let start = merged.startAt, let end = merged.endAt, end < start {
            await expectInvalid(field: "end_at") {
                try await repo.update(changes, mask: mask, expectedRevision: 0, tenant: tenant)
            }
            return
        }
        if merged.remoteID != stored.remoteID, liveRecord(remoteID: merged.remoteID, tenant: tenant, except: id) != nil
        {
            await expectFailure(.alreadyExists) {
                try await repo.update(changes, mask: mask, expectedRevision: 0, tenant: tenant)
            }
            return
        }
        let updated = try await repo.update(changes, mask: mask, expectedRevision: stored.revision, tenant: tenant)
        #expect(updated.clientOwnedFields == merged.clientOwnedFields)
        #expect(updated.revision == (merged == stored ? stored.revision : stored.revision + 1))
        reference.records[id] = updated
    }

    mutating func delete() async throws {
        guard !ids.isEmpty else { return }
        let id = pick(ids)
        let tenant = tenant()
        guard let stored = stored(id, tenant) else {
            await expectFailure(.notFound) { try await repo.delete(id: id, expectedRevision: 0, tenant: tenant) }
            return
        }
        let deleted = try await repo.delete(id: id, expectedRevision: 0, tenant: tenant)
        #expect(deleted.revision == stored.revision + 1 && deleted.deletedAt != nil)
        reference.records[id] = deleted
    }

    mutating func upsert() async throws {
        let tenant = tenant()
        var items: [Interview] = []
        for _ in 0..<(1 + random.next() % 4) {
            var item = interview()
            if item.remoteID.isEmpty && chance(70) { item.remoteID = "r\(random.next() % 40)" }
            if chance(10) { item.deletedAt = Fixtures.time(hours: 1) }
            items.append(item)
        }
        let results = try await repo.upsert(items, tenant: tenant)
        #expect(results.count == items.count)
        for (item, result) in zip(items, results) {
            if item.remoteID.isEmpty {
                #expect(result.outcome == .error && result.errorCode == StatusCode.invalidArgument.rawValue)
                continue
            }
            let existing = upsertTarget(remoteID: item.remoteID, tenant: tenant)
            let deleting = item.deletedAt != nil
            let expected: UpsertOutcome =
                existing == nil
                ? .created
                : existing?.clientOwnedFields == item.clientOwnedFields && (!deleting || existing?.deletedAt != nil)
                    ? .unchanged : .updated
            #expect(result.outcome == expected)
            guard let returned = result.interview else {
                Issue.record("upsert result without a record")
                continue
            }
            if let existing { #expect(returned.id == existing.id) }
            #expect(
                (returned.deletedAt != nil) == (deleting || existing?.deletedAt != nil),
                "deleted when asked, and never brought back")
            var record = item.clientOwnedFields
            for field in InterviewField.serverOwned { field.copy(from: returned, into: &record) }
            var shown = record
            shown.remoteData = []
            #expect(returned == shown)
            reference.records[record.id] = record
            if existing == nil { ids.append(record.id) }
        }
    }

    mutating func listRequest() -> ListRequest {
        var request = ListRequest()
        if chance(25) {
            request.candidateIDs = (0..<(1 + random.next() % 2)).map { _ in pick(["c1", "c2", "c3", "c4", ""]) }.filter
            { !$0.isEmpty }
        }
        if chance(20) { request.statuses = (0..<(1 + random.next() % 3)).map { _ in pick(InterviewStatus.allCases) } }
        if chance(15) { request.jobID = pick(["j1", "j2"]) }
        if chance(10) { request.agentID = "a1" }
        if chance(8) { request.interviewerID = pick(["i1", "i2"]) }
        if chance(8), !ids.isEmpty { request.ids = (0..<3).map { _ in pick(ids) } }
        if chance(8) { request.remoteIDs = (0..<3).map { _ in "r\(random.next() % 40)" } }
        if chance(15) { request.startAfter = Fixtures.time(hours: Int64(random.next() % 12)) }
        if chance(15) { request.startBefore = Fixtures.time(hours: Int64(random.next() % 12)) }
        if chance(15), !ids.isEmpty, let record = reference.records[pick(ids)] {
            if chance(50) { request.createdAfter = record.createdAt } else { request.updatedBefore = record.updatedAt }
        }
        if chance(10) { request.endAfter = Fixtures.time(hours: Int64(random.next() % 12)) }
        request.includeDeleted = chance(30)
        request.orderBy = pick(OrderBy.allCases)
        request.direction = pick(OrderDirection.allCases)
        request.pageSize = UInt32(1 + random.next() % 10)
        request.page = UInt32(random.next() % 4)
        request.includeRemoteData = chance(50)
        request.excludeAnalysis = chance(20)
        if chance(10) { request.readMask = ["title", "start_at"] }
        return request
    }

    mutating func compareList() async throws {
        let tenant = tenant()
        let request = listRequest()
        let expected = reference.matches(request, tenant: tenant).map { ReferenceModel.select($0, request) }
        let page = try await repo.list(request, tenant: tenant)
        let size = Int(InterviewValidation.effectivePageSize(request))
        let offset = (Int(InterviewValidation.effectivePage(request)) - 1) * size
        let slice = Array(expected.dropFirst(offset).prefix(size))
        #expect(page.totalSize == UInt64(expected.count), "\(request)")
        #expect(page.interviews == slice, "\(request)")
        #expect(page.nextPageToken.isEmpty == (slice.isEmpty || offset + slice.count >= expected.count))
        if let reads = repo as? any NonblockingInterviewReads {
            // The event-loop path answers exactly as the async one.
            #expect(try reads.listNonblocking(request, tenant: tenant) == page, "\(request)")
            if let first = page.interviews.first {
                let viaAsync = try await repo.get(id: first.id, includeDeleted: true, tenant: tenant)
                #expect(try reads.getNonblocking(id: first.id, includeDeleted: true, tenant: tenant) == viaAsync)
            }
        }
        if let reads = repo as? any EncodedInterviewReads {
            // The bytes path decodes to the typed page and encodes to its bytes.
            let encoded = try reads.listEncoded(request, tenant: tenant)
            #expect(try encoded.typed() == page, "\(request)")
            #expect(try encoded.encodedBytes() == page.encodedBytes(), "\(request)")
            if chance(10) {
                // The change feed's events, as stored encodings and as values.
                let last = try await repo.stats(tenant: tenant).lastSequence
                let after = UInt64.random(in: 0...max(1, last), using: &random)
                let typed = try await repo.changes(after: after, limit: 30, tenant: tenant)
                let encoded = try await reads.encodedChanges(after: after, limit: 30, tenant: tenant)
                #expect(encoded.truncated == typed.truncated && encoded.scannedThrough == typed.scannedThrough)
                #expect(encoded.changes.count == typed.changes.count)
                for (stored, change) in zip(encoded.changes, typed.changes) {
                    for includeRemoteData in [false, true] {
                        var interview = change.interview
                        if !includeRemoteData { interview.remoteData = [] }
                        let event = WatchEvent(
                            sequence: change.sequence, kind: change.kind, interview: interview, storeEpoch: 7)
                        let bytes = stored.event(includeRemoteData: includeRemoteData, storeEpoch: 7)
                        #expect(try bytes.typed() == event)
                        #expect(try bytes.encodedBytes() == event.encodedBytes())
                    }
                }
            }
            if chance(10) {
                var scanned: [Interview] = []
                try await reads.scanEncoded(request, tenant: tenant, batchSize: 7) { batch in
                    scanned += try batch.map { try $0.interview() }
                    return true
                }
                var typed: [Interview] = []
                try await repo.scan(request, tenant: tenant, batchSize: 7) { batch in
                    typed += batch
                    return true
                }
                #expect(scanned == typed, "\(request)")
            }
            for interview in page.interviews.prefix(3) {
                for includeRemoteData in [false, true] {
                    var typed = try await repo.get(id: interview.id, includeDeleted: true, tenant: tenant)
                    if !includeRemoteData { typed.remoteData = [] }
                    let bytes = try reads.getEncoded(
                        id: interview.id, includeDeleted: true, includeRemoteData: includeRemoteData, tenant: tenant)
                    #expect(try bytes.interview() == typed)
                    #expect(try bytes.encodedBytes() == typed.encodedBytes())
                }
            }
        }
        if chance(20) {
            var fromStart = request
            fromStart.page = 0
            let walked = try await repo.listAll(fromStart, tenant: tenant, pageSize: request.pageSize)
            #expect(walked == expected, "\(fromStart)")
        }
    }

    /// A final token walk, forward then back, for every order.
    mutating func compareWalks() async throws {
        for order in OrderBy.allCases {
            for direction in OrderDirection.allCases {
                for includeDeleted in [false, true] {
                    var request = ListRequest(
                        includeDeleted: includeDeleted, pageSize: 7, orderBy: order, direction: direction)
                    let expected = reference.matches(request, tenant: Tenants.acme).map {
                        ReferenceModel.select($0, request)
                    }
                    var page = try await repo.list(request, tenant: Tenants.acme)
                    var forward = page.interviews
                    while !page.nextPageToken.isEmpty {
                        request.pageToken = page.nextPageToken
                        page = try await repo.list(request, tenant: Tenants.acme)
                        forward += page.interviews
                    }
                    #expect(forward == expected)
                    var backward = page.interviews
                    while !page.previousPageToken.isEmpty {
                        request.pageToken = page.previousPageToken
                        page = try await repo.list(request, tenant: Tenants.acme)
                        backward = page.interviews + backward
                    }
                    #expect(backward == expected)
                }
            }
        }
    }
}
