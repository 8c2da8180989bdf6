import CCRC32C

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
/// every record, header and snapshot in the store: the CPU's instruction
/// where there is one, else software slicing-by-8 (eight 256-entry tables
/// let the loop fold eight input bytes per step).
///
/// `CRC32C.checksum("123456789".utf8)` is `0xE3069283`.
public struct CRC32C: Sendable, Hashable {
    /// The running value, pre- and post-inverted as the standard requires.
    public private(set) var value: UInt32 = 0

    /// An empty checksum (the CRC of no bytes, 0).
    public init() {}

    /// The CRC-32C of `bytes`.
    /// - Complexity: O(n).
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    /// The CRC-32C of the bytes at `buffer`.
    /// - Complexity: O(n).
    public static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(buffer)
        return crc.value
    }

    /// Continues the checksum over `bytes`.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
            return true
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    /// Continues the checksum over the bytes at `buffer`: with the CPU's
    /// CRC-32C instruction where there is one, in software otherwise.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        if Self.hardware, let base = buffer.baseAddress {
            value = ~interviews_crc32c_update(~value, base, buffer.count)
            return
        }
        updateInSoftware(buffer)
    }

    /// Whether the CPU computes CRC-32C itself (x86-64 with SSE4.2).
    static let hardware = interviews_crc32c_available() != 0

    /// ``update(_:)`` with the slicing-by-8 tables, whatever the CPU.
    mutating func updateInSoftware(_ buffer: UnsafeRawBufferPointer) {
        var crc = ~value
        Self.table.withUnsafeBufferPointer { table in
            var index = 0
            let count = buffer.count
            while count - index >= 8 {
                let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let low = UInt32(truncatingIfNeeded: word) ^ crc
                let high = UInt32(truncatingIfNeeded: word >> 32)
                crc =
                    table[7 * 256 + Int(low & 0xFF)]
                    ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)]
                    ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)]
                    ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[1 * 256 + Int((high >> 16) & 0xFF)]
                    ^ table[Int(high >> 24)]
                index += 8
            }
            while index < count {
                crc = table[Int((crc ^ UInt32(buffer[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        value = ~crc
    }

    /// Eight tables of 256 entries; table k maps a byte to its CRC contribution
    /// k bytes further along the input.
    private static let table: [UInt32] = {
        let polynomial: UInt32 = 0x82F6_3B78
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = table[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        return table
    }()
}
