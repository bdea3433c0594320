import BackendCall
import Dashboard
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import Logging
import TokenKit

/// Runs the dashboard's test calls: the token comes from the dashboard's own TokenManager (fetched
/// when there is no usable one, or forced after the backend rejected it), the request is built and
/// sent by BackendCall exactly as `tokentop call` does, and the answer is reduced to a
/// `CallReport` — masked, bounded, safe to keep in the model.
public struct DashboardCaller: Sendable {
    /// The config's routes, shared with everyone else (no copy): route ids are their indices.
    let routes: [Route]
    let manager: TokenManager
    let transport: AHCTransport
    let timeout: Duration
    let logger: Logger?

    public init(routes: [Route], manager: TokenManager, transport: AHCTransport, timeout: Duration, logger: Logger?) {
        self.routes = routes; self.manager = manager; self.transport = transport; self.timeout = timeout; self.logger = logger
    }

    /// Makes the test call `spec` describes; `newToken` forces a token fetch first.
    public func run(_ spec: CallSpec, newToken: Bool) async -> CallReport {
        let found = routes.indices.contains(spec.routeID) && routes[spec.routeID].id == spec.routeID
            ? routes[spec.routeID] : routes.first { $0.id == spec.routeID }
        guard let route = found else {
            return Self.notSent(spec, method: "", url: "", "no route with id \(spec.routeID)")
        }
        let report = await call(route, spec, newToken: newToken)
        logger?.info("test call \(route.endpointMethod) \(route.endpoint) → \(report.method) \(report.url): \(report.summary)")
        return report
    }

    private func call(_ route: Route, _ spec: CallSpec, newToken: Bool) async -> CallReport {
        var options = CallOptions(hostIndex: spec.hostIndex, hostOverride: spec.hostOverride, params: spec.params)
        let method = route.method.uppercased()
        let pattern = (spec.hostOverride ?? route.hosts.first ?? "") + route.urlPattern
        if let body = spec.body, !body.isEmpty {
            if body.hasPrefix("@"), body.count > 1 {
                let path = NSString(string: String(body.dropFirst())).expandingTildeInPath
                guard let data = FileManager.default.contents(atPath: path) else {
                    return Self.notSent(spec, method: method, url: pattern, "cannot read the body file \(path)")
                }
                options.body = Array(data)
            } else {
                options.body = Array(body.utf8)
            }
        }
        let caller = BackendCaller(transport: transport, timeout: timeout)
        switch await TestCall.run(route: route, options: options, tokens: manager, newToken: newToken, caller: caller) {
        case .notSent(let error):
            return Self.notSent(spec, method: method, url: pattern, error.description)
        case .tokenFailed(let draft, let creds, let failure):
            let why = failure?.summary ?? "no usable token"
            return Self.tokenFailed(spec, draft, "\(why) (client \(creds.clientID), \(creds.tokenURL))")
        case .sent(_, let result, _, let fetched, _):
            return Self.report(spec, result, tokenFetched: fetched)
        }
    }

    static func report(_ spec: CallSpec, _ r: CallResult, tokenFetched: Bool) -> CallReport {
        let outcome: CallReport.Outcome
        switch r.outcome {
        case .response: outcome = .response
        case .crossHostRedirect(let location): outcome = .redirectNotFollowed(location: location)
        case .tooManyRedirects: outcome = .tooManyRedirects
        case .transportFailure: outcome = .noResponse
        }
        let preview = r.preview()
        let hops = r.hops.count > 1 ? r.hops.dropLast().map { h in
            "\(h.status.map(String.init) ?? "?") \(h.method) \(h.url) → \(h.location ?? "?")"
        } : []
        return CallReport(
            callID: spec.callID, routeID: spec.routeID, outcome: outcome, status: r.status, reason: r.reason,
            statusSummary: r.statusSummary, summary: r.summary, method: r.request.method, url: r.request.url,
            requestHeaders: r.request.headers, requestBodySize: r.request.body.count, tokenMasked: r.tokenMasked,
            tokenFetched: tokenFetched, headers: BackendCallBuilder.maskedHeaders(r.headers), bodyText: preview.text,
            bodyKind: preview.kind.rawValue, bodySize: r.bodySize, bodyTruncated: preview.truncated || r.truncated,
            latency: r.latency, timeToFirstByte: r.timeToFirstByte, hops: hops, notes: r.notes, error: r.failure?.description)
    }

    static func notSent(_ spec: CallSpec, method: String, url: String, _ why: String) -> CallReport {
        CallReport(callID: spec.callID, routeID: spec.routeID, outcome: .notSent, statusSummary: "not sent", summary: "not sent: \(why)",
                   method: method, url: url, error: why)
    }

    static func tokenFailed(_ spec: CallSpec, _ draft: BackendRequestPlan, _ why: String) -> CallReport {
        let r = draft.displayRequest
        return CallReport(callID: spec.callID, routeID: spec.routeID, outcome: .tokenFailed, statusSummary: "no token",
                          summary: "no token: \(why)", method: r.method, url: r.url, requestHeaders: r.headers,
                          requestBodySize: r.body.count, tokenFetched: true,
                          // The draft was built without a token on purpose; its note saying so would mislead.
                          notes: draft.notes.filter { !$0.hasPrefix("no token attached") }, error: why)
    }
}
