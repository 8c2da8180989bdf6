internal import InterviewsModel
package import InterviewsWire
package import NIOCore

/// The methods a server serves, keyed by full method name, and the hook that
/// runs before every handler.
///
/// Outcomes of a call, as the client sees them in TRAILERS:
/// - an unknown method: `UNIMPLEMENTED` "unknown method <name>";
/// - the `authorize` hook throws: its ``StatusError`` code and message
///   (e.g. `UNAUTHENTICATED`), and the handler does not run;
/// - a request that does not decode: the ``WireError``'s code
///   (`INVALID_ARGUMENT`) and message naming the field;
/// - the handler throws a ``StatusError``: its code and message;
/// - the handler throws anything else: `INTERNAL` "internal error" (the
///   details are logged, never sent).
public struct RPCRouter: Sendable {
    /// The hook run before every handler: it may reject the call by throwing
    /// a ``StatusError`` (e.g. `UNAUTHENTICATED`) or attach values for the
    /// handler to `context.values`.
    ///
    /// It is synchronous because it may run on a connection's event loop
    /// (before a ``RPCMethod/nonblockingUnary(_:_:)`` handler): it must not
    /// block, only look things up in memory.
    public typealias Authorize = @Sendable (inout ServerContext) throws -> Void

    private let methods: [String: RPCMethod]
    /// The methods again, for lookups by bytes.
    private let byBytes: [RPCMethod]
    private let authorize: Authorize?

    /// Creates a router.
    ///
    /// - Parameters:
    ///   - methods: The methods; each name must appear once (a duplicate is a
    ///     programming error and traps).
    ///   - authorize: Runs before each handler with the call's context.
    public init(_ methods: [RPCMethod], authorize: Authorize? = nil) {
        var table: [String: RPCMethod] = [:]
        for method in methods {
            precondition(table[method.name] == nil, "method \(method.name) is registered twice")
            table[method.name] = method
        }
        self.methods = table
        self.byBytes = methods
        self.authorize = authorize
    }

    /// The method registered under `name`, or nil.
    public func method(named name: String) -> RPCMethod? { methods[name] }

    /// The method whose name is the UTF-8 bytes `name`, or nil: the lookup of
    /// ``method(named:)`` without making a string.
    package func method(utf8 name: UnsafeRawBufferPointer) -> RPCMethod? {
        for method in byBytes where method.nameBytes.count == name.count {
            let equal = method.nameBytes.withUnsafeBytes { known in
                // Names share their service prefix: compare from the end.
                var index = name.count
                while index > 0 {
                    index -= 1
                    if known[index] != name[index] { return false }
                }
                return true
            }
            if equal { return method }
        }
        return nil
    }

    /// Whether the router authenticates calls at all (it has an `authorize`
    /// hook). Without one every connection counts as authenticated.
    package var authenticatesCalls: Bool { authorize != nil }

    /// Whether the `authorize` hook accepts a call with `context` and marks
    /// it ``ServerContext/isAuthenticated``; true without a hook. It runs
    /// the hook on a copy of the context, which is dropped.
    package func authenticates(_ context: ServerContext) -> Bool {
        guard let authorize else { return true }
        var context = context
        do {
            try authorize(&context)
        } catch {
            return false
        }
        return context.isAuthenticated
    }

    /// Every registered method name, sorted.
    public var methodNames: [String] { methods.keys.sorted() }

    /// The status for a call to a method that is not registered.
    public static func unimplemented(_ name: String) -> RPCError {
        RPCError(.unimplemented, "unknown method \(name.isEmpty ? "\"\"" : name)")
    }

    /// Runs one call of `method` (looked up with ``method(named:)`` when its
    /// HEADERS arrived): the authorize hook, the request decoding, the handler.
    ///
    /// Never throws: every outcome is a status.
    ///
    /// - Returns: The encoded response of a unary call (nil for a streaming
    ///   call or a failure) and the call's final status.
    package func handle(
        _ method: RPCMethod, request: ByteBuffer, context: ServerContext, sink: any ServerCallSink
    ) async -> (response: ByteBuffer?, status: RPCStatus) {
        var context = context
        do {
            try authorize?(&context)
            let response = try await method.invoke(request, context, sink)
            return (response, .ok)
        } catch {
            return (nil, Self.status(for: error, context: context))
        }
    }

    /// Runs one call of a ``RPCMethod/nonblockingUnary(_:_:)`` method on the
    /// calling thread: the authorize hook, the request decoding, the handler.
    ///
    /// Never throws: every outcome is a status.
    ///
    /// - Precondition: `method.invokeNonblocking` is not nil.
    /// - Returns: The encoded response (nil on failure) and the call's final status.
    package func handleNonblocking(
        _ method: RPCMethod, request: ByteBuffer, context: ServerContext, allocator: ByteBufferAllocator
    ) -> (response: ByteBuffer?, status: RPCStatus) {
        var payload = Frame.makePayloadBuffer(allocator: allocator, capacity: 256)
        let status = handleNonblocking(method, request: request, context: context, into: &payload)
        return (status == .ok ? payload : nil, status)
    }

    /// Runs one call of a ``RPCMethod/nonblockingUnary(_:_:)`` method on the
    /// calling thread and appends its encoded response to `output` (at its
    /// writer index).
    ///
    /// Never throws: every outcome is a status. When it is not OK, `output`
    /// is as it was.
    ///
    /// - Precondition: `method.invokeNonblocking` is not nil.
    /// - Returns: The call's final status.
    package func handleNonblocking(
        _ method: RPCMethod, request: ByteBuffer, context: ServerContext, into output: inout ByteBuffer
    ) -> RPCStatus {
        guard let invoke = method.invokeNonblocking else {
            preconditionFailure("\(method.name) is not a nonblocking method")
        }
        var context = context
        let start = output.writerIndex
        do {
            try authorize?(&context)
            try invoke(request, context, &output)
            return .ok
        } catch {
            output.moveWriterIndex(to: start)
            return Self.status(for: error, context: context)
        }
    }

    /// The status a call ends with when its hook or handler threw `error`.
    private static func status(for error: any Error, context: ServerContext) -> RPCStatus {
        switch error {
        case let error as any StatusError:
            let metadata = (error as? RPCError)?.metadata ?? []
            return RPCStatus(code: error.code.rawValue, message: error.message, metadata: metadata)
        case is CancellationError:
            return RPCError(.cancelled, "the call was cancelled").status
        default:
            context.logger.error("handler failed", metadata: ["error": "\(String(reflecting: error))"])
            return RPCError(.internalError, "internal error").status
        }
    }
}
