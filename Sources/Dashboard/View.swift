import TerminalScreen
import Foundation
import GatewayConfig
import TokenKit

/// The smallest terminal the dashboard draws in. 60 columns fit the state, expiry, endpoint and
/// client columns; 12 rows leave 7 table rows under the header. Below that a notice is shown
/// instead of a garbled table.
public let minimumSize = Size(width: 60, height: 12)

/// Draws the model into a screen of `size` (normally `model.size`). Pure and deterministic, and
/// O(visible rows): all per-row work over the whole table happens in `update`.
public func view(_ model: DashboardModel, size: Size) -> Screen {
    var screen = Screen(size: size)
    guard size.width > 0, size.height > 0 else { return screen }
    if size.width < minimumSize.width || size.height < minimumSize.height {
        drawTooSmall(into: &screen)
    } else {
        switch model.mode {
        case .table, .confirmRefreshAll:
            model.drawMain(into: &screen)
        case .detail:
            model.drawDetail(into: &screen)
        case .events:
            model.drawEvents(into: &screen)
        case .response:
            model.drawResponse(into: &screen)
        case .lint:
            model.drawLint(into: &screen)
        case .callPrompt:
            model.drawBase(model.promptReturnMode, into: &screen)
            model.drawCallPrompt(into: &screen)
        case .help:
            model.drawBase(model.helpReturnMode, into: &screen)
            model.drawHelp(into: &screen)
        }
    }
    if model.context.monochrome { stripColours(&screen) }
    return screen
}

/// NO_COLOR: colours go, emphasis stays. Red (errors, failures) becomes bold so it still stands
/// out; glyphs and words already carry every state.
private func stripColours(_ screen: inout Screen) {
    for r in 0..<screen.size.height {
        screen.restyle(row: r) { s in
            if s.fg == .red { s.bold = true }
            s.fg = .default
            s.bg = .default
        }
    }
}

private func drawTooSmall(into screen: inout Screen) {
    let size = screen.size
    let lines = [
        "terminal too small",
        "(need \(minimumSize.width)×\(minimumSize.height), have \(size.width)×\(size.height))",
        "q quits",
    ]
    let top = max(0, (size.height - lines.count) / 2)
    for (k, line) in lines.enumerated() {
        let w = DisplayWidth.of(line)
        screen.put(line, row: top + k, col: max(0, (size.width - w) / 2), style: k == 0 ? Theme.bold : (k == 2 ? Theme.dim : .plain))
    }
}

extension DashboardModel {
    /// The screen an overlay (help, prompt) is drawn over.
    func drawBase(_ mode: Mode, into screen: inout Screen) {
        switch mode {
        case .detail: drawDetail(into: &screen)
        case .events: drawEvents(into: &screen)
        case .response: drawResponse(into: &screen)
        case .lint: drawLint(into: &screen)
        default: drawMain(into: &screen)
        }
        // The overlay decides where the cursor goes.
        screen.cursor = nil
    }

    // MARK: Main screen

    func drawMain(into screen: inout Screen) {
        let size = screen.size
        drawHeader(into: &screen)
        let rows = Self.tableRows(for: size)
        // Re-derive the scroll for this size: the runtime may draw before the resize message lands.
        let s = Self.scrollOffset(current: scroll, selected: selectedPos, count: visible.count, rows: rows)
        drawTable(into: &screen, top: 3, rows: rows, scroll: s)
        drawStatusLine(into: &screen, row: size.height - 2)
        drawHints(into: &screen, row: size.height - 1, hints: mainHints)
    }

