/// A terminal-independent picture of the screen: a grid of cells with styles. `view(model, size)`
/// produces one; TerminalCurses draws only the cells that changed since the last one.

/// Colours by meaning, not by number: the terminal module maps them (or drops them under NO_COLOR).
public enum Color: UInt8, Sendable, Hashable, CaseIterable {
    case `default`, red, green, yellow, blue, magenta, cyan, white, gray
}

public struct Style: Sendable, Hashable {
    public var fg: Color
    public var bg: Color
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool
    public var underline: Bool
    public init(fg: Color = .default, bg: Color = .default, bold: Bool = false, dim: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.fg = fg; self.bg = bg; self.bold = bold; self.dim = dim; self.reverse = reverse; self.underline = underline
    }
    public static let plain = Style()
}

/// One cell. A wide character (display width 2) occupies its cell and marks the next as a
/// continuation (`char == nil`), so columns stay aligned.
public struct Cell: Sendable, Hashable {
    public var char: Character?
    public var style: Style
    public init(_ char: Character? = " ", style: Style = .plain) { self.char = char; self.style = style }
    public static let blank = Cell()
}

public struct Size: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
}

/// A grid of cells, row-major.
public struct Screen: Sendable, Hashable {
    public let size: Size
    public private(set) var cells: [Cell]
    /// Where the terminal cursor should rest (nil = hidden).
    public var cursor: (row: Int, col: Int)? {
        get { cursorRow.map { ($0, cursorCol) } }
        set { cursorRow = newValue?.row; cursorCol = newValue?.col ?? 0 }
    }
    private var cursorRow: Int?
    private var cursorCol = 0

    public init(size: Size) {
        self.size = size
        cells = Array(repeating: .blank, count: max(0, size.width) * max(0, size.height))
    }

    public subscript(row: Int, col: Int) -> Cell {
        get { cells[row * size.width + col] }
        set { cells[row * size.width + col] = newValue }
    }

    public static func == (a: Screen, b: Screen) -> Bool { a.size == b.size && a.cells == b.cells && a.cursorRow == b.cursorRow && a.cursorCol == b.cursorCol }
    public func hash(into h: inout Hasher) { h.combine(size); h.combine(cells) }

    /// Writes text at (row, col) by display width, clipped at `maxWidth` (default: to the row's end)
    /// with `…` when cut. Returns the column after the text.
    @discardableResult
    public mutating func put(_ text: String, row: Int, col: Int, style: Style = .plain, maxWidth: Int? = nil) -> Int {
        guard row >= 0, row < size.height, col < size.width else { return col }
        let limit = min(size.width - col, maxWidth ?? Int.max)
        guard limit > 0 else { return col }
        // Fastest path, for the common case of printable ASCII at a visible column: one pass over
        // the bytes into the row's cells, characters from a table, cut with `…` like `truncate`.
        // (Profiled: creating a Character per byte, and checking and truncating the text twice,
        // were most of view()'s cost, which the dashboard pays once a second while idle.)
        if col >= 0, DisplayWidth.isPrintableASCII(text) {
            let count = text.utf8.count
            let cut = count > limit
            let start = row * size.width + col
            var i = start
            var bytesOf = text
            bytesOf.withUTF8 { bytes in
                let table = Self.asciiCharacters
                cells.withUnsafeMutableBufferPointer { buf in
                    for b in bytes.prefix(cut ? limit - 1 : count) {
                        buf[i] = Cell(table[Int(b)], style: style)
                        i += 1
                    }
                    if cut { buf[i] = Cell("…", style: style); i += 1 }
                }
            }
            return col + (i - start)
        }
        let fitted = DisplayWidth.truncate(text, to: limit)
        // Fast path: printable ASCII is one cell per byte, no grapheme breaking needed. Most of a
        // frame is ASCII, and this keeps drawing cost proportional to the cells written.
        if DisplayWidth.isPrintableASCII(fitted) {
            var c = col
            for b in fitted.utf8 {
                if c >= 0 { self[row, c] = Cell(Character(Unicode.Scalar(b)), style: style) }
                c += 1
            }
            return c
        }
        var c = col
        for ch in fitted {
            let w = DisplayWidth.of(ch)
            if w == 0 { continue }
            if c + w > col + limit { break }
            if c >= 0 {
                self[row, c] = Cell(ch, style: style)
                if w == 2, c + 1 < size.width { self[row, c + 1] = Cell(nil, style: style) }
            }
            c += w
        }
        return c
    }

