import TerminalScreen
import Foundation
import GatewayConfig
import TokenKit

/// The detail pane: everything known about the selected route, built as a list of lines and
/// shown through a scrolling window. Built on demand for one route only, so its cost doesn't
/// depend on the table size.
extension DashboardModel {
    static let labelWidth = 17
    static let indent = 2

    func detailLineCount(width: Int) -> Int { detailLines(width: width).count }

    /// Terminals at least this wide show the detail pane in two columns (route and credential on
    /// the left, token, JWT and last error on the right) with the attempts below, so a 120×40
    /// terminal shows everything about a token without scrolling.
    static let twoColumnWidth = 110

    func detailLines(width: Int) -> [Line] {
        guard let route = selectedRoute else { return [[Span("No row selected.", Theme.dim)]] }
        let twoColumns = width >= Self.twoColumnWidth
        let leftWidth = twoColumns ? (width - 3) / 2 : width
        let rightWidth = twoColumns ? width - leftWidth - 3 : width
        var left = DetailBuilder(width: leftWidth)
        var right = DetailBuilder(width: rightWidth)
        var bottom = DetailBuilder(width: width)
        var lintPart = DetailBuilder(width: width)
        addRoute(route, to: &left)
        addCredential(route, to: &left)
        addLastCall(route, to: &left)
        // The findings in full go last (full width, so they wrap least) and the route section
        // says they are there: the token and its attempts keep the first page.
        addLint(route, to: &lintPart)
        if let creds = route.credentials, !creds.isDisabled {
            let entry = context.entryForRoute[route.id].flatMap { entries[$0] }
            addToken(route, entry: entry, to: &right)
            if let entry {
                if let token = entry.token, let jwt = JWT.decode(token.value) { addJWT(jwt, token: token, to: &right) }
                if let f = entry.lastFailure { addFailure(f, entry: entry, to: &right) }
                addAttempts(entry, to: &bottom)
            }
        }
        var out: [Line] = []
        func append(_ part: [Line]) {
            guard !part.isEmpty else { return }
            if !out.isEmpty { out.append([]) }
            out += part
        }
        if twoColumns && !right.lines.isEmpty {
            var merged: [Line] = []
            for k in 0..<max(left.lines.count, right.lines.count) {
                var l = k < left.lines.count ? clip(left.lines[k], to: leftWidth) : []
                let pad = leftWidth - l.width
                if pad > 0 { l.append(Span(String(repeating: " ", count: pad))) }
                l.append(Span(" │ ", Theme.dim))
                merged.append(l + (k < right.lines.count ? right.lines[k] : []))
            }
            append(merged)
        } else {
            append(left.lines)
            append(right.lines)
        }
        append(bottom.lines)
        append(lintPart.lines)
        return out
    }

    private func addRoute(_ route: Route, to b: inout DetailBuilder) {
        b.section("Route")
        b.kv("endpoint", [Span(route.endpointMethod, Theme.bold), Span(" " + Text.oneLine(route.endpoint))])
        b.kv("backend", [Span(route.method, Theme.bold), Span(" " + Text.oneLine(route.urlPattern))])
        let hostLabel = route.serviceDiscovery == .static ? (route.hosts.count == 1 ? "host" : "hosts") : "hosts (sd \(route.serviceDiscovery.rawValue))"
        if route.hosts.isEmpty { b.kv(hostLabel, "(none)", Theme.dim) }
        for (k, h) in route.hosts.enumerated() { b.long(k == 0 ? hostLabel : "", Text.oneLine(h)) }
        if route.disableHostSanitize { b.kv("", "disable_host_sanitize: used verbatim", Theme.dim) }
        b.long("url_pattern", Text.oneLine(route.urlPattern))
        var place = route.path
        if let loc = route.location { place += " at \(loc.line):\(loc.column)" }
        if !place.isEmpty { b.kv("config", place, Theme.dim) }
        if let t = route.timeout { b.kv("timeout", "\(Self.durationText(t))") }
        if route.headerModifiers.isEmpty { b.kv("headers", "no martian header modifiers", Theme.dim) }
        for (k, h) in route.headerModifiers.enumerated() {
            let scope = h.scopes.isEmpty ? "request, response" : h.scopes.joined(separator: ", ")
            // A martian Authorization/Cookie/API-key value is a secret written into the config:
            // masked like every other secret on screen.
            let value = Secret.maskHeader(name: h.name, value: h.value)
            b.kv(k == 0 ? "headers" : "", [Span(Text.oneLine(h.name) + ": ", Theme.bold), Span(Text.oneLine(value)), Span(" (\(scope))", Theme.dim)])
        }
        if !route.otherModifiers.isEmpty { b.kv("other modifiers", route.otherModifiers.joined(separator: ", ")) }
        let lintCount = lintSummary(forRoute: route.id)
        if !lintCount.isEmpty { b.kv("lint", lintCount + [Span("  see below", Theme.dim)]) }
    }

