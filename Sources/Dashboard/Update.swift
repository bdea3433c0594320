import TerminalScreen
import Foundation
import GatewayConfig
import TokenKit

/// Applies one message to the model and returns what the runtime must do. Pure: the only clock is
/// the model's `now`, moved by `.tick`.
public func update(_ model: inout DashboardModel, _ msg: Msg) -> [Effect] {
    switch msg {
    case .tick(let date):
        model.now = date
        model.expireFlash()
        if model.recomputeStatesIfDue() && model.orderDependsOnState { model.rebuildVisible() }
        return []
    case .tokens(let snaps, let events):
        model.setEntries(snaps)
        model.events = events
        model.recomputeStates()
        model.rebuildVisible()
        model.eventScroll = min(model.eventScroll, max(0, events.count - 1))
        return []
    case .refreshFinished(let entryID, let attempt):
        model.showRefreshResult(entryID: entryID, attempt: attempt)
        return []
    case .lint(let findings):
        model.setFindings(findings)
        if !model.filter.isEmpty { model.rebuildVisible() }
        return []
    case .callFinished(let report):
        model.showCallResult(report)
        return []
    case .runtimeError(let text):
        model.setFlash(.error, Text.oneLine(text))
        return []
    case .key(let key):
        return model.handle(key)
    case .keys(let keys):
        return model.handle(batch: keys)
    }
}

extension DashboardModel {
    /// Time changes states (valid → expiring → expired), so state sort and a filter that may match
    /// state words must be recomputed when any state changes.
    var orderDependsOnState: Bool { sort == .state || !filter.isEmpty }

    mutating func expireFlash() {
        guard let f = flash, f.kind != .error, f.pendingEntryID == nil else { return }
        if now.timeIntervalSince(f.at) >= Self.successFlashSeconds { flash = nil }
    }

    mutating func setFlash(_ kind: Flash.Kind, _ text: String, pending: Int? = nil) {
        flash = Flash(kind, text, at: now, pendingEntryID: pending)
    }

    /// `client_id for GET /path` – how a token is named in flash messages.
    func tokenName(entryID: Int) -> String {
        let e = entries[entryID]
        let client = e?.credentials.clientID ?? context.routes.first { context.entryForRoute[$0.id] == entryID }?.credentials?.clientID ?? "#\(entryID)"
        let routeID = e?.routeIDs.first ?? context.entryForRoute.filter { $0.value == entryID }.keys.min()
        if let routeID, let i = routeIndexByID[routeID] {
            let r = context.routes[i]
            return "\(client) (\(r.method) \(r.endpoint))"
        }
        return client
    }

    mutating func showRefreshResult(entryID: Int, attempt: Attempt?) {
        let name = tokenName(entryID: entryID)
        guard let a = attempt else {
            setFlash(.error, "refresh of \(name): no result (unknown token)")
            return
        }
        if let f = a.failure {
            setFlash(.error, "refresh of \(name) failed: \(Text.oneLine(f.summary))")
        } else {
            var text = "refreshed \(name)"
            if let e = a.expiresIn { text += ": expires in \(Format.countdown(TimeInterval(e)))" } else { text += ": no expiry" }
            var extras: [String] = []
            if let s = a.style { extras.append(s.rawValue) }
            extras.append(Format.latency(a.duration))
            text += " (" + extras.joined(separator: ", ") + ")"
            setFlash(.success, text)
        }
    }

    // MARK: Keys

    /// Applies keys in order as `handle(_:)` does, with one filter pass at the end: filter edits
    /// inside the batch only change the text (see `setFilter`). Keys after a quit are dropped.
    mutating func handle(batch keys: [Key]) -> [Effect] {
        deferFilterRebuild = true
        var effects: [Effect] = []
        for key in keys {
            effects += handle(key)
            if effects.contains(.quit) { break }
        }
        deferFilterRebuild = false
        if filterStale { rebuildVisible() }
        return effects
    }

