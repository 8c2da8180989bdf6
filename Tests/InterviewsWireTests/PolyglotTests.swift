import Foundation
import InterviewsModel
import InterviewsWire
import Testing

@Suite("Python's google.protobuf and the Swift wire layer agree on every value")
struct PolyglotTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("Interview, ListRequest and Page cross from Swift to Python and back")
    func crossLanguage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "polyglot-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        try Data(Fixtures.interview().encodedBytes()).write(to: dir.appendingPathComponent("swift-Interview.bin"))
        try Data(Fixtures.listRequest().encodedBytes()).write(to: dir.appendingPathComponent("swift-ListRequest.bin"))
        try Data(Fixtures.page().encodedBytes()).write(to: dir.appendingPathComponent("swift-Page.bin"))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.repositoryRoot.appendingPathComponent("Tests/Polyglot/polyglot.py").path, dir.path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python side: \(text)")

        func read(_ name: String) throws -> [UInt8] {
            [UInt8](try Data(contentsOf: dir.appendingPathComponent("py-\(name).bin")))
        }
        #expect(try Interview.decode(read("Interview")) == Fixtures.interview())
        #expect(try ListRequest.decode(read("ListRequest")) == Fixtures.listRequest())
        #expect(try Page.decode(read("Page")) == Fixtures.page())
        // Without maps (whose entries the encoders may frame differently) the bytes are identical too.
        #expect(try read("ListRequest") == Fixtures.listRequest().encodedBytes())
    }
}
