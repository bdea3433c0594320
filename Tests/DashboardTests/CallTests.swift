import Foundation
import GatewayConfig
import Testing
@testable import TokenKit
@testable import Dashboard
import TerminalScreen

/// Selects a route by id (rows are in config order in the fixture).
func select(_ m: inout DashboardModel, route id: Int) {
    press(&m, .home)
    while m.selectedRouteID != id { press(&m, .down) }
}

@Suite struct CallPromptTests {
    @Test func tWithoutValuesToAskCallsAtOnce() {
        var m = Fixture.model(small)
        let effects = press(&m, .char("t"))
        #expect(effects == [.testCall(CallSpec(callID: 1, routeID: 0))])
        #expect(m.mode == .response)
        #expect(m.callsPending[0] == 1)
        #expect(render(m).contains("Calling GET http://orders.internal:8080/orders"))
    }

    @Test func placeholdersArePromptedThenSent() {
        var m = Fixture.model(small)
        select(&m, route: 2)
        #expect(press(&m, .char("t")).isEmpty, "the prompt comes first")
        #expect(m.mode == .callPrompt)
        #expect(m.callForm?.fields == [.placeholder(Fixture.placeholders(Fixture.routes[2])[0])])
        type(&m, "INV-42x")
        press(&m, .backspace)
        let spec = callSpec(press(&m, .enter))
        #expect(spec == CallSpec(callID: 1, routeID: 2, params: ["id": "INV-42"]))
        #expect(m.mode == .response)
        #expect(m.pane?.returnMode == .table)
    }

    @Test func valuesAreRememberedPerRouteForTheSession() {
        var m = Fixture.model(small)
        select(&m, route: 2)
        press(&m, .char("t"))
        type(&m, "7")
        press(&m, .enter, .escape)
        #expect(m.mode == .table)
        press(&m, .char("t"))
        #expect(m.callForm?.values == ["7"], "prefilled with the last value")
        let again = callSpec(press(&m, .enter))
        #expect(again?.params == ["id": "7"] && again?.callID == 2)
        // Another route with the same placeholder name starts empty.
        press(&m, .escape)
        select(&m, route: 4)
        press(&m, .char("t"))
        #expect(m.callForm?.values == [""])
        #expect(m.callMemory[2]?.params == ["id": "7"])
    }

    @Test func escCancelsWithoutCallingOrRemembering() {
        var m = Fixture.model(small)
        select(&m, route: 2)
        press(&m, .char("t"))
        type(&m, "99")
        let effects = press(&m, .escape)
        #expect(effects.isEmpty)
        #expect(m.mode == .table && m.callForm == nil)
        #expect(m.callMemory[2] == nil)
        #expect(m.flash?.text == "test call cancelled")
    }