    private func drawHeader(into screen: inout Screen) {
        let width = screen.size.width
        // Line 1: name, gateway, file ……… [READ-ONLY] clock.
        var right: Line = []
        if !lint.isEmpty {
            // Words while the file name keeps 30 columns, else glyphs and numbers.
            var count = lintCountLine(compact: false)
            if width - count.width - 16 - 3 < 30 { count = lintCountLine(compact: true) }
            right += count + [Span("  ")]
        }
        if context.readonly { right += [Span(" READ-ONLY ", Theme.readonlyTag), Span("  ")] }
        if context.tlsNotVerified {
            // Never dropped for width: the file name gives way. The long form only while the
            // name keeps 30 columns (clock 12 + gaps).
            let long = " ⚠ TLS NOT VERIFIED (allow_insecure_connections) "
            let tag = width - right.width - DisplayWidth.of(long) - 2 - 12 - 3 >= 30 ? long : " ⚠ TLS NOT VERIFIED "
            right += [Span(tag, Theme.revealWarning), Span("  ")]
        }
        right.append(Span(Text.clock(now) + " UTC", Theme.bold))
        let rightW = right.width
        var left: Line = [Span("tokentop", Theme.title)]
        if let name = context.gatewayName, !name.isEmpty { left += [Span(" · ", Theme.dim), Span(Text.oneLine(name), Theme.bold)] }
        left += [Span(" · ", Theme.dim), Span(Text.oneLine(context.file))]
        screen.put(left, row: 0, col: 1, maxWidth: max(0, width - rightW - 3))
        screen.put(right, row: 0, col: max(0, width - rightW - 1))

        // Line 2: totals and counts ……… filter and sort.
        var info: Line = []
        if !filter.isEmpty {
            info += [Span("filter ", Theme.dim), Span("\u{201C}\(Text.oneLine(filter))\u{201D}", Theme.warning),
                     Span(" \(visible.count)/\(context.routes.count)", Theme.dim)]
        }
        if sort != .table || !ascending {
            if !info.isEmpty { info.append(Span("  ")) }
            info += [Span("sort ", Theme.dim), Span(sort.rawValue + (ascending ? " ▲" : " ▼"), Theme.bold)]
        }
        let infoW = min(info.width, width / 2)
        if infoW > 0 { screen.put(info, row: 1, col: width - infoW - 1, maxWidth: infoW) }
        let budget = width - 1 - (infoW > 0 ? infoW + 3 : 1)
        screen.put(countsLine(budget: budget), row: 1, col: 1, maxWidth: budget)
    }

    /// `11 routes · 8 tokens  ● 4 ok  ◐ 1 expiring …`, zero counts skipped. When that doesn't
    /// fit, a tighter form is tried; when even that doesn't, the least urgent counts lose their
    /// words and show as glyph + number (`⊘1`, explained in the help legend), so `failed` keeps
    /// its word longest.
    func countsLine(budget: Int) -> Line {
        let n = context.routes.count
        let totals: Line = [Span("\(n) route\(n == 1 ? "" : "s")", Theme.bold), Span(" · ", Theme.dim),
                            Span("\(tokenCount) token\(tokenCount == 1 ? "" : "s")", Theme.bold)]
        let present = CountBucket.allCases.compactMap { b -> (bucket: CountBucket, count: Int)? in
            guard let c = counts[b], c > 0 else { return nil }
            return (b, c)
        }
        func build(glyphGap: String, separator: String, words: Set<CountBucket>) -> Line {
            var line = totals
            for (k, item) in present.enumerated() {
                let st = item.bucket.representative
                line.append(Span(k == 0 ? "  " : separator))
                let text = st.glyph + glyphGap + "\(item.count)" + (words.contains(item.bucket) ? " " + item.bucket.word : "")
                line.append(Span(text, st.style))
            }
            return line
        }
        let all = Set(present.map(\.bucket))
        for (glyphGap, separator) in [(" ", "  "), ("", "  "), ("", " ")] {
            let line = build(glyphGap: glyphGap, separator: separator, words: all)
            if line.width <= budget { return line }
        }
        let urgency: [CountBucket] = [.failed, .expired, .perCall, .expiring, .ok, .fetching, .notFetched, .disabled, .unprotected]
        var words: Set<CountBucket> = []
        for b in urgency where all.contains(b) {
            let candidate = words.union([b])
            if build(glyphGap: "", separator: " ", words: candidate).width <= budget { words = candidate }
        }
        return build(glyphGap: "", separator: " ", words: words)
    }

