// swift-tools-version: 6.1
// Benchmarks live in their own package so that the core test build stays lean.
// Run everything: Benchmarks/run-all (see docs/BENCHMARKS.md).
// One ordo-one target: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --target WireBenchmarks
import PackageDescription

let package = Package(
    name: "interviews-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "interviews", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "InterviewsWire", package: "interviews"),
                .product(name: "InterviewsProtoC", package: "interviews"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/WireBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Instruction counts under callgrind: see run-wire-cost.
        .executableTarget(
            name: "wire-cost",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "InterviewsWire", package: "interviews"),
                .product(name: "InterviewsProtoC", package: "interviews"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
        ),

        // In-process repository calls, as ordo-one benchmarks (10k and 100k records).
        .executableTarget(
            name: "RepositoryBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsRepository", package: "interviews"),
            ],
            path: "Benchmarks/RepositoryBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // The data set, latency recording and process facts the benchmarks share.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsRepository", package: "interviews"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),

        // In-process repository calls at 10k, 100k and 1M records, one table,
        // beside the same reads on SQLite.
        .executableTarget(
            name: "repository-table",
            dependencies: [
                "BenchmarkSupport",
                "CSQLite",
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsWire", package: "interviews"),
                .product(name: "InterviewsRepository", package: "interviews"),
            ]
        ),

        // The system SQLite (libsqlite3-dev), the storage peer.
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),

        // The floor for a unary call: blocking write/read over AF_UNIX, in C.
        .target(name: "CUnixPingPong"),

        // A fixed number of unary calls, for instruction and malloc counts under
        // valgrind: see run-rpc-cost.
        .executableTarget(
            name: "rpc-cost",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsWire", package: "interviews"),
                .product(name: "InterviewsClient", package: "interviews"),
            ]
        ),

        // A load generator for a running server, with the ping-pong floor beside it.
        .executableTarget(
            name: "interviews-load",
            dependencies: [
                "BenchmarkSupport",
                "CUnixPingPong",
                .product(name: "InterviewsModel", package: "interviews"),
                .product(name: "InterviewsWire", package: "interviews"),
                .product(name: "InterviewsClient", package: "interviews"),
                .product(name: "RPCUnixSocket", package: "interviews"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)

// Swift 6 language mode for every Swift target.
for target in package.targets where target.type != .system && target.name != "CUnixPingPong" {
    target.swiftSettings = (target.swiftSettings ?? []) + [.swiftLanguageMode(.v6)]
}
