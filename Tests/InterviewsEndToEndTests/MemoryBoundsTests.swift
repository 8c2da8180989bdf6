import Foundation
import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import Testing

/// The server process's resident set size, from /proc/PID/status (VmRSS).
private func residentBytes(_ pid: pid_t) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        if let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) { return kib * 1024 }
    }
    throw ServerProcessError("no VmRSS in /proc/\(pid)/status")
}

/// How the connections of ``withPartialFrames(_:path:length:_:)`` ended.
private struct Outcomes {
    /// Connections whose frame the server kept until it was finished.
    var held = 0
    /// Connections sent GOAWAY for the shared budget.
    var refused: [RPCGoAway] = []
}

/// Opens `count` connections, each sending a PING and the header and all but
/// the last byte of a MESSAGE of `length` bytes in one write (so the server's
/// PING ack comes once it has read the header and taken or refused the
/// frame); runs `body` while every one is open; then finishes each frame.
private func withPartialFrames(
    _ count: Int, path: String, length: Int, _ body: () async throws -> Void
) async throws -> Outcomes {
    guard count > 0 else {
        try await body()
        return Outcomes()
    }
    return try await withRawConnection(to: path) { raw in
        try await raw.handshake()
        var wire = ByteBuffer()
        try Frame(type: .ping, callID: 0, message: RPCPing(opaque: 1)).encode(into: &wire)
        wire.writeBytes(RawConnection.header(length: UInt32(length), type: .message, flags: 1, callID: 1))
        wire.writeRepeatingByte(0, count: length - 1)
        try await raw.send(Array(wire.readableBytesView))
        let ack = try #require(try await raw.readFrame())
        #expect(ack.type == .ping && ack.flags.contains(.ack))
        var outcomes = try await withPartialFrames(count - 1, path: path, length: length, body)
        try? await raw.send([0])
        let next = try await raw.readFrame()
        if next?.type == .trailers {
            let status = try #require(try next?.decodePayload(as: RPCStatus.self))
            #expect(status.message == "MESSAGE for call 1 before its HEADERS")
            outcomes.held += 1
        } else if let next, next.type == .goAway {
            // The connection is closed after it (reading on may find it reset).
            outcomes.refused.append(try next.decodePayload(as: RPCGoAway.self))
        }
        return outcomes
    }
}

@Suite("Memory bounds of the server process (scaled limits)", .timeLimit(.minutes(3)))
struct MemoryBoundsTests {
    @Test("100 connections with partial frames: the shared budget holds 16, refuses the rest, and RSS stays bounded")
    func partialFrames() async throws {
        let frame = 16_384 + Frame.headerSize
        let budget = 16 * frame
        let server = try await ServerProcess.start(arguments: [
            "--max-unauthenticated-frame-size", "16384", "--max-unauthenticated-buffered-bytes", "\(budget)",
            "--frame-timeout", "3600",
        ])
        // A frame above the limit before authentication is refused from its header.
        let early = try await withRawConnection(to: server.socketPath) { raw in
            try await raw.handshake()
            try await raw.send(RawConnection.header(length: 4 * 1024 * 1024, type: .message, callID: 1))
            return try await raw.readUntilClosed()
        }
        #expect(early?.code == StatusCode.resourceExhausted.rawValue)
        let idle = try residentBytes(server.pid)
        var held = 0
        let outcomes = try await withPartialFrames(100, path: server.socketPath, length: 16_384) {
            held = try residentBytes(server.pid)
        }
        #expect(outcomes.held == 16)
        #expect(outcomes.refused.count == 84)
        #expect(outcomes.refused.allSatisfy { $0.code == StatusCode.resourceExhausted.rawValue })
        #expect(
            outcomes.refused.first?.message
                == "the server holds its limit of \(budget) bytes of partly received frames from connections that have not authenticated a call; closing"
        )
        // 16 frames of 16 KiB and 100 connections' own buffers; without the
        // limits 100 such connections could hold 400 MiB.
        #expect(held - idle < 24 * 1024 * 1024, "RSS grew by \(held - idle) bytes")
        try await server.stop()
    }
}