    private func addCredential(_ route: Route, to b: inout DetailBuilder) {
        b.section("Credential")
        guard let creds = route.credentials else {
            b.wrapped("", "none: this backend has no client-credentials block; the gateway calls it without a token", style: Theme.dim)
            return
        }
        b.kv("namespace", creds.namespace.rawValue)
        b.long("token_url", Text.oneLine(creds.tokenURL))
        if context.tlsNotVerified, creds.tokenURL.lowercased().hasPrefix("https:") {
            b.wrapped("", "certificate NOT verified: allow_insecure_connections is true (the gateway skips it too); --ca-file is the safe alternative",
                      style: Theme.errorBold)
        }
        b.long("client_id", Text.oneLine(creds.clientID))
        b.kv("client_secret", creds.clientSecret.isEmpty ? "(empty)" : Secret.hidden, Theme.dim)
        b.long("scopes", creds.scopes.map { "\"\(Text.oneLine($0))\"" } ?? "(absent)")
        // What actually goes on the wire: items split on "," (untrimmed), joined by spaces, then
        // form-encoded, so "a, b" becomes scope=a++b.
        switch Result(catching: { () throws(TokenFailure) in try TokenRequestBuilder.formValues(for: creds) }) {
        case .success(let form):
            b.long("sends", "scope=" + FormEncoding.escape(form["scope"]?.first ?? ""), style: Theme.bold)
        case .failure(let f):
            b.wrapped("sends", Text.oneLine(f.message), style: Theme.error)
        }
        for (k, key) in creds.endpointParams.keys.sorted().enumerated() {
            let values = creds.endpointParams[key] ?? []
            let shown = key == "client_secret" ? values.map { _ in Secret.hidden } : values.map(Text.oneLine)
            b.long(k == 0 ? "endpoint_params" : "", "\(Text.oneLine(key))=\(shown.joined(separator: ", "))")
        }
        if creds.isDisabled {
            b.wrapped("is_disabled", "true: the gateway fetches no token and calls this backend without one", style: Theme.warning)
        }
    }

    private func addLastCall(_ route: Route, to b: inout DetailBuilder) {
        let pending = callsPending[route.id] != nil
        guard pending || callReports[route.id] != nil else { return }
        b.section("Test call")
        if pending { b.kv("last", Self.pendingCallText, Style(fg: .cyan)) }
        if let r = callReports[route.id] {
            b.wrapped(pending ? "before" : "last", Text.oneLine(r.summary), style: Self.callStyle(r))
            if let e = r.authError { b.kv("WWW-Authenticate", "error=\(Text.oneLine(e))", Theme.warning) }
        }
    }

