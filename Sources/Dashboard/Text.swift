import TerminalScreen
import Foundation
import TokenKit

/// A piece of styled text; a `Line` is a row of them. The detail pane, help and headers are built
/// as lines first so layout (scrolling, wrapping, clipping) is decided in one place.
struct Span: Sendable, Hashable {
    var text: String
    var style: Style
    init(_ text: String, _ style: Style = .plain) { self.text = text; self.style = style }
}

typealias Line = [Span]

extension Array where Element == Span {
    var width: Int { reduce(0) { $0 + DisplayWidth.of($1.text) } }
    var plainText: String { map(\.text).joined() }
}

extension Screen {
    /// Draws spans one after another, cutting the span that overflows `maxWidth` with `…`.
    /// Returns the column after the text.
    @discardableResult
    mutating func put(_ line: Line, row: Int, col: Int, maxWidth: Int? = nil) -> Int {
        let end = min(size.width, col + (maxWidth ?? size.width))
        var c = col
        for span in line {
            guard c < end else { break }
            let w = DisplayWidth.of(span.text)
            if c + w > end {
                c = put(span.text, row: row, col: c, style: span.style, maxWidth: end - c)
                break
            }
            c = put(span.text, row: row, col: c, style: span.style, maxWidth: end - c)
        }
        return c
    }
}

/// Small pure formatting helpers. Kept here rather than in TokenKit because they are about
/// screen layout, not protocol facts.
enum Text {
    /// `HH:MM:SS` in UTC by arithmetic: no DateFormatter, because the event log and header call it
    /// for every drawn row and formatters are expensive to create.
    static func clock(_ d: Date) -> String {
        let t = Int(d.timeIntervalSince1970.rounded(.down))
        let s = ((t % 86_400) + 86_400) % 86_400
        return two(s / 3600) + ":" + two(s / 60 % 60) + ":" + two(s % 60)
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `12s ago`, `3m04s ago`; never negative (a clock step backwards shows `0s ago`).
    static func age(_ seconds: TimeInterval) -> String { Format.countdown(max(0, seconds)) + " ago" }

    /// `in 8s` / `8s ago` relative to now, for timestamps in the detail pane.
    static func relative(_ d: Date, now: Date) -> String {
        let dt = d.timeIntervalSince(now)
        return dt >= 0 ? "in " + Format.countdown(dt) : Format.countdown(-dt) + " ago"
    }

    /// Replaces control characters with visible escapes so raw server bodies can't move the
    /// cursor or change colours of the real terminal (`SafeText`, shared with the log file and
    /// the commands' output).
    static func escapeControls(_ s: String) -> String { SafeText.escape(s) }

    /// What a one-line text input shows of `s` in `width` columns: all of it when it fits, else
    /// `…` and its end — the end is where typing happens (a long paste must show where it ends).
    static func promptTail(_ s: String, width: Int) -> String {
        guard width > 0 else { return "" }
        if DisplayWidth.of(s) <= width { return s }
        var kept: [Character] = []
        var w = 0
        for ch in s.reversed() {
            let cw = DisplayWidth.of(ch)
            if w + cw > width - 1 { break }
            kept.append(ch); w += cw
        }
        return "…" + String(kept.reversed())
    }

    /// Single-line display of values that may contain newlines (messages, header values).
    static func oneLine(_ s: String) -> String { escapeControls(s) }

    /// Breaks text into rows of at most `width` columns by display width (hard wrap: used for the
    /// revealed token and raw bodies, where every character matters and there are no words).
    static func hardWrap(_ s: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var rows: [String] = []
        var current = ""
        var w = 0
        for ch in s {
            let cw = DisplayWidth.of(ch)
            if w + cw > width, !current.isEmpty { rows.append(current); current = ""; w = 0 }
            current.append(ch); w += cw
        }
        if !current.isEmpty || rows.isEmpty { rows.append(current) }
        return rows
    }

    /// Word wrap for prose (error descriptions), falling back to hard wrap for long words.
    static func wordWrap(_ s: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var rows: [String] = []
        var current = ""
        for word in s.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if DisplayWidth.of(candidate) <= width { current = candidate; continue }
            if !current.isEmpty { rows.append(current) }
            if DisplayWidth.of(word) > width {
                var pieces = hardWrap(word, width: width)
                current = pieces.removeLast()
                rows += pieces
            } else {
                current = word
            }
        }
        if !current.isEmpty || rows.isEmpty { rows.append(current) }
        return rows
    }
}
