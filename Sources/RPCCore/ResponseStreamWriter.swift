public import InterviewsWire

/// Sends the response messages of a server-streaming call.
///
/// Flow control: the client grants message credit (its HEADERS'
/// `initial_window`, then WINDOW_UPDATE frames); ``write(_:)`` suspends while
/// the credit is used up, so a slow reader slows the handler down instead of
/// filling memory.
public struct ResponseStreamWriter<Response: WireCodable>: Sendable {
    private let sink: any ServerCallSink

    /// Creates a writer over a transport's call.
    package init(sink: any ServerCallSink) {
        self.sink = sink
    }

    /// Sends one message.
    ///
    /// Suspends until the client has credit for it and the connection can take it.
    ///
    /// - Throws: ``RPCError`` when the call is over: `CANCELLED` (the client
    ///   cancelled or went away), `DEADLINE_EXCEEDED`, `UNAVAILABLE` (the
    ///   server is stopping). Stop producing and return (or rethrow) when it
    ///   throws. A message that cannot be encoded (a string holding NUL)
    ///   throws ``ResponseEncodingError``, which the call reports as
    ///   `INTERNAL`.
    public func write(_ message: Response) async throws {
        try await sink.sendStreamMessage(try ResponseEncodingError.encode(message, allocator: sink.allocator))
    }

    /// Sends every message of `messages` in order.
    ///
    /// - Throws: As ``write(_:)``, or what `messages` throws.
    public func write<S: AsyncSequence>(contentsOf messages: S) async throws where S.Element == Response {
        for try await message in messages {
            try await write(message)
        }
    }
}
