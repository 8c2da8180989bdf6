internal import CProtobufC

/// A validating pass over protobuf bytes, guided by protobuf-c's descriptors,
/// run before `protobuf_c_message_unpack`.
///
/// protobuf-c turns string fields into NUL-terminated C strings without
/// checking them, so a string with invalid UTF-8 would pass through and one
/// with an embedded NUL would be silently cut short. The scan rejects both,
/// and malformed framing, with an error that names the field path
/// (`interview.interviewers[1].email`). Unknown fields are skipped, as a newer
/// writer's fields must be. It allocates nothing.
enum WireScanner {
    /// Deeper nesting than this is refused; the contract nests four levels at most.
    static let maxDepth = 32
    /// protobuf's largest field number (the smallest is 1).
    static let maxFieldNumber: UInt32 = 536_870_911

    static func scan(
        _ bytes: UnsafeRawBufferPointer, _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        depth: Int = 0
    ) throws(WireError) {
        guard depth < maxDepth else {
            throw WireError(.malformed, field: "", "nesting deeper than \(maxDepth) messages")
        }
        var i = 0
        let n = bytes.count
        // Where the last field was found in the descriptor's table: writers
        // emit fields in number order, so the next one is usually there or
        // just after it.
        var hint = 0
        while i < n {
            let tagOffset = i
            let tag = try varint(bytes, &i)
            let number = tag >> 3
            let wireType = Int(tag & 7)
            guard number > 0, number <= maxFieldNumber else {
                throw WireError(.malformed, field: "", "field number \(number) at byte \(tagOffset) is out of range")
            }
            let field = fieldDescriptor(descriptor, UInt32(number), hint: &hint)
            switch wireType {
            case 0:
                let valueOffset = i
                do {
                    _ = try varint(bytes, &i)
                } catch {
                    throw try named(error, descriptor, field, bytes, tagOffset, "bad varint at byte \(valueOffset)")
                }
                try expect(field, wireType, tagOffset)
            case 1:
                guard n - i >= 8 else { throw try truncated(descriptor, field, bytes, tagOffset) }
                i += 8
                try expect(field, wireType, tagOffset)
            case 5:
                guard n - i >= 4 else { throw try truncated(descriptor, field, bytes, tagOffset) }
                i += 4
                try expect(field, wireType, tagOffset)
            case 2:
                let lengthOffset = i
                let length: UInt64
                do {
                    length = try varint(bytes, &i)
                } catch {
                    let what = "bad length varint at byte \(lengthOffset)"
                    throw try named(error, descriptor, field, bytes, tagOffset, what)
                }
                guard length <= UInt64(n - i) else { throw try truncated(descriptor, field, bytes, tagOffset) }
                let body = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + Int(length))])
                i += Int(length)
                guard let field else { continue }
                switch field.pointee.type {
                case PROTOBUF_C_TYPE_STRING:
                    if let (kind, offset) = validateCString(body) {
                        let what =
                            kind == .containsNUL
                            ? "contains NUL (U+0000) at byte \(offset), which cannot be stored"
                            : "is not valid UTF-8 (bad byte at offset \(offset))"
                        throw WireError(kind, field: try path(descriptor, field, bytes, upTo: tagOffset), what)
                    }
                case PROTOBUF_C_TYPE_MESSAGE:
                    let sub = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                    do {
                        try scan(body, sub, depth: depth + 1)
                    } catch {
                        throw error.inside(try path(descriptor, field, bytes, upTo: tagOffset))
                    }
                case PROTOBUF_C_TYPE_BYTES:
                    break
                default:
                    // A packed repeated scalar is length-delimited too.
                    guard field.pointee.label == PROTOBUF_C_LABEL_REPEATED else {
                        throw WireError(
                            .malformed, field: name(field), "wire type 2 is wrong for this field (byte \(tagOffset))")
                    }
                }
            default:
                throw WireError(.malformed, field: "", "wire type \(wireType) at byte \(tagOffset) is not supported")
            }
        }
    }

    /// A field that runs past the end of the bytes, named when this build knows it.
    private static func truncated(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, _ field: UnsafePointer<ProtobufCFieldDescriptor>?,
        _ bytes: UnsafeRawBufferPointer, _ offset: Int
    ) throws(WireError) -> WireError {
        guard let field else {
            return WireError(.malformed, field: "", "truncated: the field starting at byte \(offset) runs past the end")
        }
        return WireError(
            .malformed, field: try path(descriptor, field, bytes, upTo: offset),
            "runs past the end of the message (the field starts at byte \(offset))")
    }

    /// `error` (a varint of a field's value or length that does not end) with
    /// the field's name and `what`, when this build knows the field.
    private static func named(
        _ error: WireError, _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        _ field: UnsafePointer<ProtobufCFieldDescriptor>?, _ bytes: UnsafeRawBufferPointer, _ offset: Int,
        _ what: String
    ) throws(WireError) -> WireError {
        guard let field else { return error }
        return WireError(.malformed, field: try path(descriptor, field, bytes, upTo: offset), what)
    }

    private static func expect(
        _ field: UnsafePointer<ProtobufCFieldDescriptor>?, _ wireType: Int, _ offset: Int
    ) throws(WireError) {
        guard let field else { return }
        let expected: Int
        switch field.pointee.type {
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES, PROTOBUF_C_TYPE_MESSAGE: expected = 2
        case PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_DOUBLE: expected = 1
        case PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FLOAT: expected = 5
        default: expected = 0
        }
        guard wireType == expected else {
            throw WireError(
                .malformed, field: name(field), "wire type \(wireType) is wrong for this field (byte \(offset))")
        }
    }

    /// A varint of at most 10 bytes; bits beyond the 64th are dropped, as
    /// protobuf-c (and protobuf's own parsers) drop them.
    @inline(__always)
    static func varint(_ bytes: UnsafeRawBufferPointer, _ i: inout Int) throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = i
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { break }
        }
        throw WireError(.malformed, field: "", "bad varint at byte \(start)")
    }

    /// The descriptor of field `number`, looked up first at `hint` and just
    /// after it; `hint` is moved to where it was found.
    @inline(__always)
    static func fieldDescriptor(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, _ number: UInt32, hint: inout Int
    ) -> UnsafePointer<ProtobufCFieldDescriptor>? {
        guard let fields = descriptor.pointee.fields else { return nil }
        let count = Int(descriptor.pointee.n_fields)
        if hint < count, fields[hint].id == number { return fields + hint }
        if hint + 1 < count, fields[hint + 1].id == number {
            hint += 1
            return fields + hint
        }
        guard let found = fieldDescriptor(descriptor, number) else { return nil }
        hint = found - fields
        return found
    }

    /// The descriptor of field `number`, or nil for a field this build does not know.
    ///
    /// A message with no fields (HealthRequest, ListKeysRequest, ...) has a
    /// NULL field table in protoc-c's output: every field of it is unknown.
    static func fieldDescriptor(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, _ number: UInt32
    ) -> UnsafePointer<ProtobufCFieldDescriptor>? {
        guard let fields = descriptor.pointee.fields, descriptor.pointee.n_fields > 0 else { return nil }
        // protoc-c emits fields sorted by number.
        var lo = 0
        var hi = Int(descriptor.pointee.n_fields) - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let id = fields[mid].id
            if id == number { return fields + mid }
            if id < number { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    static func name(_ field: UnsafePointer<ProtobufCFieldDescriptor>) -> String {
        String(cString: field.pointee.name)
    }

    /// The field's name, with its index when repeated: the index is the number
    /// of earlier occurrences of the same field (only computed on error).
    private static func path(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        _ field: UnsafePointer<ProtobufCFieldDescriptor>, _ bytes: UnsafeRawBufferPointer,
        upTo end: Int
    ) throws(WireError) -> String {
        guard field.pointee.label == PROTOBUF_C_LABEL_REPEATED else { return name(field) }
        var count = 0
        var i = 0
        while i < end {
            let tag = try varint(bytes, &i)
            switch tag & 7 {
            case 0: _ = try varint(bytes, &i)
            case 1: i += 8
            case 5: i += 4
            default: i += Int(try varint(bytes, &i))
            }
            if UInt32(tag >> 3) == field.pointee.id { count += 1 }
        }
        return "\(name(field))[\(count)]"
    }
}
