/// Reads an open file through a window of cached bytes, so that scanning
/// small records sequentially costs one `pread` per window, not per record.
struct FileReader {
    /// Bytes fetched per refill when a read asks for less.
    static let windowSize = 1 << 20

    let io: any FileIO
    let fd: FileDescriptor
    /// The file's length when the reader was made.
    let size: Int64
    private var windowStart: Int64 = 0
    /// The window's buffer: its first ``windowLength`` bytes are the file's
    /// from ``windowStart``. Kept between refills, so that a scan does not
    /// allocate (and fault in) a fresh megabyte per window.
    private var window: [UInt8] = []
    private var windowLength = 0

    init(io: any FileIO, fd: FileDescriptor, size: Int64) {
        self.io = io
        self.fd = fd
        self.size = size
    }

    /// Up to `count` bytes at `offset`; fewer only at the end of the file.
    mutating func bytes(at offset: Int64, count: Int) throws(FileIOError) -> ArraySlice<UInt8> {
        let available = max(0, min(Int64(count), size - offset))
        let windowEnd = windowStart + Int64(windowLength)
        if offset < windowStart || offset + available > windowEnd {
            try refill(at: offset, atLeast: Int(available))
        }
        let start = Int(offset - windowStart)
        return window[start..<(start + Int(min(available, Int64(windowLength - start))))]
    }

    /// Loads the window starting at `offset`, into the same buffer when it
    /// is large enough (a slice handed out earlier and still held keeps its
    /// own copy: the buffer is copied on write).
    private mutating func refill(at offset: Int64, atLeast count: Int) throws(FileIOError) {
        let wanted = Int(min(Int64(max(count, Self.windowSize)), max(0, size - offset)))
        if window.count < wanted { window = [UInt8](repeating: 0, count: wanted) }
        windowStart = offset
        windowLength = 0
        let io = self.io
        let fd = self.fd
        var filled = 0
        while filled < wanted {
            let n = try window.withMutableBytes { raw throws(FileIOError) in
                try io.read(
                    fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<wanted]), at: offset + Int64(filled))
            }
            if n == 0 { break }
            filled += n
        }
        windowLength = filled
    }
}

/// One record frame decoded from a file.
struct DecodedFrame: Sendable, Hashable {
    /// Where the frame starts in its file.
    var offset: Int64
    /// Bytes the frame occupies (header and payload).
    var size: Int
    /// The raw type byte (kind, parity and commit bits).
    var type: UInt8
    var sequence: UInt64
    var data: [UInt8]

    var end: Int64 { offset + Int64(size) }
    var commit: Bool { type & LogFormat.commitBit != 0 }
    var parity: Bool { type & LogFormat.parityBit != 0 }
    var record: LogRecord { LogRecord(sequence: sequence, kind: type & LogFormat.kindMask, data: data) }
}

/// What is at an offset of a file that holds frames.
enum FrameReadResult: Sendable, Hashable {
    /// A whole frame whose checksum matches.
    case frame(DecodedFrame)
    /// The offset is exactly the end of the file.
    case end
    /// Bytes that are not a valid frame, and why.
    case damaged(String)
}

extension FileReader {
    /// Decodes the frame at `offset`, checking its length bounds and CRC.
    mutating func frame(at offset: Int64) throws(FileIOError) -> FrameReadResult {
        let remaining = size - offset
        if remaining <= 0 { return .end }
        if remaining < Int64(LogFormat.frameHeaderSize) {
            return .damaged("partial record header (\(remaining) of \(LogFormat.frameHeaderSize) bytes)")
        }
        let header = try bytes(at: offset, count: LogFormat.frameHeaderSize)
        let length = Int(header.littleEndian(at: 0, as: UInt32.self) ?? 0)
        let storedCRC = header.littleEndian(at: 4, as: UInt32.self) ?? 0
        guard length >= LogFormat.payloadHeaderSize, length <= LogFormat.maxPayloadSize else {
            return .damaged(
                "impossible record length \(length) (must be \(LogFormat.payloadHeaderSize)...\(LogFormat.maxPayloadSize))"
            )
        }
        if remaining - Int64(LogFormat.frameHeaderSize) < Int64(length) {
            return .damaged("record of \(length) bytes extends past the end of the file (\(remaining - 8) bytes left)")
        }
        let payload = try bytes(at: offset + Int64(LogFormat.frameHeaderSize), count: length)
        guard payload.count == length else { return .damaged("file shrank while being read") }
        let computed = CRC32C.checksum(payload)
        guard computed == storedCRC else {
            return .damaged(
                "record checksum mismatch (stored \(LogFormat.hex8(storedCRC)), computed \(LogFormat.hex8(computed)))")
        }
        let type = payload[payload.startIndex]
        let sequence = payload.littleEndian(at: 1, as: UInt64.self) ?? 0
        let data = Array(payload.dropFirst(LogFormat.payloadHeaderSize))
        return .frame(
            DecodedFrame(
                offset: offset, size: LogFormat.frameHeaderSize + length, type: type, sequence: sequence, data: data))
    }

    /// True when every byte from `offset` to the end of the file is zero.
    mutating func isZero(from offset: Int64) throws(FileIOError) -> Bool {
        var position = offset
        while position < size {
            let chunk = try bytes(at: position, count: Self.windowSize)
            if chunk.isEmpty { return true }
            if chunk.contains(where: { $0 != 0 }) { return false }
            position += Int64(chunk.count)
        }
        return true
    }
}
