@testable import TerminalScreen
import Testing

private let size = Size(width: 20, height: 4)

private func screen(_ lines: [String], size: Size = size, style: Style = .plain) -> Screen {
    var s = Screen(size: size)
    for (row, line) in lines.enumerated() { s.put(line, row: row, col: 0, style: style) }
    return s
}

@Suite("ScreenDiff")
struct ScreenDiffTests {
    @Test func identicalScreensWriteNothing() {
        let a = screen(["expires in 01:00", "漢字 ok", "▲ ● … ✕"])
        let plan = ScreenDiff.plan(from: a, to: a)
        #expect(plan.clear == false)
        #expect(plan.runs.isEmpty)
    }

    @Test func oneChangedCellIsOneRun() {
        let a = screen(["expires in 00:59"])
        let b = screen(["expires in 00:58"])
        let plan = ScreenDiff.plan(from: a, to: b)
        #expect(plan.clear == false)
        #expect(plan.runs == [DrawRun(row: 0, col: 15, glyphs: ["8"], widths: [1], style: .plain)])
    }

    @Test func adjacentChangesAreOneRun() {
        let plan = ScreenDiff.plan(from: screen(["t 00:10"]), to: screen(["t 00:09"]))
        #expect(plan.runs.count == 1)
        #expect(plan.runs[0].col == 5)
        #expect(plan.runs[0].text == "09")
    }

    @Test func shortGapsOfTheSameStyleAreBridged() {
        // Changes at columns 0 and 3: rewriting the 2 unchanged cells between is cheaper.
        let plan = ScreenDiff.plan(from: screen(["abcdef"]), to: screen(["XbcYef"]))
        #expect(plan.runs.count == 1)
        #expect(plan.runs[0].text == "XbcY")
        // Far apart: two runs.
        let far = ScreenDiff.plan(from: screen(["a..................b"]), to: screen(["A..................B"]))
        #expect(far.runs.map(\.text) == ["A", "B"])
        #expect(far.runs.map(\.col) == [0, 19])
    }

    @Test func runsSplitAtStyleChanges() {
        let a = screen(["ab"])
        var b = screen(["XY"])
        b[0, 1].style = Style(fg: .red)
        let plan = ScreenDiff.plan(from: a, to: b)
        #expect(plan.runs.map(\.text) == ["X", "Y"])
        #expect(plan.runs.map(\.style) == [.plain, Style(fg: .red)])
    }

    @Test func styleOnlyChangeIsARun() {
        let a = screen(["row"])
        var b = a
        b.restyle(row: 0, col: 0, width: 3) { $0.reverse = true }
        let plan = ScreenDiff.plan(from: a, to: b)
        #expect(plan.runs == [DrawRun(row: 0, col: 0, glyphs: ["r", "o", "w"], widths: [1, 1, 1], style: Style(reverse: true))])
    }

    @Test func firstDrawAndSizeChangeAreFullRedraws() {
        let b = screen(["hello", "", "  x"])
        let first = ScreenDiff.plan(from: nil, to: b)
        #expect(first.clear)
        // Against the erased window: blank default cells are not written.
        #expect(first.runs.map(\.text) == ["hello", "x"])
        #expect(first.runs.map(\.row) == [0, 2])

        let small = screen(["hello"], size: Size(width: 10, height: 2))
        let resized = ScreenDiff.plan(from: small, to: b)
        #expect(resized.clear)
        #expect(resized.runs.map(\.text) == ["hello", "x"])
    }

    @Test func fullRedrawWritesStyledBlanks() {
        var b = Screen(size: size)
        b.fill(row: 1, col: 0, width: 3, style: Style(bg: .blue))
        let plan = ScreenDiff.plan(from: nil, to: b)
        #expect(plan.runs == [DrawRun(row: 1, col: 0, glyphs: [" ", " ", " "], widths: [1, 1, 1], style: Style(bg: .blue))])
    }

    @Test func wideCharactersAreWrittenOnceAndSkipContinuations() {
        let plan = ScreenDiff.plan(from: nil, to: screen(["漢字x"]))
        #expect(plan.runs.count == 1)
        #expect(plan.runs[0].glyphs == ["漢", "字", "x"])
        #expect(plan.runs[0].widths == [2, 2, 1])
        #expect(plan.runs[0].width == 5)
    }

    @Test func replacingAWideCharacter() {
        // wide → wide
        var p = ScreenDiff.plan(from: screen(["a漢b"]), to: screen(["a字b"]))
        #expect(p.runs == [DrawRun(row: 0, col: 1, glyphs: ["字"], widths: [2], style: .plain)])
        // wide → two narrow
        p = ScreenDiff.plan(from: screen(["a漢b"]), to: screen(["axyb"]))
        #expect(p.runs == [DrawRun(row: 0, col: 1, glyphs: ["x", "y"], widths: [1, 1], style: .plain)])
        // two narrow → wide
        p = ScreenDiff.plan(from: screen(["axyb"]), to: screen(["a漢b"]))
        #expect(p.runs == [DrawRun(row: 0, col: 1, glyphs: ["漢"], widths: [2], style: .plain)])
        // narrow → wide shifted by one: the run starts at the first changed column.
        p = ScreenDiff.plan(from: screen(["漢b"]), to: screen(["x漢"]))
        #expect(p.runs == [DrawRun(row: 0, col: 0, glyphs: ["x", "漢"], widths: [1, 2], style: .plain)])
    }

