import TerminalScreen
import Foundation
import GatewayConfig
import TokenKit

/// Drawing of the test-call prompt and the response pane.
extension DashboardModel {
    // MARK: URLs for display

    /// Host and pattern with the values pasted in (unescaped: for people, not for the wire).
    static func displayURL(_ route: Route, hostIndex: Int, hostOverride: String?, params: [String: String]) -> String {
        var host = hostOverride ?? (route.hosts.indices.contains(hostIndex) ? route.hosts[hostIndex] : route.hosts.first ?? "")
        if host.isEmpty { host = "(host?)" }
        var path = route.urlPattern
        for (name, value) in params.sorted(by: { $0.key.count > $1.key.count }) {
            path = path.replacingOccurrences(of: "{\(name)}", with: value.isEmpty ? "{\(name)}" : value)
        }
        return host + path
    }

    static func displayURL(_ route: Route, form: CallForm) -> String {
        var params: [String: String] = [:]
        var override: String?
        for (k, f) in form.fields.enumerated() {
            switch f {
            case .placeholder(let p): params[p.name] = form.values[k]
            case .hostText: override = form.values[k].isEmpty ? nil : form.values[k]
            default: break
            }
        }
        return displayURL(route, hostIndex: form.hostIndex, hostOverride: override, params: params)
    }

    // MARK: Prompt

