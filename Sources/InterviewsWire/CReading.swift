internal import CProtobufC
import InterviewsModel
internal import InterviewsProtoC

// Helpers that read unpacked protoc-c structs into Swift values. Strings were
// validated (UTF-8, no NUL) by WireScanner before protobuf-c saw them.

@inline(__always)
func readString(_ p: UnsafePointer<CChar>?) -> String {
    guard let p, p.pointee != 0 else { return "" }
    return String(cString: p)
}

@inline(__always)
func readStrings(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard n > 0, let p else { return [] }
    var out: [String] = []
    out.reserveCapacity(n)
    for k in 0..<n { out.append(readString(p[k])) }
    return out
}

@inline(__always)
func readBytes(_ b: ProtobufCBinaryData) -> [UInt8] {
    guard b.len > 0, let data = b.data else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: b.len))
}

func readTimestamp(_ p: UnsafePointer<Google__Protobuf__Timestamp>?, _ field: String) throws(WireError) -> Timestamp? {
    guard let p else { return nil }
    let t = Timestamp(seconds: p.pointee.seconds, nanos: p.pointee.nanos)
    guard t.isValid else {
        throw WireError(
            .timestampOutOfRange, field: field,
            "timestamp (seconds \(t.seconds), nanos \(t.nanos)) is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z with nanos 0..999999999"
        )
    }
    return t
}

func readEnum<E: RawRepresentable & CaseIterable>(_ raw: some BinaryInteger, _ field: String) throws(WireError) -> E
where E.RawValue == Int32 {
    let value = Int32(truncatingIfNeeded: raw)
    guard let e = E(rawValue: value) else {
        let known = E.allCases.map { String($0.rawValue) }.joined(separator: ", ")
        throw WireError(.unknownEnumValue, field: field, "\(value) is not a defined value (known: \(known))")
    }
    return e
}

func readMessage<T: CBridged>(_ p: UnsafeMutablePointer<T.CMessage>?, _ field: String) throws(WireError) -> T? {
    guard let p else { return nil }
    do { return try T(c: p) } catch { throw error.inside(field) }
}

func readMessages<T: CBridged>(
    _ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<T.CMessage>?>?, _ field: String
) throws(WireError) -> [T] {
    guard n > 0, let p else { return [] }
    var out: [T] = []
    out.reserveCapacity(n)
    for k in 0..<n {
        guard let element = p[k] else { continue }
        do { out.append(try T(c: element)) } catch { throw error.inside("\(field)[\(k)]") }
    }
    return out
}

func readFieldMask(_ p: UnsafePointer<Google__Protobuf__FieldMask>?) -> [String] {
    guard let p else { return [] }
    return readStrings(p.pointee.n_paths, p.pointee.paths)
}

// Helpers that build protoc-c structs in an arena.
extension EncodeArena {
    mutating func timestamp(_ t: Timestamp?) -> UnsafeMutablePointer<Google__Protobuf__Timestamp>? {
        guard let t else { return nil }
        let p = allocate(Google__Protobuf__Timestamp.self)
        google__protobuf__timestamp__init(p)
        p.pointee.seconds = t.seconds
        p.pointee.nanos = t.nanos
        return p
    }

    mutating func message<T: CBridged>(_ value: T?) throws(WireError) -> UnsafeMutablePointer<T.CMessage>? {
        guard let value else { return nil }
        return try value.cMessage(&self)
    }

    mutating func messages<T: CBridged>(_ values: [T], _ field: String) throws(WireError) -> (
        Int, UnsafeMutablePointer<UnsafeMutablePointer<T.CMessage>?>?
    ) {
        if values.isEmpty { return (0, nil) }
        let array = allocate(UnsafeMutablePointer<T.CMessage>?.self, count: values.count)
        for (k, v) in values.enumerated() {
            do { array[k] = try v.cMessage(&self) } catch { throw error.inside("\(field)[\(k)]") }
        }
        return (values.count, array)
    }

    mutating func fieldMask(_ paths: [String], _ field: String) throws(WireError) -> UnsafeMutablePointer<
        Google__Protobuf__FieldMask
    >? {
        if paths.isEmpty { return nil }
        let p = allocate(Google__Protobuf__FieldMask.self)
        google__protobuf__field_mask__init(p)
        (p.pointee.n_paths, p.pointee.paths) = try cStrings(paths, "\(field).paths")
        return p
    }

    /// A C enum value from a Swift enum's raw value.
    func cEnum<C: RawRepresentable>(_ value: some RawRepresentable<Int32>) -> C where C.RawValue: BinaryInteger {
        C(rawValue: C.RawValue(truncatingIfNeeded: value.rawValue))!
    }
}
