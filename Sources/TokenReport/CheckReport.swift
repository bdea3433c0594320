import Foundation
import GatewayConfig
import TokenKit

/// One row of `tokentop check` (and of `GET /api/tokens` of `tokentop serve`): an
/// endpoint/backend pair and the state of the token its backend uses.
public struct CheckRow: Encodable, Sendable {
    public var id: Int
    public var endpoint: String
    public var backend: String
    public var state: String
    public var clientID: String?
    public var expiresIn: Int?
    public var expiresAt: Date?
    public var latencyMs: Int?
    public var authStyle: String?
    public var requests: Int?
    public var sharedWith: [Int]?
    /// Masked (`eyJh…Xk9Q`): never the token itself.
    public var token: String?
    public var error: ErrorInfo?

    /// The latest failure as the token server gave it. Its text was made safe and its secrets
    /// masked when the failure was recorded (`ServerText`); JSON escapes what remains.
    public struct ErrorInfo: Encodable, Sendable {
        public var summary: String
        public var message: String
        public var status: Int?
        public var error: String?
        public var errorDescription: String?
        public var errorURI: String?
        public var wwwAuthenticate: String?
        public var retryAfter: String?
        public var bodyPreview: String?
    }
}

/// The document `check --json` prints and `/api/tokens` serves.
public struct CheckReport: Encodable, Sendable {
    public var file: String
    public var checkedAt: Date
    /// No token failed or is expired (with `strict`: and no warnings).
    public var ok: Bool
    /// Some token works only with a cost (`per call`).
    public var warnings: Bool
    public var routes: [CheckRow]

    /// - Parameters:
    ///   - judgeAtFetchEnd: judge each token at the instant its own fetch finished (`check`, which
    ///     fetches once and then reports: a hanging server elsewhere must not make a healthy 20 s
    ///     token look expired by the time the slowest fetch ends); false judges all at `now`
    ///     (a running `serve`, whose answer is "as of now").
    public init(file: String, routes: [Route], snapshots: [TokenEntrySnapshot], routeEntry: [Int: Int],
                now: Date, policy: RefreshPolicy, judgeAtFetchEnd: Bool, strict: Bool = false) {
        var rows: [CheckRow] = []
        rows.reserveCapacity(routes.count)
        var failed = false
        var warned = false
        for r in routes {
            var row = CheckRow(id: r.id, endpoint: "\(r.endpointMethod.uppercased()) \(r.endpoint)", backend: r.backendDescription, state: "")
            guard let c = r.credentials else { row.state = TokenState.unprotected.rawValue; rows.append(row); continue }
            row.clientID = c.clientID
            guard let eid = routeEntry[r.id], snapshots.indices.contains(eid) else {
                row.state = TokenState.disabled.rawValue; rows.append(row); continue
            }
            let s = snapshots[eid]
            let at = judgeAtFetchEnd ? (s.attempts.first.map { $0.started.addingTimeInterval($0.duration) } ?? now) : now
            let state = s.state(at: at, policy: policy)
            // For a running serve, a token whose first fetch has not ended yet has not failed.
            if !state.isHealthy && (judgeAtFetchEnd || (state != .notFetched && state != .fetching)) { failed = true }
            if state.isWarning { warned = true }
            row.state = state.rawValue
            row.expiresAt = s.token?.effectiveExpiry
            row.expiresIn = s.token?.effectiveExpiry.map { Int($0.timeIntervalSince(at).rounded(.down)) }
            row.latencyMs = s.attempts.first.map { Int(($0.duration * 1000).rounded()) }
            row.authStyle = s.style?.rawValue
            row.requests = s.requestCount
            row.token = s.token?.masked
            if s.routeIDs.count > 1 { row.sharedWith = s.routeIDs.filter { $0 != r.id } }
            if let f = s.lastFailure {
                row.error = .init(summary: f.summary, message: f.message, status: f.status, error: f.error,
                                  errorDescription: f.errorDescription, errorURI: f.errorURI, wwwAuthenticate: f.wwwAuthenticate,
                                  retryAfter: f.retryAfter, bodyPreview: f.bodyPreview.map { String($0.prefix(200)) })
            }
            rows.append(row)
        }
        self.file = file
        self.checkedAt = now
        self.warnings = warned
        self.anyFailed = failed
        self.ok = !failed && !(strict && warned)
        self.routes = rows
    }

    /// A token failed or is expired (`check` exits 1 whatever `strict` says).
    public private(set) var anyFailed: Bool
    private enum CodingKeys: String, CodingKey { case file, checkedAt, ok, warnings, routes }

    /// Pretty, sorted keys, ISO 8601 dates: the JSON every command prints.
    public func json(pretty: Bool = true) -> Data {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return (try? e.encode(self)) ?? Data("null".utf8)
    }
}
