internal import Glibc
import InterviewsWire
import NIOCore
import RPCCore

/// Checks whom a client has connected to before anything is sent: the
/// server's uid, as the kernel reports it (`SO_PEERCRED`), must be this
/// process's own, root's, or one the user trusts by name. Anyone can listen
/// on a path in a shared directory (such as `/tmp`) before the real server
/// does; without this check the client would hand its API key to them.
///
/// It is the first handler of the client's pipeline and holds back
/// `channelActive` (so neither the preface nor SETTINGS are written) until
/// the check passes. When it fails, the handshake fails with
/// PERMISSION_DENIED and the connection is closed.
final class ServerIdentityCheckHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let path: String
    private let trustedUIDs: Set<UInt32>
    private let handshake: EventLoopPromise<RPCSettings>

    init(path: String, trustedUIDs: Set<UInt32>, handshake: EventLoopPromise<RPCSettings>) {
        self.path = path
        self.trustedUIDs = trustedUIDs
        self.handshake = handshake
    }

    func channelActive(context: ChannelHandlerContext) {
        let refusal = Self.refusal(
            path: path, peerUID: PeerCredentialsReader.read(from: context.channel)?.uid, trusted: trustedUIDs)
        if let refusal {
            handshake.fail(refusal)
            context.close(promise: nil)
            return
        }
        context.fireChannelActive()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Why a server running as `peerUID` is not to be talked to, or nil when
    /// it may be: it runs as this process's (effective or real) uid, as root,
    /// or as one of `trusted`.
    static func refusal(path: String, peerUID: UInt32?, trusted: Set<UInt32>) -> RPCError? {
        let own = geteuid()
        guard let peerUID else {
            return RPCError(
                .permissionDenied,
                "cannot tell which user runs the server at \(path) (SO_PEERCRED is unavailable); nothing was sent")
        }
        if peerUID == own || peerUID == getuid() || peerUID == 0 || trusted.contains(peerUID) { return nil }
        return RPCError(
            .permissionDenied,
            "the server at \(path) runs as uid \(peerUID), not as you (uid \(own)) or root, so nothing was sent to it (no API key either); another user may be listening on that path. If you trust uid \(peerUID), allow it: `--server-uid \(peerUID)` or INTERVIEWS_SERVER_UID=\(peerUID) for the interviews command, RPCClientConfiguration.trustedServerUIDs in Swift, trusted_server_uids in Python"
        )
    }
}