    /// The printable ASCII characters by byte value (others are never looked up).
    private static let asciiCharacters: [Character] = (0..<128).map { Character(Unicode.Scalar(UInt8($0))) }

    /// Fills a span of a row with spaces in a style (for selection bars and backgrounds).
    public mutating func fill(row: Int, col: Int = 0, width: Int? = nil, style: Style) {
        guard row >= 0, row < size.height else { return }
        let end = min(size.width, col + (width ?? size.width))
        for c in max(0, col)..<max(max(0, col), end) { self[row, c] = Cell(" ", style: style) }
    }

    /// Applies a style to existing cells (keeps characters).
    public mutating func restyle(row: Int, col: Int = 0, width: Int? = nil, _ change: (inout Style) -> Void) {
        guard row >= 0, row < size.height else { return }
        let end = min(size.width, col + (width ?? size.width))
        for c in max(0, col)..<max(max(0, col), end) { change(&self[row, c].style) }
    }

    /// The screen as plain text, one line per row, trailing spaces removed (golden snapshots).
    public var text: String {
        (0..<size.height).map { r in
            var line = ""
            for c in 0..<size.width { if let ch = self[r, c].char { line.append(ch) } }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// Runs of equal style on a row: (col, length, style) – for asserting colours in tests.
    public func styleRuns(row: Int) -> [(col: Int, length: Int, style: Style)] {
        var runs: [(Int, Int, Style)] = []
        for c in 0..<size.width {
            let s = self[row, c].style
            if let last = runs.last, last.2 == s, last.0 + last.1 == c { runs[runs.count - 1].1 += 1 }
            else { runs.append((c, 1, s)) }
        }
        return runs
    }
}

/// Display width per wcwidth rules, implemented in pure Swift so the pure modules need no libc
/// locale: combining marks are 0, East Asian wide/fullwidth and emoji are 2, the rest 1.
public enum DisplayWidth {
    public static func of(_ ch: Character) -> Int {
        guard let first = ch.unicodeScalars.first else { return 0 }
        let v = first.value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        if v < 0x300 { return 1 }
        if first.properties.generalCategory == .nonspacingMark || first.properties.generalCategory == .enclosingMark || v == 0x200B { return 0 }
        if first.properties.isEmojiPresentation { return 2 }
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return 2
        default: return 1
        }
    }

    public static func of(_ s: String) -> Int {
        if isPrintableASCII(s) { return s.utf8.count }
        return s.reduce(0) { $0 + of($1) }
    }

    /// True when every byte is in 0x20...0x7E: then width == byte count == character count.
    @inlinable
    public static func isPrintableASCII(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// Cuts `s` to at most `width` columns, ending in `…` when something was cut.
    public static func truncate(_ s: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        if of(s) <= width { return s }
        if isPrintableASCII(s) { return String(s.utf8.prefix(width - 1))! + "…" }
        var out = ""
        var w = 0
        for ch in s {
            let cw = of(ch)
            if w + cw > width - 1 { break }
            out.append(ch); w += cw
        }
        return out + "…"
    }

    /// Pads with spaces (or cuts) to exactly `width` columns.
    public static func pad(_ s: String, to width: Int, alignRight: Bool = false) -> String {
        let t = truncate(s, to: width)
        let gap = max(0, width - of(t))
        return alignRight ? String(repeating: " ", count: gap) + t : t + String(repeating: " ", count: gap)
    }
}

/// Keys and terminal events, decoded by the terminal module.
public enum Key: Sendable, Hashable {
    case char(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, backspace, tab, backTab, delete
    case ctrl(Character)
    case function(Int)
    case resize(Size)
    case mouseClick(row: Int, col: Int)
    case mouseWheelUp, mouseWheelDown
}
