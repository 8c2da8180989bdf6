import Foundation
import InterviewsModel

#if canImport(Glibc)
    import Glibc
#endif

/// Whole-file replacement that survives a crash at any point: the old
/// content or the new one is there afterwards, never a mix.
enum AtomicFile {
    /// Writes `data` to `path` via `path.tmp`: write, fsync, rename, fsync of the directory.
    ///
    /// - Throws: UNAVAILABLE with the OS error when any step fails.
    static func write(_ data: Data, to path: String, mode: mode_t) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("open", tmp) }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        ok = ok && fchmod(fd, mode) == 0 && fsync(fd) == 0
        let savedErrno = errno
        close(fd)
        guard ok else {
            errno = savedErrno
            let error = failure("write", tmp)
            unlink(tmp)
            throw error
        }
        guard rename(tmp, path) == 0 else { throw failure("rename", path) }
        let directory = (path as NSString).deletingLastPathComponent
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            defer { close(dfd) }
            guard fsync(dfd) == 0 else { throw failure("fsync", directory) }
        }
    }

    private static func failure(_ call: String, _ path: String) -> InterviewsError {
        InterviewsError(.unavailable, "\(call) \(path): \(String(cString: strerror(errno)))")
    }
}
