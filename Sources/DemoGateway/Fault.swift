/// A way for one URL of the demo server to misbehave, switched on and off at run time with
/// ``DemoGateway/setFault(_:path:)``, so a test can break an endpoint, watch the client cope, then
/// fix it and watch the client recover by itself.
///
/// Unlike a ``Scenario`` (a fixed behaviour chosen by the URL), a fault overrides whatever the path
/// would normally answer — a token endpoint or a backend alike. The request is still read and
/// recorded (and counted, for token endpoints) before the fault applies.
///
/// Two faults need no switch: *connection refused* is ``DemoGateway/pause()`` (the port stops
/// listening) and *the server goes away and comes back* is `pause()` then
/// ``DemoGateway/resume()`` on the same port. *Untrusted TLS* is a server started with
/// ``DemoGateway/Options/tls`` whose certificate the client does not trust.
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// Accepts the connection, reads the request, never answers (until the client gives up or the
    /// server stops).
    case hang
    /// The normal answer, but its body is sent one byte per ``DemoGateway/Options/trickleInterval``
    /// (1 s by default) after the status line and headers: only the client's deadline ends it.
    case trickle
    /// Reads the request and closes the connection without a word.
    case closeWithoutAnswer
    /// 500 with an HTML error page (`text/html`), like a proxy or an app server in trouble.
    case html500
    /// 429 with `Retry-After: <seconds>` and an RFC 6749 `slow_down` error body.
    case rateLimited(retryAfter: Int)
    /// 503 with `Retry-After: <seconds>` and an RFC 6749 `temporarily_unavailable` error body:
    /// a token server in maintenance.
    case unavailable(retryAfter: Int)
    /// 401 `invalid_client` for every client, as when the IdP lost or rotated the client's secret.
    case invalidClient
    /// 200 with an RFC 6749 `error` field (`invalid_scope`) and no token.
    case error200
    /// 200, `Content-Type: application/json`, and a body that is cut-off JSON.
    case invalidJSON
    /// The normal answer padded to ``DemoGateway/Options/hugeBodySize`` bytes (10 MiB by
    /// default): a JSON object whose token comes first and whose padding never ends in time.
    case hugeBody
    /// 302 to the same path with `?loop=1`, which redirects back to the plain path: a cycle.
    case redirectLoop
    /// Answers bytes that are not HTTP at all (an SSH banner), then closes: what a token URL that
    /// points at the wrong port gets.
    case notHTTP

    public var description: String {
        switch self {
        case .hang: return "hang"
        case .trickle: return "trickle"
        case .closeWithoutAnswer: return "close-without-answer"
        case .html500: return "html-500"
        case .rateLimited(let s): return "rate-limited (Retry-After: \(s))"
        case .unavailable(let s): return "unavailable (503, Retry-After: \(s))"
        case .invalidClient: return "invalid-client (401)"
        case .error200: return "error-200"
        case .invalidJSON: return "invalid-json"
        case .hugeBody: return "huge-body"
        case .redirectLoop: return "redirect-loop"
        case .notHTTP: return "not-http"
        }
    }
}

extension GatewayCore {
    /// `size` bytes of `x`, made once per size and copied (a memcpy) for each request.
    func hugePadding(_ size: Int) -> [UInt8] {
        hugePaddingCache.withLock { cache in
            if cache.count != size { cache = [UInt8](repeating: UInt8(ascii: "x"), count: size) }
            return cache
        }
    }

    /// What a request on a faulty path gets, given what it would have got.
    func apply(_ fault: Fault, to normal: Action, request: RecordedRequest) -> Action {
        switch fault {
        case .hang:
            return .hang
        case .trickle:
            guard case .reply(let reply, _) = normal else { return normal }
            return .trickle(reply, interval: options.trickleInterval)
        case .closeWithoutAnswer:
            return .close
        case .html500:
            let html = "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n"
                + "<body><h1>Internal Server Error</h1><p>The server encountered an internal error and was "
                + "unable to complete your request.</p><hr><address>demo/1.0 (fault injected)</address></body></html>\n"
            return .reply(Reply(status: 500, headers: [("Content-Type", "text/html; charset=iso-8859-1")],
                                body: Array(html.utf8)), delay: nil)
        case .rateLimited(let seconds):
            return .reply(Self.oauthError(429, "slow_down", "Too many requests; retry after \(seconds) seconds",
                                          extraHeaders: [("Retry-After", String(seconds))]), delay: nil)
        case .unavailable(let seconds):
            return .reply(Self.oauthError(503, "temporarily_unavailable", "The authorization server is down for maintenance",
                                          extraHeaders: [("Retry-After", String(seconds))]), delay: nil)
        case .invalidClient:
            return .reply(Self.oauthError(401, "invalid_client", "Client authentication failed",
                                          extraHeaders: [("WWW-Authenticate", "Basic realm=\"demo\", error=\"invalid_client\"")]), delay: nil)
        case .error200:
            return .reply(.json(200, .object([("error", .string("invalid_scope")),
                                              ("error_description", .string("scope 'admin' is not allowed"))]),
                                extraHeaders: Self.noStore), delay: nil)
        case .invalidJSON:
            return .reply(Reply(status: 200, headers: [("Content-Type", "application/json")] + Self.noStore,
                                body: Array(#"{"access_token": "eyJhbGciOiJIUzI1NiJ9.e30.sig", "expires_in": "#.utf8)),
                          delay: nil)
        case .hugeBody:
            var reply: Reply
            if case .reply(let r, _) = normal, r.status == 200,
               r.headers.contains(where: { $0.0.lowercased() == "content-type" && $0.1.hasPrefix("application/json") }),
               r.body.last == UInt8(ascii: "}") {
                reply = r
            } else {
                reply = .json(200, .object([("note", .string("padding follows"))]))
            }
            // `{...}` → `{...,"padding":"xxxx…"}`: the token stays first, so a client reading the
            // whole body would be fine; one that stops at 1 MiB holds cut-off JSON.
            let tail = Array(#","padding":""#.utf8)
            let size = max(options.hugeBodySize, reply.body.count + tail.count + 2)
            // Bulk operations only: byte-by-byte loops take seconds for 10 MiB in a debug build,
            // and this runs on the event loop.
            var body = hugePadding(size)
            let head = Array(reply.body.dropLast()) + tail
            body.replaceSubrange(0..<head.count, with: head)
            body[size - 2] = UInt8(ascii: "\"")
            body[size - 1] = UInt8(ascii: "}")
            reply.body = body
            return .reply(reply, delay: nil)
        case .redirectLoop:
            let target = request.query == nil ? request.path + "?loop=1" : request.path
            return .reply(Reply(status: 302, headers: [("Location", target), ("Content-Type", "text/plain")],
                                body: Array("Found. Redirecting to \(target)\n".utf8)), delay: nil)
        case .notHTTP:
            return .raw(Array("SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n".utf8))
        }
    }
}
