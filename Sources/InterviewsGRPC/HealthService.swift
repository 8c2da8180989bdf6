import GRPCCore
import InterviewsWire
import RPCCore

/// `grpc.health.v1.Health`, as the gRPC health checking protocol says.
///
/// The known service names are "" (the server) and `interviews.v1.Interviews`;
/// both are SERVING while the store accepts writes and the server is not
/// draining, else NOT_SERVING. Check of another name fails with NOT_FOUND;
/// Watch of one sends SERVICE_UNKNOWN and stays open. Watch sends the
/// current status, then each change (the store's state is looked at every
/// `pollInterval`; a drain is seen at once), and ends with UNAVAILABLE once
/// it has sent NOT_SERVING for a drain, so that the drain is not held up.
struct HealthService: RegistrableRPCService {
    /// The service names health is reported for.
    static let knownServices: Set<String> = ["", "interviews.v1.Interviews"]

    let isWritable: @Sendable () -> Bool
    let shutdown: ShutdownSignal
    let maxMessageSize: Int
    var pollInterval: Duration = .milliseconds(500)

    func registerMethods<Transport: ServerTransport>(with router: inout GRPCCore.RPCRouter<Transport>) {
        let deserializer = WireDeserializer<GRPCHealthCheckRequest>(maxSize: maxMessageSize)
        let serializer = WireSerializer<GRPCHealthCheckResponse>()
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Check"),
            deserializer: deserializer, serializer: serializer
        ) { request, _ in
            let message = try await RouterService.singleRequest(request.messages, "/grpc.health.v1.Health/Check")
            guard Self.knownServices.contains(message.service) else {
                throw GRPCCore.RPCError(code: .notFound, message: "unknown service \"\(message.service)\"")
            }
            return StreamingServerResponse(single: ServerResponse(message: GRPCHealthCheckResponse(status: status())))
        }
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Watch"),
            deserializer: deserializer, serializer: serializer
        ) { request, _ in
            let message = try await RouterService.singleRequest(request.messages, "/grpc.health.v1.Health/Watch")
            return StreamingServerResponse { writer in
                try await watch(message.service, writer)
                return [:]
            }
        }
    }

    private func status() -> GRPCHealthCheckResponse.ServingStatus {
        isWritable() && !shutdown.isTriggered ? .serving : .notServing
    }

    private func watch(_ service: String, _ writer: RPCWriter<GRPCHealthCheckResponse>) async throws {
        let known = Self.knownServices.contains(service)
        try await withCancellingRPC {
            var last: GRPCHealthCheckResponse.ServingStatus?
            while true {
                let now: GRPCHealthCheckResponse.ServingStatus = known ? status() : .serviceUnknown
                if now != last {
                    try await writer.write(GRPCHealthCheckResponse(status: now))
                    last = now
                }
                if shutdown.isTriggered {
                    throw GRPCCore.RPCError(code: .unavailable, message: "the server is shutting down")
                }
                try await waitForShutdown(orFor: pollInterval)
            }
        }
    }

    /// Returns after `interval` or once the drain has begun, whichever is first.
    private func waitForShutdown(orFor interval: Duration) async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: interval) }
            group.addTask { [shutdown] in await shutdown.wait() }
            _ = await group.next()
            group.cancelAll()
        }
        try Task.checkCancellation()
    }
}

/// Runs `body` in a task that the RPC's cancellation (the client went away,
/// the deadline passed) cancels.
func withCancellingRPC(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let task = Task { try await body() }
    try await withRPCCancellationHandler {
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    } onCancelRPC: {
        task.cancel()
    }
}

extension RouterService {
    /// The one request message of a unary or server-streaming call.
    static func singleRequest<Message: Sendable>(
        _ messages: RPCAsyncSequence<Message, any Error>, _ method: String
    ) async throws -> Message {
        var iterator = messages.makeAsyncIterator()
        guard let first = try await iterator.next() else {
            throw GRPCCore.RPCError(
                code: .internalError, message: "\(method): the request has no message; it takes one")
        }
        guard try await iterator.next() == nil else {
            throw GRPCCore.RPCError(
                code: .internalError, message: "\(method): the request has more than one message; it takes one")
        }
        return first
    }
}
