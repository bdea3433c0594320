import ArgumentParser
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import TokenKit
import TokenReport

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Fetch every token once, as the gateway would, and report each backend's state.",
        discussion: """
        Exit codes: 0 every token works the way the gateway uses it (warnings included), 1 a token \
        failed or is expired (with --strict: also a warning), 2 the config or the command line cannot \
        be used. Warning: "per call", a token living ≤ 10 s, which the gateway fetches anew for every \
        backend call (it works, at the cost of latency and load on the token server).
        """)

    @OptionGroup var config: ConfigOptions
    @OptionGroup var network: NetworkOptions
    @Flag(help: "One JSON document instead of a table.") var json = false
    @Flag(help: "Exit 1 on warnings too (\"per call\": tokens living ≤ 10 s).") var strict = false

    func run() async throws {
        let cfg = try config.load()
        let code = try await runCheck(cfg, network: network, json: json, verbose: config.verbose, strict: strict)
        if code != 0 { throw ExitCode(code) }
    }
}

struct NetworkOptions: ParsableArguments {
    // .unconditional: a value starting with `-` (`--timeout -1`) is taken as the value and then
    // refused by `validate` with a reason; by default the parser reads it as an option and says
    // "Missing value".
    @Option(parsing: .unconditional, help: "Seconds to wait for each token request (the gateway itself has no limit).")
    var timeout: Double = 10
    @Option(parsing: .unconditional, help: "Token fetches in flight at once.")
    var concurrency: Int = 16
    @Option(name: .customLong("ca-file"), help: ArgumentHelp(
        "Also trust the CA certificates in this PEM file (an internal CA of token servers and backends).",
        valueName: "PATH"))
    var caFile: String?

    func validate() throws {
        if let problem = timeoutProblem(timeout) { throw ValidationError(problem) }
        guard concurrency >= 1, concurrency <= 1024 else {
            throw ValidationError("--concurrency must be between 1 and 1024 (got \(concurrency))")
        }
        if let caFile { do { _ = try AHCTransport.loadCertificates(caFile) } catch { throw ValidationError("--ca-file: \(error)") } }
    }
    var duration: Duration { .milliseconds(Int64(timeout * 1000)) }

    /// The one place transports are made, so TLS options (CA file, the config's
    /// allow_insecure_connections) apply to every command alike.
    func tokenTransport(for cfg: GatewayConfiguration) throws -> AHCTransport {
        // retryConnects false: a refused connection or an untrusted certificate fails at once, as
        // in the gateway's Go client, instead of being retried by AHC's pool until the connect
        // timeout (which kept a row "fetching" 2 s per exchange, 4 s per fetch). The manager's
        // backoff does the retrying.
        return try AHCTransport(insecure: cfg.allowInsecureConnections, caFile: caFile, retryConnects: false,
                                connectionsPerHost: concurrency)
    }

    /// The token fetcher over `transport` with `--timeout` (and, in debug builds, the trap hook
    /// of `DebugTrapTransport` when asked for).
    func fetcher(_ transport: AHCTransport) -> TokenFetcher {
        TokenFetcher(transport: DebugTrapTransport.wrapping(transport), timeout: duration)
    }
}

func runCheck(_ cfg: GatewayConfiguration, network: NetworkOptions, json: Bool, verbose: Bool, strict: Bool = false) async throws -> Int32 {
    let transport = try network.tokenTransport(for: cfg)
    var policy = RefreshPolicy()
    policy.maxConcurrent = network.concurrency
    let manager = TokenManager(routes: cfg.routes, fetcher: network.fetcher(transport), policy: policy)
    await manager.fetchAllOnce()
    let now = Date()
    let snaps = await manager.snapshot()
    let map = await manager.routeEntryMap()
    await transport.shutdown()

    let report = CheckReport(file: cfg.file, routes: cfg.routes, snapshots: snaps, routeEntry: map, now: now,
                             policy: policy, judgeAtFetchEnd: true, strict: strict)
    let rows = report.routes
    let failed = report.anyFailed
    let warned = report.warnings
    if json {
        print(String(decoding: report.json(), as: UTF8.self))
    } else {
        printTable(["ID", "STATE", "ENDPOINT", "BACKEND", "CLIENT", "EXPIRES IN", "LATENCY", "AUTH", "ERROR"], rows.map { r in
            var err = r.error?.summary ?? ""
            if verbose, let e = r.error {
                if let w = e.wwwAuthenticate { err += " [WWW-Authenticate: \(w)]" }
                if e.error == nil, let b = e.bodyPreview, !b.isEmpty { err += " [body: \(b.prefix(80).replacingOccurrences(of: "\n", with: " "))]" }
            }
            return ["\(r.id)", r.state, r.endpoint, r.backend, r.clientID ?? "-",
                    r.state == TokenState.perCall.rawValue ? "per call"
                        : r.expiresIn.map { Format.countdown(TimeInterval($0)) } ?? (r.state == TokenState.noExpiry.rawValue ? "never" : "-"),
                    r.latencyMs.map { Format.latency(Double($0) / 1000) } ?? "-", r.authStyle ?? "-",
                    err.replacingOccurrences(of: "\n", with: " ")]
        })
        let counts = Dictionary(grouping: rows, by: \.state).map { "\($0.value.count) \($0.key)" }.sorted()
        let verdict = failed ? " — FAILED" : warned ? (strict ? " — WARNINGS (--strict)" : " — OK with warnings") : " — OK"
        print("\n\(rows.count) backend(s): " + counts.joined(separator: ", ") + verdict)
        if warned {
            print("per call: the token lives ≤ 10 s, so the gateway fetches a new one for every backend call (it works; "
                  + "each call pays a token request).")
        }
    }
    return failed || (strict && warned) ? 1 : 0
}
