import Foundation
import GatewayConfig
import Testing
@testable import TokenKit
@testable import Dashboard
import TerminalScreen

/// Compares `text` with `Golden/<name>.txt` exactly. A missing golden (or TOKENTOP_UPDATE_GOLDEN=1)
/// writes the file and fails, so a golden is never created silently: rerun to pass, and read the
/// new file before committing it.
func assertGolden(_ name: String, _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    let file = dir.appendingPathComponent(name + ".txt")
    let actual = text + "\n"
    let update = ProcessInfo.processInfo.environment["TOKENTOP_UPDATE_GOLDEN"] == "1"
    let existing = try? String(contentsOf: file, encoding: .utf8)
    if update || existing == nil {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        do {
            try actual.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("recorded golden \(file.path): check it by eye, then rerun", sourceLocation: sourceLocation)
        } catch {
            Issue.record("could not write golden \(file.path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let expected = existing, expected != actual else { return }
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let firstDiff = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(e.count, a.count)
    let exp = firstDiff < e.count ? String(e[firstDiff]) : "<end>"
    let act = firstDiff < a.count ? String(a[firstDiff]) : "<end>"
    let out = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(name).actual.txt")
    try? actual.write(to: out, atomically: true, encoding: .utf8)
    Issue.record("""
        golden \(name) differs at line \(firstDiff + 1) (actual written to \(out.path); TOKENTOP_UPDATE_GOLDEN=1 re-records)
        expected: \(exp)
        actual:   \(act)
        """, sourceLocation: sourceLocation)
}

let small = Size(width: 80, height: 24)
let large = Size(width: 120, height: 40)

func render(_ m: DashboardModel) -> String { view(m, size: m.size).text }

@Suite struct GoldenTests {
    @Test(arguments: [small, large, Size(width: 60, height: 12), Size(width: 200, height: 30)])
    func mainTable(size: Size) {
        let m = Fixture.model(size)
        assertGolden("table_\(size.width)x\(size.height)", render(m))
    }

    @Test(arguments: [small, large])
    func detailWithJWT(size: Size) {
        var m = Fixture.model(size)
        press(&m, .enter)
        #expect(m.mode == .detail)
        assertGolden("detail_jwt_\(size.width)x\(size.height)", render(m))
    }

    @Test func detailScrolledToEnd() {
        var m = Fixture.model(small)
        press(&m, .enter, .end)
        assertGolden("detail_jwt_end_80x24", render(m))
    }

    @Test func detailOfFailedRow() {
        var m = Fixture.model(large)
        press(&m, .down, .down, .down, .down, .enter)
        #expect(m.selectedRouteID == 4)
        assertGolden("detail_failed_120x40", render(m))
    }

    @Test func detailOfUnprotectedRow() {
        var m = Fixture.model(small)
        press(&m, .char("G"), .up, .up, .enter)
        #expect(m.selectedRouteID == 8)
        assertGolden("detail_unprotected_80x24", render(m))
    }

    @Test func detailRevealed() {
        var m = Fixture.model(small)
        press(&m, .enter, .char("v"), .pageDown)
        assertGolden("detail_revealed_80x24", render(m))
    }

    @Test func help() {
        var m = Fixture.model(small)
        press(&m, .char("?"))
        assertGolden("help_80x24", render(m))
        var ro = Fixture.model(large, readonly: true)
        press(&ro, .char("?"))
        assertGolden("help_readonly_120x40", render(ro))
    }

    @Test func filterWhileTyping() {
        var m = Fixture.model(small)
        press(&m, .char("/"))
        type(&m, "orders")
        assertGolden("filter_typing_80x24", render(m))
    }

    @Test func filterKept() {
        var m = Fixture.model(large)
        press(&m, .char("/"))
        type(&m, "FAIL")
        press(&m, .enter)
        assertGolden("filter_kept_120x40", render(m))
    }

    @Test func filterWithoutMatches() {
        var m = Fixture.model(small)
        press(&m, .char("/"))
        type(&m, "zzz")
        assertGolden("filter_nomatch_80x24", render(m))
    }

    @Test func sortedByExpiry() {
        var m = Fixture.model(large)
        press(&m, .char("s"), .char("s"), .char("s"))
        #expect(m.sort == .expiry)
        assertGolden("sorted_expiry_120x40", render(m))
    }

    @Test func sortedByStateDescending() {
        var m = Fixture.model(small)
        press(&m, .char("s"), .char("S"))
        #expect(m.sort == .state && !m.ascending)
        assertGolden("sorted_state_desc_80x24", render(m))
    }

    @Test(arguments: [small, large])
    func eventLog(size: Size) {
        var m = Fixture.model(size)
        press(&m, .char("e"))
        assertGolden("events_\(size.width)x\(size.height)", render(m))
    }

    @Test func confirmRefreshAll() {
        var m = Fixture.model(small)
        press(&m, .char("R"))
        assertGolden("confirm_80x24", render(m))
    }

    @Test func flashError() {
        var m = Fixture.model(small)
        press(&m, .down, .down, .down, .down)
        _ = press(&m, .char("r"))
        let failed = Fixture.entries[3].attempts[0]
        _ = update(&m, .refreshFinished(entryID: 3, attempt: failed))
        assertGolden("flash_error_80x24", render(m))
    }

    @Test func readonlyHeader() {
        let m = Fixture.model(small, readonly: true)
        assertGolden("readonly_80x24", render(m))
    }

    /// allow_insecure_connections: the header says so at every width (short form when narrow),
    /// and the file name gives way, not the warning.
    @Test func tlsNotVerifiedHeader() {
        assertGolden("tls_not_verified_80x24", render(Fixture.model(small, tlsNotVerified: true)))
        let wide = render(Fixture.model(tlsNotVerified: true))
        assertGolden("tls_not_verified_120x40", wide)
        #expect(wide.split(separator: "\n").first?.contains("TLS NOT VERIFIED (allow_insecure_connections)") == true)
        let narrow = render(Fixture.model(Size(width: 60, height: 12), tlsNotVerified: true))
        #expect(narrow.split(separator: "\n").first?.contains("⚠ TLS NOT VERIFIED") == true)
        #expect(!render(Fixture.model(small)).contains("TLS NOT VERIFIED"))
    }

    @Test func tooSmall() {
        var m = Fixture.model(Size(width: 50, height: 10))
        assertGolden("too_small_50x10", render(m))
        _ = update(&m, .key(.resize(Size(width: 59, height: 30))))
        #expect(render(m).contains("need 60×12, have 59×30"))
    }
}
