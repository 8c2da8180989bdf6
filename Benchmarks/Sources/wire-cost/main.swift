// Runs one wire operation N times, for instruction counting under
// `valgrind --tool=callgrind` (repeatable on a shared, noisy machine):
//   wire-cost <operation> <iterations>
// Operations: interview-encode, interview-decode, page-encode, page-decode
// (the Swift wire layer) and c-interview-pack, c-interview-unpack,
// c-page-pack, c-page-unpack (protobuf-c alone, the baseline).
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
case "setup":
    break
default:
    print("unknown operation \(arguments[1])")
    exit(64)
}
print(sink)
