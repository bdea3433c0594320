import ArgumentParser
import ConfigLint
import Dispatch
import FileLogging
import Foundation
import GatewayConfig
import TokenExporter
import TokenKit
import Synchronization
import TokenReport

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the token manager headless and export token health for Prometheus (/metrics, /healthz, /readyz, /api/tokens).",
        discussion: """
        Fetches every token at start and keeps each fresh as the gateway would (refresh 10 s before \
        expiry, backoff on failure), like the dashboard. Logs one JSON line per token fetch on stderr \
        (or --log-file). SIGTERM or SIGINT stops it: requests in progress are answered, then it exits 0. \
        See README "Monitoring" for a scrape config and the alert rules in deploy/prometheus/.
        """)

    @OptionGroup var config: ConfigOptions
    @OptionGroup var network: NetworkOptions
    @Option(help: ArgumentHelp("Address to serve on: HOST:PORT, [IPv6]:PORT, or :PORT for every interface.", valueName: "ADDR"))
    var listen = "127.0.0.1:9464"
    @Option(help: "Write the JSON log lines to this file instead of stderr.")
    var logFile: String?

    func validate() throws {
        do { _ = try parseListenAddress(listen) } catch { throw ValidationError("--listen: \(error)") }
    }

    func run() async throws {
        limitMallocArenas()
        let (cfg, source) = try config.loadKeepingSource()
        let log = try makeJSONLog(path: logFile)
        let (host, port) = try parseListenAddress(listen)

        let transport = try network.tokenTransport(for: cfg)
        var policy = RefreshPolicy()
        policy.maxConcurrent = network.concurrency
        let manager = TokenManager(routes: cfg.routes, fetcher: network.fetcher(transport), policy: policy)
        let exporter = await MetricsExporter.start(manager: manager, config: cfg, lint: nil, log: log)
        let server: ExporterHTTPServer
        do {
            server = try await exporter.serve(host: host, port: port)
        } catch {
            await transport.shutdown()
            stderr("tokentop serve: \(error)")
            throw ExitCode(2)
        }
        let tokens = await manager.entryCount
        log(EventLine.note("serving token health", fields: [
            "listen": server.listenAddress, "config": cfg.file, "backends": "\(cfg.routes.count)", "tokens": "\(tokens)",
        ]))
        if !isLoopback(host) {
            log(EventLine.note("listening on \(host), not only on loopback: anyone who can reach this port can read token state "
                               + "(never secrets or tokens)", level: "warn"))
        }
        if cfg.allowInsecureConnections {
            log(EventLine.note("allow_insecure_connections is true: TLS certificates of token servers are not verified", level: "warn"))
        }

        let scheduler = Task { await manager.run() }
        // Lint after the first fetches started: seconds on a 10,000-backend config.
        let linter = Task.detached(priority: .utility) {
            if let counts = lintCounts(cfg, source: source) { await exporter.setLint(counts) }
            releaseFreeMemory()
        }
        let signal = await waitForTermination()
        log(EventLine.note("stopping on \(signal)"))
        // Order: no new requests, answers in progress finished; then no new fetches and those in
        // flight cancelled and awaited; then the transport goes.
        await server.shutdown()
        linter.cancel()
        await manager.stop()
        scheduler.cancel()
        _ = await scheduler.value
        await exporter.stop()
        await transport.shutdown()
        log(EventLine.note("stopped"))
    }
}

/// Where the JSON lines go: stderr, or `--log-file` (a file that cannot be written any more is
/// reported once on stderr and serve goes on without its log).
func makeJSONLog(path: String?) throws -> @Sendable (String) -> Void {
    guard let path else { return { line in stderr(line) } }
    do throws(FileLog.OpenError) {
        let file = try FileLog(path: path) { problem in stderr("tokentop: \(problem)") }
        return { line in file.write(jsonLine: line) }
    } catch {
        throw UsageError(message: "--log-file: \(error.message)")
    }
}

/// Finding counts by severity for `tokentop_lint_findings`, from the bytes the config was loaded
/// from; nil when lint cannot run on them.
func lintCounts(_ cfg: GatewayConfiguration, source: ConfigSource) -> [String: Int]? {
    guard let bytes = source.take(),
          let result = try? ConfigLinter.lint(file: cfg.file, bytes: bytes, environment: ProcessInfo.processInfo.environment, loaded: cfg)
    else { return nil }
    return ["error": result.errorCount, "warning": result.warningCount, "info": result.infoCount]
}

/// Returns the name of the first SIGTERM or SIGINT that arrives (their default action, ending the
/// process at once, is turned off first).
func waitForTermination() async -> String {
    await withCheckedContinuation { (cont: CheckedContinuation<String, Never>) in
        let once = OnceBox(cont)
        var sources: [(any DispatchSourceSignal, String)] = []
        for (sig, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(sig, SIG_IGN)
            sources.append((DispatchSource.makeSignalSource(signal: sig, queue: .global()), name))
        }
        // Each handler holds the sources: kept for the life of the process on purpose (a source
        // that goes away would let the next signal end the process mid-drain).
        let all = sources.map(\.0)
        for (s, name) in sources {
            s.setEventHandler { _ = all; once.resume(name) }
            s.resume()
        }
    }
}

/// Resumes a continuation once, however many signals arrive.
private final class OnceBox: Sendable {
    private let cont: Mutex<CheckedContinuation<String, Never>?>
    init(_ c: CheckedContinuation<String, Never>) { cont = Mutex(c) }
    func resume(_ s: String) { cont.withLock { c in defer { c = nil }; return c }?.resume(returning: s) }
}
