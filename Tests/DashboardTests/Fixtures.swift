import ConfigLint
import Foundation
import GatewayConfig
import Testing
// TokenEntrySnapshot, Attempt and Exchange have no public initialisers (only the manager makes
// them); tests build them directly through the internal memberwise ones.
@testable import TokenKit
@testable import Dashboard
import TerminalScreen

/// A fixed scene with one row in every state, a shared token and a JWT, at a fixed clock.
enum Fixture {
    /// 2027-01-15 08:00:00 UTC (ManualClock's default epoch).
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static func ago(_ s: TimeInterval) -> Date { now.addingTimeInterval(-s) }

    static let tokenURL = "http://auth.internal:9000/oauth/token"

    static func creds(_ id: String, scopes: String? = nil, params: [String: [String]] = [:], disabled: Bool = false) -> ClientCredentials {
        ClientCredentials(clientID: id, clientSecret: "secret-of-\(id)", tokenURL: tokenURL, scopes: scopes,
                          endpointParams: params, isDisabled: disabled, namespace: .current,
                          path: "", location: nil)
    }

    static let ordersCreds = creds("orders-gateway", scopes: "orders:read, orders:write",
                                   params: ["audience": ["orders-api"], "client_secret": ["param-secret"]])

    static func route(_ id: Int, _ method: String, _ endpoint: String, hosts: [String], pattern: String,
                      creds: ClientCredentials?, headers: [HeaderModifier] = [], other: [String] = []) -> Route {
        var c = creds
        c?.path = "endpoints[\(id)].backend[0].extra_config[\"auth/client-credentials\"]"
        return Route(id: id, endpoint: endpoint, endpointMethod: method, method: method, endpointIndex: id, backendIndex: 0,
                     hosts: hosts, urlPattern: pattern, credentials: c, headerModifiers: headers, otherModifiers: other,
                     path: "endpoints[\(id)].backend[0]", location: GatewayConfig.SourceLocation(line: 10 + id * 14, column: 9),
                     timeout: .seconds(3))
    }

    static let routes: [Route] = [
        route(0, "GET", "/v1/orders", hosts: ["http://orders.internal:8080"], pattern: "/orders", creds: ordersCreds,
              headers: [HeaderModifier(name: "X-Tenant", value: "acme", scopes: ["request"]),
                        HeaderModifier(name: "X-Trace", value: "on", scopes: [])],
              other: ["body.Modifier"]),
        route(1, "POST", "/v1/orders", hosts: ["http://orders.internal:8080", "http://orders-2.internal:8080"], pattern: "/orders",
              creds: ordersCreds),
        route(2, "GET", "/v1/invoices/{id}", hosts: ["http://billing.internal:8080"], pattern: "/invoices/{id}",
              creds: creds("billing-gateway", scopes: "invoices")),
        route(3, "GET", "/v1/reports", hosts: ["http://reports.internal"], pattern: "/reports/daily",
              creds: creds("reports-svc", scopes: "")),
        route(4, "GET", "/v1/users/{id}", hosts: ["http://users.internal:8081"], pattern: "/users/{id}",
              creds: creds("users-gateway", scopes: "users:read")),
        route(5, "GET", "/v1/search", hosts: ["http://search.internal:9200"], pattern: "/_search",
              creds: creds("search-gateway")),
        route(6, "GET", "/v1/inventory", hosts: ["http://inventory.internal"], pattern: "/stock",
              creds: creds("inventory-gateway")),
        route(7, "GET", "/v1/legacy/catalog", hosts: ["http://legacy.internal:8000"], pattern: "/cgi-bin/catalog.pl",
              creds: creds("legacy-client")),
        route(8, "GET", "/health", hosts: ["http://127.0.0.1:8080"], pattern: "/__health", creds: nil),
        route(9, "GET", "/v1/archive", hosts: ["http://archive.internal"], pattern: "/archive",
              creds: creds("archive-client", disabled: true)),
        route(10, "PUT", "/v1/payments/{id}/capture", hosts: ["https://payments.eu-west-1.internal.example.com:8443"],
              pattern: "/v2/payments/{id}/capture", creds: creds("payments-gateway-production-eu-west-1")),
    ]

    static let entryForRoute: [Int: Int] = [0: 0, 1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 10: 7]

