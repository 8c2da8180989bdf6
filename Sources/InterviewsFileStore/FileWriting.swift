import InterviewsModel

/// Writes the whole of `bytes` at `offset` with one `pwrite`.
///
/// A short write is an error, not something to retry: on a regular file the
/// kernel only writes less than asked when it runs out of space or hits an I/O
/// error, and the store stops rather than guess (PostgreSQL does the same).
///
/// - Throws: UNAVAILABLE naming `path`, with the OS error text.
func writeFully(
    _ bytes: [UInt8], to fd: FileDescriptor, at offset: Int64, path: String, io: any FileIO
) throws(InterviewsError) {
    let written: Int
    do {
        written = try bytes.withBytes { raw throws(FileIOError) in try io.write(fd, raw, at: offset) }
    } catch {
        throw StoreErrors.io(error, "writing \(bytes.count) bytes at offset \(offset) of", path: path)
    }
    guard written == bytes.count else { throw StoreErrors.shortWrite(path: path, wrote: written, of: bytes.count) }
}

/// Runs one file call, turning its failure into UNAVAILABLE naming `path`.
func performing<T>(
    _ what: String, _ path: String, _ call: () throws(FileIOError) -> T
) throws(InterviewsError) -> T {
    do { return try call() } catch { throw StoreErrors.io(error, what, path: path) }
}
