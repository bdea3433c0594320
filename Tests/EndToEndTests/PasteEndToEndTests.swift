import Foundation
import Testing

/// A paste into `/` on a 1,000-row table: the keys that arrive together are applied together and
/// drawn once. Before, every character filtered all rows and drew a frame: 10 KB took 84 s in
/// the issue's measurement (268 s in a debug build on a busy 2-core machine; now under 1 s).
@Suite(.serialized) struct PasteEndToEndTests {
    /// 1,000 backends like scripts/gen-config.py's: every other one protected, credentials at a
    /// closed port (refused at once, retried with backoff: rows that change, as in real life).
    static func bigConfig() -> String {
        var endpoints: [String] = []
        for i in 0..<1000 {
            let auth = i % 2 == 0 ? """
                , "extra_config": {"auth/client-credentials": {"client_id": "bench-client-\(i / 2)",
                  "client_secret": "bench-secret-\(i / 2)", "token_url": "http://127.0.0.1:9/oauth/token"}}
                """ : ""
            endpoints.append("""
                {"endpoint": "/api/v1/resource-\(i)", "backend": [{"host": ["http://svc-\(i % 97).internal:8080"],
                  "url_pattern": "/r/\(i)"\(auth)}]}
                """)
        }
        return #"{"version": 3, "name": "paste rig", "endpoints": ["# + endpoints.joined(separator: ",\n") + "]}"
    }

    @Test func pasteIntoTheFilterIsAppliedAtOnce() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-paste-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("krakend.json").path
        try Data(Self.bigConfig().utf8).write(to: URL(fileURLWithPath: config))

        let tmux = TmuxDriver()
        defer { tmux.stop() }
        try tmux.start("\(TmuxDriver.binary) \(config) --timeout 2; echo \"exit=$?\"", width: 160, height: 40)
        try await tmux.waitFor("the table", timeout: 30) { $0.contains("1000 routes") && $0.contains("/api/v1/resource-0 ") }
        try tmux.send(keys: "/")
        _ = try await tmux.waitFor(text: "type to filter", timeout: 5)

        // 4 KB of words, then a mark: the prompt shows the end of what was typed.
        let words = ["token", "backend", "gateway", "oauth", "client", "scope", "refresh", "orders", "users"]
        var text = ""
        var k = 0
        while text.utf8.count < 4096 { text += words[k % words.count] + " "; k += 7 }
        text += "END-OF-PASTE"
        let started = Date()
        try tmux.paste(text)
        // Generous: one by one this took about a minute in a debug build; applied together, well
        // under a second.
        let s = try await tmux.waitFor("the end of the paste in the prompt", timeout: 15) { $0.contains("END-OF-PASTE") }
        let seconds = Date().timeIntervalSince(started)
        #expect(s.contains("no rows match"), "nothing matches the whole paste:\n\(s)")
        // And the keys after it answer at once: Esc clears the filter, every row is back, q quits.
        try tmux.send(keys: "Escape")
        try await tmux.waitFor("the filter cleared", timeout: 5) { !$0.contains("no rows match") && $0.contains("/api/v1/resource-0 ") }
        try tmux.send(keys: "Escape")
        try tmux.send(keys: "q")
        _ = try await tmux.waitFor(text: "exit=0", timeout: 10)
        print("paste of \(text.utf8.count) bytes shown after \(String(format: "%.2f", seconds)) s")
    }
}
