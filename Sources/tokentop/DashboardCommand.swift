import ArgumentParser
import BackendCall
import ConfigLint
import Dashboard
import DashboardRuntime
import TerminalScreen
import FileLogging
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import Logging
import TerminalCurses
import Synchronization
import TokenExporter
import TokenKit

struct DashboardOptions: ParsableArguments {
    @Flag(help: "Disable the keys that act: refresh (r, R) and test calls (t). Watch only.") var readonly = false
    @Flag(name: .customLong("no-color"), help: "Monochrome screen (also when NO_COLOR is set).") var noColor = false
    @Flag(help: "Report mouse clicks and the wheel (takes over the terminal's own selection).") var mouse = false
    @Option(help: "Write logs (every token attempt) to this file; nothing is written to the terminal.")
    var logFile: String?
    @Option(help: ArgumentHelp("Also serve token health for Prometheus on this address while the dashboard runs (the endpoints of `tokentop serve`).",
                               valueName: "ADDR"))
    var metrics: String?

    func validate() throws {
        if let metrics { do { _ = try parseListenAddress(metrics) } catch { throw ValidationError("--metrics: \(error)") } }
    }
}

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The live dashboard (the default command): `tokentop CONFIG`.")

    @OptionGroup var config: ConfigOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var dashboard: DashboardOptions

    func run() async throws {
        // Checked before loading so `tokentop FILE | less` gets the hint, not a config dump.
        try requireTerminal()
        limitMallocArenas()
        let (cfg, source) = try config.loadKeepingSource()
        let code = try await runDashboard(cfg, source: source, network: network, options: dashboard)
        if code != 0 { throw ExitCode(code) }
    }
}

func requireTerminal() throws {
    guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
        stderr("tokentop: the dashboard needs a terminal (stdin and stdout are not both a tty).\n"
               + "For scripts and cron use `tokentop check CONFIG` (or `tokentop list CONFIG`).")
        throw ExitCode(2)
    }
}

/// - Parameter source: the bytes `cfg` was loaded from; the background lint reads those, never the
///   file again (see `ConfigOptions.loadKeepingSource`).
func runDashboard(_ cfg: GatewayConfiguration, source: ConfigSource, network: NetworkOptions, options: DashboardOptions) async throws -> Int32 {
    try requireTerminal()
    limitMallocArenas()
    // The config's parse tree is gone: its pages go back before the model and tokens arrive.
    releaseFreeMemory()
    let env = ProcessInfo.processInfo.environment
    let monochrome = options.noColor || (env["NO_COLOR"].map { !$0.isEmpty } ?? false)
    let inbox = Inbox()
    // A log that cannot be written (disk full, a FIFO whose reader left) must not end the
    // dashboard: said once on the flash line and on stderr (kept aside while curses runs and
    // shown after the terminal is restored), then the dashboard goes on without a log.
    let logger = try options.logFile.map { path in
        do throws(FileLog.OpenError) {
            return try FileLog(path: path) { problem in
                stderr("tokentop: \(problem)")
                inbox.post(.runtimeError(problem))
            }.logger()
        } catch {
            throw UsageError(message: "--log-file: \(error.message)")
        }
    }
    if cfg.allowInsecureConnections {
        logger?.warning("allow_insecure_connections is true in \(cfg.file): TLS certificates are not verified")
    }
    let transport = try network.tokenTransport(for: cfg)
    var policy = RefreshPolicy()
    policy.maxConcurrent = network.concurrency
    // Test calls: as `tokentop call` does, never following redirects in the transport (BackendCaller
    // stops at one to another host so the token can't leak) and failing at the first refused connect.
    let backendTransport = try AHCTransport(connectTimeout: .seconds(2), followRedirects: false, insecure: cfg.allowInsecureConnections,
                                            caFile: network.caFile, retryConnects: false)
    // Lint once, off the UI's way: a 10k-backend config takes seconds, and the table must not
    // wait for it. Lint gets the bytes the loader read: the path may be a pipe, a FIFO or
    // /dev/stdin (the terminal!), or a file changed since.
    // --metrics also exports the finding counts (the exporter is made before the lint runs).
    let lintExporter = Mutex<MetricsExporter?>(nil)
    let lint: @Sendable () -> [Finding] = {
        let bytes = source.take() ?? []
        let result = try? ConfigLinter.lint(file: cfg.file, bytes: bytes, environment: env, loaded: cfg)
        let findings = result?.findings ?? []
        if let result, let e = lintExporter.withLock({ $0 }) {
            let counts = ["error": result.errorCount, "warning": result.warningCount, "info": result.infoCount]
            Task { await e.setLint(counts) }
        }
        // Lint's parse tree is gone: hand the freed pages back instead of keeping them mapped.
        releaseFreeMemory()
        return findings
    }
    // --timeout is about token requests (often lowered to fail fast on a hanging IdP); a backend
    // under test gets at least `tokentop call`'s default. Nothing waits on it: the pane counts.
    let runtime = await DashboardRuntime.make(config: cfg, fetcher: network.fetcher(transport),
                                              policy: policy, backendTransport: backendTransport,
                                              callTimeout: max(network.duration, .seconds(10)), readonly: options.readonly,
                                              monochrome: monochrome, inbox: inbox, logger: logger, lint: lint)
    let tokenCount = await runtime.manager.entryCount
    // --metrics: the same endpoints as `tokentop serve`, reading the dashboard's own manager.
    // Bound before curses starts, so a port in use is a plain error, not a broken screen.
    var exporter: (MetricsExporter, ExporterHTTPServer)?
    if let metrics = options.metrics {
        let (host, port) = try parseListenAddress(metrics)
        let e = await MetricsExporter.start(manager: runtime.manager, config: cfg, lint: nil)
        lintExporter.withLock { $0 = e }
        do {
            exporter = (e, try await e.serve(host: host, port: port))
        } catch {
            await transport.shutdown()
            await backendTransport.shutdown()
            throw UsageError(message: "--metrics: \(error)")
        }
        logger?.info("serving token health on \(exporter!.1.listenAddress)")
    }
    logger?.info("dashboard started on \(cfg.file): \(cfg.routes.count) routes, \(tokenCount) tokens")
    let mouse = options.mouse
    let outcome = await runtime.run { try CursesTerminal(monochrome: monochrome, mouse: mouse) }
    if let (e, server) = exporter {
        await server.shutdown()
        await e.stop()
    }
    // Every fetch and test call has ended (the runtime waited for them): the transports can go.
    await transport.shutdown()
    await backendTransport.shutdown()
    logger?.info("dashboard stopped")
    if case .failure(let e) = outcome {
        stderr("tokentop: \(e)")
        return 2
    }
    return 0
}
