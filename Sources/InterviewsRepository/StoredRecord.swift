package import InterviewsModel
import InterviewsWire

/// One record as the store holds it: its canonical protobuf encoding
/// (`interviews.v1.Interview`, produced once by the wire layer when the
/// record is written), its id, whether it is deleted, and where its trailing
/// sections start: 48 bytes beside the encoding. No field is held as a Swift
/// value of its own, so a record costs one heap buffer; a read either hands
/// out slices of the encoding or decodes it, and the fields the store orders
/// and filters by are read from the encoding when needed (``facts``).
///
/// The encoding lists fields in field-number order, so the fields a reader
/// may leave out sit together at its end: custom_fields (23), remote_data
/// (24), analysis (25), then revision (26). ``sections`` marks where each
/// starts, and a read without any of them is a concatenation of slices.
package struct StoredRecord: Sendable, Hashable {
    /// The record's protobuf encoding.
    package let bytes: [UInt8]
    /// Where custom_fields, remote_data, analysis and revision start in ``bytes``.
    package let sections: Sections
    /// The parsed id.
    package let id: UUIDv7
    /// Whether deleted_at is set.
    package let isDeleted: Bool

    /// The offsets of the trailing sections: each section runs from its start
    /// to the next one's (revision to the end).
    package struct Sections: Sendable, Hashable {
        package var customFields: UInt32
        package var remoteData: UInt32
        package var analysis: UInt32
        package var revision: UInt32
    }

    /// A stored record of `interview`, which must carry its store-assigned id,
    /// created_at and updated_at.
    ///
    /// - Parameter encoding: The interview's encoding when the caller already
    ///   has it (read from a log or snapshot that this store's wire layer
    ///   wrote); it is encoded here otherwise.
    /// - Throws: INTERNAL when the interview does not encode (validation admits
    ///   nothing protobuf-c cannot carry); DATA_LOSS when it lacks its id or
    ///   timestamps.
    package init(_ interview: Interview, encoding: [UInt8]? = nil) throws(InterviewsError) {
        guard let id = UUIDv7(interview.id), interview.createdAt != nil, interview.updatedAt != nil,
            !interview.companyID.isEmpty
        else {
            throw InterviewsError(
                .dataLoss,
                "record \(InterviewValidation.quoted(interview.id)) lacks a store-assigned id, company or timestamps")
        }
        // An encoding read from disk is kept as it is when its fields are in
        // field-number order (as this wire layer writes them), else replaced.
        var bytes: [UInt8]
        var sections: Sections?
        if let encoding {
            bytes = encoding
            sections = Self.sections(of: encoding)
        } else {
            bytes = []
        }
        if sections == nil {
            do {
                bytes = try interview.encodedBytes()
            } catch {
                throw InterviewsError(.internalError, "interview \(interview.id) cannot be encoded: \(error)")
            }
            sections = Self.sections(of: bytes)
        }
        guard let sections else {
            throw InterviewsError(
                .internalError,
                "the encoding of interview \(interview.id) does not list its fields in field-number order")
        }
        self.bytes = bytes
        self.sections = sections
        self.id = id
        self.isDeleted = interview.deletedAt != nil
    }

    /// A stored record of an encoding read from the log or a snapshot (whose
    /// checksum held), without decoding it: the bytes are scanned as the
    /// decoder would scan them (framing, UTF-8), and the id, company and
    /// timestamps the store assigns must be there.
    ///
    /// - Throws: DATA_LOSS naming what is wrong.
    package init(scanning encoding: [UInt8]) throws(InterviewsError) {
        let scanned = encoding.withUnsafeBytes { raw in
            Result { () throws(WireError) in try Interview.validateEncoding(raw) }
        }
        if case .failure(let error) = scanned {
            throw InterviewsError(.dataLoss, "the interview does not decode: \(error)")
        }
        var id: UUIDv7?
        var hasCompany = false
        var hasCreated = false
        var hasUpdated = false
        var deleted = false
        var outOfRange: UInt32?
        // One walk of the top-level fields: the checks below and the sections.
        let sections = encoding.withUnsafeBytes { raw -> Sections? in
            var reader = FieldReader(raw)
            var finder = SectionFinder()
            var ordered = true
            while let field = reader.next() {
                ordered = ordered && finder.see(field)
                // What the decoder checks beyond the scan: timestamps in range, a defined status.
                switch field.number {
                case 13, 14, 17...22:
                    if Self.timestamp(raw, field)?.isValid != true { outOfRange = field.number }
                case 15:
                    if InterviewStatus(rawValue: Int32(truncatingIfNeeded: Self.varint(raw, field))) == nil {
                        outOfRange = field.number
                    }
                default: break
                }
                switch field.number {
                case 1: id = UUIDv7(utf8: UnsafeRawBufferPointer(rebasing: raw[field.value]))
                case 3: hasCompany = !field.value.isEmpty
                case 17: hasCreated = true
                case 18: hasUpdated = true
                case 21: deleted = true
                default: break
                }
            }
            guard ordered, reader.isValid else { return nil }
            return finder.sections(end: raw.count)
        }
        if let outOfRange {
            throw InterviewsError(
                .dataLoss, "the interview's field \(outOfRange) holds a timestamp out of range or an undefined status")
        }
        guard let id, hasCompany, hasCreated, hasUpdated, let sections else {
            throw InterviewsError(
                .dataLoss,
                "the interview lacks a store-assigned id, company or timestamps, or its fields are out of order")
        }
        self.bytes = encoding
        self.sections = sections
        self.id = id
        self.isDeleted = deleted
    }

    /// The record as a value.
    ///
    /// The bytes were produced by this process's wire layer or checked when
    /// read from disk, so decoding cannot fail short of memory corruption; a
    /// failure is reported as INTERNAL rather than trapping.
    package func interview() throws(InterviewsError) -> Interview {
        do {
            return try Interview.decode(bytes, maxSize: .max)
        } catch {
            throw InterviewsError(.internalError, "stored interview \(id) does not decode: \(error)")
        }
    }

    /// The fields the store orders, filters and checks records by, read from
    /// the encoding in one pass over its top-level fields.
    package struct Facts: Sendable, Hashable {
        package var startAt: Timestamp?
        package var status: InterviewStatus = .unspecified
        package var createdAt = Timestamp(seconds: 0)
        package var updatedAt = Timestamp(seconds: 0)
        package var deletedAt: Timestamp?
        package var revision: UInt64 = 0

        /// The timestamp the record is ordered by in `order`.
        package func timestamp(_ order: OrderBy) -> Timestamp? {
            switch order {
            case .startAt: startAt
            case .updatedAt: updatedAt
            case .createdAt, .unspecified: createdAt
            }
        }
    }

    /// The record's ordering and filtering fields (one scan of the encoding).
    package var facts: Facts { scan(indexing: false).facts }

    /// What the index files a record under, read in one scan of its
    /// encoding: its ordering fields, company, remote id and the partitions
    /// it belongs to.
    package struct IndexFields {
        package var facts = Facts()
        package var company = ""
        package var remoteID: ArraySlice<UInt8> = []
        /// `.company`, `.status(...)`, then one per non-empty reference id.
        package var partitions: [IndexPartition] = []
    }

    /// The record's index fields (one scan of the encoding).
    package var indexFields: IndexFields { scan(indexing: true) }

    /// Where the fields a bulk index build files a record by sit in its
    /// encoding: company, remote id, the five reference ids (empty ranges
    /// when unset), and the status.
    package struct BulkFields {
        package var company: Range<Int> = 0..<0
        package var remoteID: Range<Int> = 0..<0
        package var candidate: Range<Int> = 0..<0
        package var application: Range<Int> = 0..<0
        package var job: Range<Int> = 0..<0
        package var agent: Range<Int> = 0..<0
        package var stage: Range<Int> = 0..<0
        package var status: Int32 = 0
    }

    /// The record's ``BulkFields``: one scan of its fields up to the status,
    /// without building a value.
    package var bulkFields: BulkFields {
        bytes.withUnsafeBytes { raw in
            var fields = BulkFields()
            var reader = FieldReader(raw)
            while let field = reader.next() {
                switch field.number {
                case 2 where field.wireType == 2: fields.remoteID = field.value
                case 3 where field.wireType == 2: fields.company = field.value
                case 4 where field.wireType == 2: fields.candidate = field.value
                case 5 where field.wireType == 2: fields.application = field.value
                case 6 where field.wireType == 2: fields.job = field.value
                case 7 where field.wireType == 2: fields.agent = field.value
                case 8 where field.wireType == 2: fields.stage = field.value
                case 15: fields.status = Int32(truncatingIfNeeded: Self.varint(raw, field))
                case 16...: return fields
                default: break
                }
            }
            return fields
        }
    }

    private func scan(indexing: Bool) -> IndexFields {
        bytes.withUnsafeBytes { raw in
            var fields = IndexFields()
            var references: [IndexPartition] = []
            var reader = FieldReader(raw)
            func text(_ field: FieldReader.Field) -> String {
                String(decoding: UnsafeRawBufferPointer(rebasing: raw[field.value]), as: UTF8.self)
            }
            scanning: while let field = reader.next() {
                switch field.number {
                case 2 where indexing && field.wireType == 2: fields.remoteID = bytes[field.value]
                case 3 where indexing && field.wireType == 2: fields.company = text(field)
                case 4...8 where indexing && field.wireType == 2 && !field.value.isEmpty:
                    let value = text(field)
                    switch field.number {
                    case 4: references.append(.candidate(value))
                    case 5: references.append(.application(value))
                    case 6: references.append(.job(value))
                    case 7: references.append(.agent(value))
                    default: references.append(.stage(value))
                    }
                case 13: fields.facts.startAt = Self.timestamp(raw, field)
                case 15:
                    fields.facts.status =
                        InterviewStatus(rawValue: Int32(truncatingIfNeeded: Self.varint(raw, field))) ?? .unspecified
                case 17: fields.facts.createdAt = Self.timestamp(raw, field) ?? fields.facts.createdAt
                case 18: fields.facts.updatedAt = Self.timestamp(raw, field) ?? fields.facts.updatedAt
                case 21: fields.facts.deletedAt = Self.timestamp(raw, field)
                case 22...:
                    // Past the ordering fields: custom fields, remote data and
                    // analysis are skipped; revision is read where it starts.
                    fields.facts.revision = Self.revision(raw, at: Int(sections.revision))
                    break scanning
                default: break
                }
            }
            if indexing {
                fields.partitions = [.company, .status(fields.facts.status)] + references
            }
            return fields
        }
    }

    package var createdAt: Timestamp { facts.createdAt }
    package var updatedAt: Timestamp { facts.updatedAt }
    package var deletedAt: Timestamp? { facts.deletedAt }
    package var status: InterviewStatus { facts.status }
    package var revision: UInt64 { facts.revision }

    /// The revision (field 26) of the encoding whose revision section starts
    /// at `start` (0 when the section is empty).
    private static func revision(_ raw: UnsafeRawBufferPointer, at start: Int) -> UInt64 {
        guard start < raw.count else { return 0 }
        let section = UnsafeRawBufferPointer(rebasing: raw[start...])
        var reader = FieldReader(section)
        guard let field = reader.next(), field.number == 26 else { return 0 }
        return varint(section, field)
    }

    /// A varint field's value.
    private static func varint(_ raw: UnsafeRawBufferPointer, _ field: FieldReader.Field) -> UInt64 {
        guard field.wireType == 0 else { return 0 }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for index in field.value {
            result |= UInt64(raw[index] & 0x7F) << shift
            shift += 7
        }
        return result
    }

    /// A google.protobuf.Timestamp field's value (seconds 1, nanos 2).
    private static func timestamp(_ raw: UnsafeRawBufferPointer, _ field: FieldReader.Field) -> Timestamp? {
        guard field.wireType == 2 else { return nil }
        var reader = FieldReader(UnsafeRawBufferPointer(rebasing: raw[field.value]))
        var seconds: Int64 = 0
        var nanos: Int32 = 0
        let base = field.value.lowerBound
        while let inner = reader.next() {
            let shifted = FieldReader.Field(
                number: inner.number, wireType: inner.wireType, start: inner.start + base,
                value: (inner.value.lowerBound + base)..<(inner.value.upperBound + base))
            switch inner.number {
            case 1: seconds = Int64(bitPattern: varint(raw, shifted))
            case 2: nanos = Int32(truncatingIfNeeded: varint(raw, shifted))
            default: break
            }
        }
        return Timestamp(seconds: seconds, nanos: nanos)
    }

    // MARK: Fields read from the encoding

    /// The bytes of top-level string field `number` (empty when unset).
    package func stringField(_ number: UInt32) -> ArraySlice<UInt8> {
        bytes.withUnsafeBytes { raw in
            var reader = FieldReader(raw)
            var found: Range<Int> = 0..<0
            while let field = reader.next() {
                if field.number == number, field.wireType == 2 { found = field.value }
                if field.number > number { break }
            }
            return bytes[found]
        }
    }

    /// Whether string field `number` of the record equals `value`.
    package func field(_ number: UInt32, equals value: String) -> Bool {
        let stored = stringField(number)
        var value = value
        return value.withUTF8 { utf8 in stored.elementsEqual(utf8) }
    }

    /// The ranges of the trailing sections, or nil when the fields are not in
    /// field-number order (an encoding this wire layer does not produce).
    static func sections(of bytes: [UInt8]) -> Sections? {
        bytes.withUnsafeBytes { raw -> Sections? in
            var reader = FieldReader(raw)
            var sections = SectionFinder()
            while let field = reader.next() {
                guard sections.see(field) else { return nil }
            }
            guard reader.isValid else { return nil }
            return sections.sections(end: raw.count)
        }
    }
}

