import TerminalScreen
import Foundation
import TokenKit

// Test calls (`t`): the values the dashboard exchanges with its runtime. Dashboard does not
// depend on BackendCall: the runtime turns a `CallSpec` into `CallOptions`, sends the request
// with `BackendCaller`, and reduces the `CallResult` to a `CallReport` (masked, bounded text),
// so the pure UI stays free of networking and its tests need no server.

/// One `{placeholder}` of a backend's url_pattern that the operator is asked for.
public struct CallPlaceholder: Sendable, Hashable {
    /// As written between the braces: `id`, `resp0_user.id`, `JWT.sub`.
    public var name: String
    /// Where the gateway takes the value from (one line).
    public var note: String
    /// Only the running gateway can fill it (`{resp0_…}`, `{JWT.…}`): the operator's value is a
    /// stand-in.
    public var isRuntimeOnly: Bool
    public init(name: String, note: String, isRuntimeOnly: Bool = false) {
        self.name = name; self.note = note; self.isRuntimeOnly = isRuntimeOnly
    }
}

/// What the operator chose for one test call (`Effect.testCall`).
public struct CallSpec: Sendable, Hashable {
    /// Increases with every call of the session; `CallReport.callID` answers it.
    public var callID: Int
    public var routeID: Int
    /// Index into the route's hosts (ignored with `hostOverride`).
    public var hostIndex: Int
    /// A host URL typed by the operator (backends with `sd: dns` or without a host).
    public var hostOverride: String?
    /// Placeholder values by name.
    public var params: [String: String]
    /// Request body for POST/PUT/PATCH as typed; `@path` means the contents of that file (the
    /// runtime reads it). nil or empty: no body.
    public var body: String?

    public init(callID: Int, routeID: Int, hostIndex: Int = 0, hostOverride: String? = nil, params: [String: String] = [:],
                body: String? = nil) {
        self.callID = callID; self.routeID = routeID; self.hostIndex = hostIndex; self.hostOverride = hostOverride
        self.params = params; self.body = body
    }
}

