import Foundation

// The behaviour of the demo server, free of NIO: a request goes in (already fully read), an
// `Action` comes out. Keeping it pure makes every scenario readable in one place; the channel
// handler in Server.swift only moves bytes and applies delays.

/// An HTTP response to send.
struct Reply: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status; self.headers = headers; self.body = body
    }

    static func json(_ status: Int, _ value: JSON, extraHeaders: [(String, String)] = []) -> Reply {
        Reply(status: status, headers: [("Content-Type", "application/json")] + extraHeaders,
              body: Array(value.compact.utf8))
    }
}

/// What the server does with a request.
enum Action: Sendable {
    /// Send this reply, after `delay` if given (scheduled on the event loop, never slept).
    case reply(Reply, delay: Duration?)
    /// Never answer. The connection stays open until the client gives up or the server stops.
    case hang
    /// Send the head at once, then the body one byte per `interval` (a fault, see ``Fault/trickle``).
    case trickle(Reply, interval: Duration)
    /// Close the connection without answering.
    case close
    /// Write these bytes as they are (not HTTP), then close.
    case raw([UInt8])
}

/// A client the authorization server knows.
struct Client: Sendable {
    var id: String
    var secret: String
    /// Token lifetime in seconds.
    var lifetime: Int
    /// Scopes the client may be granted; empty = any requested scope is granted.
    var scopes: [String]
}

/// A token the server issued, so backends can validate it.
struct IssuedToken: Sendable {
    var clientID: String
    var scopes: [String]
    var issuedAt: Date
    /// nil = never expires (the `no-expiry` scenario).
    var expiresAt: Date?
}

struct GatewayState {
    var clients: [String: Client] = [:]
    var tokens: [String: IssuedToken] = [:]
    var tokenCounts: [String: Int] = [:]
    var totalTokenRequests = 0
    /// Requests seen on the flaky endpoint; it alternates on this count.
    var flakyRequests = 0
    var tokenRecords: [RecordedRequest] = []
    var backendRecords: [RecordedRequest] = []
    /// Faults switched on at run time, by exact request path (query ignored).
    var faults: [String: Fault] = [:]
}

final class GatewayCore: Sendable {
    let options: DemoGateway.Options
    let state: Locked<GatewayState>
    /// Known only once the listening socket is bound; read on every request that needs a URL.
    let boundPort = Locked(0)
    /// Padding for ``Fault/hugeBody``.
    let hugePaddingCache = Locked<[UInt8]>([])

    /// Paths of the token endpoints, besides one per scenario.
    static let genericTokenPath = "/oauth/token"
    /// The audience Auth0-style requests must name (the config sends it in `endpoint_params`).
    static let auth0Audience = "https://demo-api"

    init(options: DemoGateway.Options) {
        self.options = options
        var state = GatewayState()
        for scenario in Scenario.allCases {
            state.clients[scenario.clientID] = Client(
                id: scenario.clientID, secret: scenario.clientSecret,
                lifetime: scenario.defaultLifetime, scopes: scenario.defaultScopes)
        }
        self.state = Locked(state)
    }

