import TerminalScreen
import Foundation
import GatewayConfig
import TokenKit

/// Test calls: `t` → prompt (when values are needed) → `Effect.testCall` → response pane, which
/// fills in when `Msg.callFinished` arrives. All of it pure; the runtime does the networking.
extension DashboardModel {
    static let bodyMethods: Set<String> = ["POST", "PUT", "PATCH"]

    func route(id: Int) -> Route? { routeIndexByID[id].map { context.routes[$0] } }

    /// The report of the call the pane is about, once it arrived.
    public var paneReport: CallReport? {
        guard let p = pane, let r = callReports[p.spec.routeID], r.callID == p.spec.callID else { return nil }
        return r
    }

    /// The form `t` shows for a route: its placeholders, a host when it must be chosen or typed,
    /// a body for POST/PUT/PATCH; prefilled with what was typed last time for this route.
    func makeForm(_ route: Route) -> CallForm {
        let memory = callMemory[route.id] ?? CallMemory()
        var fields: [CallForm.Field] = []
        var values: [String] = []
        for p in context.placeholders(route) {
            fields.append(.placeholder(p))
            values.append(memory.params[p.name] ?? "")
        }
        if route.serviceDiscovery != .static || route.hosts.isEmpty {
            fields.append(.hostText)
            values.append(memory.hostOverride ?? "")
        } else if route.hosts.count > 1 {
            fields.append(.hostChoice)
            values.append("")
        }
        if Self.bodyMethods.contains(route.method.uppercased()) {
            fields.append(.body)
            values.append(memory.body ?? "")
        }
        var form = CallForm(routeID: route.id, fields: fields, values: values)
        form.hostIndex = min(max(0, memory.hostIndex), max(0, route.hosts.count - 1))
        // Start where something is missing, else at the first field.
        form.focus = fields.indices.first { k in
            if case .placeholder = fields[k] { return values[k].isEmpty }
            return fields[k] == .hostText && values[k].isEmpty
        } ?? 0
        return form
    }

    /// `t`: test-call a route's backend (the selected row unless named), asking for values first
    /// when the call needs any.
    mutating func startCall(routeID: Int? = nil) -> [Effect] {
        guard let route = routeID.flatMap({ self.route(id: $0) }) ?? selectedRoute else {
            setFlash(.info, "no row selected")
            return []
        }
        if context.readonly {
            setFlash(.info, "read-only mode: test calls are disabled (--readonly)")
            return []
        }
        // The pane or detail pane the call is made from is where Esc returns to afterwards.
        let base: Mode
        switch mode {
        case .response: base = pane?.returnMode ?? .table
        case .detail: base = .detail
        default: base = .table
        }
        let form = makeForm(route)
        if form.fields.isEmpty { return submit(form, base: base) }
        callForm = form
        promptReturnMode = mode == .callPrompt ? promptReturnMode : mode
        mode = .callPrompt
        return []
    }

    /// Sends the form: remembers its values for the route, opens the response pane, asks the
    /// runtime for the call.
    mutating func submit(_ form: CallForm, base: Mode) -> [Effect] {
        var form = form
        var memory = callMemory[form.routeID] ?? CallMemory()
        var spec = CallSpec(callID: nextCallID, routeID: form.routeID)
        for (k, field) in form.fields.enumerated() {
            let value = form.values[k]
            switch field {
            case .placeholder(let p):
                spec.params[p.name] = value
                memory.params[p.name] = value
            case .hostChoice:
                spec.hostIndex = form.hostIndex
                memory.hostIndex = form.hostIndex
            case .hostText:
                let host = value.trimmingCharacters(in: .whitespaces)
                guard !host.isEmpty else {
                    form.focus = k
                    form.problem = "give the host URL to call (e.g. http://localhost:8080)"
                    callForm = form
                    return []
                }
                spec.hostOverride = host
                memory.hostOverride = host
            case .body:
                spec.body = value.isEmpty ? nil : value
                memory.body = value
            }
        }
        nextCallID += 1
        callMemory[form.routeID] = memory
        callForm = nil
        return begin(spec, base: base, refresh: false)
    }

    /// Opens the pane for `spec` and returns the effect that runs it.
    private mutating func begin(_ spec: CallSpec, base: Mode, refresh: Bool, previous: CallReport? = nil) -> [Effect] {
        callsPending[spec.routeID] = spec.callID
        contentWidths.call = max(contentWidths.call, DisplayWidth.of(Self.pendingCallText))
        var p = ResponsePane(spec: spec, startedAt: now, returnMode: base)
        p.previous = previous
        p.refreshed = refresh
        pane = p
        mode = .response
        return [refresh ? .refreshAndCall(spec) : .testCall(spec)]
    }

    static let pendingCallText = "calling…"

    mutating func showCallResult(_ report: CallReport) {
        if callsPending[report.routeID] == report.callID { callsPending[report.routeID] = nil }
        if report.callID >= (callReports[report.routeID]?.callID ?? 0) {
            callReports[report.routeID] = report
            contentWidths.call = max(contentWidths.call, DisplayWidth.of(Self.callCellText(report)))
            if !filter.isEmpty { rebuildVisible() }
        }
        if mode == .response, pane?.spec.callID == report.callID {
            clampPaneScroll()
            return
        }
        guard let route = route(id: report.routeID) else { return }
        let text = "test call \(route.method) \(Text.oneLine(route.endpoint)): \(Text.oneLine(report.summary))"
        setFlash(report.isSuccess ? .success : .error, text)
    }