/// The outcome of a test call, reduced to what the response pane shows. Never holds a token or
/// secret in the clear: headers are masked by the runtime, the token is `tokenMasked`.
public struct CallReport: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// A final HTTP response (any status).
        case response
        /// The backend redirected to another host; tokentop did not follow (the gateway would,
        /// sending its token along).
        case redirectNotFollowed(location: String)
        case tooManyRedirects
        /// No HTTP response: refused, timeout, DNS, TLS… (`error` says which).
        case noResponse
        /// The token could not be fetched, so the backend was not called.
        case tokenFailed
        /// The request could not be built (missing value, bad host, unreadable body file…).
        case notSent
    }

    public var callID: Int
    public var routeID: Int
    public var outcome: Outcome
    public var status: Int?
    public var reason: String?
    /// Short: `200 OK`, `refused`, `timeout`, `302 → other host`.
    public var statusSummary: String
    /// One line: `200 OK in 12ms`, `connection refused by 127.0.0.1:9 (3ms)`.
    public var summary: String
    /// The request as first sent (or as it would have been).
    public var method: String
    public var url: String
    /// Request headers, credentials masked.
    public var requestHeaders: [HTTPHeader]
    public var requestBodySize: Int
    /// The token sent, masked; nil when none was (unprotected, disabled, not sent).
    public var tokenMasked: String?
    /// A token was fetched for this call (there was no usable one, or `r` asked for a new one).
    public var tokenFetched: Bool
    /// Response headers, credentials masked.
    public var headers: [HTTPHeader]
    /// The body made readable (pretty JSON, text, or a hex summary), bounded.
    public var bodyText: String
    /// `json`, `text`, `binary` or `empty`.
    public var bodyKind: String
    /// Bytes the backend sent (read).
    public var bodySize: Int
    /// The preview stops short of the body.
    public var bodyTruncated: Bool
    public var latency: TimeInterval?
    public var timeToFirstByte: TimeInterval?
    /// Redirects followed, one line each (`302 GET http://… → /api/healthy`).
    public var hops: [String]
    public var notes: [String]
    /// Why there is no response (transport error, token failure, build error), in words.
    public var error: String?

    public init(callID: Int, routeID: Int, outcome: Outcome, status: Int? = nil, reason: String? = nil, statusSummary: String,
                summary: String, method: String, url: String, requestHeaders: [HTTPHeader] = [], requestBodySize: Int = 0,
                tokenMasked: String? = nil, tokenFetched: Bool = false, headers: [HTTPHeader] = [], bodyText: String = "",
                bodyKind: String = "empty", bodySize: Int = 0, bodyTruncated: Bool = false, latency: TimeInterval? = nil,
                timeToFirstByte: TimeInterval? = nil, hops: [String] = [], notes: [String] = [], error: String? = nil) {
        self.callID = callID; self.routeID = routeID; self.outcome = outcome; self.status = status; self.reason = reason
        self.statusSummary = statusSummary; self.summary = summary; self.method = method; self.url = url
        self.requestHeaders = requestHeaders; self.requestBodySize = requestBodySize; self.tokenMasked = tokenMasked
        self.tokenFetched = tokenFetched; self.headers = headers; self.bodyText = bodyText; self.bodyKind = bodyKind
        self.bodySize = bodySize; self.bodyTruncated = bodyTruncated; self.latency = latency
        self.timeToFirstByte = timeToFirstByte; self.hops = hops; self.notes = notes; self.error = error
    }

    /// A final 2xx answer.
    public var isSuccess: Bool {
        if case .response = outcome, let status { return (200...299).contains(status) }
        return false
    }

    public var contentType: String? { headers.first(named: "Content-Type") }
    public var wwwAuthenticate: String? { headers.first(named: "WWW-Authenticate") }

    /// The `error` parameter of a 401/403's `WWW-Authenticate` (RFC 6750 §3: `invalid_token`,
    /// `insufficient_scope`, …): the case where the pane offers `r` (new token, call again).
    public var authError: String? {
        guard let status, status == 401 || status == 403, let w = wwwAuthenticate else { return nil }
        return Self.parameter("error", in: w)
    }

    /// A parameter of a `WWW-Authenticate` challenge: `name="quoted"` or `name=token`.
    static func parameter(_ name: String, in header: String) -> String? {
        let chars = Array(header)
        let key = Array(name.lowercased())
        var i = 0
        var inQuotes = false
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\\" { i += 2; continue }
                if c == "\"" { inQuotes = false }
                i += 1
                continue
            }
            if c == "\"" { inQuotes = true; i += 1; continue }
            // A parameter name starts after a space or comma (or at the start).
            let atBoundary = i == 0 || chars[i - 1] == " " || chars[i - 1] == ","
            if atBoundary, i + key.count < chars.count, chars[i..<(i + key.count)].map({ Character($0.lowercased()) }) == key {
                var j = i + key.count
                while j < chars.count, chars[j] == " " { j += 1 }
                if j < chars.count, chars[j] == "=" {
                    j += 1
                    while j < chars.count, chars[j] == " " { j += 1 }
                    var value = ""
                    if j < chars.count, chars[j] == "\"" {
                        j += 1
                        while j < chars.count, chars[j] != "\"" {
                            if chars[j] == "\\", j + 1 < chars.count { j += 1 }
                            value.append(chars[j]); j += 1
                        }
                    } else {
                        while j < chars.count, chars[j] != ",", chars[j] != " " { value.append(chars[j]); j += 1 }
                    }
                    return value
                }
            }
            i += 1
        }
        return nil
    }
}

/// The prompt `t` opens when a call needs values: placeholders, a host, a body.
public struct CallForm: Sendable, Hashable {
    public enum Field: Sendable, Hashable {
        case placeholder(CallPlaceholder)
        /// Several hosts: ←→ chooses one (the gateway picks one at random per call).
        case hostChoice
        /// No usable host in the config (`sd: dns`, none): a URL to type.
        case hostText
        /// POST/PUT/PATCH: an optional body, `@path` for a file.
        case body
    }

    public var routeID: Int
    public var fields: [Field]
    /// Typed text per field (unused for `hostChoice`).
    public var values: [String]
    public var focus = 0
    public var hostIndex = 0
    /// Why Enter did not send (a required value is missing).
    public var problem: String?

    public var focusedField: Field { fields[focus] }
    public var isTextField: Bool { fields[focus] != .hostChoice }
}

/// What `t` remembers per route for the session, to prefill the next prompt.
public struct CallMemory: Sendable, Hashable {
    public var params: [String: String] = [:]
    public var hostIndex = 0
    public var hostOverride: String?
    public var body: String?
    public init() {}
}

/// The response pane: one call, awaited or answered.
public struct ResponsePane: Sendable, Hashable {
    public var spec: CallSpec
    /// Model time when the call was asked for (the pane counts the wait).
    public var startedAt: Date
    /// `r`: the answer that made the operator ask for a fresh token (shown above the new one).
    public var previous: CallReport?
    public var scroll = 0
    public var filter = ""
    public var filterEditing = false
    /// Where Esc goes back to (the table or the detail pane).
    public var returnMode: Mode
    /// `r` fetched a fresh token first.
    public var refreshed = false
}