/// Finds where the trailing sections of an encoding start while its
/// top-level fields are walked in order, and checks that order.
struct SectionFinder {
    private var previous: UInt32 = 0
    private var custom: Int?
    private var remote: Int?
    private var analysis: Int?
    private var revision: Int?

    /// Notes `field`; false when it is out of field-number order. Only the
    /// repeated fields (interviewers 11, custom_fields 23) repeat their
    /// number; anything else must increase.
    mutating func see(_ field: FieldReader.Field) -> Bool {
        guard field.number > previous || (field.number == previous && (previous == 11 || previous == 23)) else {
            return false
        }
        if field.number != previous {
            switch field.number {
            case 23: custom = field.start
            case 24: remote = field.start
            case 25: analysis = field.start
            case 26: revision = field.start
            default: break
            }
        }
        previous = field.number
        return true
    }

    /// The sections of an encoding of `end` bytes whose every field was seen.
    func sections(end: Int) -> StoredRecord.Sections {
        let revisionStart = revision ?? end
        let analysisStart = analysis ?? revisionStart
        let remoteStart = remote ?? analysisStart
        let customStart = custom ?? remoteStart
        return StoredRecord.Sections(
            customFields: UInt32(customStart), remoteData: UInt32(remoteStart), analysis: UInt32(analysisStart),
            revision: UInt32(revisionStart))
    }
}

