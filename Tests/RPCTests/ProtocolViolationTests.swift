import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import RPCUnixSocket
import Testing

/// Every test breaks the protocol on one raw connection, checks the answer
/// (a TRAILERS status or a GOAWAY), then proves the server still serves.
@Suite("Bad input is answered with a clear status or GOAWAY", .timeLimit(.minutes(1)))
struct ProtocolViolationTests {
    private func header(length: UInt32, type: UInt8, flags: UInt8 = 0, reserved: UInt16 = 0, callID: UInt32) -> [UInt8]
    {
        var buffer = ByteBuffer()
        buffer.writeInteger(length, endianness: .big)
        buffer.writeInteger(type)
        buffer.writeInteger(flags)
        buffer.writeInteger(reserved, endianness: .big)
        buffer.writeInteger(callID, endianness: .big)
        return Array(buffer.readableBytesView)
    }

    @Test("a wrong preface gets GOAWAY INVALID_ARGUMENT and the connection is closed")
    func wrongPreface() async throws {
        try await withTestServer { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.code == StatusCode.invalidArgument.rawValue)
            #expect(goAway?.message.contains("bad connection preface") == true)
            #expect(try await server.expectHealthy())
        }
    }

    @Test("a frame other than SETTINGS right after the preface gets GOAWAY")
    func noSettings() async throws {
        try await withTestServer { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.send(RPCProtocol.preface)
                try await raw.send(.headers, callID: 1, RPCCallHeaders(method: TestMethods.health))
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.message == "expected SETTINGS after the preface, got HEADERS")
            #expect(try await server.expectHealthy())
        }
    }

    @Test("a truncated frame followed by a close harms nothing")
    func truncatedThenClose() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(header(length: 100, type: 0x1, callID: 1) + [0x0a, 0x05, 0x2f])
                raw.finish()
            }
            #expect(try await server.expectHealthy())
        }
    }

    @Test("a length over max_frame_size gets GOAWAY RESOURCE_EXHAUSTED before the payload is sent")
    func oversizedLength() async throws {
        try await withTestServer { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(header(length: 4 * 1024 * 1024 + 1, type: 0x2, callID: 1))
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.code == StatusCode.resourceExhausted.rawValue)
            #expect(goAway?.message == "MESSAGE frame of 4194305 bytes exceeds max_frame_size 4194304")
            #expect(try await server.expectHealthy())
        }
    }

    @Test("an unknown frame type gets GOAWAY INVALID_ARGUMENT")
    func unknownType() async throws {
        try await withTestServer { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(header(length: 0, type: 0x42, callID: 1))
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.code == StatusCode.invalidArgument.rawValue)
            #expect(goAway?.message == "unknown frame type 0x42")
            #expect(try await server.expectHealthy())
        }
    }

    @Test("non-zero reserved bits get GOAWAY INVALID_ARGUMENT")
    func reservedBits() async throws {
        try await withTestServer { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(header(length: 0, type: 0x7, reserved: 0x8000, callID: 0))
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.message == "PING frame has reserved bits 0x8000; they must be 0")
            #expect(try await server.expectHealthy())
        }
    }

    @Test("a MESSAGE before its HEADERS gets TRAILERS INVALID_ARGUMENT and the connection goes on")
    func messageBeforeHeaders() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(.message, flags: .endStream, callID: 1, HealthRequest())
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.invalidArgument.rawValue)
                #expect(status.message == "MESSAGE for call 1 before its HEADERS")
                try await raw.sendCall(3, method: TestMethods.health, HealthRequest())
                let message = try #require(try await raw.readFrame())
                #expect(message.type == .message && message.callID == 3)
                #expect(try message.decodePayload(as: HealthResponse.self).status == .serving)
                #expect(try await raw.readStatus(of: 3)?.code == 0)
            }
            #expect(try await server.expectHealthy())
        }
    }

    @Test("a reused or decreasing call id gets GOAWAY naming both ids", arguments: [UInt32(5), 3])
    func reusedCallID(second: UInt32) async throws {
        try await withTestServer { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.sendCall(5, method: TestMethods.health, HealthRequest())
                #expect(try await raw.readStatus(of: 5)?.code == 0)
                try await raw.sendCall(second, method: TestMethods.health, HealthRequest())
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.lastCallID == 5)
            #expect(
                goAway?.message
                    == "call id \(second) is not greater than the previous call id 5; call ids must increase")
            #expect(try await server.expectHealthy())
        }
    }

    @Test("an unknown method is answered with UNIMPLEMENTED; its request MESSAGE is ignored")
    func unknownMethodRaw() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.sendCall(1, method: "/interviews.v1.Interviews/Nope", HealthRequest())
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.unimplemented.rawValue)
                #expect(status.message == "unknown method /interviews.v1.Interviews/Nope")
                try await raw.sendCall(3, method: TestMethods.health, HealthRequest())
                #expect(try await raw.readStatus(of: 3)?.code == 0)
            }
        }
    }

    @Test(
        "a request that is not valid protobuf or not UTF-8 is INVALID_ARGUMENT naming the field, when there is one",
        arguments: [
            // Field 1 (company_id), length 16, 1 byte.
            ([UInt8]([0x0a, 0x10, 0x61]), "company_id: runs past the end of the message (the field starts at byte 0)"),
            // Field 2 (id): invalid UTF-8.
            ([UInt8]([0x12, 0x02, 0xc3, 0x28]), "id: is not valid UTF-8 (bad byte at offset 0)"),
            // Field 3 (include_remote_data): its value's varint never ends.
            ([UInt8]([0x18, 0xff]), "include_remote_data: bad varint at byte 1"),
            // Field 2 (id): its length's varint never ends.
            ([UInt8]([0x12, 0x80]), "id: bad length varint at byte 1"),
            // A field 15 (unknown to GetInterviewRequest) that runs past the end.
            ([UInt8]([0x7a, 0x05, 0x61]), "truncated: the field starting at byte 0 runs past the end"),
            // A tag varint that never ends: no field to name.
            ([UInt8]([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), "bad varint at byte 0"),
        ])
    func garbageRequest(bytes: [UInt8], message: String) async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(.headers, callID: 1, RPCCallHeaders(method: TestMethods.echo))
                try await raw.send(
                    Frame(type: .message, flags: .endStream, callID: 1, payload: ByteBuffer(bytes: bytes)))
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.invalidArgument.rawValue)
                #expect(status.message == message)
            }
            #expect(try await server.expectHealthy())
        }
    }

    @Test("HEADERS that do not decode get TRAILERS INVALID_ARGUMENT")
    func garbageHeaders() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(
                    Frame(type: .headers, callID: 1, payload: ByteBuffer(bytes: [0x0a, 0x02, 0xff, 0xfe])))
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.invalidArgument.rawValue)
                #expect(status.message.contains("method"))
            }
        }
    }

    @Test("a request MESSAGE without END_STREAM, or a second one, ends the call with INVALID_ARGUMENT")
    func requestShape() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(.headers, callID: 1, RPCCallHeaders(method: TestMethods.health))
                try await raw.send(.message, callID: 1, HealthRequest())
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.message == "the request MESSAGE of call 1 must carry END_STREAM (one request per call)")
                try await raw.send(.headers, callID: 3, RPCCallHeaders(method: TestMethods.block))
                try await raw.send(.message, flags: .endStream, callID: 3, HealthRequest())
                try await raw.send(.message, flags: .endStream, callID: 3, HealthRequest())
                let second = try #require(try await raw.readStatus(of: 3))
                #expect(second.message == "call 3 sent more than one request MESSAGE")
            }
            #expect(await server.probe.wait { server.probe.count("block.cancelled") == 1 })
        }
    }

    @Test("CANCEL and WINDOW_UPDATE for calls that do not exist are ignored; PING is echoed")
    func unknownCallControl() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(.cancel, callID: 99, RPCCancel(reason: "nothing"))
                try await raw.send(.windowUpdate, callID: 101, RPCWindowUpdate(credit: 5))
                try await raw.send(.ping, callID: 0, RPCPing(opaque: 0xDEAD_BEEF))
                let pong = try #require(try await raw.readFrame())
                #expect(pong.type == .ping && pong.flags == .ack)
                #expect(try pong.decodePayload(as: RPCPing.self).opaque == 0xDEAD_BEEF)
            }
        }
    }

    @Test("an unsupported protocol_version gets GOAWAY FAILED_PRECONDITION")
    func protocolVersion() async throws {
        try await withTestServer { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.send(RPCProtocol.preface)
                try await raw.send(.settings, callID: 0, RPCSettings(protocolVersion: 2))
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.code == StatusCode.failedPrecondition.rawValue)
            #expect(goAway?.message == "unsupported protocol_version 2; this server speaks 1")
        }
    }

    @Test("after a client's GOAWAY its open calls finish, then the server closes the connection")
    func clientGoAway() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.sendCall(1, method: TestMethods.sleep, ListRequest(pageSize: 200))
                try await raw.send(.goAway, callID: 0, RPCGoAway(lastCallID: 0))
                #expect(try await raw.readStatus(of: 1)?.code == 0)
                #expect(try await raw.readFrame() == nil)
            }
        }
    }

    @Test("a call after the client's own GOAWAY gets UNAVAILABLE saying so, whatever its last_call_id")
    func callAfterClientGoAway() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.sendCall(1, method: TestMethods.block, HealthRequest())
                #expect(await server.probe.wait { server.probe.count("block.started") == 1 })
                try await raw.send(.goAway, callID: 0, RPCGoAway(lastCallID: 7))
                try await raw.sendCall(3, method: TestMethods.health, HealthRequest())
                let refused = try #require(try await raw.readStatus(of: 3))
                #expect(refused.code == StatusCode.unavailable.rawValue)
                #expect(
                    refused.message
                        == "this connection is closing: the client sent GOAWAY; start new calls on a new connection")
                try await raw.send(.cancel, callID: 1, RPCCancel())
                #expect(try await raw.readStatus(of: 1)?.code == StatusCode.cancelled.rawValue)
                #expect(try await raw.readFrame() == nil, "closed once its last call ended")
            }
        }
    }

    @Test("a PING is answered with its own bytes, unknown fields included")
    func pingEchoesItsBytes() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                // opaque = 5, then field 9 (unknown) = "hi".
                let payload: [UInt8] = [0x08, 0x05, 0x4a, 0x02, 0x68, 0x69]
                try await raw.send(Frame(type: .ping, callID: 0, payload: ByteBuffer(bytes: payload)))
                let pong = try #require(try await raw.readFrame())
                #expect(pong.type == .ping && pong.flags == .ack)
                #expect(Array(pong.payload.readableBytesView) == payload)
            }
        }
    }

    @Test("a PING whose payload is not a Ping gets GOAWAY INVALID_ARGUMENT, as other control frames do")
    func malformedPing() async throws {
        try await withTestServer { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                // Field 1 (opaque) with its varint cut off.
                try await raw.send(Frame(type: .ping, callID: 0, payload: ByteBuffer(bytes: [0x08, 0xff])))
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.code == StatusCode.invalidArgument.rawValue)
            #expect(goAway?.message == "malformed PING payload: opaque: bad varint at byte 1")
            #expect(try await server.expectHealthy())
        }
    }

    @Test("TRAILERS from a client get GOAWAY")
    func clientTrailers() async throws {
        try await withTestServer { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(.trailers, callID: 1, RPCStatus(code: 0))
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.message == "clients do not send TRAILERS (call 1)")
        }
    }
}
