import ConfigLint
import Foundation
import GatewayConfig
import Testing
@testable import TokenKit
@testable import Dashboard
import TerminalScreen

@Suite struct LintTests {
    @Test func rowsCarryTheirWorstSeverity() {
        let m = Fixture.model(large, findings: Fixture.findings)
        let s = view(m, size: m.size)
        let lines = s.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func marker(_ endpoint: String) -> Character? { lines.first { $0.contains(endpoint) }?.first }
        #expect(marker("GET /v1/orders") == "ℹ")
        #expect(marker("POST /v1/orders") == "ℹ")
        #expect(marker("GET /v1/reports") == "⚠")
        #expect(marker("GET /v1/users/{id}") == "!", "error beats warning")
        #expect(marker("GET /v1/search") == " ")
        let usersRow = row(of: "GET /v1/users/{id}", in: s)!
        #expect(s[usersRow, 0].style.fg == .red)
        #expect(s[row(of: "GET /v1/reports", in: s)!, 0].style.fg == .yellow)
    }

    @Test func headerCountsFindings() {
        let m = Fixture.model(large, findings: Fixture.findings)
        let header = render(m).split(separator: "\n").first!
        #expect(header.contains("lint: 2 errors 2 warnings 1 note"))
        let narrow = render(Fixture.model(small, findings: Fixture.findings)).split(separator: "\n").first!
        #expect(narrow.contains("lint !2 ⚠2 ℹ1"))
        #expect(!render(Fixture.model(large)).contains("lint"), "hidden when clean")
    }

    @Test func findingsArriveLaterAsAMessage() {
        var m = Fixture.model(large)
        #expect(m.findings(forRoute: 4).isEmpty)
        _ = update(&m, .lint(Fixture.findings))
        #expect(m.findings(forRoute: 4).map(\.code) == ["plain-http-token-url", "secret-in-file"])
        #expect(render(m).contains("lint: 2 errors"))
        #expect(render(m).contains("L lint"))
    }

    @Test func filterFindsRowsByRuleCode() {
        var m = Fixture.model(small, findings: Fixture.findings)
        press(&m, .char("/"))
        type(&m, "empty-scope")
        #expect(m.visible.map { m.routes[$0].id } == [3])
    }

    @Test func detailListsTheRowsFindings() {
        var m = Fixture.model(large, findings: Fixture.findings)
        select(&m, route: 4)
        press(&m, .enter)
        let s = render(m)
        #expect(s.contains("Lint: 1 error, 1 warning"))
        #expect(s.contains("! error           [plain-http-token-url]"))
        #expect(s.contains("at 70:26"))
        #expect(s.contains("Use https:// for the token endpoint."))
    }

    @Test func lintViewScrollsAndCloses() {
        var m = Fixture.model(small, findings: Fixture.findings)
        press(&m, .char("L"))
        #expect(m.mode == .lint)
        #expect(render(m).contains("About the whole file (1)"))
        press(&m, .char("G"))
        let total = m.lintLines(width: 80).count
        #expect(m.lintScroll == total - DashboardModel.lintRows(for: small))
        press(&m, .char("g"))
        #expect(m.lintScroll == 0)
        press(&m, .char("L"))
        #expect(m.mode == .table)
    }

    @Test(arguments: [small, large])
    func tableWithMarkers(size: Size) {
        assertGolden("table_lint_\(size.width)x\(size.height)", render(Fixture.model(size, findings: Fixture.findings)))
    }

    @Test(arguments: [small, large])
    func detailWithFindings(size: Size) {
        var m = Fixture.model(size, findings: Fixture.findings)
        select(&m, route: 4)
        press(&m, .enter)
        if size == small { press(&m, .end) }
        assertGolden("detail_lint_\(size.width)x\(size.height)", render(m))
    }

    @Test(arguments: [small, large])
    func lintView(size: Size) {
        var m = Fixture.model(size, findings: Fixture.findings)
        press(&m, .char("L"))
        assertGolden("lint_\(size.width)x\(size.height)", render(m))
    }
}
