public import InterviewsWire
public import NIOCore

/// A HEADERS payload (`interviews.rpc.v1.CallHeaders`) read in place: the
/// method as a range of bytes, the scalar fields as numbers, the metadata
/// looked up on demand. Nothing is copied or allocated to read it.
///
/// Only the common shape is read this way: fields 1-4 each at most once
/// (metadata entries with at most one key and one value), strings of
/// printable ASCII. Anything else (unknown fields, other wire types, a
/// repeated field, a byte outside 0x20...0x7e, truncated input) makes
/// ``init(_:)`` return nil, and the caller decodes the payload with
/// ``RPCCallHeaders`` instead, whose result or error is then the call's.
/// Whatever is read here equals what ``RPCCallHeaders`` decodes from the
/// same bytes.
public struct CallHeadersView: Sendable {
    /// The payload; the ranges below are offsets into its readable bytes.
    public let payload: ByteBuffer
    /// Where the method name's bytes are (empty when the field is absent).
    public let method: Range<Int>
    /// `timeout_micros`; 0 means none.
    public let timeoutMicros: UInt64
    /// `initial_window`; 0 means the server's default.
    public let initialWindow: UInt32
    /// How many metadata entries the payload holds.
    public let metadataCount: Int

    /// Reads `payload`, or returns nil when it is not of the common shape.
    public init?(_ payload: ByteBuffer) {
        let parsed = payload.withUnsafeReadableBytes { bytes -> (Range<Int>, UInt64, UInt32, Int)? in
            var reader = ProtoReader(bytes)
            var method: Range<Int>?
            var timeout: UInt64?
            var window: UInt32?
            var entries = 0
            while !reader.atEnd {
                guard let tag = reader.tag() else { return nil }
                switch tag {
                case 0x0a:  // 1: method, length-delimited
                    guard method == nil, let range = reader.printable() else { return nil }
                    method = range
                case 0x12:  // 2: metadata entry
                    guard let entry = reader.lengthDelimited(), Self.entry(bytes, entry) != nil else { return nil }
                    entries += 1
                case 0x18:  // 3: timeout_micros
                    guard timeout == nil, let value = reader.varint() else { return nil }
                    timeout = value
                case 0x20:  // 4: initial_window
                    guard window == nil, let value = reader.varint(), value <= UInt64(UInt32.max) else { return nil }
                    window = UInt32(value)
                default:
                    return nil
                }
            }
            return (method ?? 0..<0, timeout ?? 0, window ?? 0, entries)
        }
        guard let parsed else { return nil }
        self.payload = payload
        (self.method, self.timeoutMicros, self.initialWindow, self.metadataCount) = parsed
    }

    /// The method name as a string (for messages; routing compares bytes).
    public var methodName: String {
        payload.withUnsafeReadableBytes { bytes in
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[method]), as: UTF8.self)
        }
    }

    /// The value of the first metadata entry whose key is `key` (compared
    /// byte for byte: pass it lowercase), or nil.
    public func metadataValue(forLowercaseKey key: String) -> String? {
        var key = key
        return key.withUTF8 { wanted in
            payload.withUnsafeReadableBytes { bytes -> String? in
                var found: String?
                Self.forEachEntry(bytes) { keyRange, valueRange in
                    guard keyRange.count == wanted.count,
                        UnsafeRawBufferPointer(rebasing: bytes[keyRange]).elementsEqual(wanted)
                    else { return true }
                    found = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueRange]), as: UTF8.self)
                    return false
                }
                return found
            }
        }
    }

    /// Every metadata entry, in order.
    public var metadata: [RPCMetadataEntry] {
        guard metadataCount > 0 else { return [] }
        return payload.withUnsafeReadableBytes { bytes in
            var entries: [RPCMetadataEntry] = []
            entries.reserveCapacity(metadataCount)
            Self.forEachEntry(bytes) { keyRange, valueRange in
                entries.append(
                    RPCMetadataEntry(
                        key: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[keyRange]), as: UTF8.self),
                        value: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueRange]), as: UTF8.self)))
                return true
            }
            return entries
        }
    }

    /// The headers as a value (what ``RPCCallHeaders`` decodes from the payload).
    public var headers: RPCCallHeaders {
        RPCCallHeaders(
            method: methodName, metadata: metadata, timeoutMicros: timeoutMicros, initialWindow: initialWindow)
    }

    /// Calls `body` with the key and value ranges of each metadata entry of a
    /// payload ``init(_:)`` accepted, until it returns false.
    private static func forEachEntry(
        _ bytes: UnsafeRawBufferPointer, _ body: (Range<Int>, Range<Int>) -> Bool
    ) {
        var reader = ProtoReader(bytes)
        while !reader.atEnd {
            guard let tag = reader.tag() else { return }
            switch tag {
            case 0x12:
                guard let range = reader.lengthDelimited(), let (key, value) = entry(bytes, range) else { return }
                guard body(key, value) else { return }
            case 0x0a:
                guard reader.lengthDelimited() != nil else { return }
            case 0x18, 0x20:
                guard reader.varint() != nil else { return }
            default:
                return
            }
        }
    }

    /// The key and value ranges of the MetadataEntry at `range`, or nil when
    /// it is not of the common shape.
    private static func entry(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> (Range<Int>, Range<Int>)? {
        var reader = ProtoReader(bytes, range)
        var key: Range<Int>?
        var value: Range<Int>?
        while !reader.atEnd {
            guard let tag = reader.tag() else { return nil }
            switch tag {
            case 0x0a:
                guard key == nil, let range = reader.printable() else { return nil }
                key = range
            case 0x12:
                guard value == nil, let range = reader.printable() else { return nil }
                value = range
            default:
                return nil
            }
        }
        let empty = range.upperBound..<range.upperBound
        return (key ?? empty, value ?? empty)
    }
}