    /// The prompt box, over a dimmed copy of the screen it was opened from.
    func drawCallPrompt(into screen: inout Screen) {
        guard let form = callForm, let route = route(id: form.routeID) else { return }
        let size = screen.size
        for r in 0..<size.height { screen.restyle(row: r) { $0.dim = true; $0.bold = false; $0.fg = .default; $0.reverse = false } }
        let width = min(size.width - 4, 96)
        let inner = width - 4
        let labels = form.fields.map { Self.fieldLabel($0) }
        let labelWidth = min(max(8, labels.map { DisplayWidth.of($0) }.max() ?? 0) + 2, inner / 3)
        let valueWidth = max(4, inner - labelWidth)

        var lines: [Line] = []
        var cursorLine: Int?
        var cursorCol = 0
        lines.append([Span(route.method, Theme.bold), Span(" " + Text.oneLine(route.endpoint)),
                      Span(route.credentials.map { $0.isDisabled ? "  no token (is_disabled)" : "  with \($0.clientID)'s token" } ?? "  unprotected: no token",
                           Theme.dim)])
        let method = route.method.uppercased()
        lines.append([Span("→ ", Theme.dim), Span(method + " ", Theme.bold), Span(Text.oneLine(Self.displayURL(route, form: form)))])
        lines.append([])
        for (k, field) in form.fields.enumerated() {
            let focused = k == form.focus
            var line: Line = [Span(DisplayWidth.pad((focused ? "›" : " ") + labels[k], to: labelWidth), focused ? Theme.key : Theme.label)]
            switch field {
            case .hostChoice:
                let n = route.hosts.count
                let host = route.hosts.indices.contains(form.hostIndex) ? route.hosts[form.hostIndex] : "?"
                line += [Span("◀ ", focused ? Theme.key : Theme.dim), Span("\(form.hostIndex + 1)/\(n)", Theme.bold),
                         Span(" ▶ ", focused ? Theme.key : Theme.dim), Span(Text.oneLine(host))]
            default:
                var text = Text.oneLine(form.values[k])
                let room = valueWidth - 1
                if DisplayWidth.of(text) > room {
                    // Keep the end in view while typing: the start gives way to `…`.
                    var tail = ""
                    var w = 1
                    for ch in text.reversed() {
                        let cw = DisplayWidth.of(ch)
                        if w + cw > room { break }
                        tail.insert(ch, at: tail.startIndex); w += cw
                    }
                    text = "…" + tail
                }
                let shown = text.isEmpty && !focused ? Self.fieldPlaceholder(field) : text
                let style = text.isEmpty && !focused ? Theme.dim : (focused ? Style(underline: true) : .plain)
                line.append(Span(shown, style))
                if focused {
                    cursorLine = lines.count
                    cursorCol = labelWidth + DisplayWidth.of(text)
                    let pad = valueWidth - DisplayWidth.of(text)
                    if pad > 0 { line.append(Span(String(repeating: " ", count: pad), Style(underline: true))) }
                }
            }
            lines.append(line)
        }
        // What the focused field is about (where the gateway gets the value).
        var about: [Line] = []
        for piece in Text.wordWrap(Self.fieldNote(form.focusedField, route: route), width: inner - labelWidth) {
            about.append([Span(String(repeating: " ", count: labelWidth)), Span(piece, Theme.dim)])
        }
        lines.append([])
        lines += about.prefix(3)
        if let problem = form.problem {
            lines.append([Span(String(repeating: " ", count: labelWidth)), Span(problem, Theme.errorBold)])
        }
        // Too little room: the blank lines go first, then the explanation.
        let maxLines = size.height - 4
        while lines.count > maxLines, let blank = lines.lastIndex(where: { $0.isEmpty }) {
            lines.remove(at: blank)
            if let c = cursorLine, blank < c { cursorLine = c - 1 }
        }
        if lines.count > maxLines { lines = Array(lines.prefix(max(1, maxLines))) }

        let height = lines.count + 2
        let top = max(0, (size.height - 1 - height) / 2)
        let left = (size.width - width) / 2
        for r in top..<min(size.height, top + height) { screen.fill(row: r, col: left, width: width, style: .plain) }
        let border = Theme.dim
        screen.put("┌" + String(repeating: "─", count: width - 2) + "┐", row: top, col: left, style: border)
        screen.put("└" + String(repeating: "─", count: width - 2) + "┘", row: top + height - 1, col: left, style: border)
        for r in (top + 1)..<(top + height - 1) {
            screen.put("│", row: r, col: left, style: border)
            screen.put("│", row: r, col: left + width - 1, style: border)
        }
        screen.put(" Test call ", row: top, col: left + 2, style: Theme.bold)
        let sends = form.focus == form.fields.count - 1
        let hint = sends ? " Enter calls · Esc cancels " : " Enter next · Esc cancels "
        screen.put(hint, row: top + height - 1, col: left + width - 1 - DisplayWidth.of(hint) - 1, style: Theme.dim)
        for (k, line) in lines.enumerated() {
            screen.put(line, row: top + 1 + k, col: left + 2, maxWidth: inner)
        }
        if let c = cursorLine, c < lines.count {
            screen.cursor = (top + 1 + c, min(left + 2 + cursorCol, left + width - 2))
        }
        screen.fill(row: size.height - 1, style: .plain)
        var hints = [Hint(key: "Enter", text: sends ? "call" : "next field")]
        if form.fields.count > 1 { hints.append(Hint(key: "Tab ↑↓", text: "field")) }
        if form.fields.contains(.hostChoice) { hints.append(Hint(key: "←→", text: "host")) }
        hints += [Hint(key: "⌫", text: "delete"), Hint(key: "^U", text: "clear"), Hint(key: "Esc", text: "cancel")]
        drawHints(into: &screen, row: size.height - 1, hints: hints)
    }

    static func fieldLabel(_ f: CallForm.Field) -> String {
        switch f {
        case .placeholder(let p): "{\(p.name)}"
        case .hostChoice, .hostText: "host"
        case .body: "body"
        }
    }

    /// Shown in an empty field that does not have the keyboard.
    static func fieldPlaceholder(_ f: CallForm.Field) -> String {
        switch f {
        case .placeholder: "(empty)"
        case .hostText: "http://host:port"
        case .body: "(no body)"
        case .hostChoice: ""
        }
    }

