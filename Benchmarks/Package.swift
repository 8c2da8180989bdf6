// swift-tools-version: 6.1
// Benchmarks live in their own package so that the core test build stays lean.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --target WireBenchmarks
import PackageDescription

let package = Package(
    name: "interviews-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "interviews", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "InterviewsWire", package: "interviews"),
                .product(name: "InterviewsProtoC", package: "interviews"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/WireBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Instruction counts under callgrind: see run-wire-cost.
        .executableTarget(
            name: "wire-cost",
            dependencies: [
                .product(name: "InterviewsWire", package: "interviews"),
                .product(name: "InterviewsProtoC", package: "interviews"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
