import Foundation
import GatewayConfig
import TokenKit

/// What the operator chose for one test call. Everything else comes from the route.
public struct CallOptions: Sendable, Hashable {
    /// Index into the route's `hosts` (the gateway picks one at random per call; the operator
    /// picks one here). Ignored when ``hostOverride`` is set.
    public var hostIndex: Int
    /// A host to call instead of the configured ones (`http://localhost:8080`): needed for
    /// `sd: dns` backends, handy to test a staging copy. A bare name gets `http://`.
    public var hostOverride: String?
    /// A method instead of the backend's (which is its own, else the endpoint's).
    public var method: String?
    /// Values for the `url_pattern` placeholders, by name as written (`id`, `JWT.sub`).
    public var params: [String: String]
    /// Headers the operator adds. They stand for the client headers the gateway forwards, so
    /// martian modifiers are applied after them and the token after that, as on the gateway.
    /// A header given here replaces one of the same name (case-insensitive) added by tokentop.
    public var extraHeaders: [HTTPHeader]
    /// A request body; only with POST, PUT or PATCH. nil or empty = no body.
    public var body: [UInt8]?

    public init(hostIndex: Int = 0, hostOverride: String? = nil, method: String? = nil, params: [String: String] = [:],
                extraHeaders: [HTTPHeader] = [], body: [UInt8]? = nil) {
        self.hostIndex = hostIndex; self.hostOverride = hostOverride; self.method = method; self.params = params
        self.extraHeaders = extraHeaders; self.body = body
    }
}

/// Why a test call could not even be built. Each case names what the operator must fix.
public enum BackendCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Placeholders without a value, in pattern order.
    case missingPlaceholders([Placeholder])
    /// `sd: dns`/`dns-shared`: the host is an SRV service name, which tokentop does not resolve.
    case serviceDiscovery(ServiceDiscovery, service: String)
    /// The backend has no host and the config no root `host`.
    case noHost
    case hostIndexOutOfRange(index: Int, count: Int)
    /// `--host` is not an `http(s)://host[:port]` URL.
    case invalidHost(String)
    /// A body was given for a method that does not carry one here.
    case bodyNotAllowed(method: String)
    /// Host + filled pattern is not a URL.
    case invalidURL(String)
    /// A method that is not an HTTP token (`GET`, `POST`, …).
    case invalidMethod(String)
    /// An extra header whose name or value cannot be sent (`:` in the name, a line break).
    case invalidHeader(String)

    public var description: String {
        switch self {
        case .missingPlaceholders(let ps):
            let names = ps.map { "{\($0.name)}" }.joined(separator: ", ")
            return "missing value\(ps.count == 1 ? "" : "s") for \(names) in the url_pattern"
        case .serviceDiscovery(let sd, let service):
            return "the backend uses service discovery (sd: \(sd.rawValue)) with the service \(service), which tokentop does not resolve; give the host to call with --host URL"
        case .noHost:
            return "the backend has no host (and the config no root host); give one with --host URL"
        case .hostIndexOutOfRange(let i, let n):
            return "host #\(i) does not exist: the backend has \(n) host\(n == 1 ? "" : "s")"
        case .invalidHost(let h):
            return "invalid host \(h): want http(s)://name[:port]"
        case .bodyNotAllowed(let m):
            return "a body is sent only with POST, PUT or PATCH (the method is \(m)); choose one with --method"
        case .invalidURL(let u):
            return "the backend URL is not valid: \(u)"
        case .invalidMethod(let m):
            return "invalid method \(m)"
        case .invalidHeader(let h):
            return "invalid header \(h): want 'Name: value'"
        }
    }
}

/// A test request ready to send, and what the operator should know about how it was built.
///
/// Holds no secret in the clear except inside ``request`` (the `Authorization` header): show
/// ``displayRequest`` instead.
public struct BackendRequestPlan: Sendable, Hashable {
    /// The exact request, with the token attached.
    public var request: HTTPRequestData
    /// The placeholders of the pattern (with the values used, see ``BackendCallBuilder/placeholders(in:)``).
    public var placeholders: [Placeholder]
    /// The host the call goes to (scheme, name, port as written).
    public var host: String
    /// The token attached, masked (`eyJhbG…x9Qw (812 chars)`); nil when none was.
    public var tokenMasked: String?
    /// Things that differ from what the live gateway would do, or that the operator chose.
    public var notes: [String]

    public init(request: HTTPRequestData, placeholders: [Placeholder] = [], host: String = "", tokenMasked: String? = nil,
                notes: [String] = []) {
        self.request = request; self.placeholders = placeholders; self.host = host; self.tokenMasked = tokenMasked
        self.notes = notes
    }