    static func fieldNote(_ f: CallForm.Field, route: Route) -> String {
        switch f {
        case .placeholder(let p):
            return p.isRuntimeOnly ? p.note + "." : "{\(p.name)}: " + p.note + "."
        case .hostChoice:
            return "The backend has \(route.hosts.count) hosts and the gateway picks one at random per call: ←→ (or 1–9) chooses the one to call."
        case .hostText:
            if route.serviceDiscovery != .static {
                return "sd: \(route.serviceDiscovery.rawValue): tokentop does not resolve the service \(route.hosts.first ?? "") — type the URL of one instance, e.g. http://10.0.0.7:8080."
            }
            return "The backend has no host (and the config no root host): type the URL to call."
        case .body:
            return "Sent as the request body (JSON or text, Content-Type guessed); @path sends a file's contents; empty sends none."
        }
    }

    // MARK: Response pane

    /// The pane as lines: a summary (status, timing, token, the `r` offer), notes, the body, the
    /// response and request headers. With a filter, only the matching lines, matches marked.
    func responseLines(width: Int) -> [Line] {
        guard let p = pane else { return [] }
        var lines = allResponseLines(p, width: width)
        if !p.filter.isEmpty {
            let needle = Array(p.filter.lowercased())
            lines = lines.compactMap { highlight($0, needle: needle) }
        }
        return lines
    }

