internal import CProtobufC
internal import InterviewsProtoC

// The messages of the standard gRPC services the gRPC endpoint serves
// (proto/grpc/: grpc.health.v1 and grpc.reflection.v1, whose v1alpha twin
// has the same fields and numbers), encoded and decoded with protobuf-c like
// every other message.

/// `grpc.health.v1.HealthCheckRequest`.
public struct GRPCHealthCheckRequest: Sendable, Hashable {
    /// The service asked about; empty for the server as a whole.
    public var service: String

    /// Creates a request.
    public init(service: String = "") { self.service = service }
}

/// `grpc.health.v1.HealthCheckResponse`.
public struct GRPCHealthCheckResponse: Sendable, Hashable {
    /// `grpc.health.v1.HealthCheckResponse.ServingStatus`.
    public enum ServingStatus: Int32, Sendable, Hashable, CaseIterable {
        /// UNKNOWN.
        case unknown = 0
        /// SERVING.
        case serving = 1
        /// NOT_SERVING.
        case notServing = 2
        /// SERVICE_UNKNOWN (Watch only).
        case serviceUnknown = 3
    }

    /// The status.
    public var status: ServingStatus

    /// Creates a response.
    public init(status: ServingStatus = .unknown) { self.status = status }
}

/// `grpc.reflection.v1.ServerReflectionRequest` (and its v1alpha twin).
public struct ReflectionRequest: Sendable, Hashable {
    /// The `message_request` oneof.
    public enum Query: Sendable, Hashable {
        /// None of the oneof's fields was set.
        case none
        /// `file_by_filename`.
        case fileByFilename(String)
        /// `file_containing_symbol`.
        case fileContainingSymbol(String)
        /// `file_containing_extension`.
        case fileContainingExtension(containingType: String, extensionNumber: Int32)
        /// `all_extension_numbers_of_type`.
        case allExtensionNumbersOfType(String)
        /// `list_services` (its content is not checked).
        case listServices(String)
    }

    /// `host`.
    public var host: String
    /// What is asked.
    public var query: Query

    /// Creates a request.
    public init(host: String = "", query: Query = .none) {
        self.host = host
        self.query = query
    }
}

/// `grpc.reflection.v1.ServerReflectionResponse` (and its v1alpha twin).
public struct ReflectionResponse: Sendable, Hashable {
    /// The `message_response` oneof.
    public enum Answer: Sendable, Hashable {
        /// `file_descriptor_response`: serialized FileDescriptorProtos.
        case fileDescriptors([[UInt8]])
        /// `all_extension_numbers_response`.
        case extensionNumbers(baseTypeName: String, numbers: [Int32])
        /// `list_services_response`: full service names.
        case services([String])
        /// `error_response`: a gRPC status code and message.
        case error(code: Int32, message: String)
    }

    /// `valid_host`.
    public var validHost: String
    /// `original_request`.
    public var originalRequest: ReflectionRequest?
    /// The answer.
    public var answer: Answer

    /// Creates a response.
    public init(validHost: String = "", originalRequest: ReflectionRequest? = nil, answer: Answer) {
        self.validHost = validHost
        self.originalRequest = originalRequest
        self.answer = answer
    }
}

extension GRPCHealthCheckRequest: CBridged {
    typealias CMessage = Grpc__Health__V1__HealthCheckRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: grpc__health__v1__health_check_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { grpc__health__v1__health_check_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.service = try a.cString(service, "service")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(service: readString(m.pointee.service))
    }
}

extension GRPCHealthCheckResponse: CBridged {
    typealias CMessage = Grpc__Health__V1__HealthCheckResponse
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: grpc__health__v1__health_check_response__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { grpc__health__v1__health_check_response__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.status = a.cEnum(status)
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(status: try readEnum(m.pointee.status.rawValue, "status"))
    }
}

extension ReflectionRequest: CBridged {
    typealias CMessage = Grpc__Reflection__V1__ServerReflectionRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: grpc__reflection__v1__server_reflection_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { grpc__reflection__v1__server_reflection_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.host = try a.cString(host, "host")
        // A set oneof string must not be NULL: protobuf-c packs it with strlen.
        switch query {
        case .none:
            m.pointee.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST__NOT_SET
        case .fileByFilename(let name):
            m.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME
            m.pointee.file_by_filename = try a.cString(name, "file_by_filename") ?? a.emptyCString()
        case .fileContainingSymbol(let symbol):
            m.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL
            m.pointee.file_containing_symbol = try a.cString(symbol, "file_containing_symbol") ?? a.emptyCString()
        case .fileContainingExtension(let type, let number):
            let e = a.allocate(Grpc__Reflection__V1__ExtensionRequest.self)
            grpc__reflection__v1__extension_request__init(e)
            e.pointee.containing_type = try a.cString(type, "file_containing_extension.containing_type")
            e.pointee.extension_number = number
            m.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION
            m.pointee.file_containing_extension = e
        case .allExtensionNumbersOfType(let type):
            m.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE
            m.pointee.all_extension_numbers_of_type =
                try a.cString(type, "all_extension_numbers_of_type") ?? a.emptyCString()
        case .listServices(let content):
            m.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES
            m.pointee.list_services = try a.cString(content, "list_services") ?? a.emptyCString()
        }
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        let query: Query
        switch m.pointee.message_request_case {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
            query = .fileByFilename(readString(m.pointee.file_by_filename))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
            query = .fileContainingSymbol(readString(m.pointee.file_containing_symbol))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
            let e = m.pointee.file_containing_extension
            query = .fileContainingExtension(
                containingType: readString(e?.pointee.containing_type),
                extensionNumber: e?.pointee.extension_number ?? 0
            )
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
            query = .allExtensionNumbersOfType(readString(m.pointee.all_extension_numbers_of_type))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
            query = .listServices(readString(m.pointee.list_services))
        default:
            query = .none
        }
        self.init(host: readString(m.pointee.host), query: query)
    }
}

