import Foundation
import GatewayConfig
import Testing
@testable import TokenKit
@testable import Dashboard
import TerminalScreen

@Suite struct NavigationTests {
    @Test func staysWithinBounds() {
        var m = Fixture.model(small)
        #expect(m.selectedRouteID == 0)
        press(&m, .up, .char("k"), .pageUp, .home)
        #expect(m.selectedRouteID == 0)
        press(&m, .down, .char("j"))
        #expect(m.selectedRouteID == 2)
        press(&m, .char("G"))
        #expect(m.selectedRouteID == 10)
        press(&m, .down, .pageDown, .end)
        #expect(m.selectedRouteID == 10)
        press(&m, .char("g"))
        #expect(m.selectedRouteID == 0)
        press(&m, .pageDown)
        #expect(m.selectedRouteID == 10, "a page (19 rows at 80×24) is longer than the 11 rows")
    }

    @Test func scrollFollowsSelection() {
        var m = bigModel(100, size: Size(width: 80, height: 24))
        let rows = DashboardModel.tableRows(for: m.size)
        #expect(rows == 19)
        press(&m, .pageDown)
        #expect(m.selectedPos == 19 && m.scroll == 1)
        press(&m, .char("G"))
        #expect(m.selectedPos == 99 && m.scroll == 100 - rows)
        press(&m, .pageUp)
        #expect(m.selectedPos == 80 && m.scroll == 80)
        press(&m, .char("g"))
        #expect(m.scroll == 0)
    }

    @Test func resizeUpdatesSizeAndKeepsSelectionOnScreen() {
        var m = bigModel(100, size: large)
        press(&m, .pageDown) // 35 rows at 120×40
        #expect(m.selectedPos == 35)
        let effects = update(&m, .key(.resize(Size(width: 80, height: 12))))
        #expect(effects.isEmpty)
        #expect(m.size == Size(width: 80, height: 12))
        let rows = DashboardModel.tableRows(for: m.size)
        #expect(m.scroll <= 35 && 35 < m.scroll + rows)
        #expect(view(m, size: m.size).text.contains("/api/v1/resource-35 "))
    }

    @Test func mouse() {
        var m = Fixture.model(small)
        press(&m, .mouseClick(row: 5, col: 10))
        #expect(m.selectedRouteID == 2)
        press(&m, .mouseWheelDown)
        #expect(m.selectedRouteID == 3)
        press(&m, .mouseClick(row: 20, col: 10)) // below the last row: ignored
        #expect(m.selectedRouteID == 3)
    }
}

@Suite struct SortAndFilterTests {
    @Test func sortCyclesAndReverses() {
        var m = Fixture.model()
        var seen: [SortColumn] = []
        for _ in 0..<5 { press(&m, .char("s")); seen.append(m.sort) }
        #expect(seen == [.state, .endpoint, .expiry, .client, .table])
        press(&m, .char("S"))
        #expect(!m.ascending)
        #expect(m.visible.first == 10)
        press(&m, .char("s"))
        #expect(m.sort == .state && m.ascending, "a new column starts ascending")
    }

    @Test func stateSortPutsFailuresFirst() {
        var m = Fixture.model()
        press(&m, .char("s"))
        let states = m.visible.map { m.rowStates[$0] }
        #expect(states.first == .failed)
        #expect(states.last == .unprotected)
        #expect(states.map(\.severity) == states.map(\.severity).sorted())
    }

    @Test func expirySortOrder() {
        var m = Fixture.model()
        press(&m, .char("s"), .char("s"), .char("s"))
        #expect(m.sort == .expiry)
        // expired (-110 s), expiring (30 s), orders ×2 (2990 s), payments (7075 s), then never, then no token.
        #expect(Array(m.visible.prefix(6)) == [3, 2, 0, 1, 10, 7])
    }

    @Test func selectionSurvivesSorting() {
        var m = Fixture.model()
        press(&m, .down, .down, .down, .down)
        #expect(m.selectedRouteID == 4)
        press(&m, .char("s"))
        #expect(m.selectedRouteID == 4)
        #expect(m.selectedPos == 0, "failed sorts first")
        press(&m, .char("S"))
        #expect(m.selectedRouteID == 4 && m.selectedPos == m.visible.count - 1)
        press(&m, .char("s"), .char("s"), .char("s"), .char("s"))
        #expect(m.sort == .table && m.selectedPos == 4)
    }

