import Foundation
import TokenKit

/// Sends a planned test request and captures the answer.
///
/// Redirects are handled here, not by the transport: same-host redirects (same scheme, host and
/// port) are followed up to ``maxRedirects`` times with Go's method rules; a redirect to any other
/// host stops the call, because the gateway's oauth2 transport would attach its token there too
/// (a known leak) and tokentop must never repeat that.
public struct BackendCaller: Sendable {
    /// Must **not** follow redirects itself (`AHCTransport(followRedirects: false)`), or the
    /// token could travel to another host before tokentop sees the redirect.
    public var transport: any HTTPTransport
    /// Limit for the whole call, redirects included.
    public var timeout: Duration
    /// Most bytes of a body read; the rest is not downloaded.
    public var bodyLimit: Int
    /// Same-host redirects followed at most.
    public var maxRedirects: Int

    public init(transport: any HTTPTransport, timeout: Duration = .seconds(10), bodyLimit: Int = 1 << 20, maxRedirects: Int = 5) {
        self.transport = transport; self.timeout = timeout; self.bodyLimit = bodyLimit; self.maxRedirects = maxRedirects
    }

    /// Sends `plan.request`, following same-host redirects.
    public func call(_ plan: BackendRequestPlan) async -> CallResult {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: timeout)
        var request = plan.request
        var hops: [Hop] = []
        var notes = plan.notes
        var last: HTTPResponseData?
        var lastHopStart = start
        var outcome = CallResult.Outcome.response
        var failure: TransportError?

        while true {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else {
                outcome = .transportFailure
                failure = .deadlineExceeded(seconds: timeout.timeInterval)
                break
            }
            let hopStart = clock.now
            let sentAuthorization = request.headers.first(named: "Authorization") != nil
            var hop = Hop(method: request.method, url: request.url, requestHeaders: BackendCallBuilder.maskedHeaders(request.headers),
                          sentAuthorization: sentAuthorization, status: nil, reason: nil, location: nil, latency: 0, timeToFirstByte: nil)
            let response: HTTPResponseData
            do {
                response = try await transport.send(request, timeout: remaining, bodyLimit: bodyLimit)
            } catch {
                hop.latency = hopStart.duration(to: clock.now).timeInterval
                hops.append(hop)
                outcome = .transportFailure
                // The transport only knows the time left for this hop; the operator set the
                // limit for the whole call.
                if case .deadlineExceeded = error { failure = .deadlineExceeded(seconds: timeout.timeInterval) } else { failure = error }
                last = nil
                break
            }
            hop.status = response.status
            hop.reason = response.reason
            hop.latency = hopStart.duration(to: clock.now).timeInterval
            hop.timeToFirstByte = response.timeToFirstByte
            last = response
            lastHopStart = hopStart

            guard Self.isRedirect(response.status), let location = response.headers.first(named: "Location") else {
                hops.append(hop)
                break
            }
            hop.location = location
            hops.append(hop)
            guard let next = Self.resolve(location, against: request.url) else {
                // Go's client fails here ("failed to parse Location header"); show the answer.
                notes.append("the redirect's Location \(location) is not a valid URL; the gateway's client would fail here")
                break
            }
            guard Self.sameOrigin(next, request.url) else {
                outcome = .crossHostRedirect(location: next)
                if let auth = request.headers.first(named: "Authorization") {
                    let shown = Secret.maskHeader(name: "Authorization", value: auth)
                    notes.append("the gateway would have followed this redirect to \(next) and sent its token there "
                                 + "(Authorization: \(shown)): a known leak of the gateway's oauth2 client; tokentop did not follow it")
                } else {
                    notes.append("the gateway would have followed this redirect to \(next); tokentop does not follow redirects to another host")
                }
                break
            }
            guard hops.count <= maxRedirects else {
                outcome = .tooManyRedirects(limit: maxRedirects)
                break
            }
            let followed = Self.redirected(request, status: response.status, to: next)
            var note = "followed \(response.status) to \(next) (same host)"
            if followed.method != request.method { note += "; \(request.method) became \(followed.method), as Go's client does" }
            notes.append(note)
            request = followed
        }

