import TerminalScreen
import ConfigLint
import Foundation
import TokenKit

/// Geometry of the help box, shared by `update` (scroll limits) and `view`.
enum HelpLayout {
    static let maxWidth = 70

    static func box(for size: Size, lines: Int) -> (top: Int, left: Int, width: Int, height: Int) {
        let width = min(size.width - 4, maxWidth)
        let height = min(size.height - 2, lines + 2)
        return ((size.height - height) / 2, (size.width - width) / 2, width, height)
    }

    static func contentRows(for size: Size) -> Int { max(1, size.height - 4) }
}

extension DashboardModel {
    /// Every key, grouped by pane, from `KeyMap`. Acting keys (refresh, test call) are dimmed and
    /// marked when the dashboard is read-only, so the help says both what exists and why it won't work.
    func helpLines() -> [Line] {
        let ro = context.readonly
        let keyWidth = 16
        func key(_ k: String, _ text: String, disabled: Bool = false) -> Line {
            var l: Line = [Span("  "), Span(DisplayWidth.pad(k, to: keyWidth), disabled ? Theme.dim : Theme.key),
                           Span(text, disabled ? Theme.dim : .plain)]
            if disabled { l.append(Span(" (read-only)", Theme.dim)) }
            return l
        }
        func title(_ t: String) -> Line { [Span(t, Theme.section)] }
        // Every binding of every pane, from the key map that `update` handles keys with.
        var lines: [Line] = []
        for scope in KeyScope.allCases {
            lines.append(title(scope.title))
            for b in KeyMap.bindings(scope) { lines.append(key(b.label, b.help, disabled: b.acts && ro)) }
        }
        lines.append(title("States"))
        let states: [TokenState] = [.valid, .expiring, .perCall, .expired, .failed, .fetching, .notFetched, .noExpiry, .unprotected, .disabled]
        var row: Line = [Span("  ")]
        for (k, s) in states.enumerated() {
            if k > 0 && k % 4 == 0 { lines.append(row); row = [Span("  ")] }
            row += [Span(s.label, s.style), Span("  ")]
        }
        lines.append(row)
        lines.append(title("Lint marks (first column)"))
        var marks: Line = [Span("  ")]
        for sev in Finding.Severity.allCases { marks += [Span(sev.glyph + " " + sev.label, sev.style), Span("  ")] }
        lines.append(marks)
        return lines
    }

    func drawHelp(into screen: inout Screen) {
        let lines = helpLines()
        let (top, left, width, height) = HelpLayout.box(for: screen.size, lines: lines.count)
        guard width > 4, height > 2 else { return }
        let rows = height - 2
        let first = min(max(0, helpScroll), max(0, lines.count - rows))
        // Dim what's underneath so the box reads as in front of it.
        for r in 0..<screen.size.height { screen.restyle(row: r) { $0.dim = true; $0.bold = false; $0.fg = .default } }
        // Box with a title in the top border and a close hint in the bottom one.
        for r in top..<(top + height) { screen.fill(row: r, col: left, width: width, style: .plain) }
        let border = Theme.dim
        let inner = width - 2
        screen.put("┌" + String(repeating: "─", count: inner) + "┐", row: top, col: left, style: border)
        screen.put("└" + String(repeating: "─", count: inner) + "┘", row: top + height - 1, col: left, style: border)
        for r in (top + 1)..<(top + height - 1) {
            screen.put("│", row: r, col: left, style: border)
            screen.put("│", row: r, col: left + width - 1, style: border)
        }
        screen.put(" Help ", row: top, col: left + 2, style: Theme.bold)
        var bottom = " Esc close "
        if lines.count > rows { bottom = " ↑↓ scroll · Esc close " }
        screen.put(bottom, row: top + height - 1, col: left + width - 1 - DisplayWidth.of(bottom) - 1, style: Theme.dim)
        for y in 0..<rows {
            let k = first + y
            guard k < lines.count else { break }
            screen.put(lines[k], row: top + 1 + y, col: left + 2, maxWidth: inner - 2)
        }
    }
}
