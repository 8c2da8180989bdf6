import Testing

@testable import InterviewsFileStore

@Suite("CRC-32C")
struct CRC32CTests {
    /// A bit-at-a-time reference implementation to compare the sliced one with.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test("known vectors: the check value and RFC 3720's")
    func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
    }

    @Test("the sliced loop matches the bitwise reference at every length and alignment", arguments: 0..<40)
    func matchesReference(length: Int) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(length * 7 + 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<min(8, bytes.count) {
            let slice = Array(bytes[start...])
            #expect(CRC32C.checksum(slice) == Self.reference(slice))
        }
    }

    @Test("the software loop matches the bitwise reference too, and the CPU's instruction is used where there is one")
    func softwareAndHardware() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var software = CRC32C()
            bytes.withUnsafeBytes { software.updateInSoftware($0) }
            #expect(software.value == Self.reference(bytes))
            #expect(CRC32C.checksum(bytes) == software.value)
        }
        #if arch(x86_64)
            // Every x86-64 machine this runs on since 2008 has SSE4.2.
            #expect(CRC32C.hardware)
        #endif
    }

    @Test("updating in pieces gives the same value as one pass")
    func incremental() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            var crc = CRC32C()
            crc.update(bytes[..<split])
            crc.update(bytes[split...])
            #expect(crc.value == CRC32C.checksum(bytes))
        }
    }
}