    static func base64url(_ d: Data) -> String {
        d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func jwt(header: [String: Any], claims: [String: Any], signature: String = "c2lnbmF0dXJlLW5vdC1jaGVja2Vk") -> String {
        let h = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let p = try! JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])
        return base64url(h) + "." + base64url(p) + "." + signature
    }

    static let ordersIssued = ago(600)
    static let ordersJWT = jwt(
        header: ["alg": "RS256", "typ": "JWT", "kid": "key-2027-01"],
        claims: ["iss": "https://auth.example.com/", "sub": "orders-gateway", "aud": "orders-api",
                 "scope": "orders:read orders:write", "iat": Int(ordersIssued.timeIntervalSince1970),
                 "exp": Int(ordersIssued.timeIntervalSince1970) + 3600, "jti": "8f14e45fceea167a", "client_id": "orders-gateway",
                 "tenant": ["id": "acme", "tier": 2]])

    static func exchange(_ style: AuthStyle, _ status: Int?, at: Date, _ d: TimeInterval = 0.02, failure: TokenFailure? = nil) -> Exchange {
        Exchange(style: style, started: at, duration: d, status: status, failure: failure)
    }

    static let usersFailure = TokenFailure(
        kind: .httpStatus,
        message: "oauth2: \"invalid_client\" \"Client authentication failed\" \"https://auth.example.com/docs/errors#invalid_client\"",
        status: 401, reason: "Unauthorized", error: "invalid_client", errorDescription: "Client authentication failed",
        errorURI: "https://auth.example.com/docs/errors#invalid_client", wwwAuthenticate: "Basic realm=\"users\"",
        contentType: "application/json", retryAfter: nil,
        bodyPreview: "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\",\"error_uri\":\"https://auth.example.com/docs/errors#invalid_client\"}\n\t")

    static func attempt(_ id: Int, entry: Int, _ trigger: RefreshTrigger, at: Date, _ exchanges: [Exchange], style: AuthStyle?,
                        failure: TokenFailure? = nil, expiresIn: Int? = nil) -> Attempt {
        Attempt(id: id, entryID: entry, trigger: trigger, started: at, duration: exchanges.reduce(0) { $0 + $1.duration },
                exchanges: exchanges, style: style, failure: failure, expiresIn: expiresIn)
    }

    static func snapshot(_ id: Int, _ c: ClientCredentials, routes: [Int], token: AccessToken? = nil, style: AuthStyle? = nil,
                         inFlight: Bool = false, failure: TokenFailure? = nil, failures: Int = 0, nextRetry: Date? = nil,
                         attempts: [Attempt] = []) -> TokenEntrySnapshot {
        TokenEntrySnapshot(id: id, credentials: c, routeIDs: routes, token: token, style: style, inFlight: inFlight,
                           lastAttemptAt: attempts.first?.started, lastSuccessAt: token?.receivedAt, lastFailure: failure,
                           consecutiveFailures: failures, nextRefreshAt: token?.effectiveExpiry, nextRetryAt: nextRetry,
                           attempts: attempts, requestCount: attempts.reduce(0) { $0 + $1.exchanges.count })
    }

    static var entries: [TokenEntrySnapshot] {
        let failedUsers = [
            attempt(9, entry: 3, .retry, at: ago(4), [exchange(.basic, 401, at: ago(4), 0.011, failure: usersFailure),
                                                     exchange(.body, 401, at: ago(4), 0.009, failure: usersFailure)], style: nil, failure: usersFailure),
            attempt(7, entry: 3, .retry, at: ago(6), [exchange(.basic, 401, at: ago(6), 0.012, failure: usersFailure),
                                                     exchange(.body, 401, at: ago(6), 0.010, failure: usersFailure)], style: nil, failure: usersFailure),
            attempt(3, entry: 3, .initial, at: ago(15), [exchange(.basic, 401, at: ago(15), 0.030, failure: usersFailure),
                                                        exchange(.body, 401, at: ago(15), 0.021, failure: usersFailure)], style: nil, failure: usersFailure),
        ]
        return [
            snapshot(0, ordersCreds, routes: [0, 1],
                     token: AccessToken(value: ordersJWT, rawTokenType: "bearer", expiresIn: 3600, receivedAt: ordersIssued,
                                        scope: "orders:read orders:write"),
                     style: .basic,
                     attempts: [attempt(8, entry: 0, .scheduled, at: ordersIssued, [exchange(.basic, 200, at: ordersIssued, 0.042)], style: .basic, expiresIn: 3600),
                                attempt(1, entry: 0, .initial, at: ago(4200), [exchange(.basic, 200, at: ago(4200), 0.057)], style: .basic, expiresIn: 3600)]),
            snapshot(1, routes[2].credentials!, routes: [2],
                     token: AccessToken(value: "billing-opaque-token-0123456789abcdef", rawTokenType: "Bearer", expiresIn: 3600, receivedAt: ago(3560)),
                     style: .basic,
                     attempts: [attempt(2, entry: 1, .initial, at: ago(3560), [exchange(.basic, 200, at: ago(3560), 0.064)], style: .basic, expiresIn: 3600)]),
            snapshot(2, routes[3].credentials!, routes: [3],
                     token: AccessToken(value: "reports-token-abcdefghijklmnop", rawTokenType: "Bearer", expiresIn: 300, receivedAt: ago(400)),
                     style: .body,
                     attempts: [attempt(4, entry: 2, .initial, at: ago(400), [exchange(.basic, 401, at: ago(400), 0.015), exchange(.body, 200, at: ago(400), 0.018)],
                                        style: .body, expiresIn: 300)]),
            snapshot(3, routes[4].credentials!, routes: [4], failure: usersFailure, failures: 3, nextRetry: now.addingTimeInterval(8),
                     attempts: failedUsers),
            snapshot(4, routes[5].credentials!, routes: [5], inFlight: true),
            snapshot(5, routes[6].credentials!, routes: [6]),
            snapshot(6, routes[7].credentials!, routes: [7],
                     token: AccessToken(value: "legacy-static-token-that-never-expires", rawTokenType: "", expiresIn: nil, receivedAt: ago(3 * 3600)),
                     style: .body,
                     attempts: [attempt(5, entry: 6, .initial, at: ago(3 * 3600), [exchange(.basic, 400, at: ago(3 * 3600), 0.2), exchange(.body, 200, at: ago(3 * 3600), 0.25)],
                                        style: .body)]),
            snapshot(7, routes[10].credentials!, routes: [10],
                     token: AccessToken(value: "pay_" + String(repeating: "x9", count: 40), rawTokenType: "Bearer", expiresIn: 7200, receivedAt: ago(125)),
                     style: .basic,
                     attempts: [attempt(6, entry: 7, .initial, at: ago(125), [exchange(.basic, 200, at: ago(125), 1.532)], style: .basic, expiresIn: 7200)]),
        ]
    }

    static var events: [Attempt] { entries.flatMap(\.attempts).sorted { ($0.started, $0.id) > ($1.started, $1.id) } }

    static func context(readonly: Bool = false, monochrome: Bool = false, tlsNotVerified: Bool = false,
                        findings: [Finding] = []) -> DashboardContext {
        DashboardContext(file: "examples/krakend.json", gatewayName: "acme-edge", routes: routes, entryForRoute: entryForRoute,
                         readonly: readonly, monochrome: monochrome, tlsNotVerified: tlsNotVerified, findings: findings,
                         placeholders: placeholders)
    }

    /// A stand-in for `BackendCallBuilder.placeholders(in:)` (DashboardTests doesn't link
    /// BackendCall): every `{name}` of the url_pattern, response fields and JWT claims runtime-only.
    @Sendable static func placeholders(_ r: Route) -> [CallPlaceholder] {
        var out: [CallPlaceholder] = []
        var rest = r.urlPattern[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let name = String(rest[rest.index(after: open)..<close])
            rest = rest[rest.index(after: close)...]
            guard !out.contains(where: { $0.name == name }) else { continue }
            if name.hasPrefix("JWT.") {
                out.append(CallPlaceholder(name: name, note: "filled by the gateway at run time from the claim '\(name.dropFirst(4))' of the caller's JWT; give a value to try", isRuntimeOnly: true))
            } else if name.hasPrefix("resp") {
                out.append(CallPlaceholder(name: name, note: "filled by the gateway at run time from the response of backend 0 (sequential proxy); give a value to try", isRuntimeOnly: true))
            } else {
                out.append(CallPlaceholder(name: name, note: "from the endpoint path \(r.endpoint)"))
            }
        }
        return out
    }

    static func finding(_ rule: LintRule, _ severity: Finding.Severity? = nil, routes: [Int], path: String, at line: Int, _ column: Int,
                        message: String, gateway: String, fix: String) -> Finding {
        Finding(rule: rule, severity: severity, file: "examples/krakend.json", path: path,
                location: GatewayConfig.SourceLocation(line: line, column: column), routeIDs: routes, message: message,
                gatewayBehaviour: gateway, fix: fix)
    }

    /// One finding of each severity on rows, one shared by two rows, one about the whole file.
    static let findings: [Finding] = [
        finding(.invalidHost, routes: [], path: "host[1]", at: 4, 23, message: "host \"orders internal\" is not a valid host",
                gateway: "Refuses to start: the host sanitiser rejects it.", fix: "Write it as http://name[:port]."),
        finding(.duplicateCredentials, routes: [0, 1], path: "endpoints[0].backend[0].extra_config[\"auth/client-credentials\"]", at: 18, 40,
                message: "2 backends use identical client credentials (client_id \"orders-gateway\")",
                gateway: "Builds one token source per backend and never shares tokens: 2 separate tokens for the same client.",
                fix: "Nothing is wrong as such; reduce the backends using these credentials if the identity provider rate-limits."),
        finding(.emptyScope, routes: [3], path: "endpoints[3].backend[0].extra_config[\"auth/client-credentials\"].scopes", at: 54, 40,
                message: "\"scopes\" is empty",
                gateway: "Still sends `scope=` (an empty scope) in every token request. Some servers reject an empty scope (`invalid_scope`, 400); others issue a token with default scopes the backend may not accept.",
                fix: "Set `\"scopes\"` to the comma-separated scopes the backend needs, e.g. `\"scopes\": \"reports:read\"`."),
        finding(.plainHTTPTokenURL, routes: [4], path: "endpoints[4].backend[0].extra_config[\"auth/client-credentials\"].token_url", at: 70, 26,
                message: "token_url http://auth.internal:9000/oauth/token is plain http to a host that is not loopback",
                gateway: "Sends the client secret in clear text over the network on every token fetch.",
                fix: "Use https:// for the token endpoint."),
        finding(.secretInFile, routes: [4], path: "endpoints[4].backend[0].extra_config[\"auth/client-credentials\"].client_secret", at: 72, 32,
                message: "client_secret is written in the file",
                gateway: "Uses it as written. Anyone who can read the config has the secret.",
                fix: "Keep the secret out of the file: write `\"client_secret\": \"{{ env \"CLIENT_SECRET\" }}\"` with flexible configuration."),
    ]

    static func model(_ size: Size = Size(width: 120, height: 40), readonly: Bool = false, monochrome: Bool = false,
                      tlsNotVerified: Bool = false, findings: [Finding] = []) -> DashboardModel {
        var m = DashboardModel(context: context(readonly: readonly, monochrome: monochrome, tlsNotVerified: tlsNotVerified, findings: findings),
                               now: now, size: size)
        _ = update(&m, .tokens(entries, events: events))
        return m
    }
}

