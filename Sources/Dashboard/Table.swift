import TerminalScreen
import Foundation
import GatewayConfig
import TokenKit

/// The route table's columns. Widths adapt to the terminal: columns are kept in priority order
/// while their minimum widths fit, then the spare width is shared out evenly up to each column's
/// widest content.
enum Column: CaseIterable, Hashable {
    case state, expires, endpoint, backend, client, call, refreshed, error

    var title: String {
        switch self {
        case .state: "STATE"
        case .expires: "EXPIRES"
        case .endpoint: "ENDPOINT"
        case .backend: "BACKEND"
        case .client: "CLIENT"
        case .call: "CALL"
        case .refreshed: "REFRESHED"
        case .error: "LAST ERROR"
        }
    }

    /// Most important first: the rest are dropped, from the end, when the terminal is narrow.
    /// CALL exists only once a test call was made in the session; it then comes before LAST
    /// ERROR (the operator is testing, and the state column still says `failed`).
    static let priority: [Column] = [.state, .expires, .endpoint, .client, .call, .error, .backend, .refreshed]

    /// Smallest width worth showing. State and expiry are fixed: their content has a known maximum
    /// (`– unprotected`, `EXPIRES ▲`).
    var minWidth: Int {
        switch self {
        case .state: 13
        case .expires: 9
        case .endpoint: 16
        case .backend: 22
        case .client: 12
        case .call: 8
        case .refreshed: 10
        case .error: 14
        }
    }

    /// Width at which a typical value fits (`GET /v1/invoices/{id}`, `billing-gateway ×2`). The
    /// identifying columns get this before optional columns are allowed in.
    var comfortable: Int {
        switch self {
        case .endpoint: 22
        case .client: 16
        default: minWidth
        }
    }

    /// State, expiry, endpoint and client always show (the minimum terminal fits them); the others
    /// only when the identifying columns can still be comfortable.
    var isEssential: Bool { self == .state || self == .expires || self == .endpoint || self == .client }

    var alignRight: Bool { self == .expires }

    /// The sort order this column shows ▲/▼ for.
    var sort: SortColumn? {
        switch self {
        case .state: .state
        case .expires: .expiry
        case .endpoint: .endpoint
        case .client: .client
        default: nil
        }
    }
}

struct ColumnLayout: Equatable {
    var columns: [(column: Column, x: Int, width: Int)]

    static func == (a: ColumnLayout, b: ColumnLayout) -> Bool {
        a.columns.map(\.column) == b.columns.map(\.column) && a.columns.map(\.x) == b.columns.map(\.x)
            && a.columns.map(\.width) == b.columns.map(\.width)
    }

    /// One column of space between columns; one leading column for the row's left margin.
    static let gap = 1
    static let margin = 1
    /// No flexible column grows past this, so a 300-character URL can't push others off screen.
    static let cap = 60

    /// - Parameter margin: leading columns (2 when rows carry a lint marker).
    static func make(width: Int, content: ContentWidths, margin: Int = ColumnLayout.margin) -> ColumnLayout {
        let available = width - margin
        var chosen: [Column] = []
        func need(_ cols: [Column], comfortable: Bool) -> Int {
            cols.reduce(0) { $0 + (comfortable ? $1.comfortable : $1.minWidth) } + gap * max(0, cols.count - 1)
        }
        for c in Column.priority {
            if c == .call && content.call == 0 { continue }
            let with = chosen + [c]
            if need(with, comfortable: !c.isEssential) <= available { chosen = with }
        }
        let order = Column.allCases.filter { chosen.contains($0) }
        var widths: [Column: Int] = [:]
        for c in order { widths[c] = c.minWidth }
        func want(_ c: Column) -> Int {
            switch c {
            case .endpoint: return max(c.minWidth, min(cap, content.endpoint))
            case .backend: return max(c.minWidth, min(cap, content.backend))
            case .client: return max(c.minWidth, min(cap, content.client))
            case .error: return max(c.minWidth, min(cap, content.error))
            case .call: return max(c.minWidth, min(18, content.call))
            case .state, .expires, .refreshed: return c.minWidth
            }
        }
        var spare = available - need(order, comfortable: false)
        // First the identifying columns up to their comfortable width…
        // (one column at a time to whichever is furthest from it, so a narrow terminal splits
        // the little there is instead of giving it all to the endpoint)…
        let identifying = [Column.endpoint, .client].filter { widths[$0] != nil }
        while spare > 0 {
            let short = identifying.map { ($0, min(want($0), $0.comfortable) - widths[$0]!) }.filter { $0.1 > 0 }
            guard let pick = short.max(by: { $0.1 < $1.1 })?.0 else { break }
            widths[pick]! += 1; spare -= 1
        }
        // …then water-filling: always widen the narrowest column that still wants more, so the
        // rest ends up balanced instead of the first column taking everything.
        while spare > 0 {
            let hungry = order.filter { widths[$0]! < want($0) }
            guard let pick = hungry.min(by: { widths[$0]! < widths[$1]! }) else { break }
            widths[pick]! += 1; spare -= 1
        }
        // Left over: the last flexible column absorbs it (its text can use it; otherwise it's margin).
        if spare > 0, let last = order.last(where: { $0 != .state && $0 != .expires && $0 != .refreshed && $0 != .call }) {
            widths[last]! += spare
        }
        var x = margin
        var cols: [(Column, Int, Int)] = []
        for c in order { cols.append((c, x, widths[c]!)); x += widths[c]! + gap }
        return ColumnLayout(columns: cols)
    }
}

