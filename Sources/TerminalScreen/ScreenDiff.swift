/// One stretch of a row to write with a single style: `glyphs` in order, each taking its display
/// width (1 or 2 columns), `width` columns in total starting at (`row`, `col`).
public struct DrawRun: Sendable, Hashable {
    public var row: Int
    public var col: Int
    public var glyphs: [Character]
    /// Display width of each glyph (1 or 2), parallel to `glyphs`.
    public var widths: [Int]
    public var style: Style

    public init(row: Int, col: Int, glyphs: [Character], widths: [Int], style: Style) {
        self.row = row; self.col = col; self.glyphs = glyphs; self.widths = widths; self.style = style
    }

    /// Columns covered.
    public var width: Int { widths.reduce(0, +) }
    /// The glyphs as text (for tests and debugging).
    public var text: String { String(glyphs) }
}

/// What `draw` must do to turn the previously drawn screen into the new one.
public struct DrawPlan: Sendable, Hashable {
    /// Erase the window first (first draw, size change, invalidate). Runs are then computed
    /// against a blank screen, so blank cells in the default style are not written at all.
    public var clear: Bool
    public var runs: [DrawRun]

    /// Number of cells the runs write.
    public var cellCount: Int { runs.reduce(0) { $0 + $1.width } }
}

/// The pure diff between two `Screen`s. No curses here, so it is unit-tested without a terminal.
public enum ScreenDiff {
    /// Unchanged glyphs of the same style between two changed ones are rewritten rather than
    /// starting a new run when the gap is at most this many columns: one `mvwaddnwstr` with a
    /// few extra cells is cheaper than another attribute + move + add (and ncurses' own
    /// `doupdate` diff sends no bytes for cells that did not really change).
    public static let maxGap = 4

    /// The runs that turn `old` into `new`.
    ///
    /// - Parameters:
    ///   - old: the previously drawn screen, or nil for a full redraw (then `clear` is true and
    ///     the new screen is compared with a blank one).
    ///   - bounds: the terminal size; rows/columns outside it are not drawn (a wide character
    ///     that would straddle the right edge becomes a blank).
    public static func plan(from old: Screen?, to new: Screen, bounds: Size? = nil) -> DrawPlan {
        plan(from: old, to: new, bounds: bounds, windowed: true)
    }

    /// `windowed`: a changed row is normalized and compared only from its first to its last
    /// changed cell (widened so no wide glyph is cut), not across the whole width. Once a second
    /// the countdown column changes on every visible row; normalizing 60 whole rows of 200 cells,
    /// twice, was a third of the idle dashboard's CPU. `false` is the reference the tests compare
    /// against.
    static func plan(from old: Screen?, to new: Screen, bounds: Size?, windowed: Bool) -> DrawPlan {
        let height = min(new.size.height, bounds?.height ?? Int.max)
        let width = min(new.size.width, bounds?.width ?? Int.max)
        guard height > 0, width > 0 else { return DrawPlan(clear: old == nil, runs: []) }
        // A different-size "old" cannot be diffed cell by cell: treat it as a full redraw.
        let base = (old?.size == new.size) ? old : nil
        var runs: [DrawRun] = []
        let blankRow = [DrawCell](repeating: DrawCell(glyph: " ", width: 1, style: .plain), count: width)
        for row in 0..<height {
            let start = row * new.size.width
            let newCells = new.cells[start..<(start + width)]
            let oldRow: [DrawCell]
            if let base {
                let oldCells = base.cells[start..<(start + width)]
                // Fast path: the raw cells are equal, so their normalized forms are too.
                if windowed {
                    // Windows around clusters of changed cells. Clusters further apart than a
                    // run could bridge (maxGap, plus room for wide glyphs) are diffed apart: the
                    // countdown and the refresh-age columns change every second, 100 columns
                    // apart, and the cells between them need no look.
                    var windows: [(lo: Int, hi: Int)] = []
                    var c = 0
                    while c < width {
                        if oldCells[start + c] == newCells[start + c] { c += 1; continue }
                        var last = c
                        var k = c + 1
                        while k < width, k - last <= 2 * maxGap + 2 {
                            if oldCells[start + k] != newCells[start + k] { last = k }
                            k += 1
                        }
                        // Start on a cell that begins a glyph in both screens, end before a cell
                        // that continues one: normalization inside the window then equals the
                        // whole row's.
                        var lo = c, hi = last + 1
                        while lo > 0, oldCells[start + lo].char == nil || newCells[start + lo].char == nil { lo -= 1 }
                        while hi < width, oldCells[start + hi].char == nil || newCells[start + hi].char == nil { hi += 1 }
                        if let prev = windows.last, lo <= prev.hi { windows[windows.count - 1].hi = max(prev.hi, hi) } else { windows.append((lo, hi)) }
                        c = max(hi, last + 1)
                    }
                    for w in windows {
                        let o = normalize(oldCells[(start + w.lo)..<(start + w.hi)], width: w.hi - w.lo)
                        let n = normalize(newCells[(start + w.lo)..<(start + w.hi)], width: w.hi - w.lo)
                        appendRuns(row: row, old: o, new: n, columnOffset: w.lo, into: &runs)
                    }
                    continue
                }
                if oldCells == newCells { continue }
                oldRow = normalize(oldCells, width: width)
            } else {
                oldRow = blankRow
            }
            let newRow = normalize(newCells, width: width)
            appendRuns(row: row, old: oldRow, new: newRow, columnOffset: 0, into: &runs)
        }
        return DrawPlan(clear: base == nil, runs: runs)
    }