    /// Keys of the filter prompt that change the text or leave the prompt, and so need no
    /// up-to-date `visible` while a batch is being applied.
    private static func isFilterEdit(_ key: Key) -> Bool {
        switch key {
        case .char, .backspace, .delete, .ctrl("u"), .enter, .escape: return true
        default: return false
        }
    }

    mutating func handle(_ key: Key) -> [Effect] {
        // A batch deferred the filter pass: any key that moves, opens or acts on the selection
        // must see the rows the filter text now selects.
        if filterStale && !(filterEditing && Self.isFilterEdit(key)) { rebuildVisible() }
        if case .resize(let s) = key {
            size = s
            keepSelectionOnScreen()
            return []
        }
        if key == .ctrl("c") { return [.quit] }
        // Errors and info stay until the next key; this is that key (it still does its job).
        if let f = flash, f.kind != .success { flash = nil }
        if filterEditing { return handleFilterKey(key) }
        switch mode {
        case .table: return handleTableKey(key)
        case .detail: return handleDetailKey(key)
        case .events: return handleEventsKey(key)
        case .help: return handleHelpKey(key)
        case .confirmRefreshAll: return handleConfirmKey(key)
        case .callPrompt: return handlePromptKey(key)
        case .response: return handleResponseKey(key)
        case .lint: return handleLintKey(key)
        }
    }

    private mutating func moveSelection(_ key: Key) -> Bool {
        let page = Self.tableRows(for: size)
        let p = selectedPos ?? 0
        if case .mouseClick(let row, _) = key {
            // Table rows start below the two header lines and the column header.
            let r = row - 3
            guard r >= 0, r < page, scroll + r < visible.count else { return true }
            select(position: scroll + r)
            return true
        }
        switch KeyMap.action(for: key, in: .table) {
        case .lineUp: select(position: p - 1)
        case .lineDown: select(position: p + 1)
        case .pageUp: select(position: p - page)
        case .pageDown: select(position: p + page)
        case .first: select(position: 0)
        case .last: select(position: visible.count - 1)
        default: return false
        }
        return true
    }

    private mutating func handleTableKey(_ key: Key) -> [Effect] {
        if moveSelection(key) { return [] }
        switch KeyMap.action(for: key, in: .table) {
        case .quit: return [.quit]
        case .details:
            guard selectedRoute != nil else { setFlash(.info, "no row selected"); return [] }
            mode = .detail; detailScroll = 0; revealed = false
        case .clearFilter:
            if !filter.isEmpty { setFilter("") }
        case .refresh: return refreshSelected()
        case .refreshAll: askRefreshAll()
        case .filter: filterEditing = true
        case .sortNext:
            sort = sort.next; ascending = true
            rebuildVisible()
        case .sortReverse:
            ascending.toggle()
            rebuildVisible()
        case .events:
            mode = .events; eventScroll = 0
        case .testCall: return startCall()
        case .lint:
            mode = .lint; lintScroll = 0
        case .help: openHelp()
        default: break
        }
        return []
    }

    private mutating func handleFilterKey(_ key: Key) -> [Effect] {
        switch key {
        case .enter: filterEditing = false
        case .escape: filterEditing = false; setFilter("")
        // ⌫ on an empty filter leaves the prompt.
        case .backspace where filter.isEmpty, .delete where filter.isEmpty: filterEditing = false
        case .up, .down, .pageUp, .pageDown, .home, .end, .mouseWheelUp, .mouseWheelDown, .mouseClick:
            _ = moveSelection(key)
        default:
            if let text = TextEdit.apply(key, to: filter), text != filter { setFilter(text) }
        }
        return []
    }

    mutating func setFilter(_ text: String) {
        filter = text
        if deferFilterRebuild { filterStale = true } else { rebuildVisible() }
    }

    mutating func openHelp() {
        helpReturnMode = mode
        mode = .help
        helpScroll = 0
        revealed = false
    }

