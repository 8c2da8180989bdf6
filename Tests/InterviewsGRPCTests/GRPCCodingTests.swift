import GRPCCore
import InterviewsWire
import NIOCore
import Testing

@testable import InterviewsGRPC

@Suite("The gRPC endpoint's serializers and parsers refuse bad input with a clear error")
struct GRPCCodingTests {
    @Test("a health request round-trips through the wire serializers")
    func healthRoundTrip() throws {
        let bytes: [UInt8] = try WireSerializer<GRPCHealthCheckRequest>().serialize(
            GRPCHealthCheckRequest(service: "interviews.v1.Interviews"))
        let back = try WireDeserializer<GRPCHealthCheckRequest>(maxSize: 1024).deserialize(bytes)
        #expect(back.service == "interviews.v1.Interviews")
    }

    @Test(
        "malformed health requests are INVALID_ARGUMENT naming the field",
        arguments: [
            [0x0a, 0x05, 0x61],  // a string longer than the message
            [0x0a, 0x02, 0xff, 0xfe],  // not UTF-8
            [0x0a, 0x01, 0x00],  // NUL
            [0x0b],  // wire type 3
            [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],  // an overlong varint
        ] as [[UInt8]])
    func malformedHealthRequest(bytes: [UInt8]) {
        let error = #expect(throws: RPCError.self) {
            _ = try WireDeserializer<GRPCHealthCheckRequest>(maxSize: 1024).deserialize(bytes)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("GRPCHealthCheckRequest: ") == true, "\(error?.message ?? "")")
    }

    @Test("an undefined serving status is refused naming the field")
    func undefinedStatus() {
        let error = #expect(throws: RPCError.self) {
            _ = try WireDeserializer<GRPCHealthCheckResponse>(maxSize: 1024).deserialize([0x08, 0x09] as [UInt8])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("status") == true)
    }

    @Test("messages over the limit are RESOURCE_EXHAUSTED naming the limit")
    func overTheLimit() {
        let big = [UInt8](repeating: 0, count: 65)
        let health = #expect(throws: RPCError.self) {
            _ = try WireDeserializer<GRPCHealthCheckRequest>(maxSize: 64).deserialize(big)
        }
        #expect(health?.code == .resourceExhausted)
        #expect(health?.message.contains("the limit is 64 bytes") == true)
        let routed = #expect(throws: RPCError.self) {
            _ = try RouterRequestDeserializer(maxSize: 64).deserialize(big)
        }
        #expect(routed?.code == .resourceExhausted)
        #expect(routed?.message == "request message is 65 bytes; the limit is 64 bytes (--max-frame-size)")
        #expect(throws: Never.self) { _ = try RouterRequestDeserializer(maxSize: 65).deserialize(big) }
    }

    @Test("every reflection request shape round-trips, an empty list_services included")
    func reflectionRequests() throws {
        let queries: [ReflectionRequest.Query] = [
            .none, .listServices(""), .listServices("*"), .fileByFilename("interviews/v1/admin.proto"),
            .fileContainingSymbol("interviews.v1.Interview"),
            .fileContainingExtension(containingType: "interviews.v1.Interview", extensionNumber: 100),
            .allExtensionNumbersOfType("interviews.v1.Interview"),
        ]
        for query in queries {
            let request = ReflectionRequest(host: "h", query: query)
            let bytes: [UInt8] = try WireSerializer<ReflectionRequest>().serialize(request)
            #expect(try WireDeserializer<ReflectionRequest>(maxSize: 1 << 20).deserialize(bytes) == request)
        }
    }

    @Test("a reflection response without an answer is refused")
    func reflectionResponseWithoutAnswer() {
        let error = #expect(throws: RPCError.self) {
            _ = try WireDeserializer<ReflectionResponse>(maxSize: 1024).deserialize([0x0a, 0x01, 0x68] as [UInt8])
        }
        #expect(error?.message.contains("message_response") == true)
    }

    @Test(
        "grpc-timeout values parse; malformed ones are ignored",
        arguments: [
            ("1S", Duration.seconds(1)), ("250m", .milliseconds(250)), ("2H", .seconds(7200)), ("3M", .seconds(180)),
            ("7u", .microseconds(7)), ("99999999n", .nanoseconds(99_999_999)),
        ])
    func timeouts(text: String, expected: Duration) {
        #expect(GRPCTimeout.parse(text) == expected)
    }

    @Test("malformed grpc-timeout values", arguments: ["", "S", "1", "1s", "-1S", "123456789S", "1.5S", "١S"])
    func badTimeouts(text: String) {
        #expect(GRPCTimeout.parse(text) == nil)
    }

    @Test("--grpc-listen takes loopback addresses only")
    func loopback() throws {
        #expect(
            try GRPCEndpointConfiguration.LoopbackAddress(parsing: "127.0.0.1:50051").description == "127.0.0.1:50051")
        #expect(try GRPCEndpointConfiguration.LoopbackAddress(parsing: "localhost:0").host == "127.0.0.1")
        #expect(try GRPCEndpointConfiguration.LoopbackAddress(parsing: "[::1]:7").description == "[::1]:7")
        for bad in ["0.0.0.0:1", "10.0.0.1:80", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:x", ":80", "[::]:1"] {
            #expect(throws: GRPCEndpointError.self, "\(bad)") {
                _ = try GRPCEndpointConfiguration.LoopbackAddress(parsing: bad)
            }
        }
    }
}

