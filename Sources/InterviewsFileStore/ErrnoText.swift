import Glibc

/// Human-readable text for an `errno`, with its symbolic name when it is one
/// the store expects, e.g. `No space left on device (ENOSPC)`.
enum ErrnoText {
    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", EBADF: "EBADF",
        EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EEXIST: "EEXIST",
        ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", EMFILE: "EMFILE",
        EFBIG: "EFBIG", ENOSPC: "ENOSPC", EROFS: "EROFS", EDQUOT: "EDQUOT",
    ]

    /// `strerror(errno)` followed by the symbolic name in parentheses.
    static func describe(_ errno: Int32) -> String {
        let text = String(cString: strerror(errno))
        return "\(text) (\(names[errno] ?? "errno \(errno)"))"
    }
}