    /// ``request`` with every credential-carrying header masked: safe to print.
    public var displayRequest: HTTPRequestData { BackendCallBuilder.masked(request) }
    /// True when a token was attached (so a refresh-and-retry makes sense).
    public var hasToken: Bool { tokenMasked != nil }
}

/// Builds the request the gateway would send to a backend: host + `url_pattern` with the
/// placeholders filled, martian request-scope `header.Modifier`s in order, then
/// `Authorization: <type> <token>` overwriting any earlier one. Pure: no I/O.
public enum BackendCallBuilder {
    /// The `User-Agent` of test calls. The gateway sends `KrakenD Version …`; tokentop says who
    /// it is, so a backend's logs tell test calls apart. Override with an extra header.
    public static let userAgent = "tokentop (KrakenD backend test call)"

    /// Methods that carry the operator's body.
    public static let bodyMethods: Set<String> = ["POST", "PUT", "PATCH"]

    /// Builds the request for `route`.
    ///
    /// - Parameters:
    ///   - token: The token to attach, as the gateway would; nil for unprotected routes (or to
    ///     see what a backend says without one).
    /// - Throws: ``BackendCallError`` naming what is missing or wrong.
    public static func plan(route: Route, options: CallOptions = CallOptions(), token: AccessToken?) throws(BackendCallError) -> BackendRequestPlan {
        var notes: [String] = []

        // Method: the backend's own, else the endpoint's (Route.method already resolves that).
        let method = (options.method ?? (route.method.isEmpty ? route.endpointMethod : route.method)).uppercased()
        guard !method.isEmpty, method.utf8.allSatisfy(isTokenByte) else { throw .invalidMethod(options.method ?? route.method) }
        if let m = options.method, m.uppercased() != route.method.uppercased() {
            notes.append("method \(method) instead of the backend's \(route.method.uppercased())")
        }

        // Host.
        let host: String
        if let override = options.hostOverride {
            host = try sanitizeHost(override)
        } else {
            switch route.serviceDiscovery {
            case .dns, .dnsShared:
                throw .serviceDiscovery(route.serviceDiscovery, service: route.hosts.first ?? "?")
            case .static:
                break
            }
            guard !route.hosts.isEmpty else { throw .noHost }
            guard route.hosts.indices.contains(options.hostIndex) else {
                throw .hostIndexOutOfRange(index: options.hostIndex, count: route.hosts.count)
            }
            host = route.hosts[options.hostIndex]
            if route.hosts.count > 1 {
                notes.append("the backend has \(route.hosts.count) hosts and the gateway picks one at random per call; this call uses \(host)")
            }
        }

        // Path and query.
        let placeholders = placeholders(in: route)
        let missing = placeholders.filter { options.params[$0.name] == nil }
        guard missing.isEmpty else { throw .missingPlaceholders(missing) }
        var path = ""
        var rest = route.urlPattern[...]
        for found in GatewayRules.outputPlaceholders(route.urlPattern) {
            path += rest[rest.startIndex..<found.range.lowerBound]
            let value = options.params[found.name] ?? ""
            path += found.inQuery ? URLEscaping.queryValue(value) : URLEscaping.pathSegment(value)
            rest = route.urlPattern[found.range.upperBound...]
        }
        path += rest
        // lura cleans the pattern to start with `/`; a hand-made route may not.
        if !path.hasPrefix("/") { path = "/" + path }
        for p in placeholders where p.isRuntimeOnly {
            notes.append("{\(p.name)} is filled by the gateway at run time; the value given here is a stand-in")
        }
        let unused = options.params.keys.filter { name in !placeholders.contains { $0.name == name } }.sorted()
        if !unused.isEmpty {
            notes.append("ignored parameter\(unused.count == 1 ? "" : "s") not in the url_pattern: \(unused.joined(separator: ", "))")
        }
        let url = host + path
        guard let parsed = URL(string: url), parsed.host != nil else { throw .invalidURL(url) }

        // Headers: tokentop's own, then the operator's (standing for forwarded client headers),
        // then martian, then the token. Each step *sets* (replaces) like martian and Go's Header.Set.
        var headers = [HTTPHeader("User-Agent", userAgent)]
        for h in options.extraHeaders {
            guard isValidHeader(h) else { throw .invalidHeader("\(h.name): \(h.value)") }
            set(&headers, h.name, h.value)
        }
        for m in route.headerModifiers where m.appliesToRequest {
            if options.extraHeaders.contains(where: { $0.name.lowercased() == m.name.lowercased() }) {
                notes.append("the martian modifier replaces the given header \(m.name), as on the gateway")
            }
            set(&headers, m.name, m.value)
        }
        for other in route.otherModifiers {
            notes.append("martian \(other) is not reproduced by tokentop")
        }

        // Body.
        var body: [UInt8] = []
        if let b = options.body, !b.isEmpty {
            guard bodyMethods.contains(method) else { throw .bodyNotAllowed(method: method) }
            body = b
            if headers.first(named: "Content-Type") == nil { headers.append(HTTPHeader("Content-Type", guessContentType(b))) }
        }

        var request = HTTPRequestData(method: method, url: url, headers: headers, body: body)
        var tokenMasked: String?
        if let token {
            if route.headerModifiers.contains(where: { $0.appliesToRequest && $0.name.lowercased() == "authorization" }) {
                notes.append("martian sets Authorization; the gateway overwrites it with the token")
            }
            request = attach(token, to: request)
            tokenMasked = token.masked
        } else if route.isDisabled {
            notes.append("client credentials are disabled (is_disabled): the gateway attaches no token")
        } else if route.isProtected {
            notes.append("no token attached although the backend is protected")
        }
        return BackendRequestPlan(request: request, placeholders: placeholders, host: host, tokenMasked: tokenMasked, notes: notes)
    }

