// Runs one wire operation N times, for instruction counting under
// `valgrind --tool=callgrind` (repeatable on a shared, noisy machine):
//   wire-cost <operation> <iterations>
// Operations: interview-encode, interview-decode, page-encode, page-decode
// (the Swift wire layer) and c-interview-pack, c-interview-unpack,
// c-page-pack, c-page-unpack (protobuf-c alone, the baseline).
// Benchmarks/run-wire-cost runs them all and prints the ratios.
import CProtobufC
import InterviewsModel
import InterviewsProtoC
import InterviewsWire
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

func typicalInterview(_ n: Int) -> Interview {
    Interview(
        id: "0190b7a8-7c2e-7d40-8f00-\(String(1_000_000_000_000 + n))", remoteID: "greenhouse-\(n)",
        companyID: "123e4567-e89b-12d3-a456-426614174000", candidateID: "cand-\(n % 1000)",
        applicationID: "app-\(n)", jobID: "job-42", agentID: "agent-7", jobInterviewStageID: "stage-onsite",
        title: "Onsite interview — backend engineer",
        organizer: Participant(
            id: "u-1", remoteID: "32", firstName: "John", lastName: "Doe", email: "john.doe@kombo.dev"),
        interviewers: [
            Participant(id: "u-2", remoteID: "33", firstName: "Grace", lastName: "Hopper", email: "grace@example.com"),
            Participant(id: "u-3", remoteID: "34", firstName: "Ada", lastName: "Lovelace", email: "ada@example.com"),
        ],
        location: Location(raw: "Lohmühlenstraße 65, 12435 Berlin", city: "Berlin", country: "DE"),
        startAt: Timestamp(seconds: 1_687_789_800), endAt: Timestamp(seconds: 1_687_793_400), status: .scheduled,
        remoteStatus: "SCHEDULED", createdAt: Timestamp(seconds: 1_700_000_000, nanos: 123_000_000),
        updatedAt: Timestamp(seconds: 1_700_000_050, nanos: 456_000_000),
        remoteCreatedAt: Timestamp(seconds: 1_659_880_889), remoteUpdatedAt: Timestamp(seconds: 1_659_880_889),
        customFields: ["priority": "high", "source": "referral"], revision: 3)
}

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