extension ReflectionResponse: CBridged {
    typealias CMessage = Grpc__Reflection__V1__ServerReflectionResponse
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: grpc__reflection__v1__server_reflection_response__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { grpc__reflection__v1__server_reflection_response__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.valid_host = try a.cString(validHost, "valid_host")
        if let originalRequest {
            do { m.pointee.original_request = try originalRequest.cMessage(&a) } catch {
                throw error.inside("original_request")
            }
        }
        switch answer {
        case .fileDescriptors(let files):
            let r = a.allocate(Grpc__Reflection__V1__FileDescriptorResponse.self)
            grpc__reflection__v1__file_descriptor_response__init(r)
            if !files.isEmpty {
                let array = a.allocate(ProtobufCBinaryData.self, count: files.count)
                for (k, file) in files.enumerated() { array[k] = a.binary(file) }
                r.pointee.n_file_descriptor_proto = files.count
                r.pointee.file_descriptor_proto = array
            }
            m.pointee.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE
            m.pointee.file_descriptor_response = r
        case .extensionNumbers(let base, let numbers):
            let r = a.allocate(Grpc__Reflection__V1__ExtensionNumberResponse.self)
            grpc__reflection__v1__extension_number_response__init(r)
            r.pointee.base_type_name = try a.cString(base, "all_extension_numbers_response.base_type_name")
            if !numbers.isEmpty {
                let array = a.allocate(Int32.self, count: numbers.count)
                for (k, number) in numbers.enumerated() { array[k] = number }
                r.pointee.n_extension_number = numbers.count
                r.pointee.extension_number = array
            }
            m.pointee.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE
            m.pointee.all_extension_numbers_response = r
        case .services(let names):
            let r = a.allocate(Grpc__Reflection__V1__ListServiceResponse.self)
            grpc__reflection__v1__list_service_response__init(r)
            if !names.isEmpty {
                let array = a.allocate(
                    UnsafeMutablePointer<Grpc__Reflection__V1__ServiceResponse>?.self, count: names.count)
                for (k, name) in names.enumerated() {
                    let s = a.allocate(Grpc__Reflection__V1__ServiceResponse.self)
                    grpc__reflection__v1__service_response__init(s)
                    s.pointee.name = try a.cString(name, "list_services_response.service[\(k)].name")
                    array[k] = s
                }
                r.pointee.n_service = names.count
                r.pointee.service = array
            }
            m.pointee.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE
            m.pointee.list_services_response = r
        case .error(let code, let message):
            let r = a.allocate(Grpc__Reflection__V1__ErrorResponse.self)
            grpc__reflection__v1__error_response__init(r)
            r.pointee.error_code = code
            r.pointee.error_message = try a.cString(message, "error_response.error_message")
            m.pointee.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE
            m.pointee.error_response = r
        }
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        let answer: Answer
        switch m.pointee.message_response_case {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE:
            var files: [[UInt8]] = []
            if let r = m.pointee.file_descriptor_response, let p = r.pointee.file_descriptor_proto {
                for k in 0..<r.pointee.n_file_descriptor_proto { files.append(readBytes(p[k])) }
            }
            answer = .fileDescriptors(files)
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE:
            let r = m.pointee.all_extension_numbers_response
            var numbers: [Int32] = []
            if let r, let p = r.pointee.extension_number {
                numbers = Array(UnsafeBufferPointer(start: p, count: r.pointee.n_extension_number))
            }
            answer = .extensionNumbers(baseTypeName: readString(r?.pointee.base_type_name), numbers: numbers)
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE:
            var names: [String] = []
            if let r = m.pointee.list_services_response, let p = r.pointee.service {
                for k in 0..<r.pointee.n_service { names.append(readString(p[k]?.pointee.name)) }
            }
            answer = .services(names)
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE:
            let r = m.pointee.error_response
            answer = .error(code: r?.pointee.error_code ?? 0, message: readString(r?.pointee.error_message))
        default:
            throw WireError(.malformed, field: "message_response", "is not set")
        }
        self.init(
            validHost: readString(m.pointee.valid_host),
            originalRequest: try readMessage(m.pointee.original_request, "original_request"),
            answer: answer)
    }
}