    @Test func filterTypingEnterAndEscape() {
        var m = Fixture.model()
        press(&m, .char("/"))
        #expect(m.filterEditing)
        type(&m, "Orders")
        #expect(m.filter == "Orders")
        #expect(m.visible == [0, 1])
        press(&m, .backspace)
        #expect(m.filter == "Order")
        press(&m, .enter)
        #expect(!m.filterEditing && m.filter == "Order" && m.visible == [0, 1])
        // Keys act on the table again, not the filter.
        let effects = press(&m, .char("q"))
        #expect(effects == [.quit])
        press(&m, .char("/"))
        type(&m, "x")
        press(&m, .escape)
        #expect(!m.filterEditing && m.filter.isEmpty && m.visible.count == 11)
    }

    @Test func escapeInTableClearsAKeptFilter() {
        var m = Fixture.model()
        press(&m, .char("/"))
        type(&m, "users")
        press(&m, .enter, .escape)
        #expect(m.filter.isEmpty && m.visible.count == 11)
    }

    @Test(arguments: [
        ("EXPIRING", [2]),              // state word
        ("no expiry", [7]),
        ("invalid_client", [4]),        // error summary
        ("billing.internal", [2]),      // backend host
        ("payments-gateway-prod", [10]),// client_id
        ("/cgi-bin", [7]),              // url_pattern
        ("post", [1]),                  // method
    ])
    func filterMatches(needle: String, expected: [Int]) {
        var m = Fixture.model()
        press(&m, .char("/"))
        type(&m, needle)
        #expect(m.visible == expected)
    }

    @Test func selectionSurvivesFilteringWhenVisible() {
        var m = Fixture.model()
        press(&m, .down) // POST /v1/orders
        press(&m, .char("/"))
        type(&m, "orders")
        #expect(m.selectedRouteID == 1 && m.selectedPos == 1)
        press(&m, .escape)
        #expect(m.selectedRouteID == 1 && m.selectedPos == 1)
        press(&m, .char("/"))
        type(&m, "users")
        #expect(m.selectedRouteID == 4, "the selection moves to the first visible row when filtered out")
        type(&m, "zzz")
        #expect(m.selectedRoute == nil && m.visible.isEmpty)
        #expect(press(&m, .enter).isEmpty)
        press(&m, .enter) // filter kept; Enter on an empty table does nothing
        #expect(m.mode == .table)
    }

    @Test func controlCharactersNeverEnterTheFilter() {
        var m = Fixture.model()
        press(&m, .char("/"), .char("\u{1B}"), .char("a"))
        #expect(m.filter == "a")
    }
}

@Suite struct RefreshTests {
    @Test func refreshSelectedSendsItsEntry() {
        var m = Fixture.model()
        #expect(press(&m, .char("r")) == [.refresh(entryID: 0)])
        #expect(m.flash?.text.contains("refreshing orders-gateway") == true)
        #expect(m.flash?.pendingEntryID == 0)
        press(&m, .down)
        #expect(press(&m, .char("r")) == [.refresh(entryID: 0)], "the shared token")
        press(&m, .down, .down, .down)
        #expect(press(&m, .char("r")) == [.refresh(entryID: 3)])
    }

    @Test func noRefreshForUnprotectedOrDisabled() {
        var m = Fixture.model()
        press(&m, .char("G"), .up, .up)
        #expect(m.selectedRouteID == 8)
        #expect(press(&m, .char("r")).isEmpty)
        #expect(m.flash?.text.contains("unprotected") == true)
        press(&m, .down)
        #expect(m.selectedRouteID == 9)
        #expect(press(&m, .char("r")).isEmpty)
        #expect(m.flash?.text.contains("disabled") == true)
    }

    @Test func readonlyRefusesBothKeys() {
        var m = Fixture.model(readonly: true)
        #expect(press(&m, .char("r")).isEmpty)
        #expect(m.flash?.text.contains("read-only") == true)
        #expect(press(&m, .char("R")).isEmpty)
        #expect(m.mode == .table)
        #expect(m.flash?.text.contains("read-only") == true)
        press(&m, .enter)
        #expect(press(&m, .char("r")).isEmpty)
    }

