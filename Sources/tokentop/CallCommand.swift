import ArgumentParser
import BackendCall
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import TokenKit

/// `tokentop call CONFIG ENDPOINT`: one test call of one backend, built as the gateway would build
/// it, with a freshly fetched token. The body goes to stdout (so it pipes into `jq`), everything
/// about the call to stderr.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call one backend as the gateway would: its URL, martian headers and a fresh token.",
        discussion: """
        ENDPOINT is an endpoint path as written in the config (/users/{id}), a unique part of one, \
        "METHOD /path" when one path has several methods, or a route id from `tokentop list`.
        The response body goes to stdout (pretty-printed on a terminal, raw otherwise), a summary to \
        stderr. Redirects to the same host are followed (at most 5); a redirect to another host is \
        not, because the gateway would send its token there. Tokens are always shown masked.
        Exit 0 on a 2xx answer, 1 on any other outcome (another status, no answer, a redirect to \
        another host, a failed token fetch), 2 when the config or the command line cannot be used.
        """)

    @OptionGroup var config: ConfigOptions

    @Argument(help: "The endpoint: its path, a unique part of it, \"METHOD /path\", or a route id.")
    var endpoint: String?

    @Option(help: "Method to send instead of the backend's.")
    var method: String?

    @Option(parsing: .unconditional, help: "Which of the endpoint's backends to call (0-based; default 0).")
    var backend: Int?

    @Option(help: ArgumentHelp("Host to call: a URL (overrides the config; needed for sd: dns), or the 0-based index of one of the backend's hosts.",
                               valueName: "URL|N"))
    var host: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("A value for a url_pattern placeholder (repeatable).", valueName: "name=value"))
    var params: [String] = []

    @Option(name: .customLong("header"), help: ArgumentHelp("An extra request header (repeatable). Martian modifiers and the token are applied after it, as on the gateway.",
                                                          valueName: "Name: value"))
    var headers: [String] = []

    @Option(help: ArgumentHelp("Request body for POST, PUT or PATCH: the text itself, @FILE to read a file, @- for stdin.", valueName: "@FILE|TEXT"))
    var data: String?

    // .unconditional: `--timeout -1` is a value to reject with a reason, not a missing value.
    @Option(parsing: .unconditional, help: "Seconds to wait for the token, and again for the backend.")
    var timeout: Double = 10

    @Option(name: .customLong("ca-file"), help: ArgumentHelp(
        "Also trust the CA certificates in this PEM file (for the token server and the backend).", valueName: "PATH"))
    var caFile: String?

    @Flag(help: "One JSON record on stdout (body preview included, token masked) instead of the body.")
    var json = false

    func validate() throws {
        if let problem = timeoutProblem(timeout) { throw ValidationError(problem) }
        if let backend, backend < 0 { throw ValidationError("--backend must be 0 or more (got \(backend))") }
    }

    func run() async throws {
        // `-c FILE ENDPOINT` puts ENDPOINT in the config positional; move it where it belongs.
        var config = self.config
        var endpoint = self.endpoint
        if endpoint == nil, config.configOption != nil, let moved = config.configArgument {
            endpoint = moved
            config.configArgument = nil
        }
        do { _ = try config.path() } catch { throw usage(error.message) }
        guard let endpoint, !endpoint.isEmpty else { throw usage("no ENDPOINT given: pass an endpoint path or a route id (see `tokentop list`)") }
        if let caFile { do { _ = try AHCTransport.loadCertificates(caFile) } catch { throw usage("--ca-file: \(error)") } }
        let cfg = try config.load()

        let route = try pickRoute(cfg.routes, endpoint)
        let options = try callOptions(route)
        let verbose = config.verbose

        // Placeholder and host errors are usage errors (exit 2) and need no network: checked
        // before any transport exists.
        do throws(BackendCallError) { _ = try BackendCallBuilder.plan(route: route, options: options, token: nil) } catch {
            throw callUsage(error)
        }

        let seconds = Duration.milliseconds(Int64(timeout * 1000))
        let tokenTransport = try AHCTransport(insecure: cfg.allowInsecureConnections, caFile: caFile, retryConnects: false)
        let backendTransport = try AHCTransport(connectTimeout: .seconds(2), followRedirects: false, insecure: cfg.allowInsecureConnections,
                                                caFile: caFile, retryConnects: false)
        // A token per call, as a gateway that just started would fetch it.
        let manager = TokenManager(routes: [route], fetcher: TokenFetcher(transport: tokenTransport, timeout: seconds))
        let outcome = await TestCall.run(route: route, options: options, tokens: manager, newToken: true,
                                         caller: BackendCaller(transport: backendTransport, timeout: seconds))
        // AsyncHTTPClient insists on an explicit shutdown, on every path.
        await manager.stop()
        await tokenTransport.shutdown()
        await backendTransport.shutdown()

        switch outcome {
        case .notSent(let error):
            throw callUsage(error)
        case .tokenFailed(let draft, let creds, let failure):
            let text = failure?.summary ?? "no token"
            if json {
                print(jsonString(CallRecord(route: route, plan: draft, tokenError: failure)))
            } else {
                stderr("tokentop call: \(describe(route)): the token fetch failed, the backend was not called")
                stderr("token   \(text) (client \(creds.clientID), \(creds.tokenURL))")
                if verbose, let m = failure?.message, m != text { stderr("        " + m.replacingOccurrences(of: "\n", with: "\n        ")) }
            }
            throw ExitCode(1)
        case .sent(let plan, let result, let token, _, let attempt):
            let tokenLine = token.map { t in
                "\(t.tokenType) \(t.masked)"
                    + (attempt.map { " (client \(route.credentials?.clientID ?? ""), fetched in \(Format.latency($0.duration)))" } ?? "")
            }
            if json {
                print(jsonString(CallRecord(route: route, plan: plan, result: result)))
            } else {
                printSummary(route: route, plan: plan, result: result, tokenLine: tokenLine, verbose: verbose)
                writeBody(result)
            }
            if !result.isSuccess { throw ExitCode(1) }
        }
    }

    /// A request that cannot be built: exit 2, and for missing placeholder values a line per
    /// value saying where the gateway takes it from.
    func callUsage(_ error: BackendCallError) -> Error {
        if case .missingPlaceholders(let missing) = error {
            var lines = ["tokentop call: \(error); give \(missing.count == 1 ? "it" : "them") with --param:"]
            for p in missing { lines.append("  --param '\(p.name)=…'   \(p.note)") }
            stderr(lines.joined(separator: "\n"))
            return ExitCode(2)
        }
        return usage("\(error)")
    }

    // MARK: Choosing what to call

    /// Exact path, else a unique prefix, else a unique substring; digits = route id; an optional
    /// `METHOD ` prefix narrows by the endpoint's method.
    func pickRoute(_ routes: [Route], _ query: String) throws -> Route {
        if query.allSatisfy(\.isNumber), let id = Int(query) {
            guard let r = routes.first(where: { $0.id == id }) else { throw usage("no route with id \(id) (see `tokentop list`)") }
            // A route id names one backend already; a different --backend is a contradiction.
            if let backend, backend != r.backendIndex {
                throw usage("route \(id) is backend \(r.backendIndex) of \(r.endpoint), not backend \(backend)")
            }
            return r
        }
        var path = query.trimmingCharacters(in: .whitespaces)
        var wantMethod: String?
        let words = path.split(separator: " ", maxSplits: 1)
        if words.count == 2, words[0].allSatisfy({ $0.isLetter }) {
            wantMethod = words[0].uppercased()
            path = String(words[1]).trimmingCharacters(in: .whitespaces)
        }
        let candidates = routes.filter { wantMethod == nil || $0.endpointMethod.uppercased() == wantMethod }
        // One entry per endpoint (an endpoint has one route per backend).
        func endpoints(_ rs: [Route]) -> [Int] { Array(Set(rs.map(\.endpointIndex))).sorted() }
        var matched = endpoints(candidates.filter { $0.endpoint == path })
        if matched.isEmpty { matched = endpoints(candidates.filter { $0.endpoint.hasPrefix(path) }) }
        if matched.isEmpty { matched = endpoints(candidates.filter { $0.endpoint.lowercased().contains(path.lowercased()) }) }
        guard !matched.isEmpty else {
            throw usage("no endpoint matches \(query) (see `tokentop list \(config.configArgument ?? config.configOption ?? "CONFIG")`)")
        }
        guard matched.count == 1 else {
            var lines = ["tokentop call: \(query) matches \(matched.count) endpoints; name one exactly:"]
            for e in matched {
                if let r = routes.first(where: { $0.endpointIndex == e }) { lines.append("  \(r.endpointMethod.uppercased()) \(r.endpoint)") }
            }
            stderr(lines.joined(separator: "\n"))
            throw ExitCode(2)
        }
        let backends = routes.filter { $0.endpointIndex == matched[0] }.sorted { $0.backendIndex < $1.backendIndex }
        let wanted = backend ?? 0
        guard let route = backends.first(where: { $0.backendIndex == wanted }) else {
            var lines = ["tokentop call: --backend \(wanted): the endpoint has \(backends.count) backend\(backends.count == 1 ? "" : "s"):"]
            for r in backends { lines.append("  \(r.backendIndex)  \(r.backendDescription)") }
            stderr(lines.joined(separator: "\n"))
            throw ExitCode(2)
        }
        return route
    }

    func callOptions(_ route: Route) throws -> CallOptions {
        var o = CallOptions(method: method)
        if let host {
            if host.allSatisfy(\.isNumber), let i = Int(host) { o.hostIndex = i } else { o.hostOverride = host }
        }
        for p in params {
            guard let eq = p.firstIndex(of: "=") else { throw usage("--param \(p): want name=value") }
            o.params[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        for h in headers {
            guard let colon = h.firstIndex(of: ":") else { throw usage("--header \(h): want 'Name: value'") }
            let name = h[..<colon].trimmingCharacters(in: .whitespaces)
            let value = h[h.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            o.extraHeaders.append(HTTPHeader(name, value))
        }
        if let data {
            if data == "@-" {
                o.body = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else if data.hasPrefix("@") {
                let file = String(data.dropFirst())
                guard let bytes = FileManager.default.contents(atPath: file) else { throw usage("--data: cannot read \(file)") }
                o.body = Array(bytes)
            } else {
                o.body = Array(data.utf8)
            }
        }
        return o
    }

    // MARK: Output

    func describe(_ route: Route) -> String {
        "\(route.endpointMethod.uppercased()) \(route.endpoint) (backend \(route.backendIndex))"
    }

    func printSummary(route: Route, plan: BackendRequestPlan, result: CallResult, tokenLine: String?, verbose: Bool) {
        var out: [String] = []
        out.append("call    \(describe(route)) → \(plan.request.method) \(plan.request.url)")
        if let tokenLine { out.append("token   \(tokenLine)") } else { out.append("token   none (\(route.isDisabled ? "credentials disabled" : "unprotected backend"))") }
        if verbose {
            for (i, hop) in result.hops.enumerated() {
                if i > 0 { out.append("") }
                out.append("> \(hop.method) \(hop.url)")
                for h in hop.requestHeaders { out.append("> \(h.name): \(h.value)") }
                if !plan.request.body.isEmpty, i == 0 { out.append("> (body: \(plan.request.body.count) bytes)") }
                if let s = hop.status {
                    let isLast = i == result.hops.count - 1
                    out.append("< \(s) \(hop.reason ?? "")" + " (\(Format.latency(hop.latency)))")
                    if isLast {
                        for h in BackendCallBuilder.maskedHeaders(result.headers) { out.append("< \(h.name): \(h.value)") }
                    } else if let l = hop.location {
                        out.append("< Location: \(l)")
                    }
                }
            }
        } else if result.hops.count > 1 {
            for hop in result.hops.dropLast() {
                out.append("hop     \(hop.status.map(String.init) ?? "?") \(hop.method) \(hop.url) → \(hop.location ?? "?")")
            }
        }
        switch result.outcome {
        case .response, .crossHostRedirect, .tooManyRedirects:
            out.append("status  \(result.status.map(String.init) ?? "?") \(result.reason ?? "")")
        case .transportFailure:
            out.append("error   \(result.failure?.description ?? "failed")")
        }
        var time = "time    \(Format.latency(result.latency)) total"
        time += result.timeToFirstByte.map { ", \(Format.latency($0)) to first byte" } ?? ", time to first byte n/a"
        out.append(time)
        if result.status != nil {
            var body = "body    \(result.bodySize) bytes"
            if result.truncated { body += " (cut at \(result.bodyLimit) bytes\(result.contentLength.map { " of \($0)" } ?? ""))" }
            if let ct = result.contentType { body += ", \(ct)" }
            out.append(body)
        }
        if let status = result.status, status == 401 || status == 403, let w = result.wwwAuthenticate {
            out.append("www-auth \(w)")
        }
        if result.suggestsTokenRefresh {
            out.append("hint    the backend rejected a token fetched just now (invalid_token): it does not accept tokens from this token_url/client/audience")
        }
        for n in result.notes { out.append("note    \(n)") }
        out.append(result.isSuccess ? "result  OK: \(result.summary)" : "result  FAILED: \(result.summary)")
        // Reason phrases, header values and notes quote the backend: made safe, one line each.
        stderr(out.map(ServerText.line).joined(separator: "\n"))
    }

    /// Raw bytes when stdout is a file or a pipe (what `curl` does); on a terminal, the readable
    /// preview, so binary never garbles the screen.
    func writeBody(_ result: CallResult) {
        guard !result.body.isEmpty else { return }
        if isatty(STDOUT_FILENO) != 0 {
            let p = result.preview(maxCharacters: result.bodyLimit * 4)
            // A terminal gets no escape sequence from a backend (curl prints them; we don't).
            var text = ServerText.text(p.text)
            if p.kind == .binary { text += "\n(binary body not printed on a terminal: redirect stdout to a file to save it)" }
            if !text.hasSuffix("\n") { text += "\n" }
            FileHandle.standardOutput.write(Data(text.utf8))
        } else {
            FileHandle.standardOutput.write(Data(result.body))
        }
    }

    /// A command line `call` cannot use: `main` prints `tokentop call: message` and exits 2.
    func usage(_ message: String) -> UsageError { UsageError(command: "call", message: message) }
}

/// The `--json` record: one object, token and credentials masked.
struct CallRecord: Encodable {
    struct Header: Encodable { var name: String; var value: String }
    struct Request: Encodable { var method: String; var url: String; var headers: [Header]; var bodySize: Int }
    struct Hop: Encodable {
        var method: String; var url: String; var status: Int?; var reason: String?; var location: String?
        var latencyMs: Double; var sentAuthorization: Bool
    }
    struct Body: Encodable { var kind: String; var preview: String; var truncated: Bool }
    struct TokenError: Encodable { var summary: String; var message: String; var status: Int?; var error: String?; var errorDescription: String? }

    var routeID: Int
    var endpoint: String
    var backend: Int
    var ok: Bool
    var outcome: String
    var request: Request
    var token: String?
    var tokenError: TokenError?
    var status: Int?
    var reason: String?
    var error: String?
    var location: String?
    var latencyMs: Double?
    var ttfbMs: Double?
    var headers: [Header]?
    var bodySize: Int?
    var truncated: Bool?
    var body: Body?
    var hops: [Hop]?
    var suggestsTokenRefresh: Bool?
    var notes: [String]

    private static func headers(_ hs: [HTTPHeader]) -> [Header] {
        BackendCallBuilder.maskedHeaders(hs).map { Header(name: $0.name, value: $0.value) }
    }

    private static func ms(_ s: TimeInterval) -> Double { (s * 10_000).rounded() / 10 }

    /// A call that never happened because the token fetch failed.
    init(route: Route, plan: BackendRequestPlan, tokenError f: TokenFailure?) {
        routeID = route.id; endpoint = "\(route.endpointMethod.uppercased()) \(route.endpoint)"; backend = route.backendIndex
        ok = false; outcome = "token-failure"
        let r = plan.displayRequest
        request = Request(method: r.method, url: r.url, headers: Self.headers(r.headers), bodySize: r.body.count)
        tokenError = TokenError(summary: f?.summary ?? "no token", message: f?.message ?? "", status: f?.status, error: f?.error,
                                errorDescription: f?.errorDescription)
        notes = plan.notes
    }

    init(route: Route, plan: BackendRequestPlan, result: CallResult) {
        routeID = route.id; endpoint = "\(route.endpointMethod.uppercased()) \(route.endpoint)"; backend = route.backendIndex
        ok = result.isSuccess; outcome = result.outcome.name
        request = Request(method: result.request.method, url: result.request.url, headers: Self.headers(result.request.headers),
                          bodySize: result.request.body.count)
        token = result.tokenMasked
        status = result.status; reason = result.reason
        error = result.failure?.description
        if case .crossHostRedirect(let l) = result.outcome { location = l }
        latencyMs = Self.ms(result.latency)
        ttfbMs = result.timeToFirstByte.map(Self.ms)
        if result.status != nil {
            headers = Self.headers(result.headers)
            bodySize = result.bodySize
            truncated = result.truncated
            let p = result.preview()
            body = Body(kind: p.kind.rawValue, preview: p.text, truncated: p.truncated)
        }
        hops = result.hops.map { Hop(method: $0.method, url: $0.url, status: $0.status, reason: $0.reason, location: $0.location,
                                     latencyMs: Self.ms($0.latency), sentAuthorization: $0.sentAuthorization) }
        suggestsTokenRefresh = result.suggestsTokenRefresh
        notes = result.notes
    }
}