    private func addToken(_ route: Route, entry: TokenEntrySnapshot?, to b: inout DetailBuilder) {
        b.section("Token")
        let state = self.state(ofRoute: route.id)
        var stateLine: Line = [Span(state.label, state.style)]
        if let token = entry?.token, token.isPerCall {
            stateLine.append(Span("  a new token for every backend call", Theme.dim))
        } else if let eff = entry?.token?.effectiveExpiry {
            let left = eff.timeIntervalSince(now)
            stateLine.append(Span(left > 0 ? "  \(Format.countdown(left)) left" : "  unusable since \(Format.countdown(-left))", Theme.dim))
        }
        b.kv("state", stateLine)
        guard let entry else {
            b.kv("", "no fetch yet", Theme.dim)
            return
        }
        if let token = entry.token {
            if revealed {
                b.kv("access_token", [Span("TOKEN REVEALED — press v to hide", Theme.revealWarning)])
                for piece in Text.hardWrap(Text.oneLine(token.value), width: b.valueWidth) { b.kv("", piece, Theme.warning) }
            } else {
                b.kv("access_token", [Span(token.masked), Span("  v reveals", Theme.dim)])
            }
            var tt = token.tokenType
            if token.rawTokenType != token.tokenType { tt += " (sent as \"\(Text.oneLine(token.rawTokenType))\")" }
            b.kv("token_type", tt)
            b.kv("fetched at", "\(Format.timestamp(token.receivedAt)) (\(Text.relative(token.receivedAt, now: now)))")
            if let exp = token.expiry, let eff = token.effectiveExpiry {
                b.kv("expires at", "\(Format.timestamp(exp)) (\(Text.relative(exp, now: now)))")
                // oauth2's expiryDelta: the gateway drops a token 10 s before it expires.
                b.kv("gateway expiry", [Span(Format.timestamp(eff)), Span(" (10 s earlier)", Theme.dim)])
                if token.isPerCall {
                    // Not a failure: the gateway works with such tokens, at a price worth knowing.
                    b.wrapped("per call", "expires_in ≤ 10 s: expired by the gateway's 10 s rule on arrival, so the gateway "
                              + "fetches a new token for every backend call (extra latency and load on the token server). "
                              + "It still uses each token for the call it was fetched for.", style: Theme.warning)
                }
            } else {
                b.wrapped("expires at", "never (no expires_in): the gateway keeps it until restarted", style: Theme.warning)
            }
            b.kv("expires_in", token.expiresIn.map { "\($0) s" } ?? "(absent)")
            if let s = token.scope { b.long("granted scope", Text.oneLine(s)) }
            if JWT.decode(token.value) == nil { b.kv("format", "opaque (not a JWT)", Theme.dim) }
        } else {
            b.kv("access_token", "(none)", Theme.dim)
        }
        if let s = entry.style {
            b.kv("auth style", s == .basic ? "basic (Authorization header)" : "body (form fields)")
        }
        let others = (entry.routeIDs.isEmpty ? context.entryForRoute.filter { $0.value == entry.id }.keys.sorted() : entry.routeIDs)
            .filter { $0 != route.id }
        if others.isEmpty {
            b.kv("shared with", "no other route", Theme.dim)
        } else {
            for (k, id) in others.prefix(8).enumerated() {
                guard let i = routeIndexByID[id] else { continue }
                let r = context.routes[i]
                b.kv(k == 0 ? "shared with" : "", [Span(r.method, Theme.bold), Span(" \(Text.oneLine(r.endpoint)) "),
                                                   Span("→ \(Text.oneLine(Self.backendText(r, scheme: false)))", Theme.dim)])
            }
            if others.count > 8 { b.kv("", "… and \(others.count - 8) more", Theme.dim) }
        }
        if let next = entry.nextRefreshAt, entry.lastFailure == nil {
            b.kv("next refresh", "\(Text.clock(next)) UTC (\(Text.relative(next, now: now)))")
        }
        b.kv("requests", "\(entry.requestCount) to the token endpoint")
    }

    private func addJWT(_ jwt: JWT, token: AccessToken, to b: inout DetailBuilder) {
        b.section("JWT")
        var head: [String] = []
        if let a = jwt.algorithm { head.append("alg \(Text.oneLine(a))") }
        if let t = jwt.type { head.append("typ \(Text.oneLine(t))") }
        if let k = jwt.keyID { head.append("kid \(Text.oneLine(k))") }
        b.kv("header", head.isEmpty ? "(empty)" : head.joined(separator: "  "))
        for (key, value) in jwt.header.sorted(by: { $0.key < $1.key }) where !["alg", "typ", "kid"].contains(key) {
            b.kv("", "\(Text.oneLine(key)) \(Text.oneLine(value.display))", Theme.dim)
        }
        if let v = jwt.issuer { b.kv("iss", Text.oneLine(v)) }
        if let v = jwt.subject { b.kv("sub", Text.oneLine(v)) }
        if !jwt.audience.isEmpty { b.kv("aud", Text.oneLine(jwt.audience.joined(separator: ", "))) }
        if let v = jwt.scope { b.kv("scope", Text.oneLine(v)) }
        for (name, date) in [("iat", jwt.issuedAt), ("nbf", jwt.notBefore), ("exp", jwt.expiresAt)] {
            if let d = date { b.kv(name, "\(Format.timestamp(d)) (\(Text.relative(d, now: now)))") }
        }
        for (key, value) in jwt.otherClaims { b.kv(Text.oneLine(key), Text.oneLine(value.display)) }
        if let exp = jwt.expiresAt {
            if let expiry = token.expiry {
                let diff = exp.timeIntervalSince(expiry)
                if abs(diff) > 5 {
                    b.wrapped("", "! JWT exp and expires_in disagree by \(Int(abs(diff).rounded()))s (exp is \(diff > 0 ? "later" : "earlier")); the gateway goes by expires_in", style: Theme.warning)
                }
            } else {
                b.wrapped("", "! the JWT has exp but expires_in was absent: the gateway keeps using it after exp", style: Theme.warning)
            }
        }
    }