    @Test func refreshAllAsksFirst() {
        var m = Fixture.model()
        #expect(press(&m, .char("R")).isEmpty)
        #expect(m.mode == .confirmRefreshAll)
        #expect(view(m, size: m.size).text.contains("Refresh all 8 tokens? "))
        #expect(press(&m, .char("y")) == [.refreshAll])
        #expect(m.mode == .table)
        #expect(press(&m, .char("R"), .char("n")).isEmpty)
        #expect(m.mode == .table)
        #expect(press(&m, .char("R"), .escape).isEmpty)
        #expect(m.mode == .table)
        #expect(press(&m, .char("R"), .ctrl("c")) == [.quit])
    }

    @Test func refreshResultsInTheFlashLine() {
        var m = Fixture.model()
        press(&m, .char("r"))
        let ok = Fixture.entries[0].attempts[0]
        _ = update(&m, .refreshFinished(entryID: 0, attempt: ok))
        #expect(m.flash?.kind == .success)
        #expect(m.flash?.text == "refreshed orders-gateway (GET /v1/orders): expires in 1h00m (basic, 42ms)")
        let failed = Fixture.entries[3].attempts[0]
        _ = update(&m, .refreshFinished(entryID: 3, attempt: failed))
        #expect(m.flash?.kind == .error)
        #expect(m.flash?.text == "refresh of users-gateway (GET /v1/users/{id}) failed: 401 invalid_client: Client authentication failed")
    }
}

@Suite struct FlashTests {
    @Test func successClearsAfterThreeSecondsOfTicks() {
        var m = Fixture.model()
        _ = update(&m, .refreshFinished(entryID: 0, attempt: Fixture.entries[0].attempts[0]))
        _ = update(&m, .tick(Fixture.now.addingTimeInterval(2)))
        #expect(m.flash != nil)
        press(&m, .down)
        #expect(m.flash != nil, "a key doesn't clear a success")
        _ = update(&m, .tick(Fixture.now.addingTimeInterval(3)))
        #expect(m.flash == nil)
    }

    @Test func errorsStayUntilTheNextKey() {
        var m = Fixture.model()
        _ = update(&m, .refreshFinished(entryID: 3, attempt: Fixture.entries[3].attempts[0]))
        _ = update(&m, .tick(Fixture.now.addingTimeInterval(60)))
        #expect(m.flash?.kind == .error)
        press(&m, .down)
        #expect(m.flash == nil)
        #expect(m.selectedRouteID == 1, "the key still did its job")
    }

    @Test func pendingRefreshWaitsForItsResult() {
        var m = Fixture.model()
        press(&m, .char("r"))
        _ = update(&m, .tick(Fixture.now.addingTimeInterval(30)))
        #expect(m.flash?.pendingEntryID == 0)
        _ = update(&m, .refreshFinished(entryID: 0, attempt: nil))
        #expect(m.flash?.kind == .error)
    }

    @Test func resizeKeepsTheFlash() {
        var m = Fixture.model()
        _ = update(&m, .refreshFinished(entryID: 3, attempt: Fixture.entries[3].attempts[0]))
        press(&m, .resize(small))
        #expect(m.flash?.kind == .error)
    }
}

@Suite struct ModeTests {
    @Test func quitKeys() {
        var m = Fixture.model()
        #expect(press(&m, .char("q")) == [.quit])
        #expect(press(&m, .ctrl("c")) == [.quit])
        press(&m, .char("/"))
        #expect(press(&m, .char("q")).isEmpty, "q is text while filtering")
        #expect(m.filter == "q")
        #expect(press(&m, .ctrl("c")) == [.quit])
    }

    @Test(arguments: [Key.escape, .char("q")])
    func closeKeysClosePanesFirst(key: Key) {
        var m = Fixture.model()
        press(&m, .enter)
        #expect(m.mode == .detail)
        #expect(press(&m, key).isEmpty)
        #expect(m.mode == .table)
        press(&m, .char("e"))
        #expect(m.mode == .events)
        #expect(press(&m, key).isEmpty)
        #expect(m.mode == .table)
        press(&m, .char("?"))
        #expect(m.mode == .help)
        #expect(press(&m, key).isEmpty)
        #expect(m.mode == .table)
        press(&m, .enter, .char("?"))
        #expect(m.mode == .help)
        press(&m, key)
        #expect(m.mode == .detail, "help returns to the pane it was opened from")
        #expect(press(&m, .ctrl("c")) == [.quit])
    }

