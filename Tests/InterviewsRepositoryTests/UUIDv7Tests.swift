import InterviewsModel
import Testing

@Suite("UUIDv7 ids are time-ordered, monotonic and canonical")
struct UUIDv7Tests {
    @Test("generated ids strictly increase, as values and as text")
    func monotonic() {
        var previous = UUIDv7.generate()
        for _ in 0..<20_000 {
            let next = UUIDv7.generate()
            #expect(previous < next)
            #expect(previous.description < next.description)
            previous = next
        }
    }

    @Test("ids carry version 7, the RFC variant and the current time")
    func layout() {
        let before = Timestamp.now()
        let id = UUIDv7.generate()
        #expect((id.high >> 12) & 0xF == 7)
        #expect(id.low >> 62 == 0b10)
        let millis = UInt64(before.seconds) * 1000 + UInt64(before.nanos / 1_000_000)
        #expect(id.milliseconds >= millis && id.milliseconds < millis + 5000)
        #expect(Array(id.description.utf8)[14] == UInt8(ascii: "7"))
    }

    @Test("text round-trips and only canonical lowercase text parses")
    func parsing() {
        let id = UUIDv7.generate()
        #expect(UUIDv7(id.description) == id)
        #expect(UUIDv7("0190b8a2-1c3d-7e4f-8a5b-6c7d8e9fa0b1")?.description == "0190b8a2-1c3d-7e4f-8a5b-6c7d8e9fa0b1")
        for bad in [
            "", "0190B8A2-1C3D-7E4F-8A5B-6C7D8E9FA0B1", "0190b8a21c3d7e4f8a5b6c7d8e9fa0b1",
            "0190b8a2-1c3d-7e4f-8a5b-6c7d8e9fa0b", "0190b8a2-1c3d-7e4f-8a5b-6c7d8e9fa0b1a",
            "0190b8a2_1c3d-7e4f-8a5b-6c7d8e9fa0b1",
            "0190b8a2-1c3d-7e4f-8a5b-6c7d8e9fa0bg",
        ] {
            #expect(UUIDv7(bad) == nil, "\(bad)")
        }
    }
}
