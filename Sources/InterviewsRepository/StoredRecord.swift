package import InterviewsModel
package import InterviewsWire

/// One record as the store holds it: its canonical protobuf encoding
/// (`interviews.v1.Interview`, produced once by the wire layer when the
/// record is written) and the few fixed-width facts the store orders and
/// checks records by. No field is held as a Swift value of its own, so a
/// record costs one heap buffer; a read either hands out slices of the
/// encoding or decodes it.
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
    /// created_at, updated_at, start_at and deleted_at, for the orders and for deletion.
    package let createdAt: Timestamp
    package let updatedAt: Timestamp
    package let startAt: Timestamp?
    package let deletedAt: Timestamp?
    package let status: InterviewStatus
    package let revision: UInt64

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
        guard let id = UUIDv7(interview.id), let createdAt = interview.createdAt, let updatedAt = interview.updatedAt,
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
                .internalError, "the encoding of interview \(interview.id) does not list its fields in field-number order")
        }
        self.bytes = bytes
        self.sections = sections
        self.id = id
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startAt = interview.startAt
        self.deletedAt = interview.deletedAt
        self.status = interview.status
        self.revision = interview.revision
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

    /// Whether the record is soft-deleted.
    package var isDeleted: Bool { deletedAt != nil }

    /// The key of the record in `order`.
    package func key(_ order: OrderBy) -> IndexKey {
        switch order {
        case .startAt: IndexKey(startAt, id: id)
        case .updatedAt: IndexKey(updatedAt, id: id)
        case .createdAt, .unspecified: IndexKey(createdAt, id: id)
        }
    }

    /// The timestamp the record is ordered by in `order`.
    package func timestamp(_ order: OrderBy) -> Timestamp? {
        switch order {
        case .startAt: startAt
        case .updatedAt: updatedAt
        case .createdAt, .unspecified: createdAt
        }
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
            var previous: UInt32 = 0
            var custom: Int?
            var remote: Int?
            var analysis: Int?
            var revision: Int?
            while let field = reader.next() {
                // Repeated fields repeat their number; anything else must increase.
                guard field.number >= previous else { return nil }
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
            }
            guard reader.isValid else { return nil }
            let end = raw.count
            let revisionStart = revision ?? end
            let analysisStart = analysis ?? revisionStart
            let remoteStart = remote ?? analysisStart
            let customStart = custom ?? remoteStart
            return Sections(
                customFields: UInt32(customStart), remoteData: UInt32(remoteStart), analysis: UInt32(analysisStart),
                revision: UInt32(revisionStart))
        }
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

    private mutating func varint() -> UInt64? {
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