    /// The CALL cell: `200 OK`, `403 Forbidden`, `refused`, `no token`.
    static func callCellText(_ r: CallReport) -> String { Text.oneLine(r.statusSummary) }

    static func callStyle(_ r: CallReport) -> Style {
        if r.isSuccess { return Theme.success }
        if case .response = r.outcome, let s = r.status, (300...399).contains(s) { return Theme.warning }
        return Theme.error
    }

    // MARK: Prompt keys

    mutating func handlePromptKey(_ key: Key) -> [Effect] {
        guard var form = callForm, let route = route(id: form.routeID) else { mode = .table; return [] }
        form.problem = nil
        let last = form.fields.count - 1
        // The host field takes digits and space as choices; every other field takes characters as text.
        if form.focusedField == .hostChoice, case .char(let c) = key {
            let n = max(1, route.hosts.count)
            if c == " " { form.hostIndex = (form.hostIndex + 1) % n }
            if let d = c.wholeNumberValue, d >= 1, d <= route.hosts.count { form.hostIndex = d - 1 }
            callForm = form
            return []
        }
        switch KeyMap.action(for: key, in: .prompt) {
        case .cancel:
            callForm = nil
            mode = promptReturnMode
            setFlash(.info, "test call cancelled")
            return []
        case .nextFieldOrCall:
            if form.focus < last { form.focus += 1 } else {
                let base: Mode = promptReturnMode == .response ? (pane?.returnMode ?? .table) : (promptReturnMode == .detail ? .detail : .table)
                return submit(form, base: base)
            }
        case .fieldNext:
            form.focus = (form.focus + 1) % form.fields.count
        case .fieldPrevious:
            form.focus = (form.focus + form.fields.count - 1) % form.fields.count
        case .hostPrevious where form.focusedField == .hostChoice, .hostNext where form.focusedField == .hostChoice:
            let n = max(1, route.hosts.count)
            form.hostIndex = (form.hostIndex + (key == .left ? n - 1 : 1)) % n
        default:
            // ⌫, Ctrl-U and typed characters: the one text-editing rule.
            if form.isTextField, let text = TextEdit.apply(key, to: form.values[form.focus]) { form.values[form.focus] = text }
        }
        callForm = form
        return []
    }

    // MARK: Response pane keys

    mutating func handleResponseKey(_ key: Key) -> [Effect] {
        guard var p = pane else { mode = .table; return [] }
        let rows = Self.paneRows(for: size)
        if p.filterEditing {
            switch key {
            case .enter: p.filterEditing = false
            case .escape: p.filterEditing = false; p.filter = ""
            // ⌫ on an empty filter leaves the prompt.
            case .backspace where p.filter.isEmpty, .delete where p.filter.isEmpty: p.filterEditing = false
            case .up, .mouseWheelUp: p.scroll -= 1
            case .down, .mouseWheelDown: p.scroll += 1
            case .pageUp: p.scroll -= rows
            case .pageDown: p.scroll += rows
            default: if let text = TextEdit.apply(key, to: p.filter) { p.filter = text }
            }
            if case .char = key { p.scroll = 0 }
            if key == .backspace || key == .delete || key == .ctrl("u") { p.scroll = 0 }
            pane = p
            clampPaneScroll()
            return []
        }
        guard let action = KeyMap.action(for: key, in: .response) else { return [] }
        if let to = Viewport.scrolled(p.scroll, by: action, page: rows) {
            p.scroll = to
        } else {
            switch action {
            case .close:
                // Esc clears a filter first; q always closes.
                if key == .escape, !p.filter.isEmpty { p.filter = ""; p.scroll = 0 } else { mode = p.returnMode }
            case .filterLines: p.filterEditing = true
            case .callAgain:
                pane = p
                return startCall(routeID: p.spec.routeID)
            case .newTokenAndCall:
                pane = p
                return refreshAndCallAgain()
            case .help:
                pane = p
                openHelp()
                return []
            default: break
            }
        }
        pane = p
        clampPaneScroll()
        return []
    }

    /// Whether the pane offers `r` now, and if not, why (for the flash).
    func refreshOffer() -> (ok: Bool, reason: String) {
        guard let p = pane else { return (false, "no test call") }
        guard let report = paneReport else { return (false, "the call is still running") }
        guard report.authError != nil else {
            return (false, "r fetches a new token and calls again after a 401/403 whose WWW-Authenticate carries an error")
        }
        guard let route = route(id: p.spec.routeID), let creds = route.credentials, !creds.isDisabled,
              context.entryForRoute[route.id] != nil else {
            return (false, "this backend gets no token from the gateway: a new token would change nothing")
        }
        if context.readonly { return (false, "read-only mode: refreshing is disabled (--readonly)") }
        return (true, "")
    }

    /// `r` in the pane: fresh token, same call.
    mutating func refreshAndCallAgain() -> [Effect] {
        let offer = refreshOffer()
        guard offer.ok, let p = pane, let report = paneReport else {
            setFlash(.info, offer.reason)
            return []
        }
        var spec = p.spec
        spec.callID = nextCallID
        nextCallID += 1
        return begin(spec, base: p.returnMode, refresh: true, previous: report)
    }

    static func paneRows(for size: Size) -> Int { max(1, size.height - 3) }

    mutating func clampPaneScroll() {
        guard var p = pane else { return }
        let count = responseLines(width: size.width).count
        p.scroll = min(max(0, p.scroll), max(0, count - Self.paneRows(for: size)))
        pane = p
    }
}
