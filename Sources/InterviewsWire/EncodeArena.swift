internal import CProtobufC

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A bump allocator for the C message graph built for one encode call.
///
/// Encoding builds protobuf-c structs (and NUL-terminated copies of every
/// string) that live only until `protobuf_c_message_pack` returns. They are
/// carved out of a few large blocks instead of one malloc each, and the arena
/// frees every block exactly once, in `deinit`. It is non-copyable, so no two
/// owners can free the same block.
struct EncodeArena: ~Copyable {
    /// The first block, kept out of `blocks` so that a small message costs one malloc.
    private var first: UnsafeMutableRawPointer?
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private let blockSize: Int

    /// Creates an arena whose first block is allocated on first use.
    init(blockSize: Int = 8192) {
        self.blockSize = blockSize
    }

    deinit {
        free(first)
        for block in blocks { free(block) }
    }

    /// Raw, uninitialised memory of `size` bytes aligned to 16.
    mutating func allocate(bytes size: Int) -> UnsafeMutableRawPointer {
        let rounded = (size + 15) & ~15
        if rounded > remaining {
            let capacity = max(blockSize, rounded)
            guard let block = malloc(capacity) else { fatalError("out of memory allocating \(capacity) bytes") }
            if first == nil { first = block } else { blocks.append(block) }
            cursor = block
            remaining = capacity
        }
        let result = cursor!
        cursor = result + rounded
        remaining -= rounded
        return result
    }

    /// Memory for `count` values of `T`, uninitialised.
    mutating func allocate<T>(_: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        allocate(bytes: MemoryLayout<T>.stride * count).bindMemory(to: T.self, capacity: count)
    }

    /// A NUL-terminated copy of `string`, or nil for an empty string (protobuf-c
    /// treats a NULL proto3 string as empty and skips it).
    ///
    /// - Throws: ``WireError/Kind/containsNUL`` when the string holds U+0000.
    mutating func cString(_ string: String, _ field: @autoclosure () -> String) throws(WireError)
        -> UnsafeMutablePointer<CChar>?
    {
        if string.isEmpty { return nil }
        var s = string
        let copied: UnsafeMutableRawPointer? = s.withUTF8 { utf8 in
            if memchr(utf8.baseAddress!, 0, utf8.count) != nil { return nil }
            let out = allocate(bytes: utf8.count + 1)
            out.copyMemory(from: utf8.baseAddress!, byteCount: utf8.count)
            out.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
            return out
        }
        guard let copied else {
            let offset =
                string.utf8.firstIndex(of: 0).map { string.utf8.distance(from: string.utf8.startIndex, to: $0) } ?? 0
            throw WireError(
                .containsNUL, field: field(), "contains NUL (U+0000) at byte \(offset), which cannot be stored")
        }
        return copied.assumingMemoryBound(to: CChar.self)
    }

    /// C string copies of `strings`, as protobuf-c's `size_t n_x; char **x` pair.
    mutating func cStrings(_ strings: [String], _ field: String) throws(WireError) -> (
        Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) {
        if strings.isEmpty { return (0, nil) }
        let array = allocate(UnsafeMutablePointer<CChar>?.self, count: strings.count)
        for (k, s) in strings.enumerated() {
            // A repeated string element must not be NULL: protobuf-c packs it with strlen.
            array[k] = try cString(s, "\(field)[\(k)]") ?? emptyCString()
        }
        return (strings.count, array)
    }

    /// A pointer to a shared empty C string.
    mutating func emptyCString() -> UnsafeMutablePointer<CChar> {
        let p = allocate(bytes: 1)
        p.storeBytes(of: 0, as: UInt8.self)
        return p.assumingMemoryBound(to: CChar.self)
    }

    /// A copy of `bytes` as protobuf-c binary data.
    mutating func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        if bytes.isEmpty { return ProtobufCBinaryData(len: 0, data: nil) }
        let out = allocate(bytes: bytes.count)
        bytes.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return ProtobufCBinaryData(len: bytes.count, data: out.assumingMemoryBound(to: UInt8.self))
    }
}
