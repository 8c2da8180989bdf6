/// Checks that `bytes` is well-formed UTF-8 (no overlongs, no surrogates,
/// nothing above U+10FFFF) and holds no NUL byte.
///
/// - Returns: nil when the bytes are fine, else the problem and the offset of the first bad byte.
@inline(__always)
func validateCString(_ bytes: UnsafeRawBufferPointer) -> (WireError.Kind, Int)? {
    // The common case, ASCII without NUL, a word at a time with no byte
    // loop: the last bytes are read as one word overlapping the one before
    // (or, in a string shorter than a word, padded with 0x01).
    let n = bytes.count
    if n >= 8 {
        var i = 0
        while i + 8 <= n, isPlainASCII(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i += 8 }
        if i + 8 > n, isPlainASCII(bytes.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) { return nil }
    } else if n > 0 {
        // Assembled in a register (no buffer on the stack to guard).
        var word: UInt64 = 0
        for k in 0..<n { word |= UInt64(bytes[k]) << UInt64(k &* 8) }
        if isPlainASCII(word, firstBytes: n) { return nil }
    } else {
        return nil
    }
    return validateCStringBytewise(bytes)
}

/// Whether none of the eight bytes of `word` has its high bit set or is zero.
@inline(__always)
func isPlainASCII(_ word: UInt64) -> Bool {
    let highBits: UInt64 = 0x8080_8080_8080_8080
    return word & highBits == 0 && (word &- 0x0101_0101_0101_0101) & ~word & highBits == 0
}

/// Whether the first `count` (0...7) bytes of `word`, in memory order, are
/// plain ASCII: the bytes after them are set to 0x01 (neither NUL nor above
/// 0x7F) before the test, whatever they held.
@inline(__always)
func isPlainASCII(_ word: UInt64, firstBytes count: Int) -> Bool {
    let past: UInt64 = ~0 << UInt64(count &* 8)
    return isPlainASCII((word & ~past) | (0x0101_0101_0101_0101 & past))
}

/// ``validateCString(_:)`` for bytes that are not all plain ASCII: finds the first bad byte.
@inline(never)
private func validateCStringBytewise(_ bytes: UnsafeRawBufferPointer) -> (WireError.Kind, Int)? {
    var i = 0
    let n = bytes.count
    while i < n {
        // Eight ASCII bytes at a time: no high bit set and no zero byte.
        while i + 8 <= n {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let highBits: UInt64 = 0x8080_8080_8080_8080
            guard word & highBits == 0, (word &- 0x0101_0101_0101_0101) & ~word & highBits == 0 else { break }
            i += 8
        }
        guard i < n else { break }
        let b0 = bytes[i]
        if b0 < 0x80 {
            if b0 == 0 { return (.containsNUL, i) }
            i += 1
            continue
        }
        let start = i
        let need: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0:
            need = 2
            lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED:
            need = 2
            upper = 0x9F
        case 0xF0:
            need = 3
            lower = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4:
            need = 3
            upper = 0x8F
        default: return (.invalidUTF8, start)
        }
        // The sequence needs `need` continuation bytes after the lead byte.
        if i + need >= n { return (.invalidUTF8, start) }
        let b1 = bytes[i + 1]
        if b1 < lower || b1 > upper { return (.invalidUTF8, start) }
        var k = 2
        while k <= need {
            let bk = bytes[i + k]
            if bk < 0x80 || bk > 0xBF { return (.invalidUTF8, start) }
            k += 1
        }
        i += need + 1
    }
    return nil
}
