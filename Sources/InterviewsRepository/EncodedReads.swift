public import InterviewsModel
public import InterviewsWire
public import NIOCore

/// Which of a stored record's optional sections a read returns.
package struct RecordView: Sendable, Hashable {
    package var customFields: Bool
    package var remoteData: Bool
    package var analysis: Bool

    /// Every section.
    package static let everything = RecordView(customFields: true, remoteData: true, analysis: true)
}

/// A stored record as a reader asked to see it, ready to send: encoding it
/// copies slices of the stored encoding, with no `Interview` value built.
///
/// Its encoding is byte for byte the encoding of the ``Interview`` that the
/// typed read returns.
public struct EncodedInterview: WireCodable, Sendable, Hashable {
    private enum Storage: Sendable, Hashable {
        /// Slices of a stored record.
        case stored(StoredRecord, RecordView)
        /// A value to encode when sent (a read mask's selection). Indirect,
        /// so that an EncodedInterview stays a few words to copy.
        indirect case typed(Interview, encoding: [UInt8])
    }

    private let storage: Storage

    init(_ record: StoredRecord, _ view: RecordView) {
        storage = .stored(record, view)
    }

    /// A record that is not a whole-section view of a stored one, encoded now.
    init(typed interview: Interview) throws(InterviewsError) {
        do {
            storage = .typed(interview, encoding: try interview.encodedBytes())
        } catch {
            throw InterviewsError(.internalError, "interview \(interview.id) cannot be encoded: \(error)")
        }
    }

    /// The stored encoding's byte ranges this read returns, in order, with
    /// adjacent sections joined: at most three ranges (the head with
    /// custom_fields, remote_data, analysis with revision), fewer when
    /// neighbours are both shown.
    private static func ranges(_ record: StoredRecord, _ view: RecordView) -> (
        Range<Int>, Range<Int>?, Range<Int>?
    ) {
        let s = record.sections
        let custom = Int(s.customFields)
        let remote = Int(s.remoteData)
        let analysis = Int(s.analysis)
        let revision = Int(s.revision)
        let end = record.bytes.count
        // Sections in order, each shown or not; shown neighbours are joined.
        let head = 0..<(view.customFields ? remote : custom)
        let middle: Range<Int>? = view.remoteData ? remote..<analysis : nil
        let tail = (view.analysis ? analysis : revision)..<end
        if let middle {
            if head.upperBound == middle.lowerBound {
                if middle.upperBound == tail.lowerBound { return (head.lowerBound..<end, nil, nil) }
                return (head.lowerBound..<middle.upperBound, tail, nil)
            }
            if middle.upperBound == tail.lowerBound { return (head, middle.lowerBound..<end, nil) }
            return (head, middle, tail)
        }
        return (head, tail, nil)
    }

    /// The size of the encoding, in bytes.
    public var encodedSize: Int {
        switch storage {
        case .typed(_, let encoding): return encoding.count
        case .stored(let record, let view):
            let (first, second, third) = Self.ranges(record, view)
            return first.count + (second?.count ?? 0) + (third?.count ?? 0)
        }
    }

    /// The record as a value (for tests and for callers that need fields).
    public func interview() throws -> Interview {
        switch storage {
        case .typed(let interview, _): return interview
        case .stored(let record, let view):
            var interview = try record.interview()
            if !view.customFields { interview.customFields = [:] }
            if !view.remoteData { interview.remoteData = [] }
            if !view.analysis { interview.analysis = nil }
            return interview
        }
    }

