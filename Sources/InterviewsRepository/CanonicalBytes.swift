import InterviewsModel

/// A deterministic byte encoding, the input of the hashes that must give the
/// same answer in every process and after a restart (a page token's filter
/// binding, a create's payload fingerprint). Integers are big-endian, strings
/// and lists are length-prefixed, so distinct values never encode alike.
struct CanonicalBytes {
    private(set) var bytes: [UInt8] = []

    init() {}

    /// Empty, with room for `capacity` bytes.
    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func append(_ value: UInt8) { bytes.append(value) }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func append(_ value: Double) { append(value.bitPattern) }

    mutating func append(_ value: String) {
        append(UInt32(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// `value` as it is, without a length (for a fixed-size field).
    mutating func append(raw value: [UInt8]) { bytes.append(contentsOf: value) }

    mutating func append(bytes value: [UInt8]) {
        append(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func append(_ value: Timestamp?) {
        guard let value else {
            append(false)
            return
        }
        append(true)
        append(value.seconds)
        append(value.nanos)
    }

    mutating func append(_ value: UUIDv7) {
        append(value.high)
        append(value.low)
    }

    mutating func append(_ participant: Participant) {
        for text in [
            participant.id, participant.remoteID, participant.firstName, participant.lastName, participant.email,
        ] {
            append(text)
        }
    }

    /// Every field of `interview`, in proto field order; custom_fields sorted by key.
    mutating func append(_ interview: Interview) {
        for text in [
            interview.id, interview.remoteID, interview.companyID, interview.candidateID, interview.applicationID,
            interview.jobID, interview.agentID, interview.jobInterviewStageID, interview.title,
        ] {
            append(text)
        }
        append(interview.organizer != nil)
        if let organizer = interview.organizer { append(organizer) }
        append(UInt32(interview.interviewers.count))
        for participant in interview.interviewers { append(participant) }
        append(interview.location != nil)
        if let location = interview.location {
            for text in [
                location.raw, location.street1, location.street2, location.city, location.state, location.zipCode,
                location.country,
            ] {
                append(text)
            }
        }
        append(interview.startAt)
        append(interview.endAt)
        append(interview.status.rawValue)
        append(interview.remoteStatus)
        for timestamp in [
            interview.createdAt, interview.updatedAt, interview.remoteCreatedAt, interview.remoteUpdatedAt,
            interview.deletedAt, interview.remoteDeletedAt,
        ] {
            append(timestamp)
        }
        append(UInt32(interview.customFields.count))
        for key in interview.customFields.keys.sorted() {
            append(key)
            append(interview.customFields[key] ?? "")
        }
        append(bytes: interview.remoteData)
        append(interview.analysis != nil)
        if let analysis = interview.analysis {
            append(analysis.summary)
            append(analysis.recommendation)
            append(analysis.overallScore)
            append(UInt32(analysis.scores.count))
            for score in analysis.scores {
                append(score.name)
                append(score.value)
                append(score.maxValue)
            }
            append(UInt32(analysis.transcript.count))
            for segment in analysis.transcript {
                append(segment.speaker)
                append(segment.text)
                append(segment.startOffsetMs)
                append(segment.endOffsetMs)
            }
        }
        append(interview.revision)
    }
}

/// Reads what ``CanonicalBytes`` wrote; every read returns nil past the end.
struct CanonicalReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func read<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { return nil }
        var value: T = 0
        for byte in bytes[offset..<offset + size] { value = value << 8 | T(truncatingIfNeeded: byte) }
        offset += size
        return value
    }

    mutating func read(count: Int) -> [UInt8]? {
        guard offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
}

/// base64url without padding (RFC 4648 section 5): the text form of page tokens.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        let length = (bytes.count * 4 + 2) / 3
        return String(unsafeUninitializedCapacity: length) { output in
            alphabet.withUnsafeBufferPointer { alphabet in
                var written = 0
                var index = 0
                while index < bytes.count {
                    let remaining = bytes.count - index
                    let chunk =
                        UInt32(bytes[index]) << 16 | (remaining > 1 ? UInt32(bytes[index + 1]) << 8 : 0)
                        | (remaining > 2 ? UInt32(bytes[index + 2]) : 0)
                    let characters = remaining >= 3 ? 4 : remaining + 1
                    for position in 0..<characters {
                        output[written] = alphabet[Int((chunk >> UInt32(18 - 6 * position)) & 0x3F)]
                        written += 1
                    }
                    index += 3
                }
                return written
            }
        }
    }

    /// nil for any character outside the alphabet, padding, or an impossible length.
    static func decode(_ text: String) -> [UInt8]? {
        var values = [UInt8]()
        values.reserveCapacity(text.utf8.count)
        for character in text.utf8 {
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(character - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(character - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var output = [UInt8]()
        var index = 0
        while index < values.count {
            let group = values[index..<min(index + 4, values.count)]
            var chunk: UInt32 = 0
            for (position, value) in group.enumerated() { chunk |= UInt32(value) << UInt32(18 - 6 * position) }
            for position in 0..<(group.count - 1) { output.append(UInt8((chunk >> UInt32(16 - 8 * position)) & 0xFF)) }
            index += 4
        }
        // Reject non-canonical encodings (stray bits in the last character).
        guard encode(output) == text else { return nil }
        return output
    }
}