    @Test func severalHostsAreChosenAndBodiesTyped() {
        var m = Fixture.model(small)
        select(&m, route: 1) // POST /v1/orders, two hosts
        press(&m, .char("t"))
        #expect(m.callForm?.fields == [.hostChoice, .body])
        press(&m, .right)
        #expect(m.callForm?.hostIndex == 1)
        press(&m, .right)
        #expect(m.callForm?.hostIndex == 0, "wraps around")
        press(&m, .left)
        #expect(m.callForm?.hostIndex == 1)
        type(&m, "q") // letters don't type into the host chooser
        #expect(m.mode == .callPrompt)
        press(&m, .tab)
        type(&m, #"{"amount": 1}"#)
        #expect(render(m).contains("→ POST http://orders-2.internal:8080/orders"))
        let spec = callSpec(press(&m, .enter))
        #expect(spec == CallSpec(callID: 1, routeID: 1, hostIndex: 1, body: #"{"amount": 1}"#))
    }

    @Test func enterWalksFieldsAndSendsOnTheLast() {
        var m = Fixture.model(small)
        select(&m, route: 10) // PUT /v1/payments/{id}/capture: {id} and a body
        press(&m, .char("t"))
        #expect(m.callForm?.fields.count == 2)
        type(&m, "p-1")
        #expect(press(&m, .enter).isEmpty)
        #expect(m.callForm?.focus == 1)
        press(&m, .up)
        #expect(m.callForm?.focus == 0)
        press(&m, .ctrl("u"))
        type(&m, "p-2")
        press(&m, .down)
        type(&m, "@/tmp/capture.json")
        let spec = callSpec(press(&m, .enter))
        #expect(spec?.params == ["id": "p-2"] && spec?.body == "@/tmp/capture.json")
    }

    @Test func runtimeOnlyPlaceholdersAreAskedWithTheirNote() {
        var r = Fixture.routes[0]
        r.urlPattern = "/orders/{resp0_order.id}?user={JWT.sub}"
        let ctx = DashboardContext(file: "f.json", gatewayName: nil, routes: [r], entryForRoute: [0: 0], placeholders: Fixture.placeholders)
        var m = DashboardModel(context: ctx, now: Fixture.now, size: small)
        press(&m, .char("t"))
        #expect(m.callForm?.fields.count == 2)
        let text = render(m)
        #expect(text.contains("{resp0_order.id}") && text.contains("{JWT.sub}"))
        #expect(text.contains("filled by the gateway at run time"))
        type(&m, "o-1")
        press(&m, .enter)
        type(&m, "alice")
        #expect(callSpec(press(&m, .enter))?.params == ["resp0_order.id": "o-1", "JWT.sub": "alice"])
    }

    @Test func serviceDiscoveryAsksForAHost() {
        var r = Fixture.routes[0]
        r.serviceDiscovery = .dns
        r.hosts = ["orders.service.consul"]
        let ctx = DashboardContext(file: "f.json", gatewayName: nil, routes: [r], entryForRoute: [0: 0], placeholders: Fixture.placeholders)
        var m = DashboardModel(context: ctx, now: Fixture.now, size: small)
        press(&m, .char("t"))
        #expect(m.callForm?.fields == [.hostText])
        #expect(press(&m, .enter).isEmpty, "no host: nothing sent")
        #expect(m.callForm?.problem != nil)
        type(&m, "http://10.0.0.7:8080")
        #expect(callSpec(press(&m, .enter))?.hostOverride == "http://10.0.0.7:8080")
    }

    @Test func readonlyRefusesTestCalls() {
        var m = Fixture.model(small, readonly: true)
        #expect(press(&m, .char("t")).isEmpty)
        #expect(m.mode == .table)
        #expect(m.flash?.text.contains("read-only") == true)
    }

    @Test func tFromTheDetailPaneReturnsThere() {
        var m = Fixture.model(large)
        press(&m, .enter)
        let spec = callSpec(press(&m, .char("t")))
        #expect(spec?.routeID == 0)
        _ = update(&m, .callFinished(Calls.ok(spec!)))
        press(&m, .escape)
        #expect(m.mode == .detail)
        #expect(render(m).contains("Test call"))
    }
}

@Suite struct ResponsePaneTests {
    /// A model with the pane open on route 0 and `report` arrived.
    func answered(_ size: Size = small, _ report: (CallSpec) -> CallReport) -> DashboardModel {
        var m = Fixture.model(size)
        let spec = callSpec(press(&m, .char("t")))!
        _ = update(&m, .callFinished(report(spec)))
        return m
    }

    @Test func answerFillsThePaneAndTheRow() {
        var m = answered(large) { Calls.ok($0) }
        #expect(m.paneReport?.status == 200)
        #expect(m.callsPending.isEmpty)
        let pane = render(m)
        #expect(pane.contains("✓ 200 OK"))
        #expect(pane.contains("\"backend\": \"orders\""))
        press(&m, .escape)
        let table = render(m)
        #expect(table.contains("CALL"))
        let row = table.split(separator: "\n").first { $0.contains("GET /v1/orders") }!
        #expect(row.contains("200 OK"))
        #expect(style(of: "200 OK", onRowWith: "POST /v1/orders", in: view(m, size: m.size)) == nil, "only the called row")
    }

    @Test func pendingRowShowsCalling() {
        var m = Fixture.model(large)
        press(&m, .char("t"), .escape)
        #expect(m.mode == .table)
        let s = view(m, size: m.size)
        #expect(style(of: "calling…", onRowWith: "PUT /v1/payments", in: s) == nil)
        #expect(s.text.contains("calling…"))
    }

