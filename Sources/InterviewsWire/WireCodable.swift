internal import CProtobufC
public import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A message that crosses the wire as protobuf bytes, encoded and decoded by
/// protobuf-c.
public protocol WireCodable: Sendable {
    /// Decodes a message from its protobuf encoding.
    ///
    /// Unknown fields (from a newer writer) are skipped.
    ///
    /// - Parameters:
    ///   - bytes: The encoded message.
    ///   - maxSize: The largest input accepted; longer input throws ``WireError/Kind/tooLarge``.
    /// - Throws: ``WireError`` naming the field: malformed bytes, invalid UTF-8
    ///   or NUL in a string, an undefined enum value, a timestamp out of range.
    /// - Complexity: O(n) in the input's size.
    static func decode(from bytes: UnsafeRawBufferPointer, maxSize: Int) throws(WireError) -> Self

    /// Appends the protobuf encoding of `self` to `buffer`.
    ///
    /// - Throws: ``WireError`` when a string holds NUL (protobuf-c cannot carry it).
    func encode(into buffer: inout ByteBuffer) throws(WireError)
}

extension WireCodable {
    /// Decodes from the readable bytes of `buffer` (they are not consumed).
    @inlinable
    public static func decode(
        _ buffer: ByteBuffer, maxSize: Int = WireLimits.defaultMaxMessageSize
    ) throws(WireError) -> Self {
        try buffer.withUnsafeReadableBytes { (bytes) throws(WireError) in try decode(from: bytes, maxSize: maxSize) }
    }

    /// Decodes from a byte array.
    @inlinable
    public static func decode(
        _ bytes: [UInt8], maxSize: Int = WireLimits.defaultMaxMessageSize
    ) throws(WireError) -> Self {
        // `Array.withUnsafeBytes` rethrows untyped errors: carry the typed one out.
        try bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) in try decode(from: raw, maxSize: maxSize) }
        }.get()
    }

    /// The protobuf encoding of `self` as a byte array.
    public func encodedBytes() throws(WireError) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        try encode(into: &buffer)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }
}

/// The bridge between a Swift value type and its protoc-c struct.
protocol CBridged: WireCodable {
    associatedtype CMessage
    /// The protoc-c descriptor (the address of the generated constant).
    static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { get }
    /// Runs the generated `*__init` function on `message`.
    static func cInit(_ message: UnsafeMutablePointer<CMessage>)
    /// Fills an initialised C struct; all memory comes from `arena`.
    func fill(_ message: UnsafeMutablePointer<CMessage>, _ arena: inout EncodeArena) throws(WireError)
    /// Reads an unpacked C struct whose strings the scanner already validated.
    init(c message: UnsafePointer<CMessage>) throws(WireError)
}