    /// Row `height − 2`: the filter prompt, the refresh-all question, a flash, or the position.
    func drawStatusLine(into screen: inout Screen, row: Int) {
        let width = screen.size.width
        if filterEditing {
            // "/", the text, and the cursor's cell after it, in width − 2 columns.
            let prompt: Line = [Span("/", Theme.key), Span(Text.promptTail(Text.oneLine(filter), width: width - 4))]
            let end = screen.put(prompt, row: row, col: 1, maxWidth: width - 2)
            screen.cursor = (row, min(end, width - 1))
            let hint = "type to filter · Enter keep · Esc clear"
            let hw = DisplayWidth.of(hint)
            if end + hw + 4 < width { screen.put(hint, row: row, col: width - hw - 1, style: Theme.dim) }
            return
        }
        if mode == .confirmRefreshAll {
            screen.put([Span(" Refresh all \(tokenCount) token\(tokenCount == 1 ? "" : "s")? ", Theme.barBold),
                        Span(" y", Theme.key), Span("/"), Span("n", Theme.key)], row: row, col: 1)
            return
        }
        var posW = 0
        if mode == .table || mode == .help, let p = selectedPos {
            var pos = "\(p + 1)/\(visible.count)"
            if visible.count != context.routes.count { pos += " of \(context.routes.count)" }
            posW = DisplayWidth.of(pos)
            screen.put(pos, row: row, col: width - posW - 1, style: Theme.dim)
        }
        if let f = flash { drawFlash(f, into: &screen, row: row, maxWidth: width - 2 - (posW > 0 ? posW + 2 : 0)) }
    }

    func drawFlash(_ f: Flash, into screen: inout Screen, row: Int, maxWidth: Int) {
        let line: Line
        switch f.kind {
        case .info: line = [Span(f.text)]
        case .success: line = [Span("✓ ", Theme.success), Span(f.text, Theme.success)]
        case .error: line = [Span("✕ ", Theme.errorBold), Span(f.text, Theme.errorBold)]
        }
        screen.put(line, row: row, col: 1, maxWidth: maxWidth)
    }

    // MARK: Key hints

    struct Hint { var key: String; var text: String; var disabled = false }

    var mainHints: [Hint] {
        if filterEditing {
            return [Hint(key: "Enter", text: "keep"), Hint(key: "Esc", text: "clear"), Hint(key: "⌫", text: "delete"),
                    Hint(key: "↑↓", text: "move"), Hint(key: "^C", text: "quit")]
        }
        if mode == .confirmRefreshAll { return [Hint(key: "y", text: "refresh all"), Hint(key: "n", text: "cancel")] }
        var order: [KeyAction] = [.help, .filter, .testCall, .refresh, .details, .events]
        if !lint.isEmpty { order.append(.lint) }
        order += [.sortNext, .quit]
        return KeyMap.hints(.table, order: order, readonly: context.readonly)
    }

    /// The bottom line: `key text` pairs, only whole ones (a cut hint is worse than none).
    func drawHints(into screen: inout Screen, row: Int, hints: [Hint]) {
        let width = screen.size.width
        var col = 1
        for (k, h) in hints.enumerated() {
            let w = DisplayWidth.of(h.key) + 1 + DisplayWidth.of(h.text) + (k == 0 ? 0 : 2)
            if col + w > width - 1 { break }
            if k > 0 { col += 2 }
            let keyStyle = h.disabled ? Theme.dim : Theme.key
            let textStyle = h.disabled ? Theme.dim : Style.plain
            col = screen.put(h.key, row: row, col: col, style: keyStyle)
            col = screen.put(" " + h.text, row: row, col: col, style: textStyle)
        }
    }

    /// A full-width title bar (detail pane, event log).
    func drawTitleBar(into screen: inout Screen, row: Int, title: Line, right: String) {
        let width = screen.size.width
        screen.fill(row: row, style: Theme.bar)
        let rw = DisplayWidth.of(right)
        let styled = title.map { Span($0.text, Style(fg: $0.style.fg, bold: $0.style.bold, reverse: true)) }
        screen.put(styled, row: row, col: 1, maxWidth: max(0, width - rw - 4))
        if rw > 0 { screen.put(right, row: row, col: width - rw - 1, style: Theme.bar) }
    }

    /// A scrolled pane of ready-made lines (detail, lint list, test-call response): the title bar
    /// on row 0 with the position ("1–37 of 53", after `note` when given), then `rows` lines from
    /// `scroll`, clamped so the last page stays full.
    func drawScrolledPane(_ lines: [Line], scroll: Int, rows: Int, title: Line, note: String = "", into screen: inout Screen) {
        let top = min(max(0, scroll), max(0, lines.count - rows))
        let range = lines.count <= rows ? "" : "\(top + 1)–\(min(lines.count, top + rows)) of \(lines.count)"
        let right = note.isEmpty ? range : note + (range.isEmpty ? "" : " · " + range)
        drawTitleBar(into: &screen, row: 0, title: title, right: right)
        for (y, line) in lines.dropFirst(top).prefix(rows).enumerated() {
            screen.put(line, row: 1 + y, col: 0)
        }
    }
}