extension DashboardModel {
    /// Draws the column header and the visible rows between `top` and `top + rows`. Returns how
    /// many rows were formatted (tests use it to check that drawing is O(visible rows)).
    @discardableResult
    func drawTable(into screen: inout Screen, top: Int, rows: Int, scroll: Int) -> Int {
        let width = screen.size.width
        let layout = ColumnLayout.make(width: width, content: contentWidths, margin: lint.hasRowMarkers ? 2 : ColumnLayout.margin)
        // Column header.
        screen.fill(row: top - 1, style: Theme.columnHeader)
        for (c, x, w) in layout.columns {
            var title = c.title
            if let s = c.sort, s == sort { title += ascending ? " ▲" : " ▼" }
            screen.put(DisplayWidth.pad(title, to: w, alignRight: c.alignRight), row: top - 1, col: x, style: Theme.columnHeader)
        }
        if visible.isEmpty {
            let message = context.routes.isEmpty ? "no routes in this config"
                : "no rows match \u{201C}\(Text.oneLine(filter))\u{201D}: Esc clears the filter"
            let w = DisplayWidth.of(message)
            screen.put(message, row: top + min(2, rows - 1), col: max(0, (width - w) / 2), style: Theme.dim)
            return 0
        }
        var formatted = 0
        for y in 0..<rows {
            let p = scroll + y
            guard p < visible.count else { break }
            drawRow(routeIndex: visible[p], into: &screen, row: top + y, layout: layout, selected: p == selectedPos)
            formatted += 1
        }
        return formatted
    }

    private func drawRow(routeIndex i: Int, into screen: inout Screen, row: Int, layout: ColumnLayout, selected: Bool) {
        let route = context.routes[i]
        let state = rowStates[i]
        let eid = context.entryForRoute[route.id]
        let entry = eid.flatMap { entries[$0] }
        if i < lint.worst.count, let sev = lint.worst[i] { screen.put(sev.glyph, row: row, col: 0, style: sev.style) }
        for (c, x, w) in layout.columns {
            switch c {
            case .state:
                screen.put(state.label, row: row, col: x, style: state.style, maxWidth: w)
            case .expires:
                let (text, style) = expiryCell(state: state, entry: entry, route: route)
                screen.put(DisplayWidth.pad(text, to: w, alignRight: true), row: row, col: x, style: style)
            case .endpoint:
                screen.put([Span(route.method, Theme.bold), Span(" " + route.endpoint)], row: row, col: x, maxWidth: w)
            case .backend:
                screen.put(Self.backendText(route, scheme: false), row: row, col: x, style: route.isProtected ? .plain : Theme.dim, maxWidth: w)
            case .client:
                guard let creds = route.credentials else {
                    screen.put("—", row: row, col: x, style: Theme.dim)
                    continue
                }
                let style = creds.isDisabled ? Theme.dim : Style.plain
                var mark = ""
                if let eid, let n = shareCount[eid], n > 1 { mark = " ×\(n)" }
                // The share mark survives truncation: it is the point of the column for shared tokens.
                let idWidth = max(1, w - DisplayWidth.of(mark))
                let end = screen.put(creds.clientID, row: row, col: x, style: style, maxWidth: idWidth)
                if !mark.isEmpty { screen.put(mark, row: row, col: end, style: Theme.warning, maxWidth: x + w - end) }
            case .call:
                if callsPending[route.id] != nil {
                    screen.put(Self.pendingCallText, row: row, col: x, style: Style(fg: .cyan), maxWidth: w)
                } else if let r = callReports[route.id] {
                    screen.put(Self.callCellText(r), row: row, col: x, style: Self.callStyle(r), maxWidth: w)
                }
            case .refreshed:
                if let t = entry?.lastSuccessAt {
                    screen.put(DisplayWidth.pad(Text.age(now.timeIntervalSince(t)), to: w, alignRight: true), row: row, col: x, style: Theme.dim)
                } else if route.isProtected && !route.isDisabled {
                    screen.put(DisplayWidth.pad("—", to: w, alignRight: true), row: row, col: x, style: Theme.dim)
                }
            case .error:
                guard let f = entry?.lastFailure else { continue }
                // Red while it explains the current state; dim when a retry is under way.
                let style = state == .failed ? Theme.error : Theme.dim
                screen.put(Text.oneLine(f.summary), row: row, col: x, style: style, maxWidth: w)
            }
        }
        if selected {
            // Reverse video over the whole width; colours dropped so the bar reads as one piece
            // (the state word still says what the colour would).
            screen.restyle(row: row) { s in s.reverse = true; s.fg = .default; s.bg = .default; s.dim = false }
        }
    }

    /// The EXPIRES cell: time left until the gateway stops using the token (expiry − 10 s).
    func expiryCell(state: TokenState, entry: TokenEntrySnapshot?, route: Route) -> (String, Style) {
        guard route.isProtected, !route.isDisabled else { return ("", .plain) }
        guard let token = entry?.token else { return ("—", Theme.dim) }
        guard let eff = token.effectiveExpiry else { return ("never", Style(fg: .green)) }
        // Expired by the 10 s rule on arrival: a countdown would only ever be negative.
        if token.isPerCall, state != .failed { return ("per call", TokenState.perCall.style) }
        let text = Format.countdown(eff.timeIntervalSince(now))
        let style: Style
        switch state {
        case .valid: style = Style(fg: .green)
        case .expiring: style = Style(fg: .yellow, bold: true)
        case .expired, .failed: style = Style(fg: .red)
        case .fetching:
            // Keep the countdown's meaning while a refresh runs.
            style = token.isExpired(at: now) ? Style(fg: .red) : Style(fg: .cyan)
        default: style = .plain
        }
        return (text, style)
    }
}
