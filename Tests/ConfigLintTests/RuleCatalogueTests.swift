import Testing
import ConfigLint
import GatewayConfig

/// One rule: a config that triggers it (with the expected severity, JSON path and the text the
/// location points at) and a close config that must not.
struct RuleCase: Sendable, CustomTestStringConvertible {
    var rule: LintRule
    var severity: Finding.Severity
    var trigger: String
    var path: String
    /// The finding's line:column is where this text starts in `trigger`.
    var at: String
    var occurrence = 1
    var routeIDs: [Int] = [0]
    var clean: String
    var testDescription: String { rule.code }
}

let ruleCases: [RuleCase] = [
    RuleCase(rule: .credentialsMisplaced, severity: .error,
             trigger: service(backend: backend(), endpointExtra: #""auth/client-credentials": {"client_id": "misplaced"}"#),
             path: #"endpoints[0].extra_config["auth/client-credentials"]"#, at: #"{"client_id": "misplaced"}"#,
             clean: service(backend: backend(extra: credentials()))),
    RuleCase(rule: .emptyScope, severity: .warning,
             trigger: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t", "scopes": """#))),
             path: blockPath + ".scopes", at: "\"\"}}",
             clean: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t", "scopes": "x""#)))),
    RuleCase(rule: .scopeDoubleSpace, severity: .warning,
             trigger: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t", "scopes": "a, b""#))),
             path: blockPath + ".scopes", at: #""a, b""#,
             clean: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t", "scopes": "a,b""#)))),
    RuleCase(rule: .scopeInEndpointParams, severity: .error,
             trigger: service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"scope": ["x"]}"#))),
             path: blockPath + ".endpoint_params.scope", at: #""scope": ["x"]"#,
             clean: service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"audience": ["x"]}"#)))),
    RuleCase(rule: .grantTypeInEndpointParams, severity: .warning,
             trigger: service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"grant_type": ["password"]}"#))),
             path: blockPath + ".endpoint_params.grant_type", at: #""grant_type""#,
             clean: service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"grant_type": ["client_credentials"]}"#)))),
    RuleCase(rule: .credentialsWrongType, severity: .error,
             trigger: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t", "scopes": ["a", "b"]"#))),
             path: blockPath + ".scopes", at: #"["a", "b"]"#,
             clean: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t", "scopes": "a,b""#)))),
    // A missing client_secret is the warning case (a public client); token_url is raised to an error.
    RuleCase(rule: .credentialsMissingField, severity: .warning,
             trigger: service(backend: backend(extra: credentials(#""client_id": "gw", "token_url": "https://idp/t", "scopes": "a""#))),
             path: blockPath, at: #"{"client_id""#,
             clean: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t", "scopes": "a""#)))),
    RuleCase(rule: .plainHTTPTokenURL, severity: .error,
             trigger: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "http://idp.example/token", "scopes": "a""#))),
             path: blockPath + ".token_url", at: #""http://idp.example/token""#,
             clean: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "http://127.0.0.1:9000/token", "scopes": "a""#)))),
    RuleCase(rule: .secretInFile, severity: .warning,
             trigger: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "s3cr3t-value", "token_url": "https://idp/t", "scopes": "a""#))),
             path: blockPath + ".client_secret", at: #""s3cr3t-value""#,
             clean: service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "CLIENT_SECRET" }}", "token_url": "https://idp/t", "scopes": "a""#)))),
    RuleCase(rule: .duplicateCredentials, severity: .info,
             trigger: service([("/a", [backend(extra: credentials())]), ("/b", [backend(extra: credentials())])]),
             path: blockPath, at: #"{"client_id""#, routeIDs: [0, 1],
             clean: service([("/a", [backend(extra: credentials())]),
                             ("/b", [backend(extra: credentials(goodFields.replacingOccurrences(of: "read,write", with: "read")))])])),
    RuleCase(rule: .martianAuthorizationOverwritten, severity: .warning,
             trigger: service(backend: backend(extra: credentials() + #", "modifier/martian": {"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic eA=="}}"#)),
             path: #"endpoints[0].backend[0].extra_config["modifier/martian"]["header.Modifier"]"#, at: #"{"scope": ["request"], "name""#,
             clean: service(backend: backend(extra: #""modifier/martian": {"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic eA=="}}"#))),
    RuleCase(rule: .martianSeveralModifiers, severity: .warning,
             trigger: service(backend: backend(extra: #""modifier/martian": {"header.Modifier": {"name": "X-A", "value": "1"}, "body.Modifier": {"body": "e30="}}"#)),
             path: #"endpoints[0].backend[0].extra_config["modifier/martian"]"#, at: #"{"header.Modifier""#,
             clean: service(backend: backend(extra: #""modifier/martian": {"fifo.Group": {"modifiers": [{"header.Modifier": {"name": "X-A", "value": "1"}}, {"body.Modifier": {"body": "e30="}}]}}"#))),
    RuleCase(rule: .invalidHost, severity: .error,
             trigger: service(backend: backend(host: #"["http://api.example/v1"]"#)),
             path: "endpoints[0].backend[0].host[0]", at: #""http://api.example/v1""#,
             clean: service(backend: backend(host: #"["http://api.example"]"#))),
    RuleCase(rule: .undefinedPlaceholder, severity: .error,
             trigger: service([("/users/{id}", [backend(url: "/u/{uid}")])]),
             path: "endpoints[0].backend[0].url_pattern", at: #""/u/{uid}""#,
             clean: service([("/users/{id}", [backend(url: "/u/{id}?from={resp0_x}&sub={JWT.sub}")])])),
    RuleCase(rule: .credentialsDisabled, severity: .warning,
             trigger: service(backend: backend(extra: credentials(goodFields + #", "is_disabled": true"#))),
             path: blockPath + ".is_disabled", at: #""is_disabled""#,
             clean: service(backend: backend(extra: credentials(goodFields + #", "is_disabled": false"#)))),
    RuleCase(rule: .credentialsInEndpointParams, severity: .info,
             trigger: service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"client_id": ["gw"], "audience": ["x"]}"#))),
             path: blockPath + ".endpoint_params.client_id", at: #""client_id""#, occurrence: 2,
             clean: service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"audience": ["x"]}"#)))),
    RuleCase(rule: .configError, severity: .error,
             trigger: service(backend: backend(), rootExtra: #" "timeout": "3 seconds","#),
             path: "timeout", at: #""3 seconds""#, routeIDs: [],
             clean: service(backend: backend(), rootExtra: #" "timeout": "3s","#)),
    RuleCase(rule: .configWarning, severity: .warning,
             trigger: service(backend: backend(more: #", "url_pattern": "/again""#)),
             path: "endpoints[0].backend[0].url_pattern", at: #""url_pattern": "/again""#,
             clean: service(backend: backend())),
]

@Suite("Every rule: a config that triggers it and one that doesn't")
struct RuleCatalogueTests {
    @Test func everyRuleHasACase() {
        #expect(Set(ruleCases.map(\.rule)) == Set(LintRule.allCases))
        #expect(ruleCases.count == LintRule.allCases.count)
    }

    @Test(arguments: ruleCases)
    func triggers(_ c: RuleCase) throws {
        let result = try #require(lint(c.trigger))
        let found = result.with(c.rule)
        #expect(found.count == 1, "\(result.findings)")
        let f = try #require(found.first)
        #expect(f.severity == c.severity)
        #expect(f.path == c.path)
        #expect(f.location == position(of: c.at, in: c.trigger, occurrence: c.occurrence))
        #expect(f.routeIDs == c.routeIDs)
        #expect(f.file == "test.json")
        #expect(!f.message.isEmpty && !f.gatewayBehaviour.isEmpty && !f.fix.isEmpty)
        // The loader's own diagnostic for the same spot is folded into the rule's finding.
        #expect(result.findings.filter { $0.path == f.path && $0.location == f.location }.count == 1, "\(result.findings)")
        #expect(result.hasErrors == result.findings.contains { $0.severity == .error })
    }

    @Test(arguments: ruleCases)
    func doesNotTrigger(_ c: RuleCase) throws {
        let result = try #require(lint(c.clean))
        #expect(result.with(c.rule).isEmpty, "\(result.findings)")
        // The clean variants are clean altogether: nothing else to report either.
        #expect(result.findings.isEmpty, "\(result.findings)")
    }

    @Test(arguments: ruleCases)
    func severityMatchesTheRuleDefault(_ c: RuleCase) {
        #expect(c.rule.defaultSeverity == c.severity)
        #expect(!c.rule.title.isEmpty)
    }
}