    @Test func changedContinuationRewritesItsWideGlyph() {
        // Only the style of the continuation cell differs: the wide glyph is rewritten whole.
        let a = screen(["漢"])
        var b = a
        b[0, 1].style = Style(bold: true)
        b[0, 0].style = Style(bold: true)
        let p = ScreenDiff.plan(from: a, to: b)
        #expect(p.runs == [DrawRun(row: 0, col: 0, glyphs: ["漢"], widths: [2], style: Style(bold: true))])
    }

    @Test func brokenWideCharactersBecomeBlanks() {
        var b = Screen(size: Size(width: 4, height: 1))
        b[0, 0] = Cell("漢")            // no continuation cell after it
        b[0, 1] = Cell("x")
        b[0, 2] = Cell(nil)             // stray continuation
        b[0, 3] = Cell("字")            // wide at the last column
        let p = ScreenDiff.plan(from: nil, to: b)
        #expect(p.runs.map(\.text) == ["x"])
        #expect(p.runs[0].col == 1)
    }

    @Test func controlCharactersNeverReachTheTerminal() {
        var b = Screen(size: Size(width: 4, height: 1))
        b[0, 0] = Cell("\u{1b}")
        b[0, 1] = Cell("[")
        b[0, 2] = Cell("\u{7}")
        b[0, 3] = Cell("\u{301}")       // lone combining mark
        let p = ScreenDiff.plan(from: nil, to: b)
        #expect(p.runs.map(\.text) == ["["])
    }

    @Test func clipsToTheTerminal() {
        let b = screen(["abcd漢", "line 2", "line 3"], size: Size(width: 8, height: 3))
        let p = ScreenDiff.plan(from: nil, to: b, bounds: Size(width: 5, height: 2))
        // "漢" would straddle column 5: blank (not written after the erase); row 2 clipped.
        #expect(p.runs.map(\.text) == ["abcd", "line"])
        #expect(p.runs.allSatisfy { $0.col + $0.width <= 5 && $0.row < 2 })
    }

    @Test func countdownOnABusyScreenIsOneRun() {
        var a = Screen(size: Size(width: 120, height: 40))
        for r in 0..<40 { a.put(String(repeating: "route /api/v\(r) ● valid ", count: 4), row: r, col: 0, style: Style(fg: .green)) }
        a.put("expires in 04:07", row: 20, col: 90, style: Style(fg: .yellow, bold: true))
        var b = a
        b.put("expires in 04:06", row: 20, col: 90, style: Style(fg: .yellow, bold: true))
        let p = ScreenDiff.plan(from: a, to: b)
        #expect(p.runs == [DrawRun(row: 20, col: 105, glyphs: ["6"], widths: [1], style: Style(fg: .yellow, bold: true))])
    }

    /// The windowed diff (normalize only around a row's changes) must plan exactly what the
    /// whole-row diff plans: random rows of narrow and wide glyphs, continuation cells (also
    /// stray ones), controls and styles, each mutated in a few random cells.
    @Test func windowedDiffEqualsWholeRowDiff() {
        var rng = SplitMix(seed: 20261129)
        let glyphs: [Character?] = ["a", "b", " ", "漢", "字", "●", nil, "\u{7}", "é", "1"]
        let styles: [Style] = [.plain, Style(bold: true), Style(fg: .red)]
        let size = Size(width: 40, height: 3)
        func random() -> Screen {
            var s = Screen(size: size)
            for r in 0..<size.height {
                for c in 0..<size.width {
                    s[r, c] = Cell(glyphs[Int(rng.next() % UInt64(glyphs.count))], style: styles[Int(rng.next() % 3)])
                }
            }
            return s
        }
        for _ in 0..<5000 {
            let a = random()
            var b = a
            for _ in 0..<Int(rng.next() % 7) {
                let r = Int(rng.next() % UInt64(size.height)), c = Int(rng.next() % UInt64(size.width))
                b[r, c] = Cell(glyphs[Int(rng.next() % UInt64(glyphs.count))], style: styles[Int(rng.next() % 3)])
            }
            let whole = ScreenDiff.plan(from: a, to: b, bounds: nil, windowed: false)
            let windowed = ScreenDiff.plan(from: a, to: b, bounds: nil, windowed: true)
            #expect(windowed == whole, "\(a.cells.map { $0.char.map(String.init) ?? "_" }.joined()) → \(b.cells.map { $0.char.map(String.init) ?? "_" }.joined())")
            if windowed != whole { break }
        }
    }
}

/// A small seeded generator, so a failure repeats.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