/// Canned test-call answers (what the runtime's `DashboardCaller.report` produces).
enum Calls {
    static let jsonBody = """
        {
          "backend": "orders",
          "sub": "orders-gateway",
          "scope": "orders:read orders:write",
          "method": "GET",
          "path": "/orders",
          "query": {},
          "headers": {
            "User-Agent": "tokentop (KrakenD backend test call)",
            "X-Tenant": "acme",
            "Authorization": "Bearer eyJhbG…a2Vk"
          }
        }
        """

    static func ok(_ spec: CallSpec, body: String = jsonBody) -> CallReport {
        CallReport(callID: spec.callID, routeID: spec.routeID, outcome: .response, status: 200, reason: "OK", statusSummary: "200 OK",
                   summary: "200 OK in 12ms", method: "GET", url: "http://orders.internal:8080/orders",
                   requestHeaders: [HTTPHeader("User-Agent", "tokentop (KrakenD backend test call)"), HTTPHeader("X-Tenant", "acme"),
                                    HTTPHeader("Authorization", "Bearer eyJhbG…a2Vk (407 chars)")],
                   tokenMasked: "eyJhbG…a2Vk (407 chars)",
                   headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Content-Length", "\(body.utf8.count)"),
                             HTTPHeader("Date", "Fri, 15 Jan 2027 08:00:00 GMT")],
                   bodyText: body, bodyKind: "json", bodySize: body.utf8.count, latency: 0.0123, timeToFirstByte: 0.0101)
    }

    static let scopeDescription = "This backend requires scope 'admin'; the token grants 'orders:read orders:write'"

    static func forbidden(_ spec: CallSpec) -> CallReport {
        let body = """
            {
              "error": "insufficient_scope",
              "error_description": "\(scopeDescription)",
              "required_scope": "admin",
              "granted_scope": "orders:read orders:write"
            }
            """
        return CallReport(callID: spec.callID, routeID: spec.routeID, outcome: .response, status: 403, reason: "Forbidden",
                          statusSummary: "403 Forbidden", summary: "403 Forbidden in 4ms", method: "GET",
                          url: "http://orders.internal:8080/orders",
                          requestHeaders: [HTTPHeader("User-Agent", "tokentop (KrakenD backend test call)"),
                                           HTTPHeader("Authorization", "Bearer eyJhbG…a2Vk (407 chars)")],
                          tokenMasked: "eyJhbG…a2Vk (407 chars)",
                          headers: [HTTPHeader("Content-Type", "application/json"),
                                    HTTPHeader("WWW-Authenticate", "Bearer realm=\"demo\", error=\"insufficient_scope\", error_description=\"\(scopeDescription)\", scope=\"admin\"")],
                          bodyText: body, bodyKind: "json", bodySize: body.utf8.count, latency: 0.004, timeToFirstByte: 0.003)
    }

    static func invalidToken(_ spec: CallSpec) -> CallReport {
        CallReport(callID: spec.callID, routeID: spec.routeID, outcome: .response, status: 401, reason: "Unauthorized",
                   statusSummary: "401 Unauthorized", summary: "401 Unauthorized in 3ms", method: "GET", url: "http://orders.internal:8080/orders",
                   tokenMasked: "eyJhbG…a2Vk (407 chars)",
                   headers: [HTTPHeader("WWW-Authenticate", "Bearer realm=\"demo\", error=\"invalid_token\", error_description=\"The access token expired 3 s ago\"")],
                   bodyText: "{\"error\":\"invalid_token\"}", bodyKind: "json", bodySize: 25, latency: 0.003)
    }

    static func refused(_ spec: CallSpec) -> CallReport {
        CallReport(callID: spec.callID, routeID: spec.routeID, outcome: .noResponse, statusSummary: "refused",
                   summary: "connection refused by 127.0.0.1:8080 (3ms)", method: "GET", url: "http://127.0.0.1:8080/__health",
                   latency: 0.003, error: "connection refused by 127.0.0.1:8080")
    }
}