    @Test func answerForAClosedPaneFlashes() {
        var m = Fixture.model(small)
        let spec = callSpec(press(&m, .char("t")))!
        press(&m, .escape)
        _ = update(&m, .callFinished(Calls.forbidden(spec)))
        #expect(m.flash?.kind == .error)
        #expect(m.flash?.text == "test call GET /v1/orders: 403 Forbidden in 4ms")
        #expect(m.mode == .table)
    }

    @Test func anOlderAnswerDoesNotReplaceANewerOne() {
        var m = Fixture.model(small)
        let first = callSpec(press(&m, .char("t")))!
        let second = callSpec(press(&m, .char("t")))! // t in the pane: call again
        #expect(second.callID == first.callID + 1)
        _ = update(&m, .callFinished(Calls.ok(second)))
        _ = update(&m, .callFinished(Calls.refused(first)))
        #expect(m.callReports[0]?.callID == second.callID)
        #expect(m.paneReport?.status == 200)
    }

    @Test func paneScrolls() {
        let body = (1...80).map { "line-\($0)" }.joined(separator: "\n")
        var m = answered(small) { Calls.ok($0, body: body) }
        #expect(m.pane?.scroll == 0)
        press(&m, .pageDown)
        #expect(m.pane?.scroll == DashboardModel.paneRows(for: small))
        press(&m, .char("G"))
        let total = m.responseLines(width: 80).count
        #expect(m.pane?.scroll == total - DashboardModel.paneRows(for: small))
        press(&m, .down)
        #expect(m.pane?.scroll == total - DashboardModel.paneRows(for: small), "stops at the end")
        press(&m, .char("g"), .up)
        #expect(m.pane?.scroll == 0)
    }

    @Test func slashFiltersLinesAndEscClearsThenCloses() {
        let body = (1...80).map { "line-\($0)" }.joined(separator: "\n")
        var m = answered(small) { Calls.ok($0, body: body) }
        press(&m, .char("/"))
        type(&m, "LINE-7")
        let lines = m.responseLines(width: 80).map(\.plainText)
        #expect(lines.count == 11, "line-7 and line-70…79")
        #expect(lines.allSatisfy { $0.contains("line-7") })
        #expect(render(m).contains("11 matching lines"))
        press(&m, .enter)
        #expect(m.pane?.filterEditing == false && m.pane?.filter == "LINE-7")
        press(&m, .escape)
        #expect(m.pane?.filter == "" && m.mode == .response)
        press(&m, .escape)
        #expect(m.mode == .table)
    }

    @Test func filterMarksMatches() {
        var m = answered(small) { Calls.ok($0) }
        press(&m, .char("/"))
        type(&m, "tenant")
        let s = view(m, size: m.size)
        #expect(style(of: "Tenant", onRowWith: "X-Tenant: acme", in: s) == Theme.match)
        #expect(s.cursor?.row == small.height - 2)
    }

    @Test func rAfterA401WithAnErrorRefreshesAndCallsAgain() {
        var m = answered(small, Calls.invalidToken)
        #expect(render(m).contains("r new token, call again"))
        let effects = press(&m, .char("r"))
        guard case .refreshAndCall(let spec)? = effects.first else {
            Issue.record("expected refreshAndCall, got \(effects)")
            return
        }
        #expect(spec.routeID == 0 && spec.callID == 2)
        #expect(m.pane?.previous?.status == 401)
        #expect(render(m).contains("Fetching a new token, then calling"))
        _ = update(&m, .callFinished(Calls.ok(spec)))
        let s = render(m)
        #expect(s.contains("First answer  401 Unauthorized (invalid_token)"))
        #expect(s.contains("✓ 200 OK"))
    }

    @Test func rAfterInsufficientScopeExplainsThatANewTokenRarelyHelps() {
        let m = answered(large, Calls.forbidden)
        let s = render(m)
        #expect(s.contains("insufficient_scope: the token lacks a scope"))
        #expect(s.contains(Calls.scopeDescription))
    }

