import TerminalScreen
import Foundation
import GatewayConfig
import TokenKit

/// The event log: every attempt of every token, newest first. Only the rows on screen are
/// formatted; the log itself is bounded by the manager (`RefreshPolicy.eventLogLimit`).
extension DashboardModel {
    static func eventRows(for size: Size) -> Int { max(1, size.height - 4) }

    /// `GET /v1/orders · client-id` for an entry (first route using it, `+N` for the others).
    func eventSubject(entryID: Int) -> Line {
        let e = entries[entryID]
        let client = e?.credentials.clientID
        var routeIDs = e?.routeIDs ?? []
        if routeIDs.isEmpty { routeIDs = context.entryForRoute.filter { $0.value == entryID }.keys.sorted() }
        var line: Line = []
        if let first = routeIDs.first, let i = routeIndexByID[first] {
            let r = context.routes[i]
            line += [Span(r.method, Theme.bold), Span(" " + Text.oneLine(r.endpoint))]
            if routeIDs.count > 1 { line.append(Span(" +\(routeIDs.count - 1)", Theme.dim)) }
        } else {
            line.append(Span("token #\(entryID)"))
        }
        if let client { line.append(Span(" · " + Text.oneLine(client), Theme.dim)) }
        return line
    }

    func drawEvents(into screen: inout Screen) {
        let size = screen.size
        let width = size.width
        let rows = Self.eventRows(for: size)
        let top = min(max(0, eventScroll), max(0, events.count - rows))
        let range = events.isEmpty ? "" : "\(top + 1)–\(min(events.count, top + rows)) of \(events.count)"
        drawTitleBar(into: &screen, row: 0, title: [Span("Event log", Theme.barBold),
                                                     Span(" · every token fetch, newest first")], right: range)

        // Fixed columns plus two flexible ones (subject, error). Narrow terminals lose STYLE
        // (the detail pane has it), then the error column.
        var fixed: [(title: String, width: Int, right: Bool)] = [("TRIGGER", 9, false), ("RESULT", 6, false), ("HTTP", 4, true),
                                                                  ("STYLE", 5, false), ("TOOK", 6, true)]
        if width < 100 { fixed.remove(at: 3) }
        let showStyle = fixed.contains { $0.title == "STYLE" }
        let fixedWidth = 1 + 8 + fixed.reduce(0) { $0 + $1.width + 1 } + 1
        let rest = width - fixedWidth - 1
        let subjectWidth: Int
        let errorWidth: Int
        if rest >= 16 + 12 + 1 {
            subjectWidth = max(16, min(44, (rest - 1) / 2))
            errorWidth = rest - 1 - subjectWidth
        } else {
            subjectWidth = max(8, rest)
            errorWidth = 0
        }
        let headerRow = 1
        screen.fill(row: headerRow, style: Theme.columnHeader)
        var x = 1
        func head(_ t: String, _ w: Int, right: Bool = false) {
            screen.put(DisplayWidth.pad(t, to: w, alignRight: right), row: headerRow, col: x, style: Theme.columnHeader)
            x += w + 1
        }
        head("TIME", 8)
        head("ENDPOINT · CLIENT", subjectWidth)
        for f in fixed { head(f.title, f.width, right: f.right) }
        if errorWidth > 0 { head("ERROR", errorWidth) }

        if events.isEmpty {
            let msg = "no token fetches yet"
            screen.put(msg, row: 3, col: max(0, (width - DisplayWidth.of(msg)) / 2), style: Theme.dim)
        }
        for y in 0..<rows {
            let k = top + y
            guard k < events.count else { break }
            let a = events[k]
            let row = 2 + y
            var x = 1
            func cell(_ text: String, _ w: Int, _ style: Style = .plain, right: Bool = false) {
                screen.put(DisplayWidth.pad(text, to: w, alignRight: right), row: row, col: x, style: style)
                x += w + 1
            }
            cell(Text.clock(a.started), 8, Theme.dim)
            screen.put(eventSubject(entryID: a.entryID), row: row, col: x, maxWidth: subjectWidth)
            x += subjectWidth + 1
            cell(a.trigger.rawValue, 9)
            cell(a.succeeded ? "ok" : "failed", 6, a.succeeded ? Theme.success : Theme.error)
            cell(a.status.map(String.init) ?? "—", 4, right: true)
            if showStyle { cell(Self.styleText(a), 5) }
            cell(Format.latency(a.duration), 6, right: true)
            if errorWidth > 0, let f = a.failure {
                screen.put(Text.oneLine(f.summary), row: row, col: x, style: Theme.error, maxWidth: errorWidth)
            }
        }
        if let f = flash { drawFlash(f, into: &screen, row: size.height - 2, maxWidth: width - 2) }
        drawHints(into: &screen, row: size.height - 1,
                  hints: KeyMap.hints(.events, order: [.lineUp, .pageUp, .first, .close, .help], readonly: context.readonly))
    }
}