    private func allResponseLines(_ p: ResponsePane, width: Int) -> [Line] {
        var b = DetailBuilder(width: width)
        guard let route = route(id: p.spec.routeID) else { return [] }
        let url = Self.displayURL(route, hostIndex: p.spec.hostIndex, hostOverride: p.spec.hostOverride, params: p.spec.params)
        if let prev = p.previous {
            b.raw([Span(" "), Span("First answer  ", Theme.dim), Span(Text.oneLine(prev.statusSummary), Self.callStyle(prev)),
                   Span(prev.authError.map { " (\(Text.oneLine($0)))" } ?? ""), Span(prev.tokenMasked.map { " with \($0)" } ?? "", Theme.dim)])
        }
        guard let r = paneReport else {
            let waited = max(0, now.timeIntervalSince(p.startedAt))
            b.raw([Span(" "), Span(p.refreshed ? "Fetching a new token, then calling" : "Calling", Theme.warning),
                   Span(" \(route.method.uppercased()) "), Span(Text.oneLine(url)), Span(" …", Theme.dim)])
            b.kv("waiting", Format.countdown(waited), Theme.dim)
            b.prose("", "Esc closes the pane; the call goes on and its row shows the answer.", style: Theme.dim)
            return b.lines
        }
        // Summary.
        let glyph = r.isSuccess ? "✓ " : "✕ "
        var head: Line = [Span(" "), Span(glyph + Text.oneLine(r.statusSummary), Self.callStyle(r).bolded)]
        switch r.outcome {
        case .tokenFailed: head.append(Span(": the token fetch failed, the backend was not called"))
        case .notSent: head.append(Span(": the request could not be built"))
        case .noResponse: head.append(Span(": no answer"))
        case .redirectNotFollowed: head.append(Span(": not followed (the token would go along)"))
        case .tooManyRedirects: head.append(Span(": stopped"))
        case .response: break
        }
        b.raw(head)
        if let e = r.error { b.prose("error", Text.oneLine(e), style: Theme.error) }
        b.long("request", "\(r.method) \(Text.oneLine(r.url.isEmpty ? url : r.url))")
        if let l = r.latency {
            var t = Format.latency(l)
            t += r.timeToFirstByte.map { ", first byte after \(Format.latency($0))" } ?? ""
            b.kv("took", t)
        }
        if let token = r.tokenMasked {
            b.kv("token", [Span(token), Span(r.tokenFetched ? "  fetched for this call" : "", Theme.dim)])
        } else if case .response = r.outcome {
            b.kv("token", route.isProtected ? (route.isDisabled ? "none (is_disabled: the gateway sends none)" : "none")
                                            : "none (unprotected backend)", Theme.dim)
        }
        if r.status != nil {
            var size = "\(r.bodySize) byte\(r.bodySize == 1 ? "" : "s")"
            if let ct = r.contentType { size += ", " + Text.oneLine(ct) }
            b.kv("body", size)
        }
        for h in r.hops { b.long("redirect", Text.oneLine(h), style: Theme.dim) }
        if case .redirectNotFollowed(let location) = r.outcome { b.long("location", Text.oneLine(location), style: Theme.warning) }
        if let w = r.wwwAuthenticate, let s = r.status, s == 401 || s == 403 {
            b.prose("WWW-Authenticate", Text.oneLine(w), style: Theme.warning)
        }
        if let err = r.authError {
            let (ok, _) = refreshOffer()
            let key: Line = [Span("r", ok ? Theme.key : Theme.dim), Span(" new token, call again", ok ? Theme.bold : Theme.dim)]
            b.kv("", key)
            b.prose("", Self.authErrorAdvice(err), style: Theme.dim)
        }
        if !r.notes.isEmpty {
            b.section("Notes")
            for n in r.notes {
                for (k, piece) in Text.wordWrap(Text.oneLine(n), width: max(10, width - Self.indent - 3)).enumerated() {
                    b.raw([Span(String(repeating: " ", count: Self.indent)), Span(k == 0 ? "· " : "  ", Theme.dim), Span(piece)])
                }
            }
        }
        if r.status != nil {
            var title = "Body"
            if r.bodyKind != "empty" { title += " · \(r.bodyKind)" }
            if r.bodyTruncated { title += " (cut: the preview ends here)" }
            b.section(title)
            if r.bodyText.isEmpty {
                b.raw([Span(String(repeating: " ", count: Self.indent + 1)), Span("(empty)", Theme.dim)])
            } else {
                let bodyWidth = max(10, width - Self.indent - 1)
                for raw in r.bodyText.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
                    let clean = Text.escapeControls(raw.replacingOccurrences(of: "\t", with: "    "))
                    for piece in Text.hardWrap(clean, width: bodyWidth) {
                        b.raw([Span(String(repeating: " ", count: Self.indent + 1)), Span(piece)])
                    }
                }
            }
            b.section("Response headers (\(r.headers.count))")
            for h in r.headers { b.lines += Self.headerLines(h, width: width) }
        }
        if !r.requestHeaders.isEmpty {
            b.section("Request headers (\(r.requestHeaders.count))" + (r.requestBodySize > 0 ? " · body \(r.requestBodySize) bytes" : ""))
            for h in r.requestHeaders { b.lines += Self.headerLines(h, width: width) }
        }
        return b.lines
    }

    /// `Name: value`, long values wrapped under themselves with a hanging indent.
    static func headerLines(_ h: HTTPHeader, width: Int) -> [Line] {
        let name = Text.oneLine(h.name) + ": "
        let first = max(10, width - indent - 1 - DisplayWidth.of(name))
        let rest = max(10, width - indent - 5)
        var pieces = Text.hardWrap(Text.oneLine(h.value), width: first)
        var out: [Line] = [[Span(String(repeating: " ", count: indent + 1)), Span(name, Theme.bold), Span(pieces.removeFirst())]]
        if !pieces.isEmpty {
            for p in Text.hardWrap(pieces.joined(), width: rest) {
                out.append([Span(String(repeating: " ", count: indent + 5)), Span(p)])
            }
        }
        return out
    }

    /// What a `WWW-Authenticate` error means for a new token.
    static func authErrorAdvice(_ error: String) -> String {
        switch error.lowercased() {
        case "invalid_token":
            return "invalid_token: the backend does not accept this token (expired, revoked, or for another audience or issuer); a new token may help — the gateway itself keeps sending the old one until it expires."
        case "insufficient_scope":
            return "insufficient_scope: the token lacks a scope the backend wants; a new token for the same client usually gets the same scopes — check \"scopes\" in the config and what the identity provider grants this client."
        case "invalid_request":
            return "invalid_request: the backend found the request malformed (the Authorization header, or a parameter); a new token rarely helps."
        default:
            return "\(error): the backend's reason for refusing the token."
        }
    }

    /// The line with every match of `needle` marked, or nil when it has none.
    private func highlight(_ line: Line, needle: [Character]) -> Line? {
        let chars = line.flatMap { span in span.text.map { ($0, span.style) } }
        let lower = chars.map { Character($0.0.lowercased()) }
        guard !needle.isEmpty, lower.count >= needle.count else { return nil }
        var hit = [Bool](repeating: false, count: chars.count)
        var found = false
        var i = 0
        while i + needle.count <= lower.count {
            if Array(lower[i..<(i + needle.count)]) == needle {
                for k in i..<(i + needle.count) { hit[k] = true }
                found = true
                i += needle.count
            } else {
                i += 1
            }
        }
        guard found else { return nil }
        var out: Line = []
        for (k, (ch, style)) in chars.enumerated() {
            let s = hit[k] ? Theme.match : style
            if let last = out.last, last.style == s { out[out.count - 1].text.append(ch) } else { out.append(Span(String(ch), s)) }
        }
        return out
    }

    func drawResponse(into screen: inout Screen) {
        guard let p = pane else { return }
        let size = screen.size
        let lines = responseLines(width: size.width)
        var title: Line = [Span("Test call", Theme.barBold)]
        if let route = route(id: p.spec.routeID) {
            title += [Span(" · "), Span(route.method, Theme.bold), Span(" \(Text.oneLine(route.endpoint))")]
        }
        let matches = p.filter.isEmpty ? "" : "\(lines.count) matching line\(lines.count == 1 ? "" : "s")"
        drawScrolledPane(lines, scroll: p.scroll, rows: Self.paneRows(for: size), title: title, note: matches, into: &screen)
        if !p.filter.isEmpty && lines.isEmpty {
            let msg = "no line matches \u{201C}\(Text.oneLine(p.filter))\u{201D}: Esc clears the filter"
            screen.put(msg, row: 3, col: max(0, (size.width - DisplayWidth.of(msg)) / 2), style: Theme.dim)
        }
        let status = size.height - 2
        if p.filterEditing {
            let prompt: Line = [Span("/", Theme.key), Span(Text.promptTail(Text.oneLine(p.filter), width: size.width - 4))]
            let end = screen.put(prompt, row: status, col: 1, maxWidth: size.width - 2)
            screen.cursor = (status, min(end, size.width - 1))
            let hint = "type to filter lines · Enter keep · Esc clear"
            let hw = DisplayWidth.of(hint)
            if end + hw + 4 < size.width { screen.put(hint, row: status, col: size.width - hw - 1, style: Theme.dim) }
        } else if let f = flash {
            drawFlash(f, into: &screen, row: status, maxWidth: size.width - 2)
        } else if !p.filter.isEmpty {
            screen.put([Span("filter ", Theme.dim), Span("\u{201C}\(Text.oneLine(p.filter))\u{201D}", Theme.warning),
                        Span(" · Esc clears", Theme.dim)], row: status, col: 1, maxWidth: size.width - 2)
        }
        var hints: [Hint]
        if p.filterEditing {
            hints = [Hint(key: "Enter", text: "keep"), Hint(key: "Esc", text: "clear"), Hint(key: "↑↓", text: "scroll")]
        } else {
            var order: [KeyAction] = [.lineUp, .filterLines]
            if paneReport?.authError != nil { order.append(.newTokenAndCall) }
            order += [.callAgain, .close, .help]
            hints = KeyMap.hints(.response, order: order, readonly: context.readonly)
            // r is offered after a 401/403 but may not help (no token from the gateway): dimmed then.
            if let i = hints.firstIndex(where: { $0.key == "r" }) { hints[i].disabled = !refreshOffer().ok }
            if !p.filter.isEmpty, let i = hints.firstIndex(where: { $0.key == "Esc" }) { hints[i].text = "clear filter" }
        }
        drawHints(into: &screen, row: size.height - 1, hints: hints)
    }
}

extension Style {
    var bolded: Style { var s = self; s.bold = true; return s }
}
