import GRPCCore
import InterviewsWire
import NIOCore

/// Hands a request message's bytes to the router as they arrived: the
/// router's ``RPCCore/RPCMethod`` decodes them with InterviewsWire
/// (protobuf-c), exactly as on the native endpoint, so both endpoints accept
/// and refuse the same bytes with the same status and message.
///
/// A message longer than `maxSize` fails the call with RESOURCE_EXHAUSTED
/// naming its size and the limit (the transport admits up to twice the
/// limit so that this answer, not a bare RST_STREAM, is what most
/// oversized requests get).
struct RouterRequestDeserializer: MessageDeserializer {
    let maxSize: Int

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> ByteBuffer {
        guard serializedMessageBytes.count <= maxSize else {
            throw RPCError(
                code: .resourceExhausted,
                message:
                    "request message is \(serializedMessageBytes.count) bytes; the limit is \(maxSize) bytes (--max-frame-size)"
            )
        }
        return serializedMessageBytes.withUnsafeBytes { ByteBuffer(bytes: $0) }
    }
}

/// Sends a response the router has already encoded with InterviewsWire: its
/// readable bytes are the protobuf encoding (the headroom in front of them,
/// kept for the native frame header, is not sent).
struct RouterResponseSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: ByteBuffer) throws -> Bytes {
        message.withUnsafeReadableBytes { Bytes($0) }
    }
}

/// Decodes a message of the standard gRPC services with InterviewsWire.
///
/// Bytes that do not decode fail the call with `INVALID_ARGUMENT` naming the
/// field; more than `maxSize` bytes with `RESOURCE_EXHAUSTED`.
struct WireDeserializer<Message: WireCodable>: MessageDeserializer {
    let maxSize: Int

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        let decoded = serializedMessageBytes.withUnsafeBytes { bytes in
            Result { () throws(WireError) in try Message.decode(from: bytes, maxSize: maxSize) }
        }
        switch decoded {
        case .success(let message):
            return message
        case .failure(let error):
            let code: RPCError.Code = error.kind == .tooLarge ? .resourceExhausted : .invalidArgument
            throw RPCError(code: code, message: "\(Message.self): \(error.message)")
        }
    }
}

/// Encodes a message of the standard gRPC services with InterviewsWire.
struct WireSerializer<Message: WireCodable>: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        var buffer = ByteBuffer()
        do {
            try message.encode(into: &buffer)
        } catch {
            throw RPCError(code: .internalError, message: "cannot encode \(Message.self): \(error.message)")
        }
        return buffer.withUnsafeReadableBytes { Bytes($0) }
    }
}