    private func addAttempts(_ entry: TokenEntrySnapshot, to b: inout DetailBuilder) {
        let shown = entry.attempts.prefix(20)
        b.section(entry.attempts.isEmpty ? "Attempts" : "Attempts (newest first, \(shown.count) of \(entry.attempts.count))")
        if shown.isEmpty { b.kv("", "none yet", Theme.dim); return }
        b.raw([Span(String(repeating: " ", count: Self.indent)),
               Span("TIME      TRIGGER    OUTCOME  STATUS  STYLE  DURATION  EXCHANGES", Theme.label)])
        for a in shown {
            let outcome = a.succeeded ? Span(DisplayWidth.pad("ok", to: 7), Theme.success) : Span(DisplayWidth.pad("failed", to: 7), Theme.error)
            var line: Line = [
                Span(String(repeating: " ", count: Self.indent)),
                Span(Text.clock(a.started) + "  "),
                Span(DisplayWidth.pad(a.trigger.rawValue, to: 9) + "  "),
                outcome, Span("  "),
                Span(DisplayWidth.pad(a.status.map(String.init) ?? "—", to: 6, alignRight: true) + "  "),
                Span(DisplayWidth.pad(Self.styleText(a), to: 5) + "  "),
                Span(DisplayWidth.pad(Format.latency(a.duration), to: 8, alignRight: true) + "  "),
            ]
            if a.exchanges.count > 1 {
                line.append(Span(a.exchanges.map { "\($0.style.rawValue) → \($0.status.map(String.init) ?? "no response")" }.joined(separator: ", ")))
                if a.failure != nil { line.append(Span("  ")) }
            }
            if let f = a.failure { line.append(Span(Text.oneLine(f.summary), Theme.error)) }
            b.raw(line)
        }
    }

    private func addFailure(_ f: TokenFailure, entry: TokenEntrySnapshot, to b: inout DetailBuilder) {
        b.section("Last error")
        if let s = f.status { b.kv("status", "\(s)" + ((f.reason?.isEmpty ?? true) ? "" : " \(Text.oneLine(f.reason!))"), Theme.errorBold) }
        b.kv("kind", f.kind.rawValue)
        if let e = f.error { b.kv("error", Text.oneLine(e), Theme.errorBold) }
        if let d = f.errorDescription { b.wrapped("error_description", Text.oneLine(d)) }
        if let u = f.errorURI { b.kv("error_uri", Text.oneLine(u)) }
        if let w = f.wwwAuthenticate { b.wrapped("WWW-Authenticate", Text.oneLine(w)) }
        if let r = f.retryAfter { b.kv("Retry-After", Text.oneLine(r)) }
        if let c = f.contentType { b.kv("Content-Type", Text.oneLine(c)) }
        if let body = f.bodyPreview {
            if body.isEmpty {
                b.kv("body", "(empty)", Theme.dim)
            } else {
                let pieces = Text.hardWrap(Text.escapeControls(body), width: b.valueWidth)
                for (k, p) in pieces.prefix(6).enumerated() { b.kv(k == 0 ? "body" : "", p) }
                if pieces.count > 6 { b.kv("", "…", Theme.dim) }
            }
        }
        if let t = f.transportError { b.kv("transport", t.description) }
        let messageLines = f.message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (k, m) in messageLines.prefix(4).enumerated() { b.wrapped(k == 0 ? "gateway says" : "", Text.oneLine(m), style: Theme.dim) }
        if let retry = entry.nextRetryAt {
            let dt = retry.timeIntervalSince(now)
            b.kv("next retry", dt > 0 ? "in \(Format.countdown(dt)) (\(Text.clock(retry)) UTC)" : "due now", Theme.warning)
        }
        if entry.consecutiveFailures > 1 { b.kv("failures", "\(entry.consecutiveFailures) in a row") }
    }

    /// The style that worked; for failures the one tried, or `both` when Basic and body were.
    static func styleText(_ a: Attempt) -> String {
        if let s = a.style { return s.rawValue }
        if a.exchanges.count > 1 { return "both" }
        return a.exchanges.first?.style.rawValue ?? "—"
    }

