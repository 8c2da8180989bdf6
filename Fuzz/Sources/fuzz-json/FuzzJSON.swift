// The proto3 JSON parser and Interview decoder, and the list-envelope reader.
// The first byte picks the mode: bit 0 ignores unknown fields, bit 1 reads the
// input as a vendor's list response. An Interview that decodes must write
// JSON that decodes to the same Interview; every record an envelope yields
// must itself be JSON.

import FuzzSupport
import InterviewsJSON
import InterviewsModel

func checkInterview(_ body: [UInt8], ignoringUnknownFields: Bool) {
    let decoded: DecodedInterview
    do { decoded = try ProtoJSON.decodeInterview(body, ignoringUnknownFields: ignoringUnknownFields) } catch {
        guard !error.message.isEmpty else { fuzzFailure("an empty error message") }
        return
    }
    let written = decoded.interview.protoJSON
    let again: DecodedInterview
    do { again = try ProtoJSON.decodeInterview(written) } catch {
        fuzzFailure("the JSON written for a decoded Interview does not decode: \(error)\n\(written)")
    }
    // NaN scores are unequal to themselves; then the JSON must agree.
    guard again.interview == decoded.interview || again.interview.protoJSON == written else {
        fuzzFailure("an Interview changed in a JSON round trip:\n\(written)\n\(again.interview.protoJSON)")
    }
}

func checkEnvelope(_ body: [UInt8]) {
    let records: [[UInt8]]
    do { records = try JSONEnvelope.records(in: body) } catch { return }
    for (index, record) in records.enumerated() {
        do { _ = try InterviewImporter.detectFormat(of: record) } catch {
            fuzzFailure("record \(index) of an envelope is not JSON: \(error)")
        }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    writeSeedsIfAsked {
        let texts = [
            FuzzFixtures.interview().protoJSON,
            Interview(id: "i1", remoteID: "r1", title: "T", status: .scheduled, customFields: ["a": "1"]).protoJSON,
            #"{"remote_id":"r","job_interview_stage_id":"s","location":{"street_1":"x","zip_code":"9"},"#
                + #""start_at":"2023-06-26T16:30:00+02:00","custom_fields":{"k":"v"},"remote_data":"AQID","#
                + #""status":"SCHEDULED","revision":3,"analysis":{"overallScore":"NaN","scores":[{"value":"-Infinity"}]}}"#,
            #"{"interviewers":[{"firstName":"A\u00e9\ud83c\udfaf"}],"remoteData":"-_8","newerField":[1,2.5e3,null,true]}"#,
        ]
        var seeds: [(name: String, bytes: [UInt8])] = texts.enumerated().map { n, text in
            (name: "interview-\(n)", bytes: [UInt8(n % 2)] + Array(text.utf8))
        }
        seeds += jsonTestFixtures().map { (name: "envelope-" + $0.name, bytes: [2] + $0.bytes) }
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let mode = input.first else { return 0 }
    let body = Array(input[1...])
    if mode & 2 == 0 {
        checkInterview(body, ignoringUnknownFields: mode & 1 == 1)
    } else {
        checkEnvelope(body)
    }
    return 0
}