    /// Appends the encoding: slices of the stored bytes.
    public func encode(into buffer: inout ByteBuffer) throws(WireError) {
        switch storage {
        case .typed(_, let encoding):
            buffer.writeBytes(encoding)
        case .stored(let record, let view):
            let (first, second, third) = Self.ranges(record, view)
            record.bytes.withUnsafeBytes { raw in
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[first]))
                if let second { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[second])) }
                if let third { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[third])) }
            }
        }
    }

    /// Appends field `number`'s tag, the encoding's length and the encoding:
    /// the record as an embedded message.
    func encode(asField number: UInt8, into buffer: inout ByteBuffer) throws(WireError) {
        EncodedPage.writeHeader(field: number, length: encodedSize, into: &buffer)
        try encode(into: &buffer)
    }

    /// Decodes and checks an interview's encoding as a stored record would hold it.
    ///
    /// - Throws: ``WireError`` for bytes that are not an interview, or one
    ///   without a store-assigned id and timestamps.
    public static func decode(from bytes: UnsafeRawBufferPointer, maxSize: Int) throws(WireError) -> EncodedInterview {
        let interview = try Interview.decode(from: bytes, maxSize: maxSize)
        do {
            return EncodedInterview(try StoredRecord(interview), .everything)
        } catch {
            throw WireError(.rejected, field: "", error.message)
        }
    }
}

/// A ListInterviews page whose records are stored encodings, ready to send:
/// each record is written behind its field tag and length, then the page's
/// own fields, exactly as protobuf-c would encode the equivalent ``Page``.
public struct EncodedPage: WireCodable, Sendable, Hashable {
    public var interviews: [EncodedInterview]
    public var nextPageToken: String
    public var previousPageToken: String
    public var totalSize: UInt64
    public var page: UInt32
    public var pageSize: UInt32

    /// The page as a value.
    public func typed() throws -> Page {
        Page(
            interviews: try interviews.map { try $0.interview() }, nextPageToken: nextPageToken,
            previousPageToken: previousPageToken, totalSize: totalSize, page: page, pageSize: pageSize)
    }

    public func encode(into buffer: inout ByteBuffer) throws(WireError) {
        // The records' bytes, each behind a tag and a length of at most 5
        // bytes, then the page fields: one reservation for all of it.
        var size = 64 + nextPageToken.utf8.count + previousPageToken.utf8.count
        for index in interviews.indices { size += 6 + interviews[index].encodedSize }
        buffer.reserveCapacity(minimumWritableBytes: size)
        for index in interviews.indices {
            try interviews[index].encode(asField: 1, into: &buffer)
        }
        Self.writeString(2, nextPageToken, into: &buffer)
        Self.writeString(3, previousPageToken, into: &buffer)
        if totalSize != 0 {
            Self.writeTag(0x20, varint: totalSize, into: &buffer)
        }
        if page != 0 {
            Self.writeTag(0x28, varint: UInt64(page), into: &buffer)
        }
        if pageSize != 0 {
            Self.writeTag(0x30, varint: UInt64(pageSize), into: &buffer)
        }
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, maxSize: Int) throws(WireError) -> EncodedPage {
        let page = try Page.decode(from: bytes, maxSize: maxSize)
        var interviews: [EncodedInterview] = []
        for interview in page.interviews {
            do {
                interviews.append(EncodedInterview(try StoredRecord(interview), .everything))
            } catch {
                throw WireError(.rejected, field: "interviews", error.message)
            }
        }
        return EncodedPage(
            interviews: interviews, nextPageToken: page.nextPageToken, previousPageToken: page.previousPageToken,
            totalSize: page.totalSize, page: page.page, pageSize: page.pageSize)
    }

    /// Writes a length-delimited field's tag and length with one write.
    static func writeHeader(field number: UInt8, length: Int, into buffer: inout ByteBuffer) {
        writeTag(number << 3 | 2, varint: UInt64(length), into: &buffer)
    }

