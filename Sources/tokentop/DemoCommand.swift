import ArgumentParser
import DemoGateway
import Foundation
import GatewayConfig

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the built-in demo gateway (an OAuth2 server with every failure scenario) and open the dashboard on it.")

    @Flag(help: "Run `check` on the demo instead of opening the dashboard.") var check = false
    @Flag(help: "With --check: JSON output.") var json = false
    @Option(help: "Port for the demo server (0 = any free port).") var port: Int = 0
    @Option(help: "Also write the demo's gateway config to this file.") var writeConfig: String?
    @OptionGroup var network: NetworkOptions
    @OptionGroup var dashboard: DashboardOptions

    // Benchmarks (scripts/bench.sh): only the token server, in a process of its own.
    @Flag(help: .hidden) var serve = false
    @Option(help: .hidden) var clients: Int = 0
    @Option(help: .hidden) var lifetime: Int = 3600
    @Option(help: .hidden) var slowDelayMs: Int = 3000

    func run() async throws {
        if serve { return try await runServe() }
        if !check { try requireTerminal() }
        let demo = try await DemoGateway.start(port: port)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokentop-demo-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = writeConfig ?? dir.appendingPathComponent("krakend.json").path
        try demo.writeConfig(to: file)
        defer { try? FileManager.default.removeItem(at: dir) }
        let code: Int32
        do {
            // Read once: the dashboard lints these bytes rather than the file again.
            let bytes = try ConfigLoader.readBytes(path: file)
            let cfg = try ConfigLoader.load(bytes: bytes, file: file, environment: ProcessInfo.processInfo.environment)
            if check {
                code = try await runCheck(cfg, network: network, json: json, verbose: false)
            } else {
                code = try await runDashboard(cfg, source: ConfigSource(bytes), network: network, options: dashboard)
            }
        } catch let e as ConfigLoadError {
            try? await demo.shutdown()
            stderr("tokentop: the demo's own config did not load (a bug):\n\(e)")
            throw ExitCode(2)
        }
        try? await demo.shutdown()
        if code != 0 { throw ExitCode(code) }
    }
}

extension DemoCommand {
    /// `tokentop demo --serve [--port P] [--clients N] [--lifetime S] [--slow-delay-ms MS]
    /// [--write-config FILE]`: runs
    /// only the demo token server, with clients `bench-client-K` / `bench-secret-K` (K < N, as
    /// scripts/gen-config.py writes them) registered on the plain `POST /oauth/token`. Prints
    /// `listening PORT` once bound; on SIGTERM/SIGINT prints `token_requests N` and exits 0.
    func runServe() async throws {
        var options = DemoGateway.Options()
        options.slowDelay = .milliseconds(slowDelayMs)
        options.maxRecordedRequests = 1000
        let demo = try await DemoGateway.start(port: port, options: options)
        for k in 0..<max(0, clients) {
            demo.registerClient(id: "bench-client-\(k)", secret: "bench-secret-\(k)", lifetime: lifetime)
        }
        // The demo's own gateway config, for `tokentop serve` or a dashboard in another process.
        if let writeConfig { try demo.writeConfig(to: writeConfig) }
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let (stop, cont) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { cont.yield() }
            source.resume()
            sources.append(source)
        }
        defer { for s in sources { s.cancel() } }
        print("listening \(demo.port)")
        fflush(nil)
        for await _ in stop { break }
        let total = demo.totalTokenRequests()
        try? await demo.shutdown()
        print("token_requests \(total)")
        fflush(nil)
    }
}
