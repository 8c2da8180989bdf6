/// The store's on-disk format: constants, file names, headers and record
/// framing. docs/STORAGE.md describes the same bytes for a person.
///
/// All integers are little-endian. Every checksum is CRC-32C.
enum LogFormat {
    /// The format version written into every header; a reader refuses others.
    static let version: UInt32 = 1

    /// First 8 bytes of a log segment: `IVLOG\r\n\x1A`.
    static let segmentMagic: [UInt8] = [0x49, 0x56, 0x4C, 0x4F, 0x47, 0x0D, 0x0A, 0x1A]
    /// First 8 bytes of a snapshot: `IVSNP\r\n\x1A`.
    static let snapshotMagic: [UInt8] = [0x49, 0x56, 0x53, 0x4E, 0x50, 0x0D, 0x0A, 0x1A]
    /// First 8 bytes of a snapshot's trailer: `IVEND\r\n\x1A`.
    static let trailerMagic: [UInt8] = [0x49, 0x56, 0x45, 0x4E, 0x44, 0x0D, 0x0A, 0x1A]

    /// Bytes in a segment or snapshot header.
    static let headerSize = 32
    /// Bytes in a snapshot trailer.
    static let trailerSize = 24
    /// Bytes before a record's payload: length (u32) and CRC-32C (u32).
    static let frameHeaderSize = 8
    /// Bytes at the start of every payload: type (u8) and sequence (u64).
    static let payloadHeaderSize = 9
    /// The smallest possible frame: a record with no data.
    static let minFrameSize = frameHeaderSize + payloadHeaderSize
    /// The largest payload (type + sequence + data) a frame may declare: 16 MiB.
    /// A larger length is "impossible" and marks damage.
    static let maxPayloadSize = 16 * 1024 * 1024
    /// The most data one record may carry.
    static let maxDataSize = maxPayloadSize - payloadHeaderSize

    /// Bits of the type byte that carry the caller's record kind (0...63).
    static let kindMask: UInt8 = 0x3F
    /// Type-byte bit: the parity of the write batch the record belongs to.
    static let parityBit: UInt8 = 0x40
    /// Type-byte bit: the record is the last one of its write batch.
    static let commitBit: UInt8 = 0x80

    /// The name of the segment whose first record has sequence `base`.
    static func segmentName(base: UInt64) -> String { "log-\(hex16(base)).seg" }

    /// The name of the snapshot that covers every sequence up to `sequence`.
    static func snapshotName(sequence: UInt64) -> String { "snapshot-\(hex16(sequence)).snap" }

    /// The suffix of a snapshot being written (removed at open if left over).
    static let temporarySuffix = ".tmp"

    /// The name of the directory lock file.
    static let lockName = "LOCK"

    /// `value` as 16 lowercase hex digits.
    static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The sequence in a name `<prefix><16 lowercase hex><suffix>`, or nil.
    static func parseName(_ name: String, prefix: String, suffix: String) -> UInt64? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard middle.count == 16, middle.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return UInt64(middle, radix: 16)
    }

    /// The base sequence of a segment file name, or nil if `name` is not one.
    static func parseSegmentName(_ name: String) -> UInt64? { parseName(name, prefix: "log-", suffix: ".seg") }

    /// The sequence of a snapshot file name, or nil if `name` is not one.
    static func parseSnapshotName(_ name: String) -> UInt64? {
        parseName(name, prefix: "snapshot-", suffix: ".snap")
    }

    /// A 32-byte header: magic, version, reserved u32, sequence, reserved u32,
    /// CRC-32C of the first 28 bytes.
    static func header(magic: [UInt8], sequence: UInt64) -> [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(sequence)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// The sequence in a header, or why the header is not valid.
    static func parseHeader(_ bytes: ArraySlice<UInt8>, magic: [UInt8]) -> Result<UInt64, FormatProblem> {
        guard bytes.count >= headerSize else {
            return .failure(FormatProblem("header is \(bytes.count) bytes, expected \(headerSize)"))
        }
        guard bytes.prefix(8).elementsEqual(magic) else { return .failure(FormatProblem("bad magic bytes")) }
        let stored = bytes.littleEndian(at: 28, as: UInt32.self) ?? 0
        let computed = CRC32C.checksum(bytes.prefix(28))
        guard stored == computed else {
            return .failure(
                FormatProblem("header checksum mismatch (stored \(hex8(stored)), computed \(hex8(computed)))"))
        }
        let fileVersion = bytes.littleEndian(at: 8, as: UInt32.self) ?? 0
        guard fileVersion == version else {
            return .failure(
                FormatProblem("format version \(fileVersion) is not supported (this build reads \(version))"))
        }
        return .success(bytes.littleEndian(at: 16, as: UInt64.self) ?? 0)
    }

    /// Appends one framed record: length, CRC-32C of the payload, payload
    /// (type byte, sequence, data).
    static func appendFrame(to bytes: inout [UInt8], type: UInt8, sequence: UInt64, data: [UInt8]) {
        let payloadLength = payloadHeaderSize + data.count
        bytes.appendLittleEndian(UInt32(payloadLength))
        let crcOffset = bytes.count
        bytes.appendLittleEndian(UInt32(0))
        let payloadStart = bytes.count
        bytes.append(type)
        bytes.appendLittleEndian(sequence)
        bytes.append(contentsOf: data)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[payloadStart...])) }
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: crcOffset, as: UInt32.self) }
    }

    /// `value` as `0x` and 8 hex digits.
    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// Why bytes on disk do not parse: a sentence for an error message.
struct FormatProblem: Error, Sendable, Hashable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
