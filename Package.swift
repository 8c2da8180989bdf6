// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "interviews",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "interviews", targets: ["interviews"]),
        .library(name: "InterviewsModel", targets: ["InterviewsModel"]),
        .library(name: "InterviewsWire", targets: ["InterviewsWire"]),
        // For the benchmarks' raw protobuf-c baseline only.
        .library(name: "InterviewsProtoC", targets: ["InterviewsProtoC"]),
        .library(name: "InterviewsRepository", targets: ["InterviewsRepository"]),
        .library(name: "InterviewsRepositoryConformance", targets: ["InterviewsRepositoryConformance"]),
        .library(name: "RPCCore", targets: ["RPCCore"]),
        .library(name: "RPCUnixSocket", targets: ["RPCUnixSocket"]),
        .library(name: "InterviewsService", targets: ["InterviewsService"]),
        .library(name: "InterviewsClient", targets: ["InterviewsClient"]),
        .library(name: "InterviewsFileStore", targets: ["InterviewsFileStore"]),
        .library(name: "InterviewsFileRepository", targets: ["InterviewsFileRepository"]),
        // The optional gRPC endpoint (HTTP/2) on the same handlers.
        .library(name: "InterviewsGRPC", targets: ["InterviewsGRPC"]),
        // For the fuzz targets (Fuzz/).
        .library(name: "InterviewsJSON", targets: ["InterviewsJSON"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
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

        // The CLI's RPC-independent parts: proto3 JSON, vendor import adapters,
        // tables and progress lines for people.
        .target(name: "InterviewsJSON", dependencies: ["InterviewsModel"]),

        // The storage-agnostic repository protocol and the in-memory backend,
        // whose engine (InterviewStore) a durable backend reuses as its index.
        .target(
            name: "InterviewsRepository",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),

        // The behaviour every repository backend must show, as a reusable suite.
        .target(
            name: "InterviewsRepositoryConformance",
            dependencies: ["InterviewsModel", "InterviewsRepository", "InterviewsWire"]
        ),

        // The framed RPC protocol: frames, status, the server API. No sockets.
        .target(
            name: "RPCCore",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The RPC protocol over a Unix domain socket: server (a Service) and client.
        .target(
            name: "RPCUnixSocket",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                "RPCCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Handlers: API keys, tenancy, repository calls.
        .target(
            name: "InterviewsService",
            dependencies: [
                "InterviewsModel",
                "InterviewsRepository",
                "InterviewsWire",
                "RPCCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The gRPC endpoint: the same router served over HTTP/2 (grpc-swift),
        // with grpc.health.v1 and server reflection. Only the CLI links it.
        .target(
            name: "InterviewsGRPC",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                "RPCCore",
                "RPCUnixSocket",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Generated/interviews.protoset"]
        ),

        // The typed Swift client library.
        .target(
            name: "InterviewsClient",
            dependencies: ["InterviewsModel", "InterviewsWire", "RPCCore", "RPCUnixSocket"]
        ),

        // The durable layer under the file-backed repository: file I/O seam,
        // group-commit log segments, snapshots, recovery and compaction.
        .target(
            name: "InterviewsFileStore",
            dependencies: ["InterviewsModel", "CCRC32C"]
        ),

        // CRC-32C with the CPU's instruction (x86-64 SSE4.2), for the store's checksums.
        .target(name: "CCRC32C"),

        // The file-backed repository: the store engine as its index, the
        // durable log underneath, interviews encoded with InterviewsWire.
        .target(
            name: "InterviewsFileRepository",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                "InterviewsRepository",
                "InterviewsFileStore",
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),

        // Durable creates/s through the file-backed repository, beside a raw
        // fdatasync loop; open (recovery) time; bytes on disk per record.
        .executableTarget(
            name: "interviews-filebench",
            dependencies: [
                "InterviewsModel", "InterviewsWire", "InterviewsRepository", "InterviewsFileStore",
                "InterviewsFileRepository",
            ]
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
                "InterviewsRepository",
                "InterviewsFileStore",
                "InterviewsFileRepository",
                "InterviewsService",
                "InterviewsClient",
                "InterviewsGRPC",
                "InterviewsJSON",
                "RPCCore",
                "RPCUnixSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(
            name: "InterviewsJSONTests",
            dependencies: ["InterviewsJSON", "InterviewsModel"],
            resources: [.copy("Fixtures")]
        ),
        // Runs the built `interviews` executable as a user would, against real servers.
        .testTarget(
            name: "InterviewsCLITests",
            dependencies: ["interviews"]
        ),
        .testTarget(
            name: "InterviewsServiceTests",
            dependencies: [
                "InterviewsModel",
                "InterviewsRepository",
                "InterviewsService",
                "InterviewsFileRepository",
                "InterviewsFileStore",
                "InterviewsTestSupport",
                "InterviewsWire",
                "RPCCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Helpers the storage test suites share (temporary data directories).
        .target(
            name: "InterviewsTestSupport",
            dependencies: ["InterviewsModel"],
            path: "Tests/InterviewsTestSupport"
        ),
        .testTarget(
            name: "InterviewsFileStoreTests",
            dependencies: ["InterviewsFileStore", "InterviewsModel", "InterviewsTestSupport", "interviews-logcrash"]
        ),

        .testTarget(
            name: "InterviewsWireTests",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "InterviewsGRPCTests",
            dependencies: [
                "InterviewsGRPC",
                "InterviewsWire",
                "RPCCore",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .testTarget(
            name: "InterviewsRepositoryTests",
            dependencies: [
                "InterviewsModel",
                "InterviewsRepository",
                "InterviewsRepositoryConformance",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "InterviewsFileRepositoryTests",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                "InterviewsRepository",
                "InterviewsRepositoryConformance",
                "InterviewsFileStore",
                "InterviewsFileRepository",
                "InterviewsClient",
                "InterviewsTestSupport",
                "RPCCore",
            ]
        ),
        .testTarget(
            name: "RPCTests",
            dependencies: [
                "InterviewsModel",
                "InterviewsWire",
                "RPCCore",
                "RPCUnixSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Runs the built `interviews` executable as a child process and calls it
        // through the socket: the whole product, end to end.
        .testTarget(
            name: "InterviewsEndToEndTests",
            dependencies: [
                "InterviewsModel",
                "InterviewsClient",
                "InterviewsWire",
                "RPCCore",
                "RPCUnixSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
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
