internal import Glibc

/// Why the server could not start listening: a message naming the path and
/// what to do.
public struct RPCServerError: Error, Hashable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// The socket file a server listens on: the checks before bind, the
/// permissions after it, and its removal at shutdown.
package struct UnixSocketFile {
    /// `sizeof(sockaddr_un.sun_path)` is 108 on Linux, one of which is the NUL.
    package static let maxPathBytes = 107

    package let path: String

    /// A socket file at `path`.
    package init(path: String) { self.path = path }

    /// Checks the path's length and clears a stale socket of a dead server.
    ///
    /// - Throws: ``RPCServerError`` when the path is too long, is not a
    ///   socket, or a live server is listening on it.
    package func prepare() throws(RPCServerError) {
        let bytes = path.utf8.count
        guard bytes <= Self.maxPathBytes else {
            throw RPCServerError(
                "socket path \(path) is \(bytes) bytes; a Unix domain socket path can be at most \(Self.maxPathBytes) bytes"
            )
        }
        guard !path.isEmpty else { throw RPCServerError("the socket path is empty") }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw RPCServerError("cannot inspect socket path \(path): \(Self.errnoText())")
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw RPCServerError("\(path) exists and is not a socket; refusing to replace it")
        }
        switch probe() {
        case 0:
            throw RPCServerError("another server is listening on \(path)")
        case ECONNREFUSED:
            guard unlink(path) == 0 || errno == ENOENT else {
                throw RPCServerError("cannot remove the stale socket \(path): \(Self.errnoText())")
            }
        case let error:
            throw RPCServerError("cannot probe the existing socket \(path): \(String(cString: strerror(error)))")
        }
    }

    /// Restricts the socket file to `mode` (and `group`) right after bind.
    ///
    /// - Returns: The file's inode, to recognise it at removal.
    /// - Throws: ``RPCServerError`` when chmod/chown fails or the group is unknown.
    package func applyPermissions(mode: UInt32, group: String?) throws(RPCServerError) -> UInt64 {
        guard chmod(path, mode_t(mode)) == 0 else {
            throw RPCServerError("cannot chmod \(path) to \(String(mode, radix: 8)): \(Self.errnoText())")
        }
        if let group {
            let gid = try Self.groupID(group)
            guard chown(path, uid_t.max, gid) == 0 else {
                throw RPCServerError("cannot chown \(path) to group \(group): \(Self.errnoText())")
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw RPCServerError("cannot stat \(path) after bind: \(Self.errnoText())")
        }
        return UInt64(info.st_ino)
    }

    /// Removes the socket file if it is still the one this server bound
    /// (a successor may already have replaced it).
    package func remove(inode: UInt64) {
        var info = stat()
        guard lstat(path, &info) == 0, UInt64(info.st_ino) == inode else { return }
        unlink(path)
    }

    /// Removes the socket file this server has just bound.
    package func unlinkBound() {
        unlink(path)
    }

    /// Connects to the existing socket: 0 when something accepts, else the errno.
    private func probe() -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? 0 : errno
    }

    private static func groupID(_ group: String) throws(RPCServerError) -> gid_t {
        if let number = gid_t(group) { return number }
        guard let entry = getgrnam(group) else { throw RPCServerError("unknown group \(group)") }
        return entry.pointee.gr_gid
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