/// A walk over the top-level fields of a protobuf encoding; stops at the
/// first malformed byte and says so in ``isValid``.
struct FieldReader {
    struct Field {
        var number: UInt32
        var wireType: UInt8
        /// Where the field's tag starts.
        var start: Int
        /// The value's bytes (for length-delimited fields, without the length).
        var value: Range<Int>
    }

    private let raw: UnsafeRawBufferPointer
    private var index = 0
    private(set) var isValid = true

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    @inline(__always)
    private mutating func varint() -> UInt64? {
        // Tags, lengths of short fields and small values: one byte.
        if index < raw.count, raw[index] < 0x80 {
            index += 1
            return UInt64(raw[index - 1])
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < raw.count, shift < 64 {
            let byte = raw[index]
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }

    @inline(__always)
    mutating func next() -> Field? {
        guard isValid, index < raw.count else { return nil }
        let start = index
        guard let tag = varint(), tag >> 3 <= UInt64(UInt32.max) else {
            isValid = false
            return nil
        }
        let wireType = UInt8(tag & 7)
        let valueStart: Int
        switch wireType {
        case 0:
            valueStart = index
            guard varint() != nil else {
                isValid = false
                return nil
            }
        case 1, 5:
            valueStart = index
            let width = wireType == 1 ? 8 : 4
            guard raw.count - index >= width else {
                isValid = false
                return nil
            }
            index += width
        case 2:
            guard let length = varint(), length <= UInt64(raw.count - index) else {
                isValid = false
                return nil
            }
            valueStart = index
            index += Int(length)
        default:
            isValid = false
            return nil
        }
        return Field(number: UInt32(tag >> 3), wireType: wireType, start: start, value: valueStart..<index)
    }
}
