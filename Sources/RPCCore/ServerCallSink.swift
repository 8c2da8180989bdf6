package import NIOCore

/// The transport's side of one running server call, as ``RPCMethod`` sees it.
///
/// Implemented by each transport (RPCUnixSocket); package-internal so the
/// public API stays ``ResponseStreamWriter``.
package protocol ServerCallSink: Sendable {
    /// The allocator for response buffers.
    var allocator: ByteBufferAllocator { get }

    /// Sends one response message of a server stream. `payload` was made by
    /// ``Frame/makePayloadBuffer(allocator:capacity:)``.
    ///
    /// Suspends while the client has granted no credit or the connection's
    /// outbound buffer is full.
    ///
    /// - Throws: ``RPCError`` once the call has ended (cancelled by the client,
    ///   deadline exceeded, client gone, server stopping).
    func sendStreamMessage(_ payload: ByteBuffer) async throws(RPCError)
}