    private mutating func closeDetail() {
        mode = .table
        revealed = false
        detailScroll = 0
    }

    private mutating func handleDetailKey(_ key: Key) -> [Effect] {
        guard let action = KeyMap.action(for: key, in: .detail) else { return [] }
        if let to = Viewport.scrolled(detailScroll, by: action, page: max(1, size.height - 3)) {
            detailScroll = to
            clampDetailScroll()
            return []
        }
        switch action {
        case .close: closeDetail()
        case .reveal: revealed.toggle()
        case .refresh: return refreshSelected()
        case .testCall: return startCall()
        case .help: openHelp()
        default: break
        }
        clampDetailScroll()
        return []
    }

    mutating func clampDetailScroll() {
        let lines = detailLineCount(width: size.width)
        let rows = max(1, size.height - 3)
        detailScroll = min(max(0, detailScroll), max(0, lines - rows))
    }

    private mutating func handleEventsKey(_ key: Key) -> [Effect] {
        handleListPaneKey(key, in: .events, offset: \.eventScroll, rows: max(1, size.height - 4)) { $0.events.count }
    }

    /// A read-only list over the table (event log, lint view): scroll, close, help.
    mutating func handleListPaneKey(_ key: Key, in scope: KeyScope, offset: WritableKeyPath<DashboardModel, Int>, rows: Int,
                                    lines: (DashboardModel) -> Int) -> [Effect] {
        guard let action = KeyMap.action(for: key, in: scope) else { return [] }
        if let to = Viewport.scrolled(self[keyPath: offset], by: action, page: rows) {
            self[keyPath: offset] = Viewport.clamped(to, lines: lines(self), rows: rows)
            return []
        }
        switch action {
        case .close: mode = .table
        case .help: openHelp()
        default: break
        }
        return []
    }

    private mutating func handleHelpKey(_ key: Key) -> [Effect] {
        guard let action = KeyMap.action(for: key, in: .help) else { return [] }
        let rows = HelpLayout.contentRows(for: size)
        if let to = Viewport.scrolled(helpScroll, by: action, page: rows) {
            helpScroll = Viewport.clamped(to, lines: helpLines().count, rows: rows)
        } else if action == .close {
            mode = helpReturnMode
        }
        return []
    }

    private mutating func handleConfirmKey(_ key: Key) -> [Effect] {
        mode = .table
        if key == .char("y") || key == .char("Y") {
            setFlash(.info, "refreshing all \(tokenCount) token\(tokenCount == 1 ? "" : "s")…")
            return [.refreshAll]
        }
        setFlash(.info, "refresh all cancelled")
        return []
    }

    private mutating func askRefreshAll() {
        if context.readonly { setFlash(.info, "read-only mode: refreshing is disabled (--readonly)"); return }
        if tokenCount == 0 { setFlash(.info, "nothing to refresh: no route has client credentials"); return }
        mode = .confirmRefreshAll
    }

    /// `r`: a forced refresh of the selected row's token, or a reason why there is none.
    private mutating func refreshSelected() -> [Effect] {
        guard let route = selectedRoute else { setFlash(.info, "no row selected"); return [] }
        guard let creds = route.credentials else {
            setFlash(.info, "\(route.method) \(route.endpoint) is unprotected: no client credentials, nothing to refresh")
            return []
        }
        if creds.isDisabled {
            setFlash(.info, "client credentials are disabled for \(route.method) \(route.endpoint) (is_disabled): nothing to refresh")
            return []
        }
        if context.readonly { setFlash(.info, "read-only mode: refreshing is disabled (--readonly)"); return [] }
        guard let eid = context.entryForRoute[route.id] else {
            setFlash(.info, "no token entry for \(route.method) \(route.endpoint)")
            return []
        }
        setFlash(.info, "refreshing \(tokenName(entryID: eid))…", pending: eid)
        return [.refresh(entryID: eid)]
    }
}
