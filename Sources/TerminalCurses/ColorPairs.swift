import TerminalScreen

/// How `Color`s become curses colour numbers on a given terminal. Pure, for tests.
public struct ColorPalette: Sendable, Hashable {
    /// `COLORS` after `start_color()`.
    public var colors: Int
    /// `use_default_colors()` succeeded: -1 means the terminal's own fg/bg (transparent
    /// backgrounds, the user's theme). Otherwise defaults fall back to white on black.
    public var defaultColors: Bool

    public init(colors: Int, defaultColors: Bool) {
        self.colors = colors; self.defaultColors = defaultColors
    }

    /// The colour number for `color`, and whether the foreground must be bold to get it
    /// (gray on 8-colour terminals is "bright black" = COLOR_BLACK + A_BOLD).
    public func number(for color: Color, background: Bool) -> (number: Int32, bold: Bool) {
        switch color {
        case .default: return (defaultColors ? -1 : (background ? 0 : 7), false)   // COLOR_BLACK / COLOR_WHITE
        case .red: return (1, false)
        case .green: return (2, false)
        case .yellow: return (3, false)
        case .blue: return (4, false)
        case .magenta: return (5, false)
        case .cyan: return (6, false)
        case .white: return (7, false)
        case .gray:
            // Colour 8 is bright black on 16+ colour terminals. Below that, bold black as a
            // foreground; as a background bold does nothing, so plain black.
            if colors >= 16 { return (8, false) }
            return (0, !background)
        }
    }
}

/// Colour pairs allocated on demand: curses needs a numbered pair for every (fg, bg)
/// combination, defined once with `init_extended_pair`. Pure bookkeeping; the caller does the
/// curses call when `isNew` is true.
public struct ColorPairCache: Sendable {
    public struct Key: Hashable, Sendable {
        public var fg: Int32
        public var bg: Int32
        public init(fg: Int32, bg: Int32) { self.fg = fg; self.bg = bg }
    }

    /// `COLOR_PAIRS`: usable pair numbers are 1..<limit (pair 0 is fixed to the defaults).
    public let limit: Int
    /// What pair 0 shows: (-1, -1) with default colours, else (7, 0).
    public let pairZero: Key
    private var pairs: [Key: Int32] = [:]
    private var next: Int32 = 1

    public init(limit: Int, pairZero: Key) {
        self.limit = limit; self.pairZero = pairZero
    }

    /// Pairs allocated so far (pair 0 not counted).
    public var count: Int { pairs.count }

    /// The pair for (fg, bg). `isNew`: the caller must define it now. When the terminal's pairs
    /// run out (8-colour terminals have 64) the best existing approximation is returned — same
    /// foreground on the default background, else pair 0 — rather than redefining a pair in use,
    /// which would recolour cells already on screen.
    public mutating func pair(_ key: Key) -> (pair: Int32, isNew: Bool) {
        if key == pairZero { return (0, false) }
        if let p = pairs[key] { return (p, false) }
        if Int(next) < limit {
            let p = next
            next += 1
            pairs[key] = p
            return (p, true)
        }
        let fallback = Key(fg: key.fg, bg: pairZero.bg)
        if fallback == pairZero { return (0, false) }
        return (pairs[fallback] ?? 0, false)
    }
}
