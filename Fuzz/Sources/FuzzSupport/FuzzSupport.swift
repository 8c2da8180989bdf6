#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ends the run as a crash: libFuzzer saves the input as `crash-<sha1>` and
/// exits non-zero. For a broken invariant, not for input a decoder refused.
public func fuzzFailure(_ message: String) -> Never {
    printError("fuzz check failed: \(message)\n")
    abort()
}

/// Writes `text` to standard error.
public func printError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

/// The fuzz input as a buffer (libFuzzer passes a null pointer for no bytes).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
    guard let data, size > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
    return UnsafeBufferPointer(start: data, count: size)
}

/// When `FUZZ_WRITE_SEEDS` names a directory, writes `seeds()` into it, one
/// file per seed, and exits: `tools/fuzz seeds TARGET` makes the committed
/// corpus this way. Call from `LLVMFuzzerInitialize`; otherwise does nothing.
public func writeSeedsIfAsked(_ seeds: () -> [(name: String, bytes: [UInt8])]) {
    guard let directory = getenv("FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return }
    for seed in seeds() {
        let path = directory + "/" + seed.name
        guard let file = fopen(path, "wb") else {
            printError("cannot write \(path)\n")
            exit(1)
        }
        let written = seed.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        guard written == seed.bytes.count else {
            printError("short write to \(path)\n")
            exit(1)
        }
    }
    exit(0)
}

/// Reads a little-endian integer of `width` bytes at `offset`, or nil past the end.
public func littleEndian(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, width: Int) -> Int? {
    guard offset >= 0, offset + width <= bytes.count else { return nil }
    var value = 0
    for index in (0..<width).reversed() { value = value << 8 | Int(bytes[offset + index]) }
    return value
}

/// The bytes of the file at `path` (relative to the working directory, the
/// repository's root under tools/fuzz), or nil.
public func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count == 0 { break }
        bytes += chunk[..<count]
    }
    return bytes
}

/// The vendor and export fixtures of the JSON tests, by file name.
public func jsonTestFixtures() -> [(name: String, bytes: [UInt8])] {
    let directory = "Tests/InterviewsJSONTests/Fixtures/"
    return ["bindbee", "kombo-list", "merge-list", "merge", "platform", "truto-list"].compactMap { name in
        readFile(directory + name + ".json").map { (name: name, bytes: $0) }
    }
}