extension CBridged {
    /// The descriptor read from a freshly initialised struct: the generated
    /// `*__init` stores the address of the real descriptor constant, which
    /// protobuf-c compares by identity.
    static func descriptor(
        of initialise: (UnsafeMutablePointer<CMessage>) -> Void
    ) -> UnsafePointer<ProtobufCMessageDescriptor> {
        let message = UnsafeMutablePointer<CMessage>.allocate(capacity: 1)
        defer { message.deallocate() }
        initialise(message)
        return UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self).pointee.descriptor
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, maxSize: Int) throws(WireError) -> Self {
        guard bytes.count <= maxSize else {
            throw WireError(.tooLarge, field: "", "message is \(bytes.count) bytes; the limit is \(maxSize) bytes")
        }
        // protobuf-c checks the framing and the wire types as it unpacks;
        // what it leaves unchecked (strings, field numbers) is checked on
        // the unpacked structs. Input refused by either is scanned again by
        // WireScanner, which names the field and the problem: refusals are
        // the same, and worded the same, as when the scan ran first.
        do throws(WireError) {
            let unpacked = try UnpackedMessage(cDescriptor, bytes)
            if unpacked.droppedValues {
                // Not canonical input: check everything that was on the wire.
                try WireScanner.scan(bytes, cDescriptor)
            } else if !UnpackedCheck.passes(unpacked.pointer, cDescriptor) {
                throw WireError(.rejected, field: "", "a string or field number of the message is not valid")
            }
            return try Self(c: unpacked.pointer.assumingMemoryBound(to: CMessage.self))
        } catch {
            try WireScanner.scan(bytes, cDescriptor)
            throw error
        }
    }

    public func encode(into buffer: inout ByteBuffer) throws(WireError) {
        var arena = EncodeArena()
        let message = arena.allocate(CMessage.self)
        Self.cInit(message)
        try fill(message, &arena)
        let base = UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(base)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
            protobuf_c_message_pack(base, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Builds this value's C struct in `arena` (for a sub-message field).
    func cMessage(_ arena: inout EncodeArena) throws(WireError) -> UnsafeMutablePointer<CMessage> {
        let message = arena.allocate(CMessage.self)
        Self.cInit(message)
        try fill(message, &arena)
        return message
    }
}

/// The owner of one message unpacked by protobuf-c, and of all the memory
/// protobuf-c allocated for it.
///
/// protobuf-c is given an allocator that carves every allocation of the
/// unpack out of one ``UnpackArena`` (a few large blocks instead of one
/// malloc per string and sub-message) and whose `free` releases nothing; the
/// owner then releases the whole arena exactly once, when it goes away.
/// Non-copyable, so there is only ever one owner.
struct UnpackedMessage: ~Copyable {
    let pointer: UnsafeMutableRawPointer
    private let arena: UnpackArena

    /// Whether protobuf-c dropped a value it had unpacked: a field that is
    /// not repeated came more than once (the last one is kept), or a
    /// member of a oneof replaced another. What was dropped is in no struct,
    /// so ``UnpackedCheck`` cannot see it.
    var droppedValues: Bool { arena.droppedValues }

    init(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, _ bytes: UnsafeRawBufferPointer) throws(WireError) {
        // Unpacked structs are larger than their encoding; start with room for the common case.
        let arena = UnpackArena(firstBlockSize: max(4096, bytes.count * 4), input: bytes)
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let message = withExtendedLifetime(arena) { () -> UnsafeMutablePointer<ProtobufCMessage>? in
            var allocator = ProtobufCAllocator(
                alloc: { data, size in
                    Unmanaged<UnpackArena>.fromOpaque(data!).takeUnretainedValue().allocate(size)
                },
                free: { data, pointer in
                    Unmanaged<UnpackArena>.fromOpaque(data!).takeUnretainedValue().noteFree(pointer)
                },
                allocator_data: Unmanaged.passUnretained(arena).toOpaque())
            return protobuf_c_message_unpack(descriptor, &allocator, bytes.count, base)
        }
        guard let message else {
            throw WireError(.rejected, field: "", "protobuf-c could not unpack the message")
        }
        self.pointer = UnsafeMutableRawPointer(message)
        self.arena = arena
    }
}

/// The memory of one unpack: bump-allocated blocks, freed together in `deinit`.
///
/// Used only by the thread decoding one message, inside one call of
/// ``UnpackedMessage/init(_:_:)``; it is never shared.
final class UnpackArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private let firstBlockSize: Int
    /// The bytes being unpacked.
    private let input: UnsafeRawBufferPointer
    /// Set when protobuf-c frees a value it unpacked (see ``noteFree(_:)``).
    private(set) var droppedValues = false

    init(firstBlockSize: Int, input: UnsafeRawBufferPointer) {
        self.firstBlockSize = firstBlockSize
        self.input = input
    }

    /// protobuf-c frees what it allocated during an unpack in two cases:
    /// the tables of fields it scanned in a message of more than 16 fields
    /// (1024, 2048, ... bytes, each entry 32 bytes, the first pointing into
    /// the input at byte 24), and a value it replaces (a field again, a
    /// oneof's other member) or merges. The second sets ``droppedValues``;
    /// anything that does not look like the first counts as the second.
    func noteFree(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        let size = Self.requestedSize(of: pointer)
        if size >= 1024, size & (size - 1) == 0, let base = input.baseAddress,
            let data = pointer.load(fromByteOffset: 24, as: UnsafeRawPointer?.self),
            data >= base, data < base + input.count
        {
            return
        }
        droppedValues = true
    }

    deinit {
        for block in blocks { free(block) }
    }

    /// The bytes in front of every allocation; they hold the size asked for.
    static let headerSize = 16

    /// `size` bytes aligned to 16, or nil when the system is out of memory
    /// (protobuf-c then fails the unpack cleanly). The size is recorded in
    /// front of them (``requestedSize(of:)``).
    func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        let rounded = ((size + 15) & ~15) + Self.headerSize
        if rounded > remaining {
            let capacity = max(blocks.isEmpty ? firstBlockSize : firstBlockSize * 2, rounded)
            guard let block = malloc(capacity) else { return nil }
            blocks.append(block)
            cursor = block
            remaining = capacity
        }
        guard let header = cursor else { return nil }
        header.storeBytes(of: size, as: Int.self)
        cursor = header + rounded
        remaining -= rounded
        return header + Self.headerSize
    }

    /// The size protobuf-c asked for when this arena gave it `pointer`.
    ///
    /// - Precondition: `pointer` was returned by ``allocate(_:)`` of a live arena.
    @inline(__always)
    static func requestedSize(of pointer: UnsafeRawPointer) -> Int {
        (pointer - headerSize).load(as: Int.self)
    }
}
