import Foundation
import GatewayConfig
import TokenKit

/// Writes the per-row families of `/metrics` in the Prometheus text format (0.0.4): each row's
/// label set is escaped and rendered once, at start, and a scrape appends prepared bytes and
/// numbers. See ``TokenMetrics`` for why these are not in swift-prometheus's registry.
struct RowSeriesWriter {
    private struct Row {
        var entryID: Int?
        /// `{endpoint="…",method="…",backend="…",client_id="…",token_url="…"` (no closing brace).
        var labels: [UInt8]
    }
    private var rows: [Row] = []

    /// HELP text per family, also used by the tests to check the body against `promtool`.
    static let families: [(name: String, type: String, help: String)] = [
        ("tokentop_token_state", "gauge", "The token state of each protected backend: 1 for the current state, 0 for the others."),
        ("tokentop_token_expiry_timestamp_seconds", "gauge",
         "When the current token expires (the token server's expires_in). Absent without a token or for tokens that never expire."),
        ("tokentop_token_gateway_expiry_timestamp_seconds", "gauge",
         "When the gateway stops using the current token (10 s before it expires). Absent without a token or for tokens that never expire."),
        ("tokentop_token_last_success_timestamp_seconds", "gauge", "When the latest successful fetch of the token ended. Absent before the first one."),
        ("tokentop_token_next_attempt_timestamp_seconds", "gauge",
         "When tokentop fetches the token next by itself (refresh or backoff retry). Absent while a fetch runs or when none is planned."),
        ("tokentop_token_consecutive_failures", "gauge", "Failed fetches since the last successful one."),
        ("tokentop_token_fetches_total", "counter",
         "Token fetches of the token this backend uses, by result (rows sharing a credential share its token and its fetches)."),
    ]

    init(routes: [Route], routeEntry: [Int: Int]) {
        var seen = Set<[UInt8]>()
        for route in routes {
            guard let c = route.credentials else { continue }
            var l: [UInt8] = []
            Self.appendLabel(&l, first: true, "endpoint", route.endpoint)
            Self.appendLabel(&l, first: false, "method", route.endpointMethod.uppercased())
            Self.appendLabel(&l, first: false, "backend", route.displayURL)
            Self.appendLabel(&l, first: false, "client_id", c.clientID)
            Self.appendLabel(&l, first: false, "token_url", c.tokenURL)
            // Two rows with the same labels (the same backend twice in one endpoint) would be one
            // series written twice, which Prometheus rejects: the first row speaks for both.
            guard seen.insert(l).inserted else { continue }
            rows.append(Row(entryID: routeEntry[route.id], labels: l))
        }
    }

    /// Bytes one scrape takes, roughly (to reserve the buffer once).
    var estimatedSize: Int { rows.reduce(0) { $0 + ($1.labels.count + 60) * 16 } + 4096 }

    static func appendLabel(_ out: inout [UInt8], first: Bool, _ name: String, _ value: String) {
        out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: "=\"".utf8)
        // The format's escapes for label values: backslash, double quote, line feed.
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    func write(into out: inout [UInt8], snapshots: [TokenEntrySnapshot], now: Date, policy: RefreshPolicy,
               succeeded: [Int: Int], failed: [Int: Int]) {
        // Indices, not copies: copying 5,000 snapshots (each retain of its strings and arrays) was
        // a third of a 10,000-backend scrape.
        let index: [Int?] = rows.map { r in r.entryID.flatMap { snapshots.indices.contains($0) ? $0 : nil } }
        let states: [TokenState] = index.map { i in i.map { snapshots[$0].state(at: now, policy: policy) } ?? .disabled }
        let stateLabels = TokenMetrics.rowStates.map { s -> [UInt8] in Array(",state=\"\(TokenMetrics.stateLabel(s))\"} ".utf8) }

        for (k, f) in Self.families.enumerated() {
            out.append(contentsOf: "# HELP \(f.name) \(f.help)\n# TYPE \(f.name) \(f.type)\n".utf8)
            let name = Array(f.name.utf8)
            for (i, row) in rows.enumerated() {
                let e = index[i]
                switch k {
                case 0:
                    for (j, s) in TokenMetrics.rowStates.enumerated() {
                        out.append(contentsOf: name); out.append(contentsOf: row.labels); out.append(contentsOf: stateLabels[j])
                        out.append(s == states[i] ? UInt8(ascii: "1") : UInt8(ascii: "0")); out.append(UInt8(ascii: "\n"))
                    }
                case 1: Self.timestamp(&out, name, row.labels, e.flatMap { snapshots[$0].token?.expiry })
                case 2: Self.timestamp(&out, name, row.labels, e.flatMap { snapshots[$0].token?.effectiveExpiry })
                case 3: Self.timestamp(&out, name, row.labels, e.flatMap { snapshots[$0].lastSuccessAt })
                case 4: Self.timestamp(&out, name, row.labels, e.flatMap { snapshots[$0].inFlight ? nil : snapshots[$0].nextFetchAt })
                case 5:
                    guard let e else { continue }
                    Self.sample(&out, name, row.labels, "", snapshots[e].consecutiveFailures)
                default:
                    guard let e else { continue }
                    Self.sample(&out, name, row.labels, ",result=\"success\"", succeeded[e] ?? 0)
                    Self.sample(&out, name, row.labels, ",result=\"failure\"", failed[e] ?? 0)
                }
            }
        }
    }

    private static func sample(_ out: inout [UInt8], _ name: [UInt8], _ labels: [UInt8], _ extra: String, _ value: Int) {
        out.append(contentsOf: name); out.append(contentsOf: labels); out.append(contentsOf: extra.utf8)
        out.append(contentsOf: "} ".utf8); out.append(contentsOf: String(value).utf8); out.append(UInt8(ascii: "\n"))
    }

    /// Seconds since the epoch with milliseconds (`1796408451.685`); no line without a date.
    private static func timestamp(_ out: inout [UInt8], _ name: [UInt8], _ labels: [UInt8], _ date: Date?) {
        guard let date else { return }
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        out.append(contentsOf: name); out.append(contentsOf: labels); out.append(contentsOf: "} ".utf8)
        out.append(contentsOf: Self.decimal(ms).utf8)
        out.append(UInt8(ascii: "\n"))
    }

    /// `ms` milliseconds as seconds with three decimals.
    static func decimal(_ ms: Int64) -> String {
        let sign = ms < 0 ? "-" : ""
        let a = ms.magnitude
        let frac = String(a % 1000)
        return "\(sign)\(a / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }
}
