import DemoGateway
import Foundation
import TestProcess
import Testing

/// No full secret and no full token, anywhere tokentop writes: `list`, `check`, `call -v`, `lint`
/// (stdout and stderr, text and JSON), every pane of the dashboard (captured through tmux) and the
/// `--log-file` — until the operator presses `v` in the detail pane, which must then show the
/// token (so the test provably can see one when it is there).
///
/// Every secret is a unique marker; the tokens are JWTs from the DemoGateway, learnt from what the
/// backends received (`call`) and from the revealed detail pane (the dashboard). Any other
/// JWT-shaped string in any output counts as a leak too, so tokens the test can't name (those
/// `check` fetched) are covered as well. A leak of a part counts: any 12 characters in a row of a
/// secret's unique part or of a token's payload or signature.
@Suite(.serialized) struct SecretsTests {
    let id = UUID().uuidString
    var secret: String { "S3CRET-\(id)" }
    var paramsSecret: String { "PARAM-S3CRET-\(id)" }
    var envSecret: String { "ENV-S3CRET-\(id)" }
    var wrongSecret: String { "WRONG-S3CRET-\(id)" }
    /// A credential in a martian header (its own UUID: it is not a client secret).
    let martianSecret = "MARTIAN-\(UUID().uuidString)"
    var clientID: String { "secrets-\(id.prefix(8))" }
    var paramsClientID: String { "secrets-params-\(id.prefix(8))" }
    var envClientID: String { "secrets-env-\(id.prefix(8))" }
    /// The client secrets, which must never be shown.
    var secrets: [String] { [secret, paramsSecret, envSecret, wrongSecret] }

