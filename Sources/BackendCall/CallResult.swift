import Foundation
import TokenKit

/// One HTTP exchange of a test call: the first request, then one per redirect followed.
public struct Hop: Sendable, Hashable {
    public var method: String
    public var url: String
    /// The headers sent, credentials masked.
    public var requestHeaders: [HTTPHeader]
    /// True when this request carried an `Authorization` header.
    public var sentAuthorization: Bool
    /// nil when no response came (see ``CallResult/failure``).
    public var status: Int?
    public var reason: String?
    /// The `Location` of a redirect answer, as sent.
    public var location: String?
    /// Seconds from sending to the end of the body.
    public var latency: TimeInterval
    /// Seconds from sending to the response head, when the transport measures it.
    public var timeToFirstByte: TimeInterval?

    public init(method: String, url: String, requestHeaders: [HTTPHeader], sentAuthorization: Bool, status: Int?,
                reason: String?, location: String?, latency: TimeInterval, timeToFirstByte: TimeInterval?) {
        self.method = method; self.url = url; self.requestHeaders = requestHeaders; self.sentAuthorization = sentAuthorization
        self.status = status; self.reason = reason; self.location = location; self.latency = latency
        self.timeToFirstByte = timeToFirstByte
    }
}

/// The outcome of a test call, all values: safe to hand to a UI, print or encode.
/// Never holds a token in the clear.
public struct CallResult: Sendable, Hashable {
    /// How the call ended.
    public enum Outcome: Sendable, Hashable {
        /// A final HTTP response arrived (any status, see ``CallResult/status``).
        case response
        /// The backend redirected to another host (or scheme or port). tokentop stopped there;
        /// the gateway would have followed it and sent its token along (a known leak).
        case crossHostRedirect(location: String)
        /// More same-host redirects than the limit.
        case tooManyRedirects(limit: Int)
        /// No HTTP response: refused, timeout, DNS, TLS… (see ``CallResult/failure``).
        case transportFailure
    }

    /// The first request as sent, with credentials masked.
    public var request: HTTPRequestData
    public var outcome: Outcome
    /// Status and reason of the last response received (a redirect's when the call stopped at one).
    public var status: Int?
    public var reason: String?
    /// Headers of the last response received.
    public var headers: [HTTPHeader]
    /// The body of the last response, at most ``bodyLimit`` bytes.
    public var body: [UInt8]
    /// Bytes of the body read (the size the backend sent when not ``truncated``); can differ from
    /// `body.count` when a token echoed in the body was masked.
    public var bodySize: Int
    /// True when the backend sent more than ``bodyLimit`` bytes (the rest was not read).
    public var truncated: Bool
    public var bodyLimit: Int
    /// Seconds from sending the first request to the end of the last body (redirects included).
    public var latency: TimeInterval
    /// Seconds from sending the first request to the head of the last response; nil when the
    /// transport cannot tell ("n/a").
    public var timeToFirstByte: TimeInterval?
    /// Every exchange, in order.
    public var hops: [Hop]
    /// The token attached, masked; nil for calls without one.
    public var tokenMasked: String?
    /// Why no response came, for ``Outcome/transportFailure``.
    public var failure: TransportError?
    /// Things the operator should know: how the request was built, redirects, the leak.
    public var notes: [String]
    public init(request: HTTPRequestData, outcome: Outcome, status: Int?, reason: String?, headers: [HTTPHeader], body: [UInt8],
                truncated: Bool, bodyLimit: Int, latency: TimeInterval, timeToFirstByte: TimeInterval?, hops: [Hop],
                tokenMasked: String?, failure: TransportError?, notes: [String], bodySize: Int? = nil) {
        self.request = request; self.outcome = outcome; self.status = status; self.reason = reason; self.headers = headers
        self.body = body; self.bodySize = bodySize ?? body.count; self.truncated = truncated; self.bodyLimit = bodyLimit; self.latency = latency
        self.timeToFirstByte = timeToFirstByte; self.hops = hops; self.tokenMasked = tokenMasked; self.failure = failure
        self.notes = notes
    }

    /// A final 2xx response: what `tokentop call` exits 0 for.
    public var isSuccess: Bool {
        if case .response = outcome, let status { return (200...299).contains(status) }
        return false
    }


    /// `Content-Length` announced by the backend, when it sent one: the real size of a truncated body.
    public var contentLength: Int? { headers.first(named: "Content-Length").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    public var contentType: String? { headers.first(named: "Content-Type") }
    public var wwwAuthenticate: String? { headers.first(named: "WWW-Authenticate") }

    /// True when the backend says the token itself is bad (RFC 6750 `error="invalid_token"` on a
    /// 401 or 403): fetching a new token and trying again may help. The gateway never does that
    /// by itself; it keeps the token until its expiry.
    public var suggestsTokenRefresh: Bool {
        guard let status, status == 401 || status == 403, let w = wwwAuthenticate?.lowercased() else { return false }
        let compact = w.replacingOccurrences(of: " ", with: "")
        return compact.contains("error=\"invalid_token\"") || compact.contains("error=invalid_token")
    }

    /// The body for display: JSON pretty-printed, text as is, binary as a hex summary; bounded.
    public func preview(maxCharacters: Int = 16 * 1024) -> BodyPreview {
        BodyPreview(body: body, contentType: contentType, truncatedByReader: truncated, maxCharacters: maxCharacters)
    }

    /// A short cell for a table: `200 OK`, `401 Unauthorized`, `timeout`, `refused`,
    /// `302 → other host`.
    public var statusSummary: String {
        switch outcome {
        case .response:
            return [status.map(String.init), reason].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        case .crossHostRedirect:
            return "\(status.map(String.init) ?? "3xx") → other host"
        case .tooManyRedirects:
            return "too many redirects"
        case .transportFailure:
            switch failure {
            case .connectionRefused: return "refused"
            case .connectTimeout: return "connect timeout"
            case .deadlineExceeded: return "timeout"
            case .hostNotFound: return "host not found"
            case .tlsFailure: return "TLS failure"
            case .invalidURL: return "invalid URL"
            case .other, nil: return "failed"
            }
        }
    }

    /// One line for people: `200 OK in 12ms (2 hops)` or `no answer within 10 s (timeout)`.
    public var summary: String {
        let time = Format.latency(latency)
        let hopText = hops.count > 1 ? " after \(hops.count - 1) redirect\(hops.count == 2 ? "" : "s")" : ""
        switch outcome {
        case .response:
            return "\(statusSummary) in \(time)\(hopText)"
        case .crossHostRedirect(let location):
            return "\(statusSummary): redirect to \(location) not followed (\(time))"
        case .tooManyRedirects(let limit):
            return "stopped after \(limit) redirects (\(time))"
        case .transportFailure:
            return (failure?.description ?? "failed") + " (\(time))"
        }
    }
}

extension CallResult.Outcome {
    /// `response`, `cross-host-redirect`, `too-many-redirects`, `transport-failure`: for JSON.
    public var name: String {
        switch self {
        case .response: return "response"
        case .crossHostRedirect: return "cross-host-redirect"
        case .tooManyRedirects: return "too-many-redirects"
        case .transportFailure: return "transport-failure"
        }
    }
}
