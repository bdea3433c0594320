import DemoGateway
import Foundation
import TestProcess
import Testing

/// `check` on a token that lives ≤ 10 s: the gateway fetches one for every call, so it works —
/// a warning ("per call"), exit 0; `--strict` makes warnings fail (exit 1). Before, such a row was
/// "expired" and `check` said FAILED (issue 11, item 4).
@Suite struct CheckWarningTests {
    @Test func perCallTokensWarnAndStrictFails() async throws {
        let demo = try await DemoGateway.start()
        defer { Task { try? await demo.shutdown() } }
        let s = Scenario.negativeExpiry  // expires_in -5: expired on arrival by the 10 s rule
        let config = """
        {"version": 3, "endpoints": [{"endpoint": "/per-call", "backend": [{"host": ["\(demo.baseURL)"], "url_pattern": "\(s.backendPath)",
          "extra_config": {"auth/client-credentials": {"client_id": "\(s.clientID)", "client_secret": "\(s.clientSecret)",
            "token_url": "\(demo.baseURL)\(s.tokenPath)", "scopes": "read"}}}]}]}
        """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tt-percall-\(UUID().uuidString).json").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }

        let plain = try await run(["check", path])
        #expect(plain.status == 0, "stdout: \(plain.stdout)\nstderr: \(plain.stderr)")
        #expect(plain.stdout.contains("per call") && plain.stdout.contains("OK with warnings"), "\(plain.stdout)")

        let strict = try await run(["check", path, "--strict"])
        #expect(strict.status == 1, "\(strict.stdout)")
        #expect(strict.stdout.contains("WARNINGS (--strict)"), "\(strict.stdout)")

        let json = try await run(["check", path, "--json"])
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"warnings\" : true") || json.stdout.contains("\"warnings\":true"), "\(json.stdout)")
        #expect(demo.tokenRequestCount(clientID: s.clientID) == 3)
    }
}
