// Every vendor import mapping: the first byte names the format (ours, Merge,
// Kombo, Truto, Bindbee, the platform, or detection), the rest is one record.
// A mapped record must name a real format, agree with detectFormat when the
// format was detected, and write proto3 JSON that decodes to the same Interview.

import FuzzSupport
import InterviewsJSON
import InterviewsModel

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    writeSeedsIfAsked {
        var seeds: [(name: String, bytes: [UInt8])] = []
        for fixture in jsonTestFixtures() {
            let records = (try? JSONEnvelope.records(in: fixture.bytes)) ?? []
            for (n, record) in records.prefix(2).enumerated() {
                let format = (try? InterviewImporter.detectFormat(of: record)).flatMap { $0 } ?? .auto
                let index = ImportFormat.allCases.firstIndex(of: format) ?? 0
                seeds.append((name: "\(fixture.name)-\(n)", bytes: [UInt8(index)] + record))
            }
        }
        seeds.append((name: "ours", bytes: [1] + Array(FuzzFixtures.interview().protoJSON.utf8)))
        seeds.append(
            (name: "auto-truto", bytes: [0] + Array(#"{"id":"t","location":{"id":"x"},"status":"scheduled"}"#.utf8)))
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let format = ImportFormat.allCases[Int(selector) % ImportFormat.allCases.count]
    let record = Array(input[1...])
    let imported: ImportedInterview
    do {
        imported = try InterviewImporter.importRecord(record, format: format)
    } catch {
        guard !error.message.isEmpty else { fuzzFailure("an empty error message") }
        return 0
    }
    guard imported.format != .auto else { fuzzFailure("an import reports the format auto") }
    if format == .auto {
        let detected: ImportFormat?
        do { detected = try InterviewImporter.detectFormat(of: record) } catch {
            fuzzFailure("a record that imported is not JSON to detectFormat: \(error)")
        }
        guard detected == imported.format else {
            fuzzFailure("imported as \(imported.format) but detected as \(String(describing: detected))")
        }
    } else {
        guard imported.format == format else { fuzzFailure("asked for \(format), imported as \(imported.format)") }
    }
    let written = imported.interview.protoJSON
    let again: DecodedInterview
    do { again = try ProtoJSON.decodeInterview(written) } catch {
        fuzzFailure("an imported Interview writes JSON that does not decode: \(error)\n\(written)")
    }
    guard again.interview == imported.interview || again.interview.protoJSON == written else {
        fuzzFailure("an imported Interview changed in a JSON round trip:\n\(written)")
    }
    return 0
}
