internal import Glibc
import NIOCore
import RPCCore

/// Reads the connecting process's credentials from a Unix domain socket
/// (`SO_PEERCRED`).
package enum PeerCredentialsReader {
    /// The layout of Linux's `struct ucred` (`pid_t`, `uid_t`, `gid_t`), which
    /// Glibc only declares under `_GNU_SOURCE` and Swift therefore cannot see.
    private struct UCred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// The peer's credentials, or nil when the channel is not a socket that
    /// can tell. Call on the channel's event loop: the option is then read
    /// synchronously.
    package static func read(from channel: any Channel) -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        var credentials: PeerCredentials?
        future.assumeIsolated().whenSuccess { cred in
            credentials = PeerCredentials(uid: cred.uid, gid: cred.gid, pid: cred.pid)
        }
        return credentials
    }
}
