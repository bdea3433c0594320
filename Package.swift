// swift-tools-version:6.0
import PackageDescription

// Module map (see README "Architecture"):
//   GatewayConfig  – pure: KrakenD config → [Route] + diagnostics
//   TokenKit       – pure: token request bytes, response parsing, TokenManager actor
//   AsyncHTTPTransport – the only networking module for tokens: AsyncHTTPClient behind TokenKit.HTTPTransport
//   ConfigLint     – pure: what the gateway will get wrong with a config (`tokentop lint`)
//   TokenReport    – pure: token health as `check --json` rows, Prometheus metrics, JSON log lines
//   TokenExporter  – `tokentop serve` / `--metrics`: the exporter's routes and a small HTTP server (SwiftNIO)
//   BackendCall    – test-calling a backend as the gateway would (URL, martian headers, bearer token)
//   FileLogging    – the `--log-file` writer (swift-log handler; errors reported, never a trap)
//   DemoGateway    – loopback OAuth2 server + protected backends (SwiftNIO), for demo and tests
//   TerminalScreen – pure: the cell grid (screen, cells, styles, keys, size) and the diff planner
//   Dashboard      – pure UI: model, update, view → cell grid
//   DashboardRuntime – the UI loop on any `Terminal`, effects' tasks, test calls (tested in memory)
//   TerminalCurses – the only module that talks to curses (imports TerminalScreen, not Dashboard)
//   tokentop       – the executable (swift-argument-parser)
let package = Package(
    name: "tokentop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tokentop", targets: ["tokentop"]),
        // For the separate benchmark package (Benchmarks/), which measures these modules in process.
        .library(name: "TokenTopCore", targets: ["GatewayConfig", "TokenKit", "AsyncHTTPTransport", "DemoGateway", "Dashboard", "TerminalScreen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),  // LogHandler.log(event:)
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "GatewayConfig"),
        .target(name: "TokenKit", dependencies: ["GatewayConfig"]),
        .target(name: "AsyncHTTPTransport", dependencies: [
            "TokenKit",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "DemoGateway", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "ConfigLint", dependencies: ["GatewayConfig"]),
        .target(name: "BackendCall", dependencies: ["GatewayConfig", "TokenKit"]),
        // Pure: token health as reports: `check --json` rows, Prometheus metrics, JSON log lines.
        .target(name: "TokenReport", dependencies: [
            "GatewayConfig", "TokenKit", .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // `tokentop serve` and `--metrics`: the exporter's routes and its small HTTP server (SwiftNIO).
        .target(name: "TokenExporter", dependencies: [
            "GatewayConfig", "TokenKit", "TokenReport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        // `--log-file`: one escaped line per event, write errors reported instead of trapping.
        .target(name: "FileLogging", dependencies: ["TokenKit", .product(name: "Logging", package: "swift-log")]),
        // Screen, cells, styles, keys and the diff planner: what the UI draws and the terminal shows,
        // with neither one's dependencies (ratatui keeps its buffer apart from its backends too).
        .target(name: "TerminalScreen"),
        .target(name: "Dashboard", dependencies: ["TerminalScreen", "GatewayConfig", "TokenKit", "ConfigLint"]),
        // The dashboard between model and terminal: UI loop, messages, effects' tasks, test calls.
        // Runs on curses in the executable and on an in-memory terminal in tests.
        .target(name: "DashboardRuntime", dependencies: [
            "Dashboard", "TerminalScreen", "TokenKit", "GatewayConfig", "ConfigLint", "BackendCall", "AsyncHTTPTransport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .systemLibrary(name: "CNCurses", providers: [.apt(["libncurses-dev"])]),
        .target(name: "TerminalCurses", dependencies: ["CNCurses", "TerminalScreen"]),
        .executableTarget(name: "tokentop", dependencies: [
            "GatewayConfig", "TokenKit", "AsyncHTTPTransport", "DemoGateway", "Dashboard", "DashboardRuntime", "TerminalScreen", "TerminalCurses", "ConfigLint",
            "BackendCall", "FileLogging", "TokenReport", "TokenExporter",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "GatewayConfigTests", dependencies: ["GatewayConfig"]),
        .testTarget(name: "TokenKitTests", dependencies: ["TokenKit", "AsyncHTTPTransport", "DemoGateway", "GatewayConfig", "TestProcess", "Polling"]),
        // The token manager's deterministic simulation (docs/simulation.md): the world and its
        // invariants, and `tokentop-sim`, which SimulationTests runs under nice.
        .target(name: "SimulationHarness", dependencies: ["TokenKit", "GatewayConfig"], path: "Tests/Simulation/Harness"),
        .executableTarget(name: "tokentop-sim", dependencies: ["SimulationHarness"], path: "Tests/Simulation/Runner"),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "TerminalScreen", "TokenKit", "GatewayConfig", "ConfigLint"], exclude: ["Golden"]),
        .testTarget(name: "ConfigLintTests", dependencies: ["ConfigLint", "GatewayConfig"]),
        .testTarget(name: "BackendCallTests", dependencies: ["BackendCall", "TokenKit", "AsyncHTTPTransport", "DemoGateway", "GatewayConfig"]),
        .testTarget(name: "TokenReportTests", dependencies: ["TokenReport", "TokenKit", "GatewayConfig"]),
        // The exporter against DemoGateway over loopback; `promtool` and a real Prometheus.
        .testTarget(name: "TokenExporterTests", dependencies: [
            "TokenExporter", "TokenReport", "TokenKit", "GatewayConfig", "AsyncHTTPTransport", "DemoGateway", "TestProcess", "Polling",
        ]),
        .testTarget(name: "FileLoggingTests", dependencies: ["FileLogging"]),
        .testTarget(name: "TerminalScreenTests", dependencies: ["TerminalScreen"]),
        // The dashboard runtime on an in-memory terminal against DemoGateway (keys in, frames out).
        .testTarget(name: "DashboardRuntimeTests", dependencies: [
            "DashboardRuntime", "Dashboard", "TerminalScreen", "TokenKit", "GatewayConfig", "AsyncHTTPTransport", "DemoGateway", "ConfigLint", "BackendCall", "Polling",
        ]),
        .testTarget(name: "TerminalCursesTests", dependencies: ["TerminalCurses", "CNCurses", "TerminalScreen"]),
        .testTarget(name: "DemoGatewayTests", dependencies: [
            "DemoGateway",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // One way to run child processes in tests (no inherited sockets, default signal mask).
        .target(name: "TestProcess", path: "Tests/TestProcess"),
        // The one way tests wait for a condition (with a deadline, never a fixed sleep).
        .target(name: "Polling", path: "Tests/Polling"),
        .testTarget(name: "EndToEndTests", dependencies: ["DemoGateway", "TestProcess", "Polling"]),
        // The built binary's exit codes and messages for unusable command lines (README "Exit codes").
        .testTarget(name: "CommandLineTests", dependencies: ["TestProcess", "DemoGateway"]),
        // Hostile inputs (docs/fuzzing.md): the corpus of broken configs, and the seeded mutator
        // shared by the in-test fuzz run and the long runs of `tokentop-fuzz` (scripts/fuzz.sh).
        .testTarget(name: "HostileConfigTests", dependencies: ["GatewayConfig", "ConfigLint", "TestProcess"], exclude: ["Corpus"]),
        .target(name: "FuzzHarness", dependencies: ["GatewayConfig", "TokenKit", "ConfigLint", "Dashboard", "TerminalScreen"],
                path: "Tests/FuzzTests/Harness"),
        .executableTarget(name: "tokentop-fuzz", dependencies: ["FuzzHarness"], path: "Tests/FuzzTests/Runner"),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzHarness"], path: "Tests/FuzzTests/Tests"),
        // The DemoGateway with 200 short-lived credentials, for scripts/soak.sh (docs/soak.md).
        .executableTarget(name: "tokentop-soak-server", dependencies: ["DemoGateway"], path: "scripts/soak-server"),
        .testTarget(name: "FaultTests", dependencies: ["DemoGateway", "TokenKit", "AsyncHTTPTransport", "GatewayConfig", "BackendCall", "Polling"]),
    ],
    swiftLanguageModes: [.v6]
)
