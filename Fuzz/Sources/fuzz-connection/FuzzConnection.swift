// A real RPCServer (RPCUnixSocket: the connection handler's state machine,
// call ids, credit, limits, deadlines, cancellation) on a Unix socket of its
// own, serving one method of each kind, is sent each input as a client
// connection's byte stream from the preface on. The server must not crash
// (AddressSanitizer, traps), must close or go quiet within moments (a hang
// is libFuzzer's timeout), and must still answer a well-formed call on a new
// connection, checked every 64 inputs.

import Dispatch
import FuzzSupport
import InterviewsModel
import InterviewsWire
import Logging
import NIOCore
import NIOPosix
import RPCCore
import RPCUnixSocket

#if canImport(Glibc)
    import Glibc
#endif

/// One method of each kind the router serves.
let methods: [RPCMethod] = [
    .nonblockingUnary("/fuzz.v1.Test/OnLoop") { (request: GetInterviewRequest, _) in Interview(id: request.id) },
    .unary("/fuzz.v1.Test/InTask") { (request: GetInterviewRequest, _) in Interview(id: request.id, revision: 1) },
    .serverStreaming("/fuzz.v1.Test/Stream") {
        (request: ListRequest, _, writer: ResponseStreamWriter<Interview>) in
        for index in 0..<min(Int(request.pageSize), 300) {
            try await writer.write(Interview(id: "\(index)", title: String(repeating: "x", count: 200)))
        }
    },
    .nonblockingUnary("/fuzz.v1.Test/Fails") { (request: GetInterviewRequest, _) -> Interview in
        throw RPCError(.notFound, "no interview \(request.id)")
    },
]

/// The frames of a connection, from the preface on.
func connection(_ frames: [Frame], preface: [UInt8] = RPCProtocol.preface) -> [UInt8] {
    var buffer = ByteBuffer(bytes: preface)
    for frame in frames { frame.encode(into: &buffer) }
    return Array(buffer.readableBytesView)
}

func settings() -> Frame {
    // Only fails for a string holding NUL; these have none.
    try! Frame(type: .settings, callID: 0, message: RPCSettings(protocolVersion: RPCProtocol.version))
}

func call(_ id: UInt32, _ method: String, _ request: some WireCodable, window: UInt32 = 0, timeout: UInt64 = 0)
    -> [Frame]
{
    [
        try! Frame(
            type: .headers, callID: id,
            message: RPCCallHeaders(method: "/fuzz.v1.Test/" + method, timeoutMicros: timeout, initialWindow: window)),
        try! Frame(type: .message, flags: .endStream, callID: id, message: request),
    ]
}

let seeds: [(name: String, bytes: [UInt8])] = [
    ("on-loop", connection([settings()] + call(1, "OnLoop", GetInterviewRequest(id: "a")))),
    ("in-task", connection([settings()] + call(1, "InTask", GetInterviewRequest(id: "b"), timeout: 1_000_000))),
    ("fails", connection([settings()] + call(3, "Fails", GetInterviewRequest(id: "c")))),
    ("unknown-method", connection([settings()] + call(1, "Nope", GetInterviewRequest()))),
    (
        "stream-credit",
        connection(
            [settings()] + call(1, "Stream", ListRequest(pageSize: 50), window: 2)
                + [try! Frame(type: .windowUpdate, callID: 1, message: RPCWindowUpdate(credit: 10))])
    ),
    (
        "stream-cancel",
        connection(
            [settings()] + call(5, "Stream", ListRequest(pageSize: 300), window: 1)
                + [try! Frame(type: .cancel, callID: 5, message: RPCCancel(reason: "enough"))])
    ),
    (
        "pipelined",
        connection(
            [settings()] + call(1, "OnLoop", GetInterviewRequest(id: "1"))
                + call(2, "InTask", GetInterviewRequest(id: "2"))
                + call(4, "Stream", ListRequest(pageSize: 3)) + call(7, "Fails", GetInterviewRequest(id: "7")))
    ),
    (
        "ping-goaway",
        connection([
            settings(), try! Frame(type: .ping, callID: 0, message: RPCPing(opaque: 42)),
            try! Frame(type: .goAway, callID: 0, message: RPCGoAway(lastCallID: 0, code: 0, message: "bye")),
        ])
    ),
    ("bad-preface", connection([settings()], preface: Array("interviews-rpc/2".utf8))),
]

/// The server, started once for the whole run.
final class Harness: Sendable {
    let socketPath: String
    private let server: RPCServer
    /// Signalled when the server's run() has returned.
    private let stopped = DispatchSemaphore(value: 0)

