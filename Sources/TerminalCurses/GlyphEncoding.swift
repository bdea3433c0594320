/// Turns a run's glyphs into what curses is given, keeping curses' idea of each glyph's width
/// equal to the `Screen`'s (pure Swift `DisplayWidth`).
///
/// Why: ncursesw places characters by the C library's `wcwidth`. Where that disagrees with
/// `DisplayWidth` (newer emoji, ambiguous symbols, multi-scalar characters) or the locale cannot
/// show the character at all, writing it as is would shift the rest of the row. So a glyph is
/// written as its first scalar plus trailing combining marks, padded or replaced so that it
/// always takes exactly the columns the Screen gave it.
struct GlyphEncoder {
    /// One piece of output at a column offset inside the run.
    enum Piece: Equatable {
        /// Wide characters (Unicode scalars) for `mvwaddnwstr`.
        case text(col: Int, scalars: [UInt32])
        /// An alternate-character-set glyph by its VT100 letter (non-UTF-8 locales only).
        case acs(col: Int, letter: UInt8)
    }

    /// The C library's LC_CTYPE is UTF-8 (else only ASCII and ACS can be shown).
    var unicode: Bool
    /// `wcwidth` of a scalar as ncurses will see it (-1: not printable in this locale).
    var wcwidth: (UInt32) -> Int

    /// Most combining marks ncurses keeps per cell (CCHARW_MAX is 5 including the base).
    static let maxCombining = 4

    func encode(glyphs: [Character], widths: [Int]) -> [Piece] {
        var pieces: [Piece] = []
        var scalars: [UInt32] = []
        var textStart = 0
        var col = 0
        func flush() {
            if !scalars.isEmpty { pieces.append(.text(col: textStart, scalars: scalars)); scalars = [] }
        }
        for (ch, width) in zip(glyphs, widths) {
            if scalars.isEmpty { textStart = col }
            if let ascii = ch.asciiValue, ascii >= 0x20, ascii < 0x7F {
                scalars.append(UInt32(ascii))
            } else if unicode, let encoded = encodeUnicode(ch, width: width) {
                scalars.append(contentsOf: encoded)
            } else {
                switch Self.fallback(for: ch) {
                case .acs(let letter):
                    flush()
                    pieces.append(.acs(col: col, letter: letter))
                    textStart = col + 1
                    if width == 2 { scalars.append(0x20) }
                case .ascii(let a):
                    scalars.append(UInt32(a))
                    if width == 2 { scalars.append(0x20) }
                }
            }
            col += width
        }
        flush()
        return pieces
    }

    /// The scalars for `ch` taking exactly `width` columns by `wcwidth`, or nil when the locale
    /// cannot show it in that width.
    private func encodeUnicode(_ ch: Character, width: Int) -> [UInt32]? {
        var it = ch.unicodeScalars.makeIterator()
        guard let first = it.next() else { return nil }
        let w = wcwidth(first.value)
        guard w >= 1, w <= width else { return nil }   // unprintable, or wider than its slot
        var out: [UInt32] = [first.value]
        // Keep combining marks (width 0) up to the first scalar with width, then stop: the rest
        // of a ZWJ sequence or flag would otherwise start new cells. ZWJ and the variation
        // selectors are dropped too: a terminal may join a trailing ZWJ with the next cell's
        // emoji, or draw VS16 ("❤️") two columns wide where the Screen reserved one.
        while let s = it.next(), out.count <= Self.maxCombining {
            if s.value == 0x200D { break }
            if s.value == 0xFE0E || s.value == 0xFE0F { continue }
            guard wcwidth(s.value) == 0 else { break }
            out.append(s.value)
        }
        if w == 1, width == 2 { out.append(0x20) }        // Screen says wide, libc says narrow
        return out
    }

    enum Fallback: Equatable {
        case acs(UInt8)
        case ascii(UInt8)
    }

    /// What to show for a character the locale cannot display: line drawing and arrows through
    /// the terminal's alternate character set (ACS), common symbols as ASCII, else "?".
    static func fallback(for ch: Character) -> Fallback {
        guard let s = ch.unicodeScalars.first else { return .ascii(0x3F) }
        switch s {
        case "─", "━", "═", "╌", "┄": return .acs(UInt8(ascii: "q"))
        case "│", "┃", "║", "╎", "┆": return .acs(UInt8(ascii: "x"))
        case "┌", "┏", "╔", "╭": return .acs(UInt8(ascii: "l"))
        case "┐", "┓", "╗", "╮": return .acs(UInt8(ascii: "k"))
        case "└", "┗", "╚", "╰": return .acs(UInt8(ascii: "m"))
        case "┘", "┛", "╝", "╯": return .acs(UInt8(ascii: "j"))
        case "├", "┣", "╠": return .acs(UInt8(ascii: "t"))
        case "┤", "┫", "╣": return .acs(UInt8(ascii: "u"))
        case "┬", "┳", "╦": return .acs(UInt8(ascii: "w"))
        case "┴", "┻", "╩": return .acs(UInt8(ascii: "v"))
        case "┼", "╋", "╬": return .acs(UInt8(ascii: "n"))
        case "█", "▇", "▆", "▅", "▄", "▀": return .acs(UInt8(ascii: "0"))
        case "░", "▒", "▓": return .acs(UInt8(ascii: "a"))
        case "◆", "♦": return .acs(UInt8(ascii: "`"))
        case "·", "•", "∙": return .acs(UInt8(ascii: "~"))
        case "°": return .acs(UInt8(ascii: "f"))
        case "±": return .acs(UInt8(ascii: "g"))
        case "≤": return .acs(UInt8(ascii: "y"))
        case "≥": return .acs(UInt8(ascii: "z"))
        case "≠": return .acs(UInt8(ascii: "|"))
        case "▲", "↑", "△", "⏶": return .acs(UInt8(ascii: "-"))
        case "▼", "↓", "▽", "⏷": return .acs(UInt8(ascii: "."))
        case "◀", "←", "◁": return .acs(UInt8(ascii: ","))
        case "▶", "→", "▷": return .acs(UInt8(ascii: "+"))
        case "●", "○", "◉", "⬤": return .ascii(UInt8(ascii: "o"))
        case "…": return .ascii(UInt8(ascii: "~"))
        case "✕", "✖", "✗", "✘", "×": return .ascii(UInt8(ascii: "x"))
        case "✓", "✔": return .ascii(UInt8(ascii: "v"))
        case "–", "—", "‐", "−": return .ascii(UInt8(ascii: "-"))
        case "‘", "’", "′": return .ascii(UInt8(ascii: "'"))
        case "“", "”", "″": return .ascii(UInt8(ascii: "\""))
        case "\u{A0}": return .ascii(0x20)
        default: return .ascii(UInt8(ascii: "?"))
        }
    }
}
