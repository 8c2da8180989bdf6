import GRPCCore
import InterviewsWire

/// Server reflection, `grpc.reflection.v1` and `grpc.reflection.v1alpha`
/// (the same messages), answered from the FileDescriptorSet of `proto/`
/// that tools/gen-proto generates.
///
/// `ServerReflectionInfo` answers each request of its stream in order:
/// - `list_services`: every service in the set (the interviews services,
///   health and both reflection versions);
/// - `file_by_filename`, `file_containing_symbol` (a message, field, enum,
///   enum value, service or method, fully qualified): the file and every
///   file it imports, as serialized FileDescriptorProtos;
/// - `file_containing_extension`, `all_extension_numbers_of_type`: from the
///   set's extensions (the contract declares none);
/// - anything unknown: an `error_response` with NOT_FOUND (or
///   INVALID_ARGUMENT for a request that sets nothing); the stream goes on.
struct ReflectionService: RegistrableRPCService {
    let index: DescriptorIndex
    let maxMessageSize: Int

    /// The reflection service over the descriptor set embedded at build time.
    ///
    /// - Throws: ``DescriptorIndex/Malformed`` when the embedded set cannot
    ///   be read (a build from a damaged generated file).
    static func embedded(maxMessageSize: Int) throws -> ReflectionService {
        guard let bytes = Base64.decode(embeddedDescriptorSetBase64) else {
            throw DescriptorIndex.Malformed(description: "the embedded descriptor set is not valid base64")
        }
        return ReflectionService(index: try DescriptorIndex(descriptorSet: bytes), maxMessageSize: maxMessageSize)
    }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        for version in ["v1", "v1alpha"] {
            router.registerHandler(
                forMethod: MethodDescriptor(
                    fullyQualifiedService: "grpc.reflection.\(version).ServerReflection", method: "ServerReflectionInfo"
                ),
                deserializer: WireDeserializer<ReflectionRequest>(maxSize: maxMessageSize),
                serializer: WireSerializer<ReflectionResponse>()
            ) { [index] request, _ in
                StreamingServerResponse { writer in
                    for try await message in request.messages {
                        try await writer.write(Self.answer(message, index))
                    }
                    return [:]
                }
            }
        }
    }

    /// The response to one reflection request.
    static func answer(_ request: ReflectionRequest, _ index: DescriptorIndex) -> ReflectionResponse {
        let answer: ReflectionResponse.Answer
        switch request.query {
        case .listServices:
            answer = .services(index.services)
        case .fileByFilename(let name):
            answer =
                index.files[name] == nil
                ? .error(code: Int32(Status.Code.notFound.rawValue), message: "file \"\(name)\" not found")
                : .fileDescriptors(index.withDependencies(name).map(\.bytes))
        case .fileContainingSymbol(let symbol):
            let name = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
            if let file = index.symbols[name] {
                answer = .fileDescriptors(index.withDependencies(file).map(\.bytes))
            } else {
                answer = .error(code: Int32(Status.Code.notFound.rawValue), message: "symbol \"\(symbol)\" not found")
            }
        case .fileContainingExtension(let type, let number):
            if let file = index.extensions[type]?[number] {
                answer = .fileDescriptors(index.withDependencies(file).map(\.bytes))
            } else {
                answer = .error(
                    code: Int32(Status.Code.notFound.rawValue), message: "no extension \(number) of \"\(type)\"")
            }
        case .allExtensionNumbersOfType(let type):
            if index.messageTypes.contains(type) {
                answer = .extensionNumbers(
                    baseTypeName: type, numbers: (index.extensions[type].map { Array($0.keys) } ?? []).sorted())
            } else {
                answer = .error(
                    code: Int32(Status.Code.notFound.rawValue), message: "message type \"\(type)\" not found")
            }
        case .none:
            answer = .error(
                code: Int32(Status.Code.invalidArgument.rawValue), message: "message_request: none of its fields is set"
            )
        }
        return ReflectionResponse(validHost: request.host, originalRequest: request, answer: answer)
    }
}