    /// What a column shows after normalization: a glyph (width 1 or 2) or the continuation of
    /// the wide glyph to its left (`glyph == nil`, width 0).
    struct DrawCell: Hashable {
        var glyph: Character?
        var width: Int
        var style: Style
    }

    /// Turns a row of cells into what can safely be written:
    /// - a wide glyph followed by its continuation cell spans 2 columns;
    /// - a wide glyph without a continuation (or at the right edge) becomes a blank, as a
    ///   terminal would show a half-overwritten wide character;
    /// - a stray continuation cell becomes a blank;
    /// - zero-width characters (controls, lone combining marks) become a blank: a control
    ///   character from a server body must never reach the terminal raw (escape injection),
    ///   and curses would draw it as two-column `^X`, shifting the rest of the row.
    static func normalize(_ cells: ArraySlice<Cell>, width: Int) -> [DrawCell] {
        var out: [DrawCell] = []
        out.reserveCapacity(width)
        var i = cells.startIndex
        let end = cells.startIndex + width
        while i < end {
            let cell = cells[i]
            guard let ch = cell.char else {
                out.append(DrawCell(glyph: " ", width: 1, style: cell.style))
                i += 1
                continue
            }
            switch ch.isASCII ? (ch.asciiValue! >= 0x20 && ch.asciiValue! < 0x7F ? 1 : 0) : DisplayWidth.of(ch) {
            case 1:
                out.append(DrawCell(glyph: ch, width: 1, style: cell.style))
                i += 1
            case 2 where i + 1 < end && cells[i + 1].char == nil:
                out.append(DrawCell(glyph: ch, width: 2, style: cell.style))
                out.append(DrawCell(glyph: nil, width: 0, style: cell.style))
                i += 2
            default:
                out.append(DrawCell(glyph: " ", width: 1, style: cell.style))
                i += 1
            }
        }
        return out
    }

    private static func appendRuns(row: Int, old: [DrawCell], new: [DrawCell], columnOffset: Int, into runs: inout [DrawRun]) {
        let width = new.count
        // A glyph changed if its own column or (for a wide glyph) its continuation changed.
        func changed(_ k: Int) -> Bool {
            if old[k] != new[k] { return true }
            return new[k].width == 2 && k + 1 < width && old[k + 1] != new[k + 1]
        }
        var c = 0
        while c < width {
            if old[c] == new[c] { c += 1; continue }
            // A changed continuation column is redrawn by rewriting its wide glyph.
            var k = (new[c].glyph == nil && c > 0) ? c - 1 : c
            let start = k
            let style = new[k].style
            var glyphs: [Character] = []
            var widths: [Int] = []
            var end = k
            while k < width {
                let cell = new[k]
                guard let g = cell.glyph else { k += 1; continue }
                if cell.style != style { break }
                if changed(k) {
                    glyphs.append(g); widths.append(cell.width)
                    k += cell.width
                    end = k
                    continue
                }
                // Unchanged: bridge a short gap of the same style if a change follows.
                var j = k
                var found = false
                while j < width, j - k < maxGap {
                    let gap = new[j]
                    if gap.style != style { break }
                    if gap.glyph != nil, changed(j) { found = true; break }
                    j += max(gap.width, 1)
                }
                guard found else { break }
                while k < j {
                    if let g = new[k].glyph { glyphs.append(g); widths.append(new[k].width) }
                    k += max(new[k].width, 1)
                }
                end = k
            }
            if !glyphs.isEmpty {
                runs.append(DrawRun(row: row, col: start + columnOffset, glyphs: glyphs, widths: widths, style: style))
            }
            c = max(end, c + 1)
        }
    }
}