    /// The convenience form: host by index, placeholders, extra headers and body.
    public static func plan(route: Route, hostIndex: Int = 0, params: [String: String] = [:], extraHeaders: [HTTPHeader] = [],
                            body: [UInt8]? = nil, token: AccessToken?) throws(BackendCallError) -> BackendRequestPlan {
        try plan(route: route, options: CallOptions(hostIndex: hostIndex, params: params, extraHeaders: extraHeaders, body: body), token: token)
    }

    /// `request` with `Authorization: <type> <token>`, replacing every earlier Authorization
    /// header: the gateway's oauth2 transport does the same on every request it sends.
    public static func attach(_ token: AccessToken, to request: HTTPRequestData) -> HTTPRequestData {
        var r = request
        r.headers.removeAll { $0.name.lowercased() == "authorization" }
        r.headers.append(HTTPHeader("Authorization", "\(token.tokenType) \(token.value)"))
        return r
    }

    /// `request` with credential-carrying headers masked (``Secret/maskHeader(name:value:)``).
    public static func masked(_ request: HTTPRequestData) -> HTTPRequestData {
        var r = request
        r.headers = maskedHeaders(r.headers)
        return r
    }

    /// Headers with credential-carrying values masked.
    public static func maskedHeaders(_ headers: [HTTPHeader]) -> [HTTPHeader] {
        headers.map { HTTPHeader($0.name, Secret.maskHeader(name: $0.name, value: $0.value)) }
    }

    /// `Content-Type` for an operator's body when none was given: JSON when it parses as JSON,
    /// UTF-8 text when it decodes, else bytes.
    public static func guessContentType(_ body: [UInt8]) -> String {
        if (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil,
           let first = body.first(where: { !isJSONSpace($0) }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            return "application/json"
        }
        if String(validating: body, as: UTF8.self) != nil { return "text/plain; charset=utf-8" }
        return "application/octet-stream"
    }

    /// Sanitises an operator's host like the gateway sanitises config hosts: a bare name gets
    /// `http://`, a trailing `/` goes. A path prefix is kept (`http://proxy/prefix`).
    public static func sanitizeHost(_ raw: String) throws(BackendCallError) -> String {
        var h = raw.trimmingCharacters(in: .whitespaces)
        if !h.contains("://") { h = "http://" + h }
        while h.hasSuffix("/") { h.removeLast() }
        guard let u = URL(string: h), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let name = u.host, !name.isEmpty, u.query == nil, u.fragment == nil else {
            throw .invalidHost(raw)
        }
        return h
    }

    /// Sets a header the way Go's `Header.Set` does: every earlier value of that name
    /// (case-insensitive) goes, the new one is appended.
    static func set(_ headers: inout [HTTPHeader], _ name: String, _ value: String) {
        if let i = headers.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
            headers[i] = HTTPHeader(name, value)
            var j = i + 1
            while j < headers.count {
                if headers[j].name.lowercased() == name.lowercased() { headers.remove(at: j) } else { j += 1 }
            }
        } else {
            headers.append(HTTPHeader(name, value))
        }
    }

    private static func isValidHeader(_ h: HTTPHeader) -> Bool {
        !h.name.isEmpty && h.name.utf8.allSatisfy(isTokenByte)
            && !h.value.utf8.contains { $0 == 10 || $0 == 13 || $0 == 0 }
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
        }
    }

    private static func isJSONSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }
}
