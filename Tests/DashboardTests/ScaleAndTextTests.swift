import Foundation
import GatewayConfig
import Testing
@testable import TokenKit
@testable import Dashboard
import TerminalScreen

@Suite struct ScaleTests {
    /// Drawing formats only the rows on screen, however long the table: the structural half of
    /// "10,000 routes render in well under a millisecond" (timing belongs in the benchmarks).
    @Test func viewFormatsOnlyVisibleRows() {
        var m = bigModel(10_000)
        var screen = Screen(size: large)
        let rows = DashboardModel.tableRows(for: large)
        #expect(m.drawTable(into: &screen, top: 3, rows: rows, scroll: m.scroll) == rows)
        press(&m, .char("G"))
        var s2 = Screen(size: large)
        #expect(m.drawTable(into: &s2, top: 3, rows: rows, scroll: m.scroll) == rows)
        let text = view(m, size: large).text
        #expect(text.contains("/api/v1/resource-9999 "))
        #expect(text.contains("10000/10000"))
        // Many frames in a row stay cheap enough to run in a unit test.
        for _ in 0..<100 { _ = view(m, size: large) }
    }

    @Test func bigSortFilterAndTick() {
        var m = bigModel(10_000)
        press(&m, .char("s"), .char("s"), .char("s"))
        #expect(m.sort == .expiry)
        #expect(m.visible.count == 10_000)
        press(&m, .char("/"))
        type(&m, "resource-9999")
        #expect(m.visible.count == 1)
        press(&m, .escape)
        _ = update(&m, .tick(Fixture.now.addingTimeInterval(1)))
        #expect(m.visible.count == 10_000)
    }
}

@Suite struct TextTests {
    @Test func clockIsUTC() {
        #expect(Text.clock(Fixture.now) == "08:00:00")
        #expect(Text.clock(Date(timeIntervalSince1970: 86_399)) == "23:59:59")
        #expect(Text.clock(Date(timeIntervalSince1970: -1)) == "23:59:59")
    }

    @Test func controlCharactersAreEscaped() {
        #expect(Text.escapeControls("a\nb\tc\r\u{1B}[31m\u{7F}\\") == "a\\nb\\tc\\r\\x1B[31m\\x7F\\\\")
    }

    @Test func wrapping() {
        #expect(Text.hardWrap("abcdefgh", width: 3) == ["abc", "def", "gh"])
        #expect(Text.hardWrap("日本語", width: 4) == ["日本", "語"])
        #expect(Text.wordWrap("one two three", width: 7) == ["one two", "three"])
        #expect(Text.wordWrap("abcdefghij k", width: 4) == ["abcd", "efgh", "ij k"])
    }

    @Test func clipKeepsWidthAndMarksTheCut() {
        let line: Line = [Span("abc"), Span("def", Theme.bold)]
        #expect(clip(line, to: 6).plainText == "abcdef")
        #expect(clip(line, to: 4).plainText == "abc…")
        #expect(clip(line, to: 3).plainText == "ab…")
        #expect(clip(line, to: 5).plainText == "abcd…")
        #expect(clip(line, to: 5).last?.style == Theme.bold, "the mark takes the style of the text it replaces")
    }

    @Test func wideCharactersStayAligned() {
        var routes = Fixture.routes
        routes[0].endpoint = "/v1/注文/一覧/すべての注文"
        let ctx = DashboardContext(file: "x.json", gatewayName: "網関", routes: routes, entryForRoute: Fixture.entryForRoute)
        var m = DashboardModel(context: ctx, now: Fixture.now, size: small)
        _ = update(&m, .tokens(Fixture.entries, events: []))
        let s = view(m, size: small)
        let lines = s.text.split(separator: "\n")
        // The client column starts at the same display column on every row.
        let header = column(of: "CLIENT", in: s, row: 2)!
        #expect(column(of: "orders-gat", in: s, row: 3) == header)
        #expect(column(of: "orders-gat", in: s, row: 4) == header)
        #expect(lines[3].contains("…"))
    }

    @Test func layoutAdaptsToWidth() {
        func columns(_ w: Int) -> [Column] {
            ColumnLayout.make(width: w, content: Fixture.model().contentWidths).columns.map(\.column)
        }
        #expect(columns(60) == [.state, .expires, .endpoint, .client])
        #expect(columns(80) == [.state, .expires, .endpoint, .client, .error])
        #expect(columns(120) == Column.allCases.filter { $0 != .call }, "CALL only after a test call")
        for w in 60...240 {
            let l = ColumnLayout.make(width: w, content: Fixture.model().contentWidths)
            let last = l.columns.last!
            #expect(last.x + last.width <= w, "width \(w)")
        }
    }
}
