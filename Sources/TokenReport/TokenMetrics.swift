import Foundation
import GatewayConfig
import Prometheus
import TokenKit

/// Token health in the Prometheus text format (`GET /metrics` of `tokentop serve`).
///
/// One set of series per protected row (endpoint/backend pair), labelled the way an operator
/// searches: `endpoint`, `method`, `backend` (host + url_pattern), `client_id`, `token_url`. Never
/// a secret, never a token. Rows sharing a credential share one token in tokentop (as they would
/// share the IdP's answer), so their fetch series count the same fetches: to count the requests an
/// IdP gets, aggregate by `token_url, client_id` with `max`, not `sum`. The fetch-duration
/// histogram is per token server (`token_url`): the latency is the IdP's.
///
/// Gauges are set from a snapshot of the token manager at each scrape; counters and the histogram
/// from the manager's events (``record(_:)``), so they count every attempt, not just the last 20
/// kept in a snapshot. Not thread-safe: one owner serialises calls (``MetricsExporter`` is an
/// actor for that).
///
/// The per-row families are written by ``RowSeriesWriter``, not swift-prometheus's registry: the
/// registry copies a family's whole label-set dictionary for every series added to it (and
/// removed from it), so registering the ~45,000 state series of a 10,000-backend config is
/// quadratic (see BENCHMARKS.md "serve"), and a timestamp series that must come and go with its
/// token would cost a copy each time. The registry keeps everything else (config info, lint,
/// readiness, process metrics, the per-credential histogram); both write the same text format,
/// and the tests check the whole body with `promtool check metrics`.
public final class TokenMetrics {
    public let registry = PrometheusCollectorRegistry()
    private let policy: RefreshPolicy

    /// What `tokentop_token_state` calls each state (snake case, as label values usually are).
    public static func stateLabel(_ s: TokenState) -> String {
        switch s {
        case .notFetched: "not_fetched"
        case .fetching: "fetching"
        case .valid: "valid"
        case .expiring: "expiring"
        case .perCall: "per_call"
        case .expired: "expired"
        case .failed: "failed"
        case .noExpiry: "no_expiry"
        case .disabled: "disabled"
        case .unprotected: "unprotected"
        }
    }
    /// The states a protected row can be in: one series each, 1 for the current one.
    public static let rowStates: [TokenState] = [.notFetched, .fetching, .valid, .expiring, .perCall, .expired, .failed, .noExpiry, .disabled]

    /// Buckets for token fetch durations: loopback IdPs answer in milliseconds, remote ones in
    /// tens to hundreds, a hanging one at the token timeout (10 s by default).
    public static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    private var rows: RowSeriesWriter
    /// Fetch results per token entry (rows of one entry show the same counts).
    private var succeeded: [Int: Int] = [:]
    private var failed: [Int: Int] = [:]
    private var histogramOfEntry: [Int: DurationHistogram] = [:]
    private var cpuSeconds = 0.0
    private let process = ProcessMetrics()
    private let processGauges: ProcessMetrics.Gauges
    private let up: Gauge

    /// - Parameters:
    ///   - routeEntry: the manager's route → token entry map (``TokenManager/routeEntryMap()``).
    ///   - entryCredentials: each entry's credentials, to label its histogram.
    ///   - lint: finding counts by severity (`error`, `warning`, `info`), nil when lint did not run.
    public init(config: GatewayConfiguration, routeEntry: [Int: Int], entryCredentials: [Int: ClientCredentials],
                lint: [String: Int]?, policy: RefreshPolicy) {
        self.policy = policy
        let r = registry
        r.makeGauge(descriptor: .named("tokentop_config_info", "The gateway config tokentop watches (value 1)."),
                    labels: [("file", config.file), ("name", config.name ?? ""), ("version", config.version.map(String.init) ?? "")])
            .set(to: 1)
        let protected = config.routes.count(where: { $0.credentials != nil })
        r.makeGauge(descriptor: .named("tokentop_backends", "Endpoint/backend pairs in the config, by whether the gateway fetches a token for them."), labels: [("protection", "client_credentials")]).set(to: Double(protected))
        r.makeGauge(descriptor: .named("tokentop_backends", "Endpoint/backend pairs in the config, by whether the gateway fetches a token for them."), labels: [("protection", "none")])
            .set(to: Double(config.routes.count - protected))
        r.makeGauge(descriptor: .named("tokentop_tokens", "Distinct tokens held (one per credential identity)."))
            .set(to: Double(entryCredentials.count))
        up = r.makeGauge(descriptor: .named("tokentop_ready", "1 once every token has had its first fetch (GET /readyz answers 200)."))
        processGauges = ProcessMetrics.Gauges(registry: r)
        rows = RowSeriesWriter(routes: config.routes, routeEntry: routeEntry)
        if let lint { setLint(lint) }

        // Per token server: the latency is the IdP's, and one histogram (11 series) per credential
        // would be most of a 10,000-backend scrape.
        var byURL: [String: DurationHistogram] = [:]
        for (entry, c) in entryCredentials.sorted(by: { $0.key < $1.key }) {
            if byURL[c.tokenURL] == nil {
                byURL[c.tokenURL] = r.makeDurationHistogram(
                    descriptor: .named("tokentop_token_fetch_duration_seconds",
                                       "How long token fetches took (both POSTs when the auth style was not known yet), per token server."),
                    labels: [("token_url", c.tokenURL)], buckets: Self.durationBuckets)
            }
            histogramOfEntry[entry] = byURL[c.tokenURL]
        }
    }

    /// Sets `tokentop_lint_findings{severity}` (lint runs after the first fetches start: on a
    /// 10,000-backend config it takes seconds, which token state must not wait for).
    public func setLint(_ counts: [String: Int]) {
        for sev in ["error", "warning", "info"] {
            registry.makeGauge(descriptor: .named("tokentop_lint_findings", "Findings of `tokentop lint` on the config, by severity (absent until lint has run, or when it could not)."),
                               labels: [("severity", sev)])
                .set(to: Double(counts[sev] ?? 0))
        }
    }

    /// Counts one finished fetch (from ``TokenManager/subscribe(unbounded:)``).
    public func record(_ attempt: Attempt) {
        if attempt.succeeded { succeeded[attempt.entryID, default: 0] += 1 } else { failed[attempt.entryID, default: 0] += 1 }
        histogramOfEntry[attempt.entryID]?.record(Duration.seconds(attempt.duration))
    }

    /// The exposition text as of `now`: the registry's families, then the per-row ones.
    public func render(snapshots: [TokenEntrySnapshot], now: Date, ready: Bool) -> [UInt8] {
        up.set(to: ready ? 1 : 0)
        processGauges.update(process.read(), previous: &cpuSeconds)
        var out: [UInt8] = []
        out.reserveCapacity(rows.estimatedSize)
        registry.emit(into: &out)
        rows.write(into: &out, snapshots: snapshots, now: now, policy: policy, succeeded: succeeded, failed: failed)
        return out
    }
}
