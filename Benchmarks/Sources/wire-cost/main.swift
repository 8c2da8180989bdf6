// Runs one wire operation N times, for instruction counting under
// `valgrind --tool=callgrind` (repeatable on a shared, noisy machine):
//   wire-cost <operation> <iterations>
// Operations: interview-encode, interview-decode, page-encode, page-decode
// (the Swift wire layer) and c-interview-pack, c-interview-unpack,
// c-page-pack, c-page-unpack (protobuf-c alone, the baseline), and
// c-interview-unpack-arena, c-page-unpack-arena: the baseline unpacking into
// the same bump arena the Swift decode uses (like for like).
// Benchmarks/run-wire-cost runs them all and prints the ratios.
import BenchmarkSupport
import CProtobufC
import InterviewsModel
import InterviewsProtoC
import InterviewsWire
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

func descriptorOf(_ initialise: (UnsafeMutableRawPointer) -> Void, size: Int) -> UnsafePointer<
    ProtobufCMessageDescriptor
> {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { raw.deallocate() }
    initialise(raw)
    return raw.assumingMemoryBound(to: ProtobufCMessage.self).pointee.descriptor
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let iterations = Int(arguments[2]) else {
    print("usage: wire-cost <operation> <iterations>")
    exit(64)
}
let interview = typicalInterview(1)
let page = Page(interviews: (0..<20).map(typicalInterview), nextPageToken: "eyJrIjoxfQ", totalSize: 1000, pageSize: 20)
let interviewBytes = try interview.encodedBytes()
let pageBytes = try page.encodedBytes()
let interviewDescriptor = descriptorOf(
    { interviews__v1__interview__init($0.assumingMemoryBound(to: Interviews__V1__Interview.self)) },
    size: MemoryLayout<Interviews__V1__Interview>.size)
let pageDescriptor = descriptorOf(
    { interviews__v1__page__init($0.assumingMemoryBound(to: Interviews__V1__Page.self)) },
    size: MemoryLayout<Interviews__V1__Page>.size)
var buffer = ByteBufferAllocator().buffer(capacity: 1 << 20)
var out = [UInt8](repeating: 0, count: 1 << 20)
var sink = 0

func unpacked(_ d: UnsafePointer<ProtobufCMessageDescriptor>, _ bytes: [UInt8]) -> UnsafeMutablePointer<
    ProtobufCMessage
> {
    bytes.withUnsafeBufferPointer { protobuf_c_message_unpack(d, nil, $0.count, $0.baseAddress)! }
}

/// The decode arena of InterviewsWire (UnpackArena), copied: bump-allocated
/// blocks, the first max(4096, 4 x input) bytes, 16-byte aligned, each allocation
/// behind a 16-byte header holding its size, freed together.
final class BumpArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private let firstBlockSize: Int

    init(firstBlockSize: Int) { self.firstBlockSize = firstBlockSize }

    deinit { for block in blocks { free(block) } }

    func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        let rounded = ((size + 15) & ~15) + 16
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
        return header + 16
    }
}

/// protobuf-c's unpack into a fresh arena, freed as a whole; what the Swift decode does around its scan.
func unpackInArena(_ d: UnsafePointer<ProtobufCMessageDescriptor>, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let arena = BumpArena(firstBlockSize: max(4096, bytes.count * 4))
    return withExtendedLifetime(arena) {
        var allocator = ProtobufCAllocator(
            alloc: { data, size in Unmanaged<BumpArena>.fromOpaque(data!).takeUnretainedValue().allocate(size) },
            free: { _, _ in },
            allocator_data: Unmanaged.passUnretained(arena).toOpaque())
        return protobuf_c_message_unpack(d, &allocator, bytes.count, bytes.baseAddress) != nil
    }
}

switch arguments[1] {
case "interview-encode":
    for _ in 0..<iterations {
        buffer.clear()
        try interview.encode(into: &buffer)
        sink &+= buffer.readableBytes
    }
case "interview-decode":
    for _ in 0..<iterations { sink &+= Int(try Interview.decode(interviewBytes).revision) }
case "page-encode":
    for _ in 0..<iterations {
        buffer.clear()
        try page.encode(into: &buffer)
        sink &+= buffer.readableBytes
    }
case "page-decode":
    for _ in 0..<iterations { sink &+= try Page.decode(pageBytes).interviews.count }
case "c-interview-pack", "c-page-pack":
    let m =
        arguments[1] == "c-page-pack"
        ? unpacked(pageDescriptor, pageBytes) : unpacked(interviewDescriptor, interviewBytes)
    for _ in 0..<iterations {
        let size = protobuf_c_message_get_packed_size(m)
        sink &+= out.withUnsafeMutableBufferPointer { protobuf_c_message_pack(m, $0.baseAddress!) } + size
    }
case "c-interview-unpack", "c-page-unpack":
    let (d, bytes) =
        arguments[1] == "c-page-unpack" ? (pageDescriptor, pageBytes) : (interviewDescriptor, interviewBytes)
    for _ in 0..<iterations {
        bytes.withUnsafeBufferPointer {
            let m = protobuf_c_message_unpack(d, nil, $0.count, $0.baseAddress)
            protobuf_c_message_free_unpacked(m, nil)
        }
    }
case "c-interview-unpack-arena", "c-page-unpack-arena":
    let (d, bytes) =
        arguments[1] == "c-page-unpack-arena" ? (pageDescriptor, pageBytes) : (interviewDescriptor, interviewBytes)
    for _ in 0..<iterations {
        sink &+= bytes.withUnsafeBufferPointer { unpackInArena(d, $0) } ? 1 : 0
    }
case "setup":
    break
default:
    print("unknown operation \(arguments[1])")
    exit(64)
}
print(sink)