    var port: Int { boundPort.withLock { $0 } }
    /// `http` or `https` (when started with ``DemoGateway/Options/tls``).
    var scheme: String { options.tls == nil ? "http" : "https" }
    var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }

    func handle(_ request: RecordedRequest) -> Action {
        let path = request.path
        let normal: Action
        if path.hasPrefix("/oauth/") {
            normal = tokenEndpoint(request)
        } else {
            record(backend: request)
            normal = .reply(backend(request), delay: nil)
        }
        guard let fault = state.withLock({ $0.faults[path] }) else { return normal }
        return apply(fault, to: normal, request: request)
    }

    // MARK: - Recording

    private func trim(_ records: inout [RecordedRequest]) {
        // Drop the oldest in chunks so a long soak run neither grows without bound nor pays an
        // O(n) shift on every request.
        let limit = max(0, options.maxRecordedRequests)
        if records.count > limit + max(1, limit / 10) {
            records.removeFirst(records.count - limit)
        }
    }

    private func record(backend request: RecordedRequest) {
        state.withLock {
            $0.backendRecords.append(request)
            trim(&$0.backendRecords)
        }
    }

    // MARK: - Token endpoint

    private func tokenEndpoint(_ request: RecordedRequest) -> Action {
        let scenario: Scenario?
        let isTokenPath: Bool
        if request.path == Self.genericTokenPath {
            scenario = nil; isTokenPath = true
        } else {
            let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
            // ["", "oauth", name, "token"]
            if parts.count == 4, parts[3] == "token", let s = Scenario(rawValue: String(parts[2])) {
                scenario = s; isTokenPath = true
            } else {
                scenario = nil; isTokenPath = false
            }
        }

        let basic = BasicCredentials(authorization: request.header("Authorization"))
        let form = Form.decode(request.bodyText)

        state.withLock { state in
            state.tokenRecords.append(request)
            trim(&state.tokenRecords)
            guard isTokenPath, request.method == "POST" else { return }
            // Identify the client the way the server would (Basic first, then the body), but
            // count even requests that then fail: a retry storm is exactly what tests look for.
            let claimed: String?
            if case .valid(let id, _) = basic { claimed = id } else { claimed = form?.first { $0.0 == "client_id" }?.1 }
            let key = claimed.flatMap { state.clients[$0] != nil ? $0 : nil } ?? ""
            state.tokenCounts[key, default: 0] += 1
            state.totalTokenRequests += 1
        }

        guard isTokenPath else {
            return .reply(Self.oauthError(404, "invalid_request", "No token endpoint at \(request.path)"), delay: nil)
        }
        guard request.method == "POST" else {
            var reply = Self.oauthError(405, "invalid_request", "The token endpoint accepts only POST")
            reply.headers.append(("Allow", "POST"))
            return .reply(reply, delay: nil)
        }

        // Scenarios that answer the same whatever was sent.
        switch scenario {
        case .hang:
            return .hang
        case .empty403:
            return .reply(Reply(status: 403), delay: nil)
        case .rateLimited:
            return .reply(Self.oauthError(429, "slow_down", "Too many token requests; retry after 7 seconds",
                                          extraHeaders: [("Retry-After", "7")]), delay: nil)
        case .flaky:
            let n = state.withLock { $0.flakyRequests += 1; return $0.flakyRequests }
            // The first request succeeds, the second fails, and so on: a client that caches the
            // first token sees a clean start and a failed refresh.
            if n % 2 == 0 {
                let html = "<html><body><h1>500 Internal Server Error</h1>"
                    + "<p>The demo's flaky token server failed this request on purpose; the next one succeeds.</p>"
                    + "</body></html>\n"
                return .reply(Reply(status: 500, headers: [("Content-Type", "text/html; charset=utf-8")],
                                    body: Array(html.utf8)), delay: nil)
            }
        default:
            break
        }

        let reply = grant(request, scenario: scenario, basic: basic, form: form)
        return .reply(reply, delay: scenario == .slow ? options.slowDelay : nil)
    }

    /// The client-credentials grant proper (RFC 6749 §4.4), with each scenario's quirks.
    private func grant(_ request: RecordedRequest, scenario: Scenario?, basic: BasicCredentials,
                       form: [(String, String)]?) -> Reply {
        let mediaType = request.header("Content-Type")?
            .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard mediaType == "application/x-www-form-urlencoded" else {
            return Self.oauthError(400, "invalid_request",
                                   "Content-Type must be application/x-www-form-urlencoded")
        }
        guard let form else {
            return Self.oauthError(400, "invalid_request", "The body is not valid form encoding")
        }
        func field(_ name: String) -> String? { form.first { $0.0 == name }?.1 }

        // RFC 6749 §5.2: a missing parameter is invalid_request; a grant we don't do is
        // unsupported_grant_type.
        guard let grantType = field("grant_type") else {
            return Self.oauthError(400, "invalid_request", "Missing grant_type parameter")
        }
        guard grantType == "client_credentials" else {
            return Self.oauthError(400, "unsupported_grant_type",
                                   "Only grant_type=client_credentials is supported, got '\(grantType)'")
        }

        // Auth0 refuses HTTP Basic outright, with its own shape of error. The gateway then retries
        // with the credentials in the body, which is why the docs' recipe repeats them in
        // endpoint_params.
        if scenario == .auth0, basic != .absent {
            return .json(401, .object([("error", .string("access_denied")),
                                       ("error_description", .string("Unauthorized"))]),
                         extraHeaders: Self.noStore)
        }

        // Client authentication: Basic (RFC 6749 §2.3.1) or body fields, never two different ones.
        let presented: (id: String, secret: String?)
        switch basic {
        case .malformed:
            return invalidClient(scenario, "Malformed Basic credentials")
        case .valid(let id, let secret):
            if let bodyID = field("client_id"), bodyID != id {
                return Self.oauthError(400, "invalid_request",
                                       "Client authenticated with Basic as '\(id)' but the body says client_id '\(bodyID)'")
            }
            presented = (id, secret)
        case .absent:
            guard let id = field("client_id") else {
                return invalidClient(scenario, "Client authentication required (HTTP Basic or client_id/client_secret)")
            }
            presented = (id, field("client_secret"))
        }
        guard let client = state.withLock({ $0.clients[presented.id] }) else {
            return invalidClient(scenario, "Client authentication failed: unknown client")
        }
        guard let secret = presented.secret else {
            return invalidClient(scenario, "Client authentication failed: missing client_secret")
        }
        guard secret == client.secret else {
            return invalidClient(scenario, "Client authentication failed: bad secret")
        }

        if scenario == .auth0 {
            guard let audience = field("audience"), !audience.isEmpty else {
                return .json(403, .object([
                    ("error", .string("access_denied")),
                    ("error_description", .string("No audience parameter was provided, and no default audience has been configured")),
                ]), extraHeaders: Self.noStore)
            }
            guard audience == Self.auth0Audience else {
                return .json(403, .object([("error", .string("access_denied")),
                                           ("error_description", .string("Service not found: \(audience)"))]),
                             extraHeaders: Self.noStore)
            }
        }

        if scenario == .error200 {
            // Deliberately 200: RFC 6749 says errors are 400, some servers disagree.
            return .json(200, .object([("error", .string("invalid_scope")),
                                       ("error_description", .string("scope 'admin' is not allowed"))]),
                         extraHeaders: Self.noStore)
        }

        // Scope: split on spaces and drop empties, because the gateway sends `scope=` for no
        // scopes and `a++b` for "a, b" (see the reference); neither should fail here.
        let requested = (field("scope") ?? "").split(separator: " ").map(String.init)
        if !client.scopes.isEmpty, let bad = requested.first(where: { !client.scopes.contains($0) }) {
            return Self.oauthError(400, "invalid_scope", "scope '\(bad)' is not allowed for client '\(client.id)'")
        }
        let granted = requested.isEmpty ? client.scopes : requested
        let scopeText = granted.joined(separator: " ")

        switch scenario {
        case .missingToken:
            return .json(200, .object([("token_type", .string("bearer")), ("expires_in", .int(client.lifetime))]),
                         extraHeaders: Self.noStore)
        case .garbage:
            return Reply(status: 200, headers: [("Content-Type", "application/json")] + Self.noStore,
                         body: Array("not json at all".utf8))
        default:
            break
        }

        let lifetime: Double? = switch scenario {
        case .noExpiry: nil
        case .negativeExpiry: -5
        case .fractionExpiry: Double(client.lifetime) - 0.5
        default: Double(client.lifetime)
        }
        let audience = scenario == .auth0 ? Self.auth0Audience : baseURL + "/api"
        let token = issueToken(client: client, scopes: granted, audience: audience, lifetime: lifetime)

        switch scenario {
        case .formEncoded:
            let body = Form.encode([("access_token", token), ("token_type", "bearer"),
                                    ("expires_in", String(client.lifetime))])
            return Reply(status: 200, headers: [("Content-Type", "application/x-www-form-urlencoded")] + Self.noStore,
                         body: Array(body.utf8))
        default:
            var fields: [(String, JSON)] = [("access_token", .string(token)), ("token_type", .string("Bearer"))]
            switch scenario {
            case .noExpiry: break
            case .stringExpiry: fields.append(("expires_in", .string(String(client.lifetime))))
            case .negativeExpiry: fields.append(("expires_in", .int(-5)))
            case .fractionExpiry: fields.append(("expires_in", .double(lifetime!)))
            default: fields.append(("expires_in", .int(client.lifetime)))
            }
            if !scopeText.isEmpty { fields.append(("scope", .string(scopeText))) }
            if scenario == .oversized {
                // The token comes first so that a client reading the whole body would succeed;
                // one that stops at 1 MiB is left with truncated JSON.
                let prefix = JSON.object(fields + [("padding", .string(""))]).compact
                let padding = max(0, options.oversizedBodySize - prefix.utf8.count)
                fields.append(("padding", .string(String(repeating: "x", count: padding))))
            }
            return .json(200, .object(fields), extraHeaders: Self.noStore)
        }
    }

    /// RFC 6749 §5.1: token responses must not be cached.
    static let noStore = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]

    static func oauthError(_ status: Int, _ code: String, _ description: String,
                           extraHeaders: [(String, String)] = []) -> Reply {
        .json(status, .object([("error", .string(code)), ("error_description", .string(description))]),
              extraHeaders: noStore + extraHeaders)
    }

    private func invalidClient(_ scenario: Scenario?, _ description: String) -> Reply {
        if scenario == .auth0 {
            // Auth0 says the same thing for every authentication failure.
            return .json(401, .object([("error", .string("access_denied")),
                                       ("error_description", .string("Unauthorized"))]),
                         extraHeaders: Self.noStore)
        }
        // RFC 6749 §5.2: a 401 for invalid_client carries WWW-Authenticate with the scheme used.
        return Self.oauthError(401, "invalid_client", description,
                               extraHeaders: [("WWW-Authenticate", #"Basic realm="demo", error="invalid_client""#)])
    }

    /// Mints a JWT-shaped token and remembers it. The signature is random bytes: nothing here
    /// verifies signatures (backends look tokens up in the table), and a real-looking HMAC would
    /// only suggest a security this demo does not have.
    private func issueToken(client: Client, scopes: [String], audience: String, lifetime: Double?) -> String {
        let now = Date()
        let iat = Int(now.timeIntervalSince1970)
        let header = JSON.object([("alg", .string("HS256")), ("typ", .string("JWT"))])
        var claims: [(String, JSON)] = [
            ("iss", .string(baseURL)),
            ("sub", .string(client.id)),
            ("aud", .string(audience)),
            ("scope", .string(scopes.joined(separator: " "))),
            ("iat", .int(iat)),
        ]
        if let lifetime { claims.append(("exp", .int(iat + Int(lifetime.rounded(.down))))) }
        claims.append(("jti", .string(UUID().uuidString.lowercased())))
        let token = Base64URL.encode(Array(header.compact.utf8)) + "."
            + Base64URL.encode(Array(JSON.object(claims).compact.utf8)) + "."
            + Base64URL.encode(Base64URL.randomBytes(32))
        let issued = IssuedToken(clientID: client.id, scopes: scopes, issuedAt: now,
                                 expiresAt: lifetime.map { now.addingTimeInterval($0) })
        state.withLock { state in
            // Forget tokens that expired long ago once the table gets big (soak tests issue many).
            if state.tokens.count >= 10_000 {
                let horizon = now.addingTimeInterval(-600)
                state.tokens = state.tokens.filter { ($0.value.expiresAt ?? .distantFuture) > horizon }
            }
            state.tokens[token] = issued
        }
        return token
    }

    // MARK: - Backends

    private func backend(_ request: RecordedRequest) -> Reply {
        let path = request.path
        switch path {
        case "/redirect/cross-host":
            // Another host name for the same server: a client that forwards the bearer token on
            // redirect leaks it here, and the recorded request shows it.
            return Reply(status: 302, headers: [("Location", "\(scheme)://localhost:\(port)/api/public"),
                                                ("Content-Length", "0")])
        case "/redirect/same-host":
            return Reply(status: 302, headers: [("Location", Scenario.healthy.backendPath), ("Content-Length", "0")])
        default:
            break
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].isEmpty, parts[1] == "api" else {
            return .json(404, .object([("error", .string("not_found")),
                                       ("error_description", .string("No backend at \(path)"))]))
        }
        let name = String(parts[2])
        if name == "public" {
            return .json(200, echo(request, backend: name, token: nil))
        }
        guard let scenario = Scenario(rawValue: name) else {
            return .json(404, .object([("error", .string("not_found")),
                                       ("error_description", .string("No backend at \(path)"))]))
        }

        // RFC 6750 §3: bearer token checks.
        let authorization = request.header("Authorization") ?? ""
        let scheme = authorization.prefix { $0 != " " }
        guard scheme.lowercased() == "bearer" else {
            // §3.1: a request without credentials (or with another scheme) gets the challenge but
            // no error code.
            return .json(401, .object([
                ("error", .string("unauthorized")),
                ("error_description", .string("This backend requires Authorization: Bearer <access_token>")),
            ]), extraHeaders: [("WWW-Authenticate", #"Bearer realm="demo""#)])
        }
        let token = authorization.dropFirst(scheme.count).trimmingCharacters(in: .whitespaces)
        let issued = state.withLock { $0.tokens[token] }
        let now = Date()
        guard let issued else {
            return invalidToken("The access token is not known to this server")
        }
        if let expiry = issued.expiresAt, expiry <= now {
            return invalidToken("The access token expired \(Int(now.timeIntervalSince(expiry).rounded(.up))) s ago")
        }
        if scenario == .scoped, !issued.scopes.contains("admin") {
            let granted = issued.scopes.joined(separator: " ")
            let description = "This backend requires scope 'admin'; the token grants '\(granted)'"
            return .json(403, .object([
                ("error", .string("insufficient_scope")),
                ("error_description", .string(description)),
                ("required_scope", .string("admin")),
                ("granted_scope", .string(granted)),
            ]), extraHeaders: [("WWW-Authenticate",
                                #"Bearer realm="demo", error="insufficient_scope", error_description="\#(description)", scope="admin""#)])
        }
        return .json(200, echo(request, backend: name, token: issued))
    }

    private func invalidToken(_ description: String) -> Reply {
        .json(401, .object([("error", .string("invalid_token")), ("error_description", .string(description))]),
              extraHeaders: [("WWW-Authenticate",
                              #"Bearer realm="demo", error="invalid_token", error_description="\#(description)""#)])
    }

    /// What a backend answers: who called and exactly what arrived, so a test call in tokentop
    /// shows the effect of martian modifiers and the token the gateway attached.
    private func echo(_ request: RecordedRequest, backend: String, token: IssuedToken?) -> JSON {
        var query: [(String, JSON)] = []
        for (name, value) in Form.decode(request.query ?? "") ?? [] {
            if let i = query.firstIndex(where: { $0.0 == name }) {
                // A repeated parameter becomes a list; single ones stay plain strings for reading.
                switch query[i].1 {
                case .array(let values): query[i].1 = .array(values + [.string(value)])
                default: query[i].1 = .array([query[i].1, .string(value)])
                }
            } else {
                query.append((name, .string(value)))
            }
        }
        var headers: [(String, JSON)] = []
        for field in request.headers {
            let value = field.name.lowercased() == "authorization" ? Self.mask(field.value) : field.value
            if let i = headers.firstIndex(where: { $0.0.lowercased() == field.name.lowercased() }),
               case .string(let previous) = headers[i].1 {
                headers[i].1 = .string(previous + ", " + value)
            } else {
                headers.append((field.name, .string(value)))
            }
        }
        return .object([
            ("backend", .string(backend)),
            ("sub", token.map { .string($0.clientID) } ?? .null),
            ("scope", token.map { .string($0.scopes.joined(separator: " ")) } ?? .null),
            ("method", .string(request.method)),
            ("path", .string(request.path)),
            ("query", .object(query)),
            ("headers", .object(headers)),
        ])
    }

    /// `Bearer eyJhbG…U-lao1` — enough to tell tokens apart (every JWT starts with the same
    /// header, so the tail is what differs), not enough to reuse one from a screenshot.
    static func mask(_ authorization: String) -> String {
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return "…" }
        let credential = parts[1]
        return credential.count <= 16 ? "\(parts[0]) …" : "\(parts[0]) \(credential.prefix(6))…\(credential.suffix(6))"
    }
}

/// The `Authorization: Basic …` header of a token request, decoded per RFC 6749 §2.3.1: base64 of
/// `formEncode(id) ":" formEncode(secret)`.
enum BasicCredentials: Equatable {
    case absent
    case malformed
    case valid(id: String, secret: String)

    init(authorization: String?) {
        guard let authorization else { self = .absent; return }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic" else {
            // Another scheme (e.g. Bearer) is not client authentication at all.
            self = .absent; return
        }
        guard let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":"),
              let id = Form.unescape(String(text[..<colon])),
              let secret = Form.unescape(String(text[text.index(after: colon)...]))
        else { self = .malformed; return }
        self = .valid(id: id, secret: secret)
    }
}
