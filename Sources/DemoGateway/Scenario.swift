/// A named behaviour of the demo authorization server.
///
/// Each scenario has its own token endpoint, `POST /oauth/<rawValue>/token`, so the behaviour is
/// chosen by the URL alone (a gateway config can point each backend at a different one); its own
/// default client, id `<rawValue>` with secret `<rawValue>-secret`; its own protected backend,
/// `/api/<rawValue>[/...]`; and its own endpoint `/demo/<rawValue>` in ``DemoGateway/configJSON()``.
///
/// Every scenario reproduces something real authorization servers do (see
/// `shared/reference/client-credentials.md`), mostly the ways they fail.
public enum Scenario: String, CaseIterable, Sendable, Hashable {
    /// A well-behaved server: JSON, 1 h JWTs.
    case healthy
    /// 20 s tokens: with the gateway's 10 s margin they are refreshed every ~10 s.
    case shortLived = "short-lived"
    /// No `expires_in` in the response: the token never expires as far as the client knows.
    case noExpiry = "no-expiry"
    /// Auth0's behaviour: rejects HTTP Basic (401 `access_denied`), wants `client_id`,
    /// `client_secret` and `audience` in the body (no audience → 403).
    case auth0
    /// The config carries a wrong secret: 401 `invalid_client` with `WWW-Authenticate`.
    case wrongSecret = "wrong-secret"
    /// 403 with an empty body for every request, like servers that say nothing about why.
    case empty403 = "empty-403"
    /// Every second token request answers 500 with an HTML page; the others succeed (60 s tokens).
    case flaky
    /// Answers after a delay (3 s by default; ``DemoGateway/Options/slowDelay``).
    case slow
    /// `"expires_in": "3600"`: a numeric string, which the gateway accepts.
    case stringExpiry = "string-expiry"
    /// The response is `application/x-www-form-urlencoded` instead of JSON, lower-case `bearer`.
    case formEncoded = "form-encoded"
    /// Status 200 with an `error` field: a failure despite the status.
    case error200 = "error-200"
    /// A valid token followed by ~2 MiB of padding: more than the gateway's 1 MiB read limit.
    case oversized
    /// 200 without `access_token`.
    case missingToken = "missing-token"
    /// 200, `Content-Type: application/json`, body `not json at all`.
    case garbage
    /// Reads the request and never answers; the gateway has no timeout of its own for this.
    case hang
    /// `expires_in: -5`: the token is already expired on arrival.
    case negativeExpiry = "negative-expiry"
    /// `expires_in: 3599.5`: a fraction, which makes the gateway reject the whole response.
    case fractionExpiry = "fraction-expiry"
    /// 429 with `Retry-After: 7` and a `slow_down` error.
    case rateLimited = "rate-limited"
    /// A healthy server whose client is granted only scope `read`, while its backend
    /// (`/api/scoped`) requires `admin` → 403 `insufficient_scope` from the backend.
    case scoped

    /// The default client id for this scenario (its raw value).
    public var clientID: String { rawValue }

    /// The default client's secret: `<scenario>-secret`. Obviously fake on purpose: these end up
    /// in a config file and on screen.
    public var clientSecret: String { rawValue + "-secret" }

    /// The secret the generated config uses: the real one, except for ``wrongSecret``.
    public var configuredSecret: String {
        self == .wrongSecret ? "wrong-secret-typo" : clientSecret
    }

    /// Path of this scenario's token endpoint: `/oauth/<scenario>/token`.
    public var tokenPath: String { "/oauth/\(rawValue)/token" }

    /// Path of this scenario's protected backend: `/api/<scenario>`.
    public var backendPath: String { "/api/\(rawValue)" }

    /// Path of the gateway endpoint in the generated config: `/demo/<scenario>`.
    public var endpointPath: String { "/demo/\(rawValue)" }

    /// Token lifetime of the default client, in seconds. The response may still say otherwise
    /// (``noExpiry``, ``negativeExpiry``, ``fractionExpiry``).
    public var defaultLifetime: Int {
        switch self {
        case .shortLived: return 20
        case .flaky: return 60
        case .auth0: return 86_400  // Auth0's default for APIs
        default: return 3600
        }
    }

    /// Scopes the default client may be granted. `scoped` gets only `read` on purpose.
    public var defaultScopes: [String] {
        self == .scoped ? ["read"] : ["read", "write"]
    }

    /// The `scopes` value written in the config, or nil to leave the key out. Some scenarios omit
    /// it so the gateway's `scope=` (empty) quirk shows; `error-200` asks for `admin`, matching the
    /// error its server returns.
    public var configScopes: String? {
        switch self {
        case .healthy: return "read,write"
        case .noExpiry, .formEncoded, .missingToken: return nil
        case .error200: return "admin"
        default: return "read"
        }
    }

    /// One line for people: what this scenario shows.
    public var summary: String {
        switch self {
        case .healthy: return "well-behaved server, 1 h JWTs"
        case .shortLived: return "20 s tokens, refreshed every ~10 s"
        case .noExpiry: return "no expires_in: the token never expires"
        case .auth0: return "Auth0 style: no Basic auth, credentials and audience in the body"
        case .wrongSecret: return "wrong client_secret in the config: 401 invalid_client"
        case .empty403: return "403 with an empty body"
        case .flaky: return "every second token request fails with 500 HTML"
        case .slow: return "token endpoint answers after 3 s"
        case .stringExpiry: return "expires_in as a string: \"3600\""
        case .formEncoded: return "form-encoded token response"
        case .error200: return "200 with an error field: invalid_scope"
        case .oversized: return "~2 MiB response, over the 1 MiB read limit"
        case .missingToken: return "200 without access_token"
        case .garbage: return "200 with a body that is not JSON"
        case .hang: return "token endpoint never answers"
        case .negativeExpiry: return "expires_in: -5, expired on arrival"
        case .fractionExpiry: return "expires_in: 3599.5, rejected by the gateway"
        case .rateLimited: return "429 slow_down with Retry-After: 7"
        case .scoped: return "token lacks scope admin: backend answers 403"
        }
    }
}
