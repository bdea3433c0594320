import DemoGateway
import Foundation
import Testing

/// Test calls (`t`) and lint findings in the real dashboard, in tmux, against the demo gateway.
/// Reuses the dashboard suite's harness (demo server + config + tmux session).
@Suite(.serialized) struct TestCallEndToEndTests {
    let harness = DashboardEndToEndTests()

    /// Filters the table down to one endpoint and waits until it is the only row.
    func only(_ tmux: TmuxDriver, _ endpoint: String) async throws {
        try tmux.send(keys: "/")
        try tmux.send(literal: endpoint)
        try tmux.send(keys: "Enter")
        try await tmux.waitFor("\(endpoint) alone") { $0.contains("filter “\(endpoint)” 1/") }
    }

    @Test func tOnADemoRowShowsTheResponsePaneWith200AndTheJSONBody() async throws {
        try await harness.withDashboard { tmux, demo, _ in
            // The first row, /demo/healthy, is selected at start.
            try await tmux.waitFor("healthy fetched") { harness.row($0, "/demo/healthy")?.contains("valid") == true }
            try tmux.send(keys: "t")
            let pane = try await tmux.waitFor("the 200 response") { $0.contains("✓ 200 OK") && $0.contains("\"backend\": \"healthy\"") }
            #expect(pane.contains("Test call · GET /demo/healthy"))
            #expect(pane.contains("Body · json"))
            #expect(pane.contains("\"sub\": \"healthy\""))
            #expect(pane.contains("Authorization: Bearer eyJ"), "the request's token, masked")
            // The backend really got the call, with the bearer token.
            let call = try #require(demo.recordedBackendRequests().last { $0.path == "/api/healthy" })
            #expect(call.header("Authorization")?.hasPrefix("Bearer ") == true)
            #expect(call.header("User-Agent")?.hasPrefix("tokentop") == true)
            // No token is ever on screen in full: only the masked form.
            let token = String(call.header("Authorization")!.dropFirst("Bearer ".count))
            #expect(!pane.contains(token))
            // Back on the table, the row shows the call's status.
            try tmux.send(keys: "Escape")
            try await tmux.waitFor("the CALL column") { $0.contains("CALL") && harness.row($0, "/demo/healthy")?.contains("200 OK") == true }
        }
    }

    @Test func theScopeRestrictedBackendShows403AndTheServersExplanation() async throws {
        try await harness.withDashboard { tmux, demo, _ in
            try await only(tmux, "scoped")
            try await tmux.waitFor("scoped fetched") { harness.row($0, "/demo/scoped")?.contains("valid") == true }
            try tmux.send(keys: "t")
            let pane = try await tmux.waitFor("the 403 response") {
                $0.contains("✕ 403 Forbidden") && $0.contains("This backend requires scope 'admin'")
            }
            #expect(pane.contains(#"error="insufficient_scope""#))
            #expect(pane.contains("\"required_scope\": \"admin\""))
            #expect(pane.contains("r new token, call again"))
            // r: a new token (one more token request), then the same call again.
            let before = demo.tokenRequestCount(clientID: "scoped")
            try tmux.send(keys: "r")
            let again = try await tmux.waitFor("the second answer") { $0.contains("First answer  403 Forbidden (insufficient_scope)") && $0.contains("✕ 403 Forbidden") }
            #expect(again.contains("fetched for this call"))
            #expect(demo.tokenRequestCount(clientID: "scoped") == before + 1)
        }
    }

    @Test func placeholdersArePromptedAndRememberedAndUnprotectedBackendsCallable() async throws {
        try await harness.withDashboard { tmux, _, _ in
            try await only(tmux, "users")
            try tmux.send(keys: "t")
            // Wait for the whole box: a capture can land in the middle of a redraw.
            try await tmux.waitFor("the prompt with the placeholder's note") { $0.contains("›{id}") && $0.contains("from the endpoint path /demo/users/{id}") }
            try tmux.send(literal: "42")
            try await tmux.waitFor(text: "/api/healthy/users/42")
            try tmux.send(keys: "Enter")
            try await tmux.waitFor("the echoed path") { $0.contains("✓ 200 OK") && $0.contains("\"path\": \"/api/healthy/users/42\"") }
            // t in the pane: the prompt again, prefilled with 42.
            try tmux.send(keys: "t")
            try await tmux.waitFor("the prefilled prompt") { $0.contains("›{id}") && $0.contains("/api/healthy/users/42") }
            try tmux.send(keys: "Escape")
            try tmux.send(keys: "Escape")
            try tmux.send(keys: "Escape") // clears the filter
            try await only(tmux, "public")
            try tmux.send(keys: "t")
            let pub = try await tmux.waitFor("the public answer") { $0.contains("✓ 200 OK") && $0.contains("\"backend\": \"public\"") }
            #expect(pub.contains("none (unprotected backend)"))
        }
    }

    @Test func lintFindingsShowInHeaderRowsDetailAndLintView() async throws {
        try await harness.withDashboard { tmux, _, _ in
            // The demo config writes its (fake) secrets in the file: a warning on every protected row.
            let table = try await tmux.waitFor("the lint count") { $0.contains("lint:") && $0.contains("warnings") }
            #expect(harness.row(table, "/demo/healthy")?.hasPrefix("⚠") == true)
            #expect(harness.row(table, "/demo/public")?.hasPrefix("⚠") == false)
            try tmux.send(keys: "Enter")
            try await tmux.waitFor(text: "see below")
            try tmux.send(keys: "G")
            let detail = try await tmux.waitFor("the findings") { $0.contains("[secret-in-file]") && $0.contains("fix") }
            #expect(detail.contains("client_secret at "), "the finding's path and line:column")
            try tmux.send(keys: "Escape")
            try tmux.send(keys: "L")
            let all = try await tmux.waitFor(text: "About endpoints and backends")
            #expect(all.contains("[duplicate-credentials]"))
        }
    }
}
