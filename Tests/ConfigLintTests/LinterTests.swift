import Foundation
import Testing
@testable import ConfigLint
import GatewayConfig

@Suite("Linter: reading files, templates, results")
struct LinterTests {
    // MARK: Files that can't be linted (exit 2)

    @Test func notJSONThrowsTheLoadersExplanation() throws {
        let syntax = try #require(lintFailure(Array(#"{"version": 3, "endpoints": [}"#.utf8)))
        #expect(syntax.errors.first?.location == SourceLocation(line: 1, column: 30))
        #expect(syntax.errors.first?.message.contains("expected a JSON value") == true)

        let yaml = try #require(lintFailure(Array("version: 3\n".utf8), file: "krakend.yaml"))
        #expect(yaml.errors.first?.message.contains("convert YAML") == true)

        let jsonNamedYAML = try #require(lintFailure(Array(#"{"version": 3}"#.utf8), file: "krakend.yml"))
        #expect(jsonNamedYAML.errors.first?.message.contains("convert YAML") == true)

        let template = try #require(lintFailure(Array(#"{"version": 3, "endpoints": {{ include "e.tmpl" }} }"#.utf8)))
        #expect(template.errors.first?.message.contains("Go template") == true)

        let empty = try #require(lintFailure([]))
        #expect(empty.errors.first?.message == "file is empty")

        let scalar = try #require(lintFailure(Array(#""krakend""#.utf8)))
        #expect(scalar.errors.first?.message.contains("found string") == true)

        let blank = try #require(lintFailure(Array("  \n".utf8)))
        #expect(blank.errors.first?.message.contains("empty") == true)
    }

    @Test func unreadableFilesThrow() throws {
        #expect(throws: ConfigLoadError.self) { try ConfigLinter.lint(path: "/nonexistent/krakend.json", environment: [:]) }
        do {
            _ = try ConfigLinter.lint(path: "/nonexistent/krakend.json", environment: [:])
        } catch {
            #expect(error.errors.first?.message.contains("No such file") == true)
        }
        let dir = FileManager.default.temporaryDirectory.path
        #expect(throws: ConfigLoadError.self) { try ConfigLinter.lint(path: dir, environment: [:]) }
    }

    @Test func lintsAFileOnDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("configlint-\(UUID().uuidString).json")
        try Data(service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "x", "token_url": "https://i/t""#))).utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try ConfigLinter.lint(path: url.path, environment: [:])
        #expect(result.file == url.path)
        #expect(result.codes.sorted() == ["empty-scope", "secret-in-file"])
        #expect(result.configuration?.routes.count == 1)
    }

    // MARK: Templates

    @Test func envTemplatesKeepPositionsAndCountAsNotInTheFile() throws {
        // The template is on the same line as, and before, the problem: columns must not move.
        let text = """
        {"version": 3, "port": {{ env "PORT" }}, "endpoints": [{"endpoint": "/e", "backend": [{"url_pattern": "/b", "extra_config": {
          "auth/client-credentials": {"client_id": "{{env "ID"}}", "client_secret": "{{ env "SECRET" }}", "token_url": "http://idp.example/t", "scopes": "a"}}}]}]}
        """
        let result = try #require(lint(text, environment: ["PORT": "8080", "ID": "gw", "SECRET": "s"]))
        #expect(result.codes == ["plain-http-token-url"])
        #expect(result.findings.first?.location == position(of: #""http://idp.example/t""#, in: text))
        // The configuration is loaded with the real values.
        #expect(result.configuration?.routes.first?.credentials?.clientID == "gw")
    }

    @Test func unsetVariablesDoNotStopLint() throws {
        let text = service(backend: backend(extra: credentials()))
        let result = try #require(lint(text, environment: [:]))
        #expect(result.findings.isEmpty)
        #expect(result.configuration == nil)  // the loader needs SECRET
    }

