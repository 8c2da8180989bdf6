public import Foundation
import InterviewsModel

/// A fresh directory under the system temp directory, removed with its
/// contents when the value is dropped: what the storage test suites open
/// their data directories in.
public final class TemporaryDirectory: Sendable {
    /// The data directory (`<root>/data`), not yet created.
    public let path: String
    /// The directory created for this test.
    public let root: String

    /// Creates `<temp>/<prefix>-XXXXXX`.
    public init(prefix: String = "interviews-test") throws {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw InterviewsError(.internalError, "mkdtemp failed")
        }
        root = String(cString: created)
        path = root + "/data"
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The path of `name` inside the data directory.
    public func file(_ name: String) -> String { path + "/" + name }

    /// The names in the data directory, sorted.
    public func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    /// The bytes of `name` in the data directory.
    public func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: file(name))))
    }

    /// Replaces the contents of `name` in the data directory.
    public func write(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }
}