    /// Writes a one-byte tag (field numbers here are under 16) and a varint
    /// after it, packed little-endian into two words and written at once.
    static func writeTag(_ tag: UInt8, varint value: UInt64, into buffer: inout ByteBuffer) {
        var packed: (UInt64, UInt64) = (UInt64(tag), 0)
        var count = 1
        var value = value
        withUnsafeMutableBytes(of: &packed) { raw in
            while value >= 0x80 {
                raw[count] = UInt8(truncatingIfNeeded: value) | 0x80
                value >>= 7
                count += 1
            }
            raw[count] = UInt8(value)
            count += 1
        }
        _ = withUnsafeBytes(of: &packed) { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    private static func writeString(_ number: UInt8, _ value: String, into buffer: inout ByteBuffer) {
        guard !value.isEmpty else { return }
        writeHeader(field: number, length: value.utf8.count, into: &buffer)
        buffer.writeString(value)
    }
}

/// A change of the watch feed with its record as stored.
public struct EncodedChange: Sendable, Hashable {
    /// The change's sequence.
    public var sequence: UInt64
    /// The change's kind.
    public var kind: ChangeKind
    let record: StoredRecord

    /// The event WatchInterviews sends for this change: the record as slices
    /// of its encoding, without remote_data unless `includeRemoteData`.
    public func event(includeRemoteData: Bool, storeEpoch: UInt64) -> EncodedWatchEvent {
        EncodedWatchEvent(
            sequence: sequence, kind: kind,
            interview: EncodedInterview(
                record, RecordView(customFields: true, remoteData: includeRemoteData, analysis: true)),
            storeEpoch: storeEpoch)
    }
}

/// ``ChangeBatch`` with each record as stored.
public struct EncodedChangeBatch: Sendable, Hashable {
    public var changes: [EncodedChange]
    public var truncated: Bool
    public var scannedThrough: UInt64
}

/// A WatchEvent whose record is a stored encoding, ready to send: written
/// exactly as protobuf-c would encode the equivalent ``WatchEvent``.
public struct EncodedWatchEvent: WireCodable, Sendable, Hashable {
    public var sequence: UInt64
    public var kind: ChangeKind
    /// The record after the change; nil only on the end-of-replay marker.
    public var interview: EncodedInterview?
    public var storeEpoch: UInt64
    /// The end-of-replay marker (see ``WatchEvent/caughtUp``).
    public var caughtUp: Bool = false

    /// The end-of-replay marker at `sequence`.
    public static func caughtUp(sequence: UInt64, storeEpoch: UInt64) -> EncodedWatchEvent {
        EncodedWatchEvent(
            sequence: sequence, kind: .unspecified, interview: nil, storeEpoch: storeEpoch, caughtUp: true)
    }

    /// The event as a value.
    public func typed() throws -> WatchEvent {
        WatchEvent(
            sequence: sequence, kind: kind, interview: try interview?.interview(), storeEpoch: storeEpoch,
            caughtUp: caughtUp)
    }

    public func encode(into buffer: inout ByteBuffer) throws(WireError) {
        if sequence != 0 {
            EncodedPage.writeTag(0x08, varint: sequence, into: &buffer)
        }
        if kind.rawValue != 0 {
            EncodedPage.writeTag(0x10, varint: UInt64(bitPattern: Int64(kind.rawValue)), into: &buffer)
        }
        try interview?.encode(asField: 3, into: &buffer)
        if storeEpoch != 0 {
            EncodedPage.writeTag(0x20, varint: storeEpoch, into: &buffer)
        }
        if caughtUp {
            EncodedPage.writeTag(0x28, varint: 1, into: &buffer)
        }
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, maxSize: Int) throws(WireError) -> EncodedWatchEvent {
        let event = try WatchEvent.decode(from: bytes, maxSize: maxSize)
        if event.caughtUp, event.interview == nil {
            return .caughtUp(sequence: event.sequence, storeEpoch: event.storeEpoch)
        }
        guard let interview = event.interview else {
            throw WireError(.rejected, field: "interview", "is required in a watch event")
        }
        do {
            return EncodedWatchEvent(
                sequence: event.sequence, kind: event.kind,
                interview: EncodedInterview(try StoredRecord(interview), .everything), storeEpoch: event.storeEpoch,
                caughtUp: event.caughtUp)
        } catch {
            throw WireError(.rejected, field: "interview", error.message)
        }
    }
}