        let end = clock.now
        let bodySize = last?.body.count ?? 0
        // A backend that echoes the request (httpbin's /headers, debug endpoints) would hand the
        // token back in clear; the result must never hold it, so mask it wherever it shows up.
        if var response = last, let secret = Self.credential(in: request) {
            var masked = false
            let replacement = Array(Secret.mask(secret).utf8)
            let replaced = Self.replacing(Array(secret.utf8), with: replacement, in: response.body)
            if replaced != response.body { response.body = replaced; masked = true }
            response.headers = response.headers.map { h in
                guard h.value.contains(secret) else { return h }
                masked = true
                return HTTPHeader(h.name, h.value.replacingOccurrences(of: secret, with: Secret.mask(secret)))
            }
            if masked {
                last = response
                notes.append("the response contained the token sent; tokentop masked it")
            }
        }
        var ttfb: TimeInterval?
        if let t = last?.timeToFirstByte { ttfb = start.duration(to: lastHopStart).timeInterval + t }
        return CallResult(
            request: BackendCallBuilder.masked(plan.request), outcome: outcome, status: last?.status, reason: last?.reason,
            headers: last?.headers ?? [], body: last?.body ?? [], truncated: last?.truncated ?? false, bodyLimit: bodyLimit,
            latency: start.duration(to: end).timeInterval, timeToFirstByte: ttfb, hops: hops, tokenMasked: plan.tokenMasked,
            failure: failure, notes: notes, bodySize: bodySize)
    }

    // MARK: Redirect rules

    /// The statuses Go's client follows.
    public static func isRedirect(_ status: Int) -> Bool { [301, 302, 303, 307, 308].contains(status) }

    /// Go's `redirectBehavior`: 301/302/303 turn any method but GET/HEAD into GET and drop the
    /// body; 307/308 keep method and body.
    public static func redirected(_ request: HTTPRequestData, status: Int, to url: String) -> HTTPRequestData {
        var r = request
        r.url = url
        if status == 301 || status == 302 || status == 303 {
            if r.method != "GET" && r.method != "HEAD" { r.method = "GET" }
            if !r.body.isEmpty {
                r.body = []
                r.headers.removeAll { $0.name.lowercased() == "content-type" || $0.name.lowercased() == "content-length" }
            }
        }
        return r
    }

    /// `location` made absolute against the URL that answered with it.
    public static func resolve(_ location: String, against base: String) -> String? {
        guard let baseURL = URL(string: base), let u = URL(string: location, relativeTo: baseURL)?.absoluteURL,
              let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https", u.host != nil else { return nil }
        return u.absoluteString
    }

    /// Same scheme, host (case-insensitive) and port (default ports filled in).
    public static func sameOrigin(_ a: String, _ b: String) -> Bool {
        guard let x = origin(a), let y = origin(b) else { return false }
        return x == y
    }

    private struct Origin: Equatable { var scheme: String; var host: String; var port: Int }

    private static func origin(_ s: String) -> Origin? {
        guard let u = URL(string: s), let scheme = u.scheme?.lowercased(), let host = u.host?.lowercased() else { return nil }
        return Origin(scheme: scheme, host: host, port: u.port ?? (scheme == "https" ? 443 : 80))
    }

    /// The credential of the request's `Authorization` header (after the scheme), when it is
    /// long enough to be a secret worth masking.
    static func credential(in request: HTTPRequestData) -> String? {
        guard let auth = request.headers.first(named: "Authorization") else { return nil }
        let parts = auth.split(separator: " ", maxSplits: 1)
        let secret = String(parts.count == 2 ? parts[1] : parts.first ?? "").trimmingCharacters(in: .whitespaces)
        return secret.utf8.count >= 8 ? secret : nil
    }

    /// `haystack` with every occurrence of `needle` replaced.
    static func replacing(_ needle: [UInt8], with replacement: [UInt8], in haystack: [UInt8]) -> [UInt8] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return haystack }
        var out: [UInt8] = []
        out.reserveCapacity(haystack.count)
        var i = 0
        let first = needle[0]
        while i < haystack.count {
            if haystack[i] == first, i + needle.count <= haystack.count, haystack[i..<(i + needle.count)].elementsEqual(needle) {
                out += replacement
                i += needle.count
            } else {
                out.append(haystack[i])
                i += 1
            }
        }
        return out
    }

}