    func config(baseURL: String) -> String {
        let tokenURL = baseURL + DemoGateway.genericTokenPath
        func credentials(_ id: String, _ secret: String, extra: String = "") -> String {
            #""auth/client-credentials": {"client_id": "\#(id)", "client_secret": "\#(secret)", "token_url": "\#(tokenURL)", "scopes": "read"\#(extra)}"#
        }
        return #"""
        {
          "version": 3,
          "name": "secrets test",
          "host": ["\#(baseURL)"],
          "endpoints": [
            {"endpoint": "/secret/basic", "backend": [{"url_pattern": "/api/healthy/basic", "extra_config": {
              \#(credentials(clientID, secret)),
              "modifier/martian": {"fifo.Group": {"scope": ["request"], "modifiers": [
                {"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic \#(martianSecret)"}},
                {"header.Modifier": {"scope": ["request"], "name": "X-Visible", "value": "not-a-secret"}}]}}}}]},
            {"endpoint": "/secret/params", "backend": [{"url_pattern": "/api/healthy/params", "extra_config": {
              \#(credentials(paramsClientID, paramsSecret, extra: #", "endpoint_params": {"client_secret": ["\#(paramsSecret)"], "audience": ["aud"]}"#))}}]},
            {"endpoint": "/secret/env", "backend": [{"url_pattern": "/api/healthy/env", "extra_config": {
              \#(credentials(envClientID, "{{ env \"TT_SECRETS_TEST_SECRET\" }}"))}}]},
            {"endpoint": "/secret/wrong", "backend": [{"url_pattern": "/api/healthy/wrong", "extra_config": {
              \#(credentials(clientID, wrongSecret))}}]}
          ]
        }
        """#
    }

    /// The parts of a token worth hiding: its payload and signature (the header is the same for
    /// every token of a server).
    static func tokenParts(_ token: String) -> [String] {
        Array(token.split(separator: ".").dropFirst().map(String.init))
    }

    /// What of `secret` shows in `text`: the whole, or 12 characters in a row of it.
    static func leak(of secret: String, in text: String, window: Int = 12) -> String? {
        if text.contains(secret) { return secret }
        let chars = Array(secret)
        guard chars.count > window else { return nil }
        for start in 0...(chars.count - window) {
            let piece = String(chars[start..<(start + window)])
            if text.contains(piece) { return piece }
        }
        return nil
    }

    /// JWT-shaped strings in `text` (three base64url parts, a long signature).
    static func jwtLike(in text: String) -> [String] {
        let regex = /eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{20,}/
        return text.matches(of: regex).map { String($0.output) }
    }

    struct Output { var what: String; var text: String }

    /// Fails the test for every secret, secret part, known token part or JWT-shaped string in `outputs`.
    func assertNoLeaks(_ outputs: [Output], tokens: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for o in outputs {
            for s in secrets {
                // The unique part: the marker prefix alone ("S3CRET-") is not a secret.
                if let l = Self.leak(of: s, in: o.text) ?? Self.leak(of: id, in: o.text) {
                    Issue.record("\(o.what) shows a client secret (“\(l)”):\n\(o.text)", sourceLocation: sourceLocation)
                }
            }
            if let l = Self.leak(of: martianSecret, in: o.text) {
                Issue.record("\(o.what) shows a martian Authorization header value (“\(l)”):\n\(o.text)", sourceLocation: sourceLocation)
            }
            for t in tokens {
                for part in Self.tokenParts(t) {
                    if let l = Self.leak(of: part, in: o.text) {
                        Issue.record("\(o.what) shows a token (“\(l)” of \(t.prefix(12))…):\n\(o.text)", sourceLocation: sourceLocation)
                    }
                }
            }
            for j in Self.jwtLike(in: o.text) {
                Issue.record("\(o.what) shows a JWT-shaped token \(j.prefix(16))…:\n\(o.text)", sourceLocation: sourceLocation)
            }
        }
    }

    /// The tokens the backends received (Authorization: Bearer …), recorded raw by the server.
    static func bearerTokens(_ demo: DemoGateway) -> [String] {
        demo.recordedBackendRequests().flatMap { $0.headers(named: "Authorization") }
            .filter { $0.hasPrefix("Bearer ") }.map { String($0.dropFirst("Bearer ".count)) }
    }

    /// Runs a command, stdout and stderr apart (see `spawnAndWait`).
    static func capture(_ argv: [String], environment: [String: String]) throws -> (status: Int32, out: String, err: String) {
        let r = try spawnAndWait(argv, environment: environment)
        return (r.status, r.stdout, r.stderr)
    }

    /// The value lines under "TOKEN REVEALED" in a capture of the detail pane, joined. The pane
    /// may have two columns (`│`): continuation lines are those whose text at the value column is
    /// token characters with nothing but blanks between the column separator and it.
    static func revealedToken(in screen: String) -> String? {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        let marker = Array("TOKEN REVEALED")
        guard let i = lines.firstIndex(where: { l in String(l).contains("access_token") && String(l).contains("TOKEN REVEALED") }) else { return nil }
        guard let offset = (0...(lines[i].count - marker.count)).first(where: { Array(lines[i][$0..<($0 + marker.count)]) == marker }) else { return nil }
        let tokenCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
        var token = ""
        for line in lines[(i + 1)...] {
            guard line.count > offset else { break }
            let before = line[..<offset]
            let labelArea = before.lastIndex(of: "│").map { before[(before.index(after: $0))...] } ?? before[...]
            let piece = String(line[offset...]).trimmingCharacters(in: .whitespaces)
            guard labelArea.allSatisfy({ $0 == " " }), !piece.isEmpty, piece.allSatisfy({ tokenCharacters.contains($0) }) else { break }
            token += piece
        }
        return token.isEmpty ? nil : token
    }

    @Test func noSecretOrTokenInAnyOutputUntilRevealed() async throws {
        let demo = try await DemoGateway.start()
        defer { Task { try? await demo.shutdown() } }
        for (cid, s) in [(clientID, secret), (paramsClientID, paramsSecret), (envClientID, envSecret)] {
            demo.registerClient(id: cid, secret: s, lifetime: 3600)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-secrets-\(id.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let configPath = dir.appendingPathComponent("krakend.json").path
        let logPath = dir.appendingPathComponent("tokentop.log").path
        try Data(config(baseURL: demo.baseURL).utf8).write(to: URL(fileURLWithPath: configPath))
        let env = ["TT_SECRETS_TEST_SECRET": envSecret, "NO_COLOR": ""]
        let bin = TmuxDriver.binary

        // The scriptable commands, every output format.
        var outputs: [Output] = []
        let commands: [[String]] = [
            ["list", configPath], ["list", "-v", configPath], ["list", "--json", configPath],
            ["check", configPath], ["check", "-v", configPath], ["check", "--json", configPath],
            ["call", "-v", configPath, "/secret/basic"], ["call", "--json", configPath, "/secret/basic"],
            ["call", "-v", configPath, "/secret/params"], ["call", "-v", configPath, "/secret/env"],
            ["call", "-v", configPath, "/secret/wrong"],
            ["lint", configPath], ["lint", "-v", configPath], ["lint", "--json", configPath],
        ]
        for c in commands {
            let timeout = c[0] == "check" || c[0] == "call" ? ["--timeout", "5"] : []
            let argv = [bin] + c + timeout
            let r = try await offPool { try Self.capture(argv, environment: env) }
            #expect(r.status < 128, "\(c.joined(separator: " ")) died with \(r.status)")
            outputs.append(Output(what: "`\(c.joined(separator: " "))` stdout", text: r.out))
            outputs.append(Output(what: "`\(c.joined(separator: " "))` stderr", text: r.err))
        }
        // The commands worked: tokens were fetched and backends called with them.
        let called = Self.bearerTokens(demo)
        #expect(called.count >= 4, "backends got \(called.count) tokens")
        #expect(demo.tokenRequestCount(clientID: clientID) >= 4)
        #expect(demo.tokenRequestCount(clientID: envClientID) >= 2, "the env-templated secret was used")
        #expect(outputs.contains { $0.text.contains("FAILED") || $0.text.contains("invalid_client") }, "the wrong secret failed visibly")
        // Tokens do show, masked (first 6 and last 4 characters): the outputs are not empty of them.
        #expect(outputs.contains { $0.what.hasPrefix("`call -v") && $0.text.contains("Bearer eyJhbG…") }, "call -v shows the masked token")
        #expect(outputs.contains { $0.what.hasPrefix("`check --json") && $0.text.contains("eyJhbG…") }, "check shows masked tokens")
        assertNoLeaks(outputs, tokens: called)

        // The dashboard: every pane, every row's detail, scrolled through.
        let tmux = TmuxDriver()
        defer { tmux.stop() }
        try tmux.start("\(bin) \(configPath) --timeout 5 --log-file \(logPath); echo \"exit=$?\"", width: 160, height: 50, env: env)
        var screens: [Output] = []
        func snap(_ what: String) throws { screens.append(Output(what: "dashboard: \(what)", text: try tmux.capture())) }
        /// Sends a scrolling key and snaps the frame drawn for it: waits until the pane's
        /// "first–last of total" moved (or reached the end for `toEnd`), never a fixed time — a
        /// capture before the redraw would check the old frame twice and pass blind. A pane whose
        /// lines all fit has no range and nothing to scroll: the key cannot change it.
        func scrollAndSnap(_ key: String, _ what: String, toEnd: Bool) async throws {
            let before = Self.scrollRange(in: try tmux.capture())
            try tmux.send(keys: key)
            if let before, before.last < before.total {
                try await tmux.waitFor(what) { screen in
                    guard let r = Self.scrollRange(in: screen) else { return false }
                    return toEnd ? r.last == r.total : r.first > before.first
                }
            }
            try snap(what)
        }
        try await tmux.waitFor("tokens fetched") { $0.contains("/secret/basic") && $0.contains("valid") && $0.contains("failed") }
        try snap("table")
        for row in 0..<4 {
            try tmux.send(keys: "Enter")
            // The content, not just the title bar: a capture can land mid-frame.
            try await tmux.waitFor("detail of row \(row)") { $0.contains("Details ·") && $0.contains("Credential") }
            try snap("detail of row \(row)")
            try await scrollAndSnap("PageDown", "detail of row \(row), page 2", toEnd: false)
            try await scrollAndSnap("G", "detail of row \(row), end", toEnd: true)
            try tmux.send(keys: "Escape")
            try await tmux.waitFor("the table again") { !$0.contains("Details ·") }
            try tmux.send(keys: "Down")
        }
        try tmux.send(keys: "?")
        try await tmux.waitFor(text: "this help")
        try snap("help")
        try await scrollAndSnap("PageDown", "help, page 2", toEnd: false)
        try tmux.send(keys: "Escape")
        try tmux.send(keys: "e")
        try await tmux.waitFor("the event log") { $0.contains("TRIGGER") }
        try snap("events")
        try tmux.send(keys: "Escape")
        try tmux.send(keys: "/")
        try tmux.send(literal: "secret")
        try await tmux.waitFor("the filter") { $0.contains("“secret”") }
        try snap("filter")
        try tmux.send(keys: "Enter")
        try tmux.send(keys: "Escape")

        // The detail of /secret/basic with the token revealed.
        try tmux.send(keys: "g")
        try tmux.send(keys: "Enter")
        try await tmux.waitFor("the detail of /secret/basic") { $0.contains("Details ·") && $0.contains("/secret/basic") }
        #expect(demo.tokenRequestCount(clientID: clientID) >= 5)
        try tmux.send(keys: "v")
        let revealedScreen = try await tmux.waitFor(text: "TOKEN REVEALED")
        let revealed = try #require(Self.revealedToken(in: revealedScreen), "no token under TOKEN REVEALED:\n\(revealedScreen)")
        // It is a whole token of this client, as the server issued it: a JWT naming the client.
        #expect(Self.jwtLike(in: revealed) == [revealed], "revealed text is not one whole JWT: \(revealed)")
        let payload = try #require(Self.tokenParts(revealed).first)
        var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let claims = String(decoding: Data(base64Encoded: base64) ?? Data(), as: UTF8.self)
        #expect(claims.contains("\"sub\":\"\(clientID)\""), "claims: \(claims)")
        // The test sees the token when it is shown: the checks below are not blind.
        #expect(Self.leak(of: Self.tokenParts(revealed)[1], in: revealedScreen) != nil)
        try tmux.send(keys: "v")
        try await tmux.waitFor("the token hidden again") { !$0.contains("TOKEN REVEALED") }
        try snap("detail of row 0 after hiding the token again")
        try tmux.send(keys: "Escape")
        try tmux.send(keys: "q")
        try await tmux.waitFor(text: "exit=0")

        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        #expect(log.contains("token GET /secret/basic"), "the log has token lines:\n\(log)")
        let allTokens = called + [revealed]
        assertNoLeaks(screens + [Output(what: "--log-file", text: log)], tokens: allTokens)
        // And the commands' outputs again, now that the dashboard's token is known too.
        assertNoLeaks(outputs, tokens: allTokens)
    }

    /// The "12–40 of 75" of a scrolled pane's title bar, if any.
    static func scrollRange(in screen: String) -> (first: Int, last: Int, total: Int)? {
        guard let m = screen.firstMatch(of: /(\d+)–(\d+) of (\d+)/), let a = Int(m.1), let b = Int(m.2), let c = Int(m.3) else { return nil }
        return (a, b, c)
    }
}
