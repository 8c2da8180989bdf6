#if canImport(Glibc)
    import Glibc
#endif

/// Reads the files named by --file and --api-key-file.
enum InputFile {
    /// All of standard input (`path` "-") or of the file at `path`, read as a
    /// stream, so that a FIFO, a process substitution (`/dev/fd/63`) or
    /// `/dev/stdin` is read like a regular file.
    ///
    /// - Parameter option: the flag that named the file, for the error.
    /// - Throws: ``CLIError`` (INVALID_ARGUMENT) saying why the file cannot
    ///   be read, e.g. `--file: cannot read x.jsonl: No such file or directory`.
    static func read(_ path: String, option: String) throws(CLIError) -> [UInt8] {
        if path == "-" { return try read(descriptor: STDIN_FILENO, name: "standard input", option: option) }
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw failure(path, errno, option: option) }
        defer { close(fd) }
        return try read(descriptor: fd, name: path, option: option)
    }

    /// Everything `descriptor` gives until end of file.
    static func read(descriptor: Int32, name: String, option: String) throws(CLIError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: chunk[..<count])
            } else if count == 0 {
                return bytes
            } else if errno != EINTR {
                throw failure(name, errno, option: option)
            }
        }
    }

    static func failure(_ name: String, _ code: Int32, option: String) -> CLIError {
        CLIError(.invalidArgument, "\(option): cannot read \(name): \(String(cString: strerror(code)))")
    }
}