    @Test func rWithoutAnAuthErrorExplains() {
        var m = answered(small) { Calls.ok($0) }
        #expect(press(&m, .char("r")).isEmpty)
        #expect(m.flash?.text.contains("after a 401/403") == true)
        var p = answered(small, Calls.refused)
        #expect(press(&p, .char("r")).isEmpty)
    }

    @Test func rIsNotOfferedForAnUnprotectedBackend() {
        var m = Fixture.model(small)
        select(&m, route: 8)
        let spec = callSpec(press(&m, .char("t")))!
        var report = Calls.invalidToken(spec)
        report.tokenMasked = nil
        _ = update(&m, .callFinished(report))
        #expect(press(&m, .char("r")).isEmpty)
        #expect(m.flash?.text.contains("no token") == true)
    }

    @Test func authErrorParameter() {
        func err(_ w: String, status: Int = 401) -> String? {
            CallReport(callID: 1, routeID: 0, outcome: .response, status: status, statusSummary: "", summary: "", method: "GET", url: "",
                       headers: [HTTPHeader("WWW-Authenticate", w)]).authError
        }
        #expect(err(#"Bearer realm="demo", error="invalid_token", error_description="x""#) == "invalid_token")
        #expect(err(#"Bearer error=insufficient_scope, scope="admin""#) == "insufficient_scope")
        #expect(err(#"Bearer realm="error=fake", error_description="no error""#) == nil)
        #expect(err(#"Bearer realm="demo""#) == nil)
        #expect(err(#"Bearer error="invalid_token""#, status: 500) == nil)
    }

    @Test func theFilterAlsoFindsRowsByCallStatus() {
        var m = answered(small, Calls.forbidden)
        press(&m, .escape, .char("/"))
        type(&m, "403 forb")
        #expect(m.visible.count == 1 && m.selectedRouteID == 0)
    }
}

@Suite struct CallGoldenTests {
    @Test(arguments: [small, large])
    func promptWithPlaceholderAndBody(size: Size) {
        var m = Fixture.model(size)
        select(&m, route: 10)
        press(&m, .char("t"))
        type(&m, "pay_8842")
        let s = view(m, size: size)
        assertGolden("prompt_\(size.width)x\(size.height)", s.text)
        #expect(s.cursor != nil, "the cursor rests in the field")
    }

    @Test func promptWithHostChooser() {
        var m = Fixture.model(large)
        select(&m, route: 1)
        press(&m, .char("t"), .right)
        assertGolden("prompt_hosts_120x40", render(m))
    }

    @Test(arguments: [small, large])
    func responseWithJSON(size: Size) {
        var m = Fixture.model(size)
        let spec = callSpec(press(&m, .char("t")))!
        _ = update(&m, .callFinished(Calls.ok(spec)))
        assertGolden("response_200_\(size.width)x\(size.height)", render(m))
    }

    @Test(arguments: [small, large])
    func responseForbidden(size: Size) {
        var m = Fixture.model(size)
        let spec = callSpec(press(&m, .char("t")))!
        _ = update(&m, .callFinished(Calls.forbidden(spec)))
        assertGolden("response_403_\(size.width)x\(size.height)", render(m))
    }

    @Test func responsePendingAndFiltered() {
        var m = Fixture.model(small)
        let spec = callSpec(press(&m, .char("t")))!
        _ = update(&m, .tick(Fixture.now.addingTimeInterval(2)))
        assertGolden("response_pending_80x24", render(m))
        _ = update(&m, .callFinished(Calls.ok(spec)))
        press(&m, .char("/"))
        type(&m, "orders")
        assertGolden("response_filter_80x24", render(m))
    }

    @Test(arguments: [small, large])
    func tableWithCallColumn(size: Size) {
        var m = Fixture.model(size)
        let a = callSpec(press(&m, .char("t")))!
        _ = update(&m, .callFinished(Calls.ok(a)))
        press(&m, .escape)
        select(&m, route: 8)
        let b = callSpec(press(&m, .char("t")))!
        _ = update(&m, .callFinished(Calls.refused(b)))
        press(&m, .escape)
        select(&m, route: 7)
        press(&m, .char("t"), .escape) // still running
        assertGolden("table_calls_\(size.width)x\(size.height)", render(m))
    }
}