    static func durationText(_ d: Duration) -> String {
        let ms = d.wholeMilliseconds
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    // MARK: Drawing

    func drawDetail(into screen: inout Screen) {
        let size = screen.size
        let lines = detailLines(width: size.width)
        var title: Line = [Span("Details", Theme.barBold)]
        if let r = selectedRoute {
            title += [Span(" · "), Span(r.method, Theme.bold), Span(" \(Text.oneLine(r.endpoint)) → \(Text.oneLine(Self.backendText(r)))")]
        }
        drawScrolledPane(lines, scroll: detailScroll, rows: max(1, size.height - 3), title: title, into: &screen)
        let status = size.height - 2
        if revealed {
            screen.put(" TOKEN REVEALED — press v to hide ", row: status, col: 1, style: Theme.revealWarning)
        } else if let f = flash {
            drawFlash(f, into: &screen, row: status, maxWidth: size.width - 2)
        }
        let ro = context.readonly
        let canRefresh = selectedRoute.map { $0.isProtected && !$0.isDisabled } ?? false
        let hasToken = selectedRoute.flatMap { entry(forRoute: $0.id)?.token } != nil
        var order: [KeyAction] = [.lineUp]
        if hasToken { order.append(.reveal) }
        if canRefresh { order.append(.refresh) }
        order += [.testCall, .close, .help]
        var hints = KeyMap.hints(.detail, order: order, readonly: ro)
        if revealed, let i = hints.firstIndex(where: { $0.key == "v" }) { hints[i].text = "hide token" }
        drawHints(into: &screen, row: size.height - 1, hints: hints)
    }
}

/// Cuts a line to `width` columns, ending in `…` (in the style of the span that was cut).
func clip(_ line: Line, to width: Int) -> Line {
    guard width > 0 else { return [] }
    guard line.width > width else { return line }
    var out: Line = []
    var used = 0
    let limit = width - 1
    for span in line {
        var piece = ""
        var cut = false
        for ch in span.text {
            let w = DisplayWidth.of(ch)
            if used + w > limit { cut = true; break }
            piece.append(ch); used += w
        }
        if !piece.isEmpty { out.append(Span(piece, span.style)) }
        if cut || used >= limit { out.append(Span("…", span.style)); return out }
    }
    return out
}

/// Accumulates `label  value` lines with a fixed label column.
struct DetailBuilder {
    var width: Int
    var lines: [Line] = []

    var valueWidth: Int { max(10, width - DashboardModel.indent - DashboardModel.labelWidth - 2) }

    mutating func section(_ title: String) {
        if !lines.isEmpty { lines.append([]) }
        lines.append([Span(" "), Span(title, Theme.section)])
    }

    mutating func kv(_ label: String, _ value: Line) {
        lines.append([Span(String(repeating: " ", count: DashboardModel.indent)),
                      Span(DisplayWidth.pad(label, to: DashboardModel.labelWidth), Theme.label), Span(" ")] + value)
    }

    mutating func kv(_ label: String, _ value: String, _ style: Style = .plain) { kv(label, [Span(value, style)]) }

    /// A styled label (a severity) in the label column.
    mutating func kv(_ label: Line, _ value: Line) {
        let pad = max(0, DashboardModel.labelWidth - label.width)
        lines.append([Span(String(repeating: " ", count: DashboardModel.indent))] + label
                     + [Span(String(repeating: " ", count: pad + 1))] + value)
    }

    mutating func raw(_ line: Line) { lines.append(line) }

    /// Values that must not lose their end (URLs, ids): hard-wrapped over at most 3 rows.
    mutating func long(_ label: String, _ value: String, style: Style = .plain) {
        let pieces = Text.hardWrap(value, width: valueWidth)
        for (k, p) in pieces.prefix(3).enumerated() {
            let last = k == 2 && pieces.count > 3
            kv(k == 0 ? label : "", last ? DisplayWidth.truncate(p + "…", to: valueWidth) : p, style)
        }
    }

    /// Prose shown in full (lint explanations): word-wrapped, no row limit.
    mutating func prose(_ label: String, _ value: String, style: Style = .plain) {
        for (k, p) in Text.wordWrap(value, width: valueWidth).enumerated() { kv(k == 0 ? label : "", p, style) }
    }

    /// Prose that deserves all its words (descriptions, server messages): wrapped, at most 4 rows.
    mutating func wrapped(_ label: String, _ value: String, style: Style = .plain) {
        let pieces = Text.wordWrap(value, width: valueWidth)
        for (k, p) in pieces.prefix(4).enumerated() {
            let last = k == 3 && pieces.count > 4
            kv(k == 0 ? label : "", last ? DisplayWidth.truncate(p + " …", to: valueWidth) : p, style)
        }
    }
}
