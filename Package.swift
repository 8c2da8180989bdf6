// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "interviews",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "interviews", targets: ["interviews"]),
        .library(name: "InterviewsModel", targets: ["InterviewsModel"]),
        .library(name: "InterviewsWire", targets: ["InterviewsWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // C: the system protobuf-c runtime and the protoc-c output for proto/.
        .systemLibrary(
            name: "CProtobufC",
            pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]
        ),
        .target(
            name: "InterviewsProtoC",
            dependencies: ["CProtobufC"],
            cSettings: [.headerSearchPath("include")]
        ),

        // Domain types, validation and errors. Knows nothing of C or of the wire.
        .target(name: "InterviewsModel"),

        // The only Swift module that touches protobuf-c.
        .target(
            name: "InterviewsWire",
            dependencies: [
                "CProtobufC",
                "InterviewsProtoC",
                "InterviewsModel",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // The durable layer under the file-backed repository: file I/O seam,
        // group-commit log segments, snapshots, recovery and compaction.
        .target(
            name: "InterviewsFileStore",
            dependencies: ["InterviewsModel"]
        ),

        // Appends as fast as it can and prints each acknowledged sequence;
        // the crash tests kill it with SIGKILL. Also measures throughput.
        .executableTarget(
            name: "interviews-logcrash",
            dependencies: ["InterviewsFileStore"]
        ),

        .executableTarget(
            name: "interviews",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(
            name: "InterviewsFileStoreTests",
            dependencies: ["InterviewsFileStore", "InterviewsModel", "interviews-logcrash"]
        ),

        .testTarget(
            name: "InterviewsWireTests",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)

// Shared settings, applied to every Swift target in one place.
let sharedSwiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]
for target in package.targets where target.type != .system {
    if target.name == "InterviewsProtoC" { continue }
    target.swiftSettings = (target.swiftSettings ?? []) + sharedSwiftSettings
}