@Suite("Reflection's descriptor index")
struct DescriptorIndexTests {
    @Test("the embedded set names every service and resolves symbols to their files")
    func embedded() throws {
        let service = try ReflectionService.embedded(maxMessageSize: 1 << 20)
        let index = service.index
        #expect(
            index.services == [
                "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection", "interviews.v1.Admin", "interviews.v1.Interviews",
            ])
        #expect(index.symbols["interviews.v1.Interview"] == "interviews/v1/interviews.proto")
        #expect(index.symbols["interviews.v1.Interviews.GetInterview"] == "interviews/v1/interviews.proto")
        #expect(index.symbols["interviews.v1.Interview.title"] == "interviews/v1/interviews.proto")
        #expect(index.symbols["interviews.v1.CreateKeyRequest"] == "interviews/v1/admin.proto")
        #expect(index.symbols["google.protobuf.Timestamp"] == "google/protobuf/timestamp.proto")
        let files = index.withDependencies("interviews/v1/admin.proto").map(\.name)
        #expect(files.first == "interviews/v1/admin.proto")
        #expect(Set(files) == ["interviews/v1/admin.proto", "google/protobuf/timestamp.proto"])
    }

    @Test("answers name unknown symbols and files with NOT_FOUND")
    func unknown() throws {
        let index = try ReflectionService.embedded(maxMessageSize: 1 << 20).index
        let answer = ReflectionService.answer(ReflectionRequest(query: .fileContainingSymbol("no.Such")), index).answer
        #expect(answer == .error(code: 5, message: "symbol \"no.Such\" not found"))
        let none = ReflectionService.answer(ReflectionRequest(query: .none), index).answer
        #expect(none == .error(code: 3, message: "message_request: none of its fields is set"))
    }

    @Test(
        "a malformed descriptor set is refused, never trapped on",
        arguments: [
            [0x0a, 0x05, 0x0a],  // a file longer than the set
            [0x0a, 0x02, 0x0a, 0x05],  // a name longer than the file
            [0x0a, 0x03, 0x0a, 0x01, 0xff],  // a name that is not UTF-8
            [0x0f],  // wire type 7
            [0x08, 0x80],  // a truncated varint
            [0x0a, 0x02, 0x22, 0x7f],  // a message type longer than the file
        ] as [[UInt8]])
    func malformedSet(bytes: [UInt8]) {
        #expect(throws: DescriptorIndex.Malformed.self) { _ = try DescriptorIndex(descriptorSet: bytes) }
    }

    @Test("base64 decodes, and refuses characters outside the alphabet")
    func base64() {
        #expect(Base64.decode("aGVsbG8=") == Array("hello".utf8))
        #expect(Base64.decode("aGVs\nbG8=") == Array("hello".utf8))
        #expect(Base64.decode("aGVs*G8=") == nil)
    }
}
