// swift-tools-version: 6.1
// libFuzzer targets, in their own package so that the regular build and
// tools/test never compile them or their sanitizer flags. Build and run with
// tools/fuzz (see docs/FUZZING.md); each target is an executable whose main is
// libFuzzer's and whose LLVMFuzzerTestOneInput checks one decoder.
import PackageDescription

let package = Package(
    name: "interviews-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "interviews", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // Shared by every target: failing a check, writing seed corpora, fixtures.
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "InterviewsModel", package: "interviews")]
        ),
        // RPCCore's FrameDecoder fed a connection's byte stream from the preface
        // on, whole and in chunks, and every control frame's payload decoded.
        .executableTarget(
            name: "fuzz-frames",
            dependencies: [
                "FuzzSupport",
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "RPCCore", package: "interviews"),
                .product(name: "InterviewsWire", package: "interviews"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // A real RPCServer on a Unix socket fed each input as a client
        // connection's byte stream: the connection handler's state machine.
        .executableTarget(
            name: "fuzz-connection",
            dependencies: [
                "FuzzSupport",
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsWire", package: "interviews"),
                .product(name: "RPCCore", package: "interviews"),
                .product(name: "RPCUnixSocket", package: "interviews"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Decode of every request, response and control message (InterviewsWire).
        .executableTarget(
            name: "fuzz-wire",
            dependencies: [
                "FuzzSupport",
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsWire", package: "interviews"),
            ]
        ),
        // The proto3 JSON parser and Interview decoder, and the envelope reader.
        .executableTarget(
            name: "fuzz-json",
            dependencies: [
                "FuzzSupport",
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsJSON", package: "interviews"),
            ]
        ),
        // Every vendor import mapping, named and detected.
        .executableTarget(
            name: "fuzz-import",
            dependencies: [
                "FuzzSupport",
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsJSON", package: "interviews"),
            ]
        ),
        // Opening a data directory of fuzzed segments and snapshots: record,
        // segment and snapshot decoding, recovery and repair.
        .executableTarget(
            name: "fuzz-store",
            dependencies: [
                "FuzzSupport",
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsFileStore", package: "interviews"),
            ]
        ),
    ]
)

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
    ]
}
