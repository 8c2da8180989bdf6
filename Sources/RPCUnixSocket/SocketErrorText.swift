internal import Glibc
import NIOCore
import NIOPosix

/// What a failed socket call says, for messages: the system error number
/// behind NIO's errors and the system's words for it.
enum SocketErrorText {
    /// The system error number behind a failed socket call (NIO's
    /// `IOError`, or the first error of a failed connect), if there is one.
    static func errnoCode(_ error: any Error) -> Int32? {
        if let error = error as? IOError { return error.errnoCode }
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            return errnoCode(first.error)
        }
        return nil
    }

    /// The system's words for a failed socket call (`strerror`), else the
    /// error's own description.
    static func describe(_ error: any Error) -> String {
        errnoCode(error).map { String(cString: strerror($0)) } ?? "\(error)"
    }
}