    init() {
        var template = Array("/tmp/fuzz-connection-XXXXXX".utf8CString)
        guard let directory = mkdtemp(&template) else { fuzzFailure("mkdtemp failed") }
        socketPath = String(cString: directory) + "/s.sock"
        var configuration = RPCServerConfiguration(socketPath: socketPath)
        // Small limits, so that fuzzed input reaches them.
        configuration.maxFrameSize = RPCProtocol.minMaxFrameSize
        configuration.maxConcurrentCallsPerConnection = 8
        configuration.maxOutboundBufferedBytes = 64 * 1024
        var logger = Logger(label: "fuzz-connection")
        logger.logLevel = .critical
        server = RPCServer(router: RPCRouter(methods), configuration: configuration, logger: logger)
        Task { [server, stopped] in
            try? await server.run()
            stopped.signal()
        }
        for _ in 0..<500 {
            if let fd = Harness.connect(socketPath) {
                close(fd)
                return
            }
            usleep(10_000)
        }
        fuzzFailure("the server did not start listening on \(socketPath)")
    }

    /// Stops the server and waits for it: what it held is freed before
    /// LeakSanitizer's check at exit, which then finds only real leaks.
    func stop() {
        server.beginGracefulShutdown()
        guard stopped.wait(timeout: .now() + 20) == .success else { fuzzFailure("the server did not stop within 20 s") }
        // Handler tasks cancelled by the shutdown finish on the concurrency
        // pool's threads just after run() returns.
        usleep(1_000_000)
    }

    static func connect(_ path: String) -> CInt? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            path.utf8CString.withUnsafeBytes { name in
                raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: name.prefix(capacity - 1)))
            }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Sends `bytes`, reads what comes back until the server is quiet for a
    /// moment, half-closes, and reads until the server closes.
    func exchange(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard let fd = Harness.connect(socketPath) else { fuzzFailure("the server stopped accepting connections") }
        defer { close(fd) }
        var sent = 0
        while sent < bytes.count {
            let n = send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            guard n > 0 else { break }  // the server closed the connection (GOAWAY): fine
            sent += n
        }
        var received: [UInt8] = []
        read(fd, into: &received, quietFor: 2, upTo: 50)
        shutdown(fd, Int32(SHUT_WR))
        read(fd, into: &received, quietFor: 200, upTo: 2_000)
        return received
    }

    /// Reads until nothing arrives for `quietFor` ms, the peer closes, or `upTo` ms have passed.
    private func read(_ fd: CInt, into received: inout [UInt8], quietFor: Int32, upTo: Int) {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let start = monotonicMilliseconds()
        while monotonicMilliseconds() - start < upTo {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, quietFor) > 0 else { return }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return }
            received += chunk[0..<n]
        }
    }

    /// A well-formed call on a new connection gets its answer.
    func checkServes() {
        let bytes = connection([settings()] + call(1, "OnLoop", GetInterviewRequest(id: "alive")))
        let answer = bytes.withUnsafeBufferPointer { exchange($0) }
        var buffer = ByteBuffer(bytes: answer)
        var decoder = FrameDecoder(maxFrameSize: RPCProtocol.defaultMaxFrameSize, expectsPreface: false)
        var id: String?
        while let frame = try? decoder.next(from: &buffer) {
            if frame.type == .message, frame.callID == 1 { id = try? Interview.decode(frame.payload).id }
            if frame.type == .trailers, frame.callID == 1 {
                guard let status = try? RPCStatus.decode(frame.payload), status.code == 0, id == "alive" else {
                    fuzzFailure("a well-formed call after the last input did not get its answer")
                }
                return
            }
        }
        fuzzFailure("a well-formed call after the last input got no TRAILERS (\(answer.count) bytes back)")
    }
}

/// Milliseconds of the monotonic clock.
func monotonicMilliseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
}

// Safe unsynchronised: libFuzzer calls LLVMFuzzerInitialize once, then
// LLVMFuzzerTestOneInput from that one thread; nothing else touches these.
nonisolated(unsafe) var harness: Harness?
nonisolated(unsafe) var inputs = 0

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    writeSeedsIfAsked { seeds }
    harness = Harness()
    // Runs before LeakSanitizer's own exit check (registered earlier).
    atexit { harness?.stop() }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let harness else { fuzzFailure("not initialised") }
    _ = harness.exchange(fuzzInput(data, size))
    inputs += 1
    if inputs % 64 == 0 { harness.checkServes() }
    return 0
}