    @Test func enterClosesDetailAndRevealResets() {
        var m = Fixture.model()
        press(&m, .enter, .char("v"))
        #expect(m.revealed)
        #expect(view(m, size: m.size).text.contains(Fixture.ordersJWT.prefix(30)))
        press(&m, .enter)
        #expect(m.mode == .table && !m.revealed)
        press(&m, .enter)
        #expect(!m.revealed)
        #expect(!view(m, size: m.size).text.contains(Fixture.ordersJWT.prefix(30)))
        press(&m, .char("v"), .char("?"))
        #expect(!m.revealed, "help over the pane hides the token too")
    }

    @Test func detailScrollIsClamped() {
        var m = Fixture.model(small)
        press(&m, .enter, .up, .pageUp)
        #expect(m.detailScroll == 0)
        press(&m, .pageDown, .pageDown, .pageDown, .pageDown)
        let total = m.detailLineCount(width: 80)
        #expect(m.detailScroll == total - (24 - 3))
        press(&m, .char("g"))
        #expect(m.detailScroll == 0)
    }

    @Test func eventScrollIsClamped() {
        var m = Fixture.model(Size(width: 80, height: 12))
        press(&m, .char("e"), .down, .down, .down, .down, .down, .down, .down)
        #expect(m.eventScroll == Fixture.events.count - (12 - 4))
        press(&m, .pageUp, .pageUp)
        #expect(m.eventScroll == 0)
    }

    @Test func eventLogIsNewestFirst() {
        var m = Fixture.model()
        press(&m, .char("e"))
        let lines = view(m, size: m.size).text.split(separator: "\n")
        #expect(lines[2].hasPrefix(" 07:59:56 GET /v1/users/{id}"))
        #expect(lines[10].hasPrefix(" 05:00:00 GET /v1/legacy/catalog"))
    }
}

@Suite struct TimeTests {
    @Test func ticksMoveStatesAndCounts() {
        var m = Fixture.model()
        #expect(m.state(ofRoute: 0) == .valid)
        #expect(m.counts[.ok] == 4)
        _ = update(&m, .tick(Fixture.now.addingTimeInterval(2990 - 30)))
        #expect(m.state(ofRoute: 0) == .expiring)
        _ = update(&m, .tick(Fixture.now.addingTimeInterval(2990)))
        #expect(m.state(ofRoute: 0) == .expired)
        #expect(m.state(ofRoute: 1) == .expired)
        #expect(m.counts[.expired] == 4)
        #expect(view(m, size: m.size).text.contains("08:49:50 UTC"))
    }

    @Test func stateSortFollowsTheClock() {
        var m = Fixture.model()
        press(&m, .char("s"))
        let before = m.visible
        _ = update(&m, .tick(Fixture.now.addingTimeInterval(2990)))
        #expect(m.visible != before)
        #expect(m.visible.map { m.rowStates[$0].severity } == m.visible.map { m.rowStates[$0].severity }.sorted())
    }

    @Test func newSnapshotsReplaceEntries() {
        var m = Fixture.model()
        var snaps = Fixture.entries
        snaps[4].inFlight = false
        snaps[4].token = AccessToken(value: "fresh-token-value-0123", rawTokenType: "Bearer", expiresIn: 600, receivedAt: Fixture.now)
        _ = update(&m, .tokens(snaps, events: Fixture.events))
        #expect(m.state(ofRoute: 5) == .valid)
        #expect(m.counts[.fetching] == nil)
    }

    /// The tick skips the state pass until a token's next expiring/expiry instant: stepping a
    /// second at a time through two hours, every row still shows what its snapshot says.
    @Test func skippedStatePassesNeverHideAChange() {
        var m = Fixture.model()
        let snaps = Fixture.entries
        var transitions = 0
        var previous = Fixture.routes.map { m.state(ofRoute: $0.id) }
        for second in 1...7500 {
            let t = Fixture.now.addingTimeInterval(TimeInterval(second))
            _ = update(&m, .tick(t))
            for (k, r) in Fixture.routes.enumerated() {
                guard let eid = Fixture.context().entryForRoute[r.id], let snap = snaps.first(where: { $0.id == eid }),
                      r.credentials?.isDisabled != true else { continue }
                let expected = snap.state(at: t, policy: Fixture.context().policy)
                #expect(m.state(ofRoute: r.id) == expected, "route \(r.id) at +\(second) s")
                if previous[k] != expected { transitions += 1; previous[k] = expected }
            }
        }
        #expect(transitions >= 4, "the fixture's tokens expire within two hours: \(transitions) transitions seen")
    }
}