/// Reads protobuf varints and length-delimited fields from raw bytes,
/// bounds-checked; every read returns nil on truncated or malformed input.
struct ProtoReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>? = nil) {
        self.bytes = bytes
        self.offset = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var atEnd: Bool { offset >= end }

    /// A tag of one byte (field numbers 1-15).
    mutating func tag() -> UInt8? {
        guard offset < end, bytes[offset] < 0x80 else { return nil }
        offset += 1
        return bytes[offset - 1]
    }

    /// A minimally encoded varint of at most 10 bytes.
    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < end, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            if byte == 0 && shift > 0 { return nil }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// The range of a length-delimited field's bytes (the length read first).
    mutating func lengthDelimited() -> Range<Int>? {
        guard let length = varint(), length <= UInt64(end - offset) else { return nil }
        let range = offset..<(offset + Int(length))
        offset = range.upperBound
        return range
    }

    /// A length-delimited field all of whose bytes are printable ASCII.
    mutating func printable() -> Range<Int>? {
        guard let range = lengthDelimited() else { return nil }
        for index in range where bytes[index] < 0x20 || bytes[index] > 0x7e { return nil }
        return range
    }
}

extension CallHeadersView {
    /// Appends a whole HEADERS frame for call `callID` to `buffer`: the
    /// 12-byte header and the `CallHeaders` payload, encoded here (what
    /// ``RPCCallHeaders`` encodes, field for field).
    ///
    /// - Returns: False, with nothing written, when a string holds NUL: the
    ///   caller then encodes ``RPCCallHeaders``, which reports it.
    public static func writeFrame(
        method: String, metadata: [RPCMetadataEntry], timeoutMicros: UInt64 = 0, initialWindow: UInt32 = 0,
        callID: UInt32, into buffer: inout ByteBuffer
    ) -> Bool {
        guard !method.utf8.contains(0),
            !metadata.contains(where: { $0.key.utf8.contains(0) || $0.value.utf8.contains(0) })
        else { return false }
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0), endianness: .big)
        buffer.writeInteger(FrameType.headers.rawValue)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt16(0), endianness: .big)
        buffer.writeInteger(callID, endianness: .big)
        writeString(field: 1, method, into: &buffer)
        for entry in metadata {
            let keyLength = entry.key.utf8.count
            let valueLength = entry.value.utf8.count
            var length = 0
            if keyLength > 0 { length += 1 + varintSize(UInt64(keyLength)) + keyLength }
            if valueLength > 0 { length += 1 + varintSize(UInt64(valueLength)) + valueLength }
            buffer.writeInteger(UInt8(0x12))
            writeVarint(UInt64(length), into: &buffer)
            writeString(field: 1, entry.key, into: &buffer)
            writeString(field: 2, entry.value, into: &buffer)
        }
        if timeoutMicros != 0 {
            buffer.writeInteger(UInt8(0x18))
            writeVarint(timeoutMicros, into: &buffer)
        }
        if initialWindow != 0 {
            buffer.writeInteger(UInt8(0x20))
            writeVarint(UInt64(initialWindow), into: &buffer)
        }
        buffer.setInteger(UInt32(buffer.writerIndex - start - Frame.headerSize), at: start, endianness: .big)
        return true
    }

    private static func writeString(field: UInt8, _ string: String, into buffer: inout ByteBuffer) {
        let length = string.utf8.count
        guard length > 0 else { return }
        buffer.writeInteger(field << 3 | 2)
        writeVarint(UInt64(length), into: &buffer)
        buffer.writeString(string)
    }

    private static func writeVarint(_ value: UInt64, into buffer: inout ByteBuffer) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }

    private static func varintSize(_ value: UInt64) -> Int {
        var value = value
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }
}
