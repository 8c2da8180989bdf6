/// Little-endian integer encoding for the on-disk format (see docs/STORAGE.md).
extension Array where Element == UInt8 {
    /// Appends `value` in little-endian byte order.
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    /// The little-endian integer at `offset`; the caller checked the bounds.
    func loadLittleEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension ArraySlice where Element == UInt8 {
    /// The little-endian integer `offset` bytes past the slice's start, or nil
    /// when the slice is too short.
    func littleEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type) -> T? {
        guard offset >= 0, count - offset >= MemoryLayout<T>.size else { return nil }
        return withUnsafeBytes { $0.loadLittleEndian(at: offset, as: T.self) }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body that throws ``FileIOError`` (the standard
    /// library's version erases the error type).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(FileIOError) -> R) throws(FileIOError) -> R {
        let result = withUnsafeBytes { raw in Result { () throws(FileIOError) in try body(raw) } }
        return try result.get()
    }

    /// `withUnsafeMutableBytes` for a body that throws ``FileIOError``.
    mutating func withMutableBytes<R>(
        _ body: (UnsafeMutableRawBufferPointer) throws(FileIOError) -> R
    ) throws(FileIOError) -> R {
        let result = withUnsafeMutableBytes { raw in Result { () throws(FileIOError) in try body(raw) } }
        return try result.get()
    }
}