    @Test func neutralizerKeepsEveryByteOffset() {
        let input = Array(#"{"a": "x{{ env "A" }}y", "b": {{ env "B" }}, "c": "\"{{"}"#.utf8)
        let (out, actions, _) = TemplateNeutralizer.neutralize(input)
        #expect(actions == 2)
        #expect(out.count == input.count)
        #expect(String(decoding: out, as: UTF8.self) == #"{"a": "x{{ env 'A' }}y", "b": null         , "c": "\"{{"}"#)
        #expect(TemplateNeutralizer.neutralize(Array(#"{"a": 1}"#.utf8)).actions == 0)
        // Line breaks outside strings stay, so later line numbers stay right.
        let multi = Array("{\"b\": {{ env\n \"B\" }}}".utf8)
        #expect(String(decoding: TemplateNeutralizer.neutralize(multi).bytes, as: UTF8.self) == "{\"b\": null  \n       }")
    }

    /// A line break inside an action in a string becomes a blank (a JSON string can't hold it):
    /// positions computed on the joined text map back to the file, columns in scalars.
    @Test func remapperUndoesJoinedLines() {
        let input = Array("{\"s\": \"{{ env\n \"S\" }}\",\n \"é\": \"x\"}".utf8)
        let (out, _, joined) = TemplateNeutralizer.neutralize(input)
        #expect(joined)
        #expect(!TemplateNeutralizer.neutralize(Array("{\"s\": \"{{ env \"S\" }}\"}".utf8)).joinedLines)
        let remapper = LocationRemapper(neutral: out, original: input)
        // In the joined text `"x"` is on line 2 (one break left); in the file, line 3.
        #expect(remapper.original(SourceLocation(line: 2, column: 7)) == SourceLocation(line: 3, column: 7))
        // Before the joined break nothing moves.
        #expect(remapper.original(SourceLocation(line: 1, column: 2)) == SourceLocation(line: 1, column: 2))
        // Inside the joined action, after the former break: line 2 of the file.
        #expect(remapper.original(SourceLocation(line: 1, column: 16)) == SourceLocation(line: 2, column: 2))
    }

    // MARK: Results for the dashboard

    @Test func findingsByRouteAndSummary() throws {
        let text = service([("/a", [backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://i/t""#)),
                                    backend(host: #"["http://x/y"]"#)]),
                            ("/b", [backend()])],
                           rootExtra: #" "host": ["http://root/x"],"#)
        let result = try #require(lint(text))
        #expect(result.findings(forRoute: 0).map(\.code) == ["empty-scope"])
        #expect(result.findings(forRoute: 1).map(\.code) == ["invalid-host"])
        #expect(result.findings(forRoute: 2).isEmpty)
        #expect(result.findingsByRoute.keys.sorted() == [0, 1])
        #expect(result.worstSeverity(forRoute: 0) == .warning)
        #expect(result.worstSeverity(forRoute: 1) == .error)
        #expect(result.worstSeverity(forRoute: 2) == nil)
        #expect(result.globalFindings.map(\.path) == ["host[0]"])
        #expect(result.summary == "2 errors, 1 warning, 0 notes")
        #expect((result.errorCount, result.warningCount, result.infoCount) == (2, 1, 0))
        #expect(result.hasErrors)
    }

    @Test func descriptionIsCompilerStyle() throws {
        let text = service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"scope": ["x"]}"#)))
        let f = try #require(lint(text, file: "krakend.json")?.findings.first)
        let at = position(of: #""scope": ["#, in: text)
        #expect(f.description == "krakend.json:\(at.line):\(at.column): error [scope-in-endpoint-params] \(blockPath).endpoint_params.scope: endpoint_params has \"scope\"")
        #expect(Finding.Severity.info.label == "note")
        #expect([Finding.Severity.info, .error, .warning].min() == .error)
    }

    @Test func routeIDsMatchTheLoadersNumbering() throws {
        // A fragment list with an endpoint without backends in the middle.
        let text = """
        [
          {"endpoint": "/a", "backend": [{"url_pattern": "/{x}"}]},
          {"endpoint": "/none", "backend": []},
          {"endpoint": "/b", "backend": [{"url_pattern": "/ok"}, {"url_pattern": "/{y}"}]}
        ]
        """
        let result = try #require(lint(text))
        #expect(result.isFragment)
        let found = result.with(.undefinedPlaceholder)
        #expect(found.map(\.path) == ["[0].backend[0].url_pattern", "[2].backend[1].url_pattern"])
        #expect(found.map(\.routeIDs) == [[0], [2]])
        // The fragment note and the empty endpoint's error come from the loader; the note is dropped.
        #expect(result.with(.configError).map(\.path) == ["[1].backend"])
        #expect(result.with(.configWarning).isEmpty)
    }

    // MARK: Fixture configs (Tests/Fixtures/configs)

    /// The dashboard hands lint the configuration it already loaded (to avoid a second parse
    /// tree): the findings must be exactly those of a lint that loads the file itself.
    @Test func lintWithTheLoadedConfigurationFindsTheSame() throws {
        // A loader warning (duplicate key) comes through the reused diagnostics too.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-lint-reuse-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let duplicate = dir.appendingPathComponent("dup.json")
        try Data(service(backend: backend(extra: credentials(#""client_id": "a", "client_secret": "b", "token_url": "https://i/t""#))).replacingOccurrences(of: "\"version\": 3", with: "\"version\": 3, \"version\": 3").utf8)
            .write(to: duplicate)
        let files = try fixtureConfigFiles().map(fixturePath) + [duplicate.path]
        var total = 0, fromLoader = 0
        for path in files {
            let loaded = try ConfigLoader.load(path: path, environment: ["SECRET": "x"])
            let alone = try ConfigLinter.lint(path: path, environment: ["SECRET": "x"])
            let reusing = try ConfigLinter.lint(path: path, environment: ["SECRET": "x"], loaded: loaded)
            #expect(reusing.findings == alone.findings, "\(path)")
            total += alone.findings.count
            fromLoader += alone.findings.filter { $0.rule == .configWarning }.count
        }
        #expect(total > 0 && fromLoader > 0, "findings \(total), from the loader \(fromLoader)")
    }

    @Test func everyFixtureConfigLintsWithoutErrors() throws {
        let files = try fixtureConfigFiles()
        #expect(files.count == 8)
        for name in files {
            let result = try ConfigLinter.lint(path: fixturePath(name), environment: [:])
            #expect(!result.hasErrors, "\(name): \(result.findings)")
            #expect(result.configuration != nil, "\(name)")
            let ids = Set(result.configuration?.routes.map(\.id) ?? [])
            for f in result.findings {
                #expect(f.location != nil, "\(name): \(f)")
                #expect(Set(f.routeIDs).isSubset(of: ids), "\(name): \(f)")
                // Backend-level findings name the row whose path contains them.
                for id in f.routeIDs {
                    let route = try #require(result.configuration?.routes.first { $0.id == id })
                    #expect(f.path.hasPrefix(route.path), "\(name): \(f)")
                }
            }
        }
    }

    @Test(arguments: [("fragment-v3-auth0-style-endpoint.json", CredentialsNamespace.current.rawValue),
                      ("fragment-v2-auth0-style-endpoint.json", CredentialsNamespace.legacy.rawValue)])
    func auth0StyleFragment(name: String, namespace: String) throws {
        let text = try fixtureText(name)
        let result = try ConfigLinter.lint(path: fixturePath(name), environment: [:])
        #expect(result.isFragment)
        #expect(result.codes == ["empty-scope", "secret-in-file", "credentials-in-endpoint-params", "secret-in-file"])
        // No scopes: reported at the block itself (its `{`); then the secret, the repeated
        // client_id key, the repeated secret.
        let key = position(of: "\"\(namespace)\": {", in: text)
        #expect(result.findings.map(\.location) == [
            SourceLocation(line: key.line, column: key.column + namespace.count + 4),
            position(of: #""EXAMPLE-CLIENT-SECRET""#, in: text),
            position(of: #""client_id""#, in: text, occurrence: 2),
            position(of: #""EXAMPLE-CLIENT-SECRET""#, in: text, occurrence: 2),
        ])
        #expect(result.findings.map(\.path) == [
            #"backend[0].extra_config["\#(namespace)"].scopes"#,
            #"backend[0].extra_config["\#(namespace)"].client_secret"#,
            #"backend[0].extra_config["\#(namespace)"].endpoint_params.client_id"#,
            #"backend[0].extra_config["\#(namespace)"].endpoint_params.client_secret[0]"#,
        ])
        #expect(result.findings.allSatisfy { $0.routeIDs == [0] })
        #expect(result.summary == "0 errors, 3 warnings, 1 note")
    }

    @Test func disabledCredentialsConfig() throws {
        let result = try ConfigLinter.lint(path: fixturePath("v2-inventory-disabled-dns.json"), environment: [:])
        #expect(result.codes == ["credentials-disabled"])
    }

    @Test func basicAuthMartianOnAnUnprotectedBackendIsFine() throws {
        let result = try ConfigLinter.lint(path: fixturePath("v3-billing-basic-auth-martian.json"), environment: [:])
        #expect(result.findings.isEmpty)
    }
}

@Suite("Gateway semantics")
struct GatewaySemanticsTests {
    @Test func placeholders() {
        #expect(GatewayRules.outputPlaceholders("/a/{id}/{x.y}?q={JWT.sub}&{}&{a b}&{{c}}").map(\.name) == ["id", "x.y", "JWT.sub", "c"])
        #expect(GatewayRules.inputParameters("users/{id}/{x}-{y}", disableREST: false) == ["id", "x"])
        #expect(GatewayRules.inputParameters("/u{a}/{b.c}", disableREST: true) == ["a", "b.c"])
        #expect(GatewayRules.inputParameters("/u{a}/{b.c}", disableREST: false) == [])
    }

    @Test(arguments: [("resp0_id", true), ("resp12_a.b", true), ("resp_x", false), ("resp1_", false), ("resp1x", false),
                      ("JWT.sub", true), ("JWT.", false), ("jwt.sub", false), ("id", false)])
    func sequentialAndJWT(_ name: String, _ allowed: Bool) {
        #expect(GatewayRules.isSequentialOrJWT(name) == allowed)
    }

    @Test func tokenURLHosts() {
        #expect(GatewaySemantics.plainHTTPHost("https://a/t") == nil)
        #expect(GatewaySemantics.plainHTTPHost("http://u:p@a.example:80/t?x#y") == "a.example")
        #expect(GatewaySemantics.plainHTTPHost("http://[::1]:8/t") == "::1")
        #expect(GatewaySemantics.isLoopback("127.255.0.1") && GatewaySemantics.isLoopback("localhost.") && GatewaySemantics.isLoopback("::ffff:127.0.0.1"))
        #expect(!GatewaySemantics.isLoopback("128.0.0.1") && !GatewaySemantics.isLoopback("127.0.0") && !GatewaySemantics.isLoopback("127.0.0.256")
                    && !GatewaySemantics.isLoopback("127.+1.0.1") && !GatewaySemantics.isLoopback(""))
    }

    @Test func formEncoding() {
        #expect(GatewaySemantics.formEncode("a  b:c/é~") == "a++b%3Ac%2F%C3%A9~")
    }
}
