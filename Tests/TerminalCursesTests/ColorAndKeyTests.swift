import CNCurses
import TerminalScreen
import Testing
@testable import TerminalCurses

@Suite("Colour pairs")
struct ColorPairTests {
    @Test func defaultPairIsZeroAndPairsAreCached() {
        var cache = ColorPairCache(limit: 256, pairZero: .init(fg: -1, bg: -1))
        #expect(cache.pair(.init(fg: -1, bg: -1)) == (0, false))
        #expect(cache.pair(.init(fg: 1, bg: -1)) == (1, true))
        #expect(cache.pair(.init(fg: 1, bg: -1)) == (1, false))
        #expect(cache.pair(.init(fg: 7, bg: 4)) == (2, true))
        #expect(cache.pair(.init(fg: 1, bg: -1)) == (1, false))
        #expect(cache.count == 2)
    }

    @Test func exhaustedPairsFallBackWithoutRedefining() {
        var cache = ColorPairCache(limit: 3, pairZero: .init(fg: -1, bg: -1))   // pairs 1 and 2 only
        #expect(cache.pair(.init(fg: 1, bg: -1)) == (1, true))
        #expect(cache.pair(.init(fg: 2, bg: 4)) == (2, true))
        // Red on blue: no room; red on default exists → pair 1, nothing new defined.
        #expect(cache.pair(.init(fg: 1, bg: 4)) == (1, false))
        // Green on red: nothing close → pair 0.
        #expect(cache.pair(.init(fg: 2, bg: 1)) == (0, false))
        #expect(cache.count == 2)
    }

    @Test func paletteMapping() {
        let p256 = ColorPalette(colors: 256, defaultColors: true)
        #expect(p256.number(for: .default, background: false) == (-1, false))
        #expect(p256.number(for: .red, background: false) == (1, false))
        #expect(p256.number(for: .white, background: true) == (7, false))
        #expect(p256.number(for: .gray, background: false) == (8, false))

        let p8 = ColorPalette(colors: 8, defaultColors: true)
        #expect(p8.number(for: .gray, background: false) == (0, true))    // black + bold
        #expect(p8.number(for: .gray, background: true) == (0, false))

        let noDefaults = ColorPalette(colors: 8, defaultColors: false)
        #expect(noDefaults.number(for: .default, background: false) == (7, false))
        #expect(noDefaults.number(for: .default, background: true) == (0, false))
    }
}

@Suite("Key decoding")
struct KeyDecodingTests {
    @Test func characters() {
        #expect(KeyDecoding.character(13) == .enter)
        #expect(KeyDecoding.character(10) == .enter)
        #expect(KeyDecoding.character(127) == .backspace)
        #expect(KeyDecoding.character(8) == .backspace)
        #expect(KeyDecoding.character(9) == .tab)
        #expect(KeyDecoding.character(27) == .escape)
        #expect(KeyDecoding.character(3) == .ctrl("c"))
        #expect(KeyDecoding.character(1) == .ctrl("a"))
        #expect(KeyDecoding.character(12) == .ctrl("l"))
        #expect(KeyDecoding.character(26) == .ctrl("z"))
        #expect(KeyDecoding.character(0) == .ctrl("@"))
        #expect(KeyDecoding.character(UInt32(UInt8(ascii: "q"))) == .char("q"))
        #expect(KeyDecoding.character(0xE9) == .char("é"))
        #expect(KeyDecoding.character(0x6F22) == .char("漢"))
        #expect(KeyDecoding.character(0x9B) == nil)          // C1 CSI
        #expect(KeyDecoding.character(0xD800) == nil)        // not a scalar
    }

    @Test func keyCodes() {
        #expect(KeyDecoding.keyCode(KEY_UP) == .up)
        #expect(KeyDecoding.keyCode(KEY_NPAGE) == .pageDown)
        #expect(KeyDecoding.keyCode(KEY_PPAGE) == .pageUp)
        #expect(KeyDecoding.keyCode(KEY_HOME) == .home)
        #expect(KeyDecoding.keyCode(KEY_END) == .end)
        #expect(KeyDecoding.keyCode(KEY_ENTER) == .enter)
        #expect(KeyDecoding.keyCode(KEY_BACKSPACE) == .backspace)
        #expect(KeyDecoding.keyCode(KEY_DC) == .delete)
        #expect(KeyDecoding.keyCode(KEY_BTAB) == .backTab)
        #expect(KeyDecoding.keyCode(tt_KEY_F(1)) == .function(1))
        #expect(KeyDecoding.keyCode(tt_KEY_F(12)) == .function(12))
        #expect(KeyDecoding.keyCode(KEY_RESIZE) == nil)      // handled by the terminal
    }
}

@Suite("Glyph encoding")
struct GlyphEncodingTests {
    /// A fake wcwidth: CJK 2, "❓" unknown (-1), combining acute 0, the rest 1.
    static func fakeWidth(_ v: UInt32) -> Int {
        switch v {
        case 0x301, 0x200D, 0xFE0F: return 0
        case 0x4E00...0x9FFF, 0x1F300...0x1F9FF: return 2
        case 0x2753: return -1
        default: return 1
        }
    }

    let utf8 = GlyphEncoder(unicode: true, wcwidth: fakeWidth)
    let ascii = GlyphEncoder(unicode: false, wcwidth: { $0 < 0x80 ? 1 : -1 })

    @Test func asciiAndUnicodePassThrough() {
        let pieces = utf8.encode(glyphs: ["a", "漢", "▲", "e\u{301}"], widths: [1, 2, 1, 1])
        #expect(pieces == [.text(col: 0, scalars: [0x61, 0x6F22, 0x25B2, 0x65, 0x301])])
    }

    @Test func widthDisagreementsKeepColumns() {
        // Screen says 2, libc says 1: pad. libc cannot show it: "?" padded to its width.
        let pieces = utf8.encode(glyphs: ["▲", "❓"], widths: [2, 2])
        #expect(pieces == [.text(col: 0, scalars: [0x25B2, 0x20, 0x3F, 0x20])])
        // Screen says 1, libc says 2: does not fit, "?".
        #expect(utf8.encode(glyphs: ["漢"], widths: [1]) == [.text(col: 0, scalars: [0x3F])])
    }

    @Test func multiScalarCharactersAreCut() {
        // ZWJ family: first person only; ❤️ without VS16.
        #expect(utf8.encode(glyphs: ["👨‍👩‍👧"], widths: [2]) == [.text(col: 0, scalars: [0x1F468])])
        #expect(utf8.encode(glyphs: ["❤️"], widths: [1]) == [.text(col: 0, scalars: [0x2764])])
    }

    @Test func nonUTF8LocaleUsesACSAndASCII() {
        let pieces = ascii.encode(glyphs: ["┌", "─", "x", "…", "●", "漢", "│"], widths: [1, 1, 1, 1, 1, 2, 1])
        #expect(pieces == [
            .acs(col: 0, letter: UInt8(ascii: "l")),
            .acs(col: 1, letter: UInt8(ascii: "q")),
            .text(col: 2, scalars: [0x78, 0x7E, 0x6F, 0x3F, 0x20]),
            .acs(col: 7, letter: UInt8(ascii: "x")),
        ])
    }
}
