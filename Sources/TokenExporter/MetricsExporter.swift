import Foundation
import GatewayConfig
import TokenKit
import TokenReport

/// Token health over HTTP for a running ``TokenManager``: `tokentop serve`, and the dashboard's
/// `--metrics`. It only reads the manager (a snapshot per request, its event stream for counters
/// and the log), so a slow or broken scraper can delay nothing but its own answer.
///
/// Routes: `GET /metrics` (Prometheus text format), `/healthz` (alive), `/readyz` (200 once every
/// token has had its first fetch, 503 before), `/api/tokens` (the JSON of `check --json`, now),
/// `/` (an index). Other paths 404, other methods 405.
public actor MetricsExporter {
    private let manager: TokenManager
    private let config: GatewayConfiguration
    private let metrics: TokenMetrics
    private let routeEntry: [Int: Int]
    private let credentials: [Int: ClientCredentials]
    private let backendsOfEntry: [Int: Int]
    private var fetched = Set<Int>()
    private var consumer: Task<Void, Never>?
    private let log: (@Sendable (String) -> Void)?
    private let now: @Sendable () -> Date

    /// Subscribes to the manager's events at once: call it before the manager starts fetching, or
    /// the fetches before the call are not counted (the gauges are right either way).
    /// - Parameters:
    ///   - lint: finding counts by severity, nil when lint could not run.
    ///   - log: gets one JSON line per finished fetch (``EventLine``); nil for none.
    public static func start(manager: TokenManager, config: GatewayConfiguration, lint: [String: Int]?,
                             log: (@Sendable (String) -> Void)? = nil,
                             now: @escaping @Sendable () -> Date = { Date() }) async -> MetricsExporter {
        let stream = await manager.subscribe(unbounded: true)
        let snaps = await manager.snapshot()
        let map = await manager.routeEntryMap()
        let exporter = MetricsExporter(manager: manager, config: config, snapshots: snaps, routeEntry: map, lint: lint, log: log, now: now)
        await exporter.consume(stream)
        return exporter
    }

    private init(manager: TokenManager, config: GatewayConfiguration, snapshots: [TokenEntrySnapshot], routeEntry: [Int: Int],
                 lint: [String: Int]?, log: (@Sendable (String) -> Void)?, now: @escaping @Sendable () -> Date) {
        self.manager = manager
        self.config = config
        self.routeEntry = routeEntry
        self.log = log
        self.now = now
        var creds: [Int: ClientCredentials] = [:]
        var backends: [Int: Int] = [:]
        for s in snapshots {
            creds[s.id] = s.credentials
            backends[s.id] = s.routeIDs.count
            if !s.attempts.isEmpty { fetched.insert(s.id) }
        }
        credentials = creds
        backendsOfEntry = backends
        metrics = TokenMetrics(config: config, routeEntry: routeEntry, entryCredentials: creds, lint: lint, policy: manager.policy)
    }

    private func consume(_ stream: AsyncStream<TokenEvent>) {
        consumer = Task { [weak self] in
            for await event in stream {
                guard case .finished(let attempt) = event else { continue }
                await self?.finished(attempt)
            }
        }
    }

    private func finished(_ attempt: Attempt) async {
        metrics.record(attempt)
        fetched.insert(attempt.entryID)
        if let log, let c = credentials[attempt.entryID] {
            let failures = attempt.succeeded ? nil : await manager.snapshot(entry: attempt.entryID)?.consecutiveFailures
            log(EventLine.finished(attempt, credentials: c, backends: backendsOfEntry[attempt.entryID] ?? 0, consecutiveFailures: failures))
        }
    }

    /// Every token has had its first fetch (whatever its result).
    public var isReady: Bool { fetched.count >= credentials.count }

    /// Sets the lint finding counts by severity (`tokentop_lint_findings`), once lint has run.
    public func setLint(_ counts: [String: Int]) { metrics.setLint(counts) }

    /// Stops reading the manager's events (the manager itself is the caller's to stop).
    /// Call after the manager stopped: the events of fetches it cancelled are still read (and
    /// logged) before this returns, so nothing is logged after the caller's last line.
    public func stop() async {
        let c = consumer
        consumer = nil
        c?.cancel()
        await c?.value
    }

    /// Answers one request (the server's handler).
    public func respond(_ r: ExporterRequest) async -> ExporterResponse {
        switch r.path {
        case "/metrics":
            let snaps = await manager.snapshot()
            let body = metrics.render(snapshots: snaps, now: now(), ready: isReady)
            return ExporterResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body)
        case "/healthz":
            return .text(200, "ok")
        case "/readyz":
            if isReady { return .text(200, "ready: every token has had its first fetch") }
            return .text(503, "not ready: \(credentials.count - fetched.count) of \(credentials.count) tokens still wait for their first fetch")
        case "/api/tokens":
            let snaps = await manager.snapshot()
            let report = CheckReport(file: config.file, routes: config.routes, snapshots: snaps, routeEntry: routeEntry,
                                     now: now(), policy: manager.policy, judgeAtFetchEnd: false)
            return ExporterResponse(status: 200, contentType: "application/json", body: Array(report.json()))
        case "/":
            return .text(200, """
                tokentop: token health of \(config.file)
                /metrics     Prometheus metrics
                /healthz     the process is alive
                /readyz      200 once every token has had its first fetch
                /api/tokens  the tokens as JSON (the document of `tokentop check --json`)
                """)
        default:
            return .text(404, "not found: \(r.path.prefix(200)) (try /metrics, /healthz, /readyz, /api/tokens)")
        }
    }

    /// Starts an HTTP server for this exporter on `host:port`.
    public nonisolated func serve(host: String, port: Int, limits: HTTPServerLimits = .init()) async throws -> ExporterHTTPServer {
        try await ExporterHTTPServer.start(host: host, port: port, limits: limits) { [self] r in await self.respond(r) }
    }
}