/// The spec of the last effect that runs a call.
func callSpec(_ effects: [Effect]) -> CallSpec? {
    for e in effects.reversed() {
        switch e {
        case .testCall(let s), .refreshAndCall(let s): return s
        default: continue
        }
    }
    return nil
}

/// Sends keys in order and returns every effect produced.
@discardableResult
func press(_ m: inout DashboardModel, _ keys: Key...) -> [Effect] {
    keys.flatMap { update(&m, .key($0)) }
}

/// Types text as separate character keys.
func type(_ m: inout DashboardModel, _ text: String) {
    for c in text { _ = update(&m, .key(.char(c))) }
}

/// A generated model with `n` routes, half of them sharing tokens, for scale tests.
func bigModel(_ n: Int, size: Size = Size(width: 120, height: 40)) -> DashboardModel {
    var routes: [Route] = []
    var map: [Int: Int] = [:]
    var snaps: [TokenEntrySnapshot] = []
    for i in 0..<n {
        let c = Fixture.creds("client-\(i / 2)")
        routes.append(Route(id: i, endpoint: "/api/v1/resource-\(i)", endpointMethod: "GET", method: "GET", endpointIndex: i,
                            backendIndex: 0, hosts: ["http://svc-\(i % 97).internal:8080"], urlPattern: "/r/\(i)",
                            credentials: c, path: "endpoints[\(i)].backend[0]"))
        map[i] = i / 2
        if i % 2 == 0 {
            snaps.append(Fixture.snapshot(i / 2, c, routes: [i, i + 1],
                                          token: AccessToken(value: "tok-\(i)", rawTokenType: "Bearer", expiresIn: 600 + i % 3000,
                                                             receivedAt: Fixture.ago(Double(i % 700)))))
        }
    }
    let ctx = DashboardContext(file: "big.json", gatewayName: nil, routes: routes, entryForRoute: map)
    var m = DashboardModel(context: ctx, now: Fixture.now, size: size)
    _ = update(&m, .tokens(snaps, events: []))
    return m
}
