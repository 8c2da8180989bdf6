public import InterviewsWire
public import NIOCore

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

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
                    guard keyRange.count == wanted.count, Self.equal(bytes, keyRange, wanted) else { return true }
                    found = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueRange]), as: UTF8.self)
                    return false
                }
                return found
            }
        }
    }

    /// Whether `bytes[range]` and `other` hold the same bytes (of the same count).
    private static func equal(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ other: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard !other.isEmpty else { return true }
        guard let base = bytes.baseAddress, let otherBase = other.baseAddress else { return false }
        return memcmp(base + range.lowerBound, otherBase, other.count) == 0
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
                guard let range = reader.lengthDelimited(), let (key, value) = entry(bytes, range, checked: false)
                else { return }
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
    /// With `checked` false (a payload ``init(_:)`` already accepted), the
    /// strings' bytes are not looked at again.
    private static func entry(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, checked: Bool = true
    ) -> (Range<Int>, Range<Int>)? {
        var reader = ProtoReader(bytes, range)
        var key: Range<Int>?
        var value: Range<Int>?
        while !reader.atEnd {
            guard let tag = reader.tag() else { return nil }
            switch tag {
            case 0x0a:
                guard key == nil, let range = checked ? reader.printable() : reader.lengthDelimited() else {
                    return nil
                }
                key = range
            case 0x12:
                guard value == nil, let range = checked ? reader.printable() : reader.lengthDelimited() else {
                    return nil
                }
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
    /// ``RPCCallHeaders`` encodes, field for field) in one pass over the
    /// buffer's memory.
    ///
    /// - Returns: False, with nothing written, when a string holds NUL: the
    ///   caller then encodes ``RPCCallHeaders``, which reports it.
    public static func writeFrame(
        method: String, metadata: [RPCMetadataEntry], timeoutMicros: UInt64 = 0, initialWindow: UInt32 = 0,
        callID: UInt32, into buffer: inout ByteBuffer
    ) -> Bool {
        guard !holdsNUL(method), !metadata.contains(where: { holdsNUL($0.key) || holdsNUL($0.value) }) else {
            return false
        }
        var length = stringFieldSize(method)
        for entry in metadata {
            let entryLength = stringFieldSize(entry.key) + stringFieldSize(entry.value)
            length += 1 + varintSize(UInt64(entryLength)) + entryLength
        }
        if timeoutMicros != 0 { length += 1 + varintSize(timeoutMicros) }
        if initialWindow != 0 { length += 1 + varintSize(UInt64(initialWindow)) }
        let total = Frame.headerSize + length
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { memory in
            var out = RawWriter(memory)
            out.frameHeader(length: length, type: .headers, flags: [], callID: callID)
            out.stringField(1, method)
            for entry in metadata {
                let entryLength = stringFieldSize(entry.key) + stringFieldSize(entry.value)
                out.byte(0x12)
                out.varint(UInt64(entryLength))
                out.stringField(1, entry.key)
                out.stringField(2, entry.value)
            }
            if timeoutMicros != 0 {
                out.byte(0x18)
                out.varint(timeoutMicros)
            }
            if initialWindow != 0 {
                out.byte(0x20)
                out.varint(UInt64(initialWindow))
            }
            return out.offset
        }
        return true
    }

    private static func holdsNUL(_ string: String) -> Bool {
        string.utf8.withContiguousStorageIfAvailable { $0.contains(0) } ?? string.utf8.contains(0)
    }

    /// The bytes of a string field (tag, length, bytes); 0 for an empty one, which is not sent.
    private static func stringFieldSize(_ string: String) -> Int {
        let length = string.utf8.count
        return length == 0 ? 0 : 1 + varintSize(UInt64(length)) + length
    }

    static func varintSize(_ value: UInt64) -> Int {
        var value = value
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }
}

extension ByteBuffer {
    /// Appends a 12-byte frame header in one write.
    package mutating func writeFrameHeader(length: Int, type: FrameType, flags: FrameFlags = [], callID: UInt32) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: Frame.headerSize) { memory in
            var out = RawWriter(memory)
            out.frameHeader(length: length, type: type, flags: flags, callID: callID)
            return out.offset
        }
    }

    /// Overwrites the 12 bytes at `index` (written before, e.g. as zeros) with a frame header.
    package mutating func setFrameHeader(
        at index: Int, length: Int, type: FrameType, flags: FrameFlags = [], callID: UInt32
    ) {
        let offset = index - readerIndex
        guard offset >= 0, offset + Frame.headerSize <= readableBytes else { return }
        withUnsafeMutableReadableBytes { memory in
            var out = RawWriter(UnsafeMutableRawBufferPointer(rebasing: memory[offset..<(offset + Frame.headerSize)]))
            out.frameHeader(length: length, type: type, flags: flags, callID: callID)
        }
    }
}

/// Writes into memory whose size the caller has checked: every write stays
/// within what the caller computed and reserved.
struct RawWriter {
    let memory: UnsafeMutableRawBufferPointer
    var offset = 0

    init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }

    mutating func byte(_ value: UInt8) {
        memory[offset] = value
        offset += 1
    }

    mutating func bigEndian32(_ value: UInt32) {
        byte(UInt8(truncatingIfNeeded: value >> 24))
        byte(UInt8(truncatingIfNeeded: value >> 16))
        byte(UInt8(truncatingIfNeeded: value >> 8))
        byte(UInt8(truncatingIfNeeded: value))
    }

    mutating func frameHeader(length: Int, type: FrameType, flags: FrameFlags, callID: UInt32) {
        bigEndian32(UInt32(truncatingIfNeeded: length))
        byte(type.rawValue)
        byte(flags.rawValue)
        byte(0)
        byte(0)
        bigEndian32(callID)
    }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            byte(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        byte(UInt8(value))
    }

    mutating func stringField(_ field: UInt8, _ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            guard !utf8.isEmpty else { return }
            byte(field << 3 | 2)
            varint(UInt64(utf8.count))
            UnsafeMutableRawBufferPointer(rebasing: memory[offset..<(offset + utf8.count)])
                .copyMemory(from: UnsafeRawBufferPointer(utf8))
            offset += utf8.count
        }
    }
}
