// swift-tools-version: 6.1
import PackageDescription

// tokentop's benchmark suite: a package of its own so `swift build` / `swift test` of tokentop
// never build it. Run everything with `scripts/bench.sh` (see BENCHMARKS.md); the in-process
// figures alone with `cd Benchmarks && swift package benchmark`.
//
// - TokenTop (ordo-one/benchmark): config load, render, single-flight, in process.
// - tt-bench: a small executable for the whole-process comparisons the script makes against jq,
//   curl and htop (load a config; fetch every token from a separate token server; single-flight).
let package = Package(
    name: "TokenTopBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `name:` pins the identity, so the dependency resolves whatever the checkout folder is called.
        .package(name: "tokentop", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(name: "BenchSupport", dependencies: [
            .product(name: "TokenTopCore", package: "tokentop"),
        ]),
        .executableTarget(name: "tt-bench", dependencies: [
            "BenchSupport",
            .product(name: "TokenTopCore", package: "tokentop"),
        ]),
        .executableTarget(
            name: "TokenTop",
            dependencies: [
                "BenchSupport",
                .product(name: "TokenTopCore", package: "tokentop"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/TokenTop",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
