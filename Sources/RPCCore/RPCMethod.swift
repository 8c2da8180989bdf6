public import InterviewsWire
package import NIOCore

/// One method a server serves: its full name, its shape and its handler.
///
/// ```swift
/// RPCMethod.unary("/interviews.v1.Interviews/Health") { (request: HealthRequest, context) in
///     HealthResponse(status: .serving)
/// }
/// ```
public struct RPCMethod: Sendable {
    /// The shapes of call this protocol carries.
    public enum Kind: Sendable, Hashable {
        /// One request, one response.
        case unary
        /// One request, a flow-controlled stream of responses.
        case serverStreaming
    }

    /// The full method name, e.g. `/interviews.v1.Interviews/GetInterview`.
    public let name: String
    /// The call's shape.
    public let kind: Kind
    /// Decodes the request and runs the handler. A unary method returns its
    /// encoded response (with frame header room); a streaming one sends
    /// through the sink and returns nil.
    package let invoke: @Sendable (ByteBuffer, ServerContext, any ServerCallSink) async throws -> ByteBuffer?
    /// For a ``nonblockingUnary(_:_:)`` method: decodes the request, runs the
    /// handler and appends the encoded response to the buffer (at its writer
    /// index) on the calling thread (the connection's event loop), without a
    /// task. On a throw the buffer may hold part of a response. Nil for every
    /// other method.
    package let invokeNonblocking: (@Sendable (ByteBuffer, ServerContext, inout ByteBuffer) throws -> Void)?
    /// The method name's UTF-8 bytes, for routing by bytes.
    let nameBytes: [UInt8]

    private init(
        name: String, kind: Kind,
        invoke: @escaping @Sendable (ByteBuffer, ServerContext, any ServerCallSink) async throws -> ByteBuffer?,
        invokeNonblocking: (@Sendable (ByteBuffer, ServerContext, inout ByteBuffer) throws -> Void)? = nil
    ) {
        self.name = name
        self.kind = kind
        self.invoke = invoke
        self.invokeNonblocking = invokeNonblocking
        self.nameBytes = Array(name.utf8)
    }

    /// A method that answers one request with one response.
    ///
    /// The handler runs in its own task (see ``nonblockingUnary(_:_:)`` for
    /// handlers that never wait). A request that does not decode ends
    /// the call with the ``WireError``'s code (`INVALID_ARGUMENT`) and message
    /// before the handler runs.
    ///
    /// - Parameters:
    ///   - name: The full method name.
    ///   - handler: Returns the response, or throws: a ``StatusError`` ends the
    ///     call with its code and message, any other error with `INTERNAL`.
    public static func unary<Request: WireCodable, Response: WireCodable>(
        _ name: String,
        _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> RPCMethod {
        RPCMethod(name: name, kind: .unary) { bytes, context, sink in
            let request = try Request.decode(bytes, maxSize: .max)
            let response = try await handler(request, context)
            return try ResponseEncodingError.encode(response, allocator: sink.allocator)
        }
    }

    /// A method that answers one request with one response and never waits:
    /// its handler runs on the connection's event loop as soon as the request
    /// has arrived, without a task or a thread hop.
    ///
    /// Use it only for handlers that finish in microseconds without blocking:
    /// no I/O, no sleeping, no lock held by anything slow (a read from an
    /// in-memory index under a short lock qualifies). While it runs, no other
    /// call of the connections on that event loop makes progress. Anything
    /// else belongs in ``unary(_:_:)``.
    ///
    /// Outcomes are those of ``unary(_:_:)``. A call whose deadline has
    /// already passed when its request arrives ends with `DEADLINE_EXCEEDED`
    /// without running the handler.
    ///
    /// - Parameters:
    ///   - name: The full method name.
    ///   - handler: Returns the response, or throws: a ``StatusError`` ends the
    ///     call with its code and message, any other error with `INTERNAL`.
    public static func nonblockingUnary<Request: WireCodable, Response: WireCodable>(
        _ name: String,
        _ handler: @escaping @Sendable (Request, ServerContext) throws -> Response
    ) -> RPCMethod {
        let run: @Sendable (ByteBuffer, ServerContext, inout ByteBuffer) throws -> Void = {
            bytes, context, output in
            let request = try Request.decode(bytes, maxSize: .max)
            try ResponseEncodingError.encode(try handler(request, context), into: &output)
        }
        // A transport without an event-loop path still runs it, in the task.
        return RPCMethod(
            name: name, kind: .unary,
            invoke: { bytes, context, sink in
                var payload = Frame.makePayloadBuffer(allocator: sink.allocator, capacity: 256)
                try run(bytes, context, &payload)
                return payload
            },
            invokeNonblocking: run)
    }

    /// A method that answers one request with a stream of responses.
    ///
    /// The call ends with OK when the handler returns. A request that does
    /// not decode ends the call with the ``WireError``'s code and message
    /// before the handler runs.
    ///
    /// - Parameters:
    ///   - name: The full method name.
    ///   - handler: Writes responses to the writer (which suspends while the
    ///     client grants no credit and throws once the call has ended), or
    ///     throws: a ``StatusError`` ends the call with its code and message,
    ///     any other error with `INTERNAL`.
    public static func serverStreaming<Request: WireCodable, Response: WireCodable>(
        _ name: String,
        _ handler: @escaping @Sendable (Request, ServerContext, ResponseStreamWriter<Response>) async throws -> Void
    ) -> RPCMethod {
        RPCMethod(name: name, kind: .serverStreaming) { bytes, context, sink in
            let request = try Request.decode(bytes, maxSize: .max)
            try await handler(request, context, ResponseStreamWriter(sink: sink))
            return nil
        }
    }
}

/// A response the server could not encode (a string holding NUL): a server
/// bug, reported to the client as `INTERNAL` "internal error" and logged with
/// these details.
public struct ResponseEncodingError: Error, CustomStringConvertible {
    /// The response type.
    public var type: String
    /// Why encoding failed.
    public var underlying: WireError

    /// What failed, for the server log.
    public var description: String { "cannot encode \(type): \(underlying.message)" }

    static func encode(_ message: some WireCodable, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var payload = Frame.makePayloadBuffer(allocator: allocator, capacity: 256)
        try encode(message, into: &payload)
        return payload
    }

    static func encode(_ message: some WireCodable, into buffer: inout ByteBuffer) throws {
        do {
            try message.encode(into: &buffer)
        } catch {
            throw ResponseEncodingError(type: "\(Swift.type(of: message))", underlying: error)
        }
    }
}
