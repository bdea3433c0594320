import Foundation
import GatewayConfig
import Testing
@testable import TokenKit
@testable import Dashboard
import TerminalScreen

/// The column where `needle` starts on a screen row (display columns), if it's there.
func column(of needle: String, in screen: Screen, row: Int) -> Int? {
    var chars: [(Character, Int)] = []
    for c in 0..<screen.size.width { if let ch = screen[row, c].char { chars.append((ch, c)) } }
    let line = String(chars.map(\.0))
    guard let r = line.range(of: needle) else { return nil }
    return chars[line.distance(from: line.startIndex, to: r.lowerBound)].1
}

/// The screen row whose text contains `needle`.
func row(of needle: String, in screen: Screen) -> Int? {
    screen.text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(needle) }
}

func style(of needle: String, onRowWith rowNeedle: String, in screen: Screen) -> Style? {
    guard let r = row(of: rowNeedle, in: screen), let c = column(of: needle, in: screen, row: r) else { return nil }
    // Every cell of the text has the same style.
    let runs = screen.styleRuns(row: r).filter { $0.col <= c && c < $0.col + $0.length }
    guard let run = runs.first, run.col + run.length >= c + DisplayWidth.of(needle) else { return nil }
    return run.style
}

@Suite struct StyleTests {
    @Test func countdownColours() {
        let s = view(Fixture.model(), size: large)
        #expect(style(of: "49m50s", onRowWith: "POST /v1/orders", in: s)?.fg == .green)
        #expect(style(of: "30s", onRowWith: "GET /v1/invoices", in: s)?.fg == .yellow)
        #expect(style(of: "-1m50s", onRowWith: "GET /v1/reports", in: s)?.fg == .red)
        #expect(style(of: "✕ failed", onRowWith: "GET /v1/users", in: s)?.fg == .red)
        #expect(style(of: "401 invalid_clie", onRowWith: "GET /v1/users", in: s)?.fg == .red)
        #expect(style(of: "● valid", onRowWith: "POST /v1/orders", in: s)?.fg == .green)
    }

    @Test func failedRowWithAnOldTokenCountsDownInRed() {
        var m = Fixture.model()
        var snaps = Fixture.entries
        snaps[3].token = AccessToken(value: "users-old-token-0123456789", rawTokenType: "Bearer", expiresIn: 600, receivedAt: Fixture.ago(900))
        _ = update(&m, .tokens(snaps, events: []))
        #expect(m.state(ofRoute: 4) == .failed)
        let s = view(m, size: large)
        #expect(style(of: "-5m10s", onRowWith: "GET /v1/users", in: s)?.fg == .red)
    }

    @Test func selectedRowIsReversed() {
        var m = Fixture.model()
        press(&m, .down, .down)
        let s = view(m, size: large)
        let r = row(of: "GET /v1/invoices", in: s)!
        #expect(s.styleRuns(row: r).allSatisfy { $0.style.reverse })
        let other = row(of: "GET /v1/reports", in: s)!
        #expect(s.styleRuns(row: other).allSatisfy { !$0.style.reverse })
    }

    @Test func monochromeHasNoColoursAnywhere() {
        var m = Fixture.model(monochrome: true)
        var screens = [view(m, size: large), view(m, size: small)]
        press(&m, .enter, .char("v"))
        screens.append(view(m, size: large))
        press(&m, .escape, .char("e"))
        screens.append(view(m, size: large))
        press(&m, .escape, .char("?"))
        screens.append(view(m, size: large))
        press(&m, .escape, .char("R"))
        screens.append(view(m, size: small))
        for s in screens {
            for r in 0..<s.size.height {
                #expect(s.styleRuns(row: r).allSatisfy { $0.style.fg == .default && $0.style.bg == .default })
            }
        }
        // Failures still stand out (bold), and every state is still named.
        let table = screens[0]
        #expect(style(of: "✕ failed", onRowWith: "GET /v1/users", in: table)?.bold == true)
        for word in ["● valid", "◐ expiring", "○ expired", "✕ failed", "↻ fetching", "· not fetched", "∞ no expiry", "– unprotected", "⊘ disabled"] {
            #expect(table.text.contains(word))
        }
    }

    @Test func revealWarningIsLoud() {
        var m = Fixture.model()
        press(&m, .enter, .char("v"))
        let s = view(m, size: large)
        let st = style(of: "TOKEN REVEALED — press v to hide", onRowWith: "TOKEN REVEALED", in: s)
        #expect(st?.fg == .red && st?.bold == true && st?.reverse == true)
        // Also on the status line, which doesn't scroll away.
        #expect(s.text.split(separator: "\n", omittingEmptySubsequences: false)[38].contains("TOKEN REVEALED"))
    }

    @Test func readonlyHelpDimsRefreshKeys() {
        var m = Fixture.model(readonly: true)
        press(&m, .char("?"))
        let s = view(m, size: large)
        #expect(style(of: "refresh all tokens", onRowWith: "refresh all tokens", in: s)?.dim == true)
        #expect(s.text.contains("refresh the selected row's token now (read-only)"))
        // The hint line does not offer keys that cannot act (help still lists them, dimmed).
        let t = view(Fixture.model(readonly: true), size: large)
        let hints = t.text.split(separator: "\n", omittingEmptySubsequences: false)[t.size.height - 1]
        #expect(!hints.contains("r/R refresh") && !hints.contains("t call"), "\(hints)")
        #expect(hints.contains("q quit") && hints.contains("Enter details"), "\(hints)")
    }

    @Test func statesHaveOneColumnGlyphs() {
        for st in TokenState.allCases {
            #expect(DisplayWidth.of(st.glyph) == 1, "\(st)")
            #expect(DisplayWidth.of(st.label) <= Column.state.minWidth)
        }
    }
}
