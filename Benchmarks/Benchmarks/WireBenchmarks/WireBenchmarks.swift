// Encode/decode of a typical Interview and a 20-item Page through the Swift
// wire layer, beside the same work done by protobuf-c alone (the baseline):
// `c.pack` packs an already-built C struct, `c.unpack` unpacks and frees.
import Benchmark
import BenchmarkSupport
import CProtobufC
import InterviewsModel
import InterviewsProtoC
import InterviewsWire
import NIOCore

/// A protobuf-c message unpacked once, to be packed again and again by the baseline.
final class CMessage {
    let pointer: UnsafeMutablePointer<ProtobufCMessage>
    init(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, _ bytes: [UInt8]) {
        pointer = bytes.withUnsafeBufferPointer {
            protobuf_c_message_unpack(descriptor, nil, $0.count, $0.baseAddress)!
        }
    }
    deinit { protobuf_c_message_free_unpacked(pointer, nil) }
}

func descriptorOf(_ initialise: (UnsafeMutableRawPointer) -> Void, size: Int) -> UnsafePointer<
    ProtobufCMessageDescriptor
> {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { raw.deallocate() }
    initialise(raw)
    return raw.assumingMemoryBound(to: ProtobufCMessage.self).pointee.descriptor
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3)
    )

    let interview = typicalInterview(1)
    let interviewBytes = try! interview.encodedBytes()
    let page = Page(
        interviews: (0..<20).map(typicalInterview), nextPageToken: "eyJrIjoxfQ", totalSize: 1000, pageSize: 20)
    let pageBytes = try! page.encodedBytes()
    print("typical Interview: \(interviewBytes.count) bytes; 20-item Page: \(pageBytes.count) bytes")

    let interviewDescriptor = descriptorOf(
        { interviews__v1__interview__init($0.assumingMemoryBound(to: Interviews__V1__Interview.self)) },
        size: MemoryLayout<Interviews__V1__Interview>.size)
    let pageDescriptor = descriptorOf(
        { interviews__v1__page__init($0.assumingMemoryBound(to: Interviews__V1__Page.self)) },
        size: MemoryLayout<Interviews__V1__Page>.size)
    let cInterview = CMessage(interviewDescriptor, interviewBytes)
    let cPage = CMessage(pageDescriptor, pageBytes)
    var out = [UInt8](repeating: 0, count: 1 << 20)

    func cPack(_ m: CMessage) -> Int {
        let size = protobuf_c_message_get_packed_size(m.pointer)
        return out.withUnsafeMutableBufferPointer { protobuf_c_message_pack(m.pointer, $0.baseAddress!) } + size
    }
    func cUnpack(_ d: UnsafePointer<ProtobufCMessageDescriptor>, _ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer {
            let m = protobuf_c_message_unpack(d, nil, $0.count, $0.baseAddress)
            protobuf_c_message_free_unpacked(m, nil)
        }
    }

    var buffer = ByteBufferAllocator().buffer(capacity: 1 << 20)

    Benchmark("Interview encode: c.pack (baseline)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(cPack(cInterview)) }
    }
    Benchmark("Interview encode: swift") { benchmark in
        for _ in benchmark.scaledIterations {
            buffer.clear()
            try interview.encode(into: &buffer)
            blackHole(buffer.readableBytes)
        }
    }
    Benchmark("Interview decode: c.unpack+free (baseline)") { benchmark in
        for _ in benchmark.scaledIterations { cUnpack(interviewDescriptor, interviewBytes) }
    }
    Benchmark("Interview decode: swift") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Interview.decode(interviewBytes)) }
    }
    Benchmark("Page20 encode: c.pack (baseline)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(cPack(cPage)) }
    }
    Benchmark("Page20 encode: swift") { benchmark in
        for _ in benchmark.scaledIterations {
            buffer.clear()
            try page.encode(into: &buffer)
            blackHole(buffer.readableBytes)
        }
    }
    Benchmark("Page20 decode: c.unpack+free (baseline)") { benchmark in
        for _ in benchmark.scaledIterations { cUnpack(pageDescriptor, pageBytes) }
    }
    Benchmark("Page20 decode: swift") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Page.decode(pageBytes)) }
    }
}
