import Testing
@testable import ConfigLint
import GatewayConfig

/// The finer points of each rule: variants that must (or must not) trigger, and what the
/// messages say.
@Suite("Rule details")
struct RuleDetailTests {
    // MARK: credentials-misplaced

    @Test func misplacedAtTheRootAndOnTheBackendItself() throws {
        let text = service(backend: #"{"url_pattern": "/b", "auth/client-credentials": {"client_id": "direct"}}"#,
                           rootExtra: #" "extra_config": {"github.com/devopsfaith/krakend-oauth2-clientcredentials": {"client_id": "root"}},"#)
        let result = try #require(lint(text))
        let found = result.with(.credentialsMisplaced)
        #expect(found.map(\.path) == [#"extra_config["github.com/devopsfaith/krakend-oauth2-clientcredentials"]"#,
                                      #"endpoints[0].backend[0]["auth/client-credentials"]"#])
        #expect(found.map(\.routeIDs) == [[], [0]])
        #expect(found[0].location == position(of: #"{"client_id": "root"}"#, in: text))
        #expect(found.allSatisfy { $0.severity == .error })
    }

    @Test func misplacedOnAnEndpointNamesAllItsBackends() throws {
        let text = service([("/a", [backend()]), ("/b", [backend(), backend(url: "/c")])],
                           endpointExtra: #""auth/client-credentials": {"client_id": "x"}"#)
        let found = try #require(lint(text)).with(.credentialsMisplaced)
        #expect(found.map(\.routeIDs) == [[0], [1, 2]])
    }

    @Test func aMisplacedBlockStillLeaksItsSecret() throws {
        let text = service(backend: backend(), endpointExtra: #""auth/client-credentials": {"client_id": "x", "client_secret": "plain"}"#)
        let result = try #require(lint(text))
        #expect(result.codes == ["credentials-misplaced", "secret-in-file"])
        #expect(result.with(.secretInFile).first?.path == #"endpoints[0].extra_config["auth/client-credentials"].client_secret"#)
        #expect(result.with(.secretInFile).first?.routeIDs == [0])
    }

    @Test func nullBlockIsNotMisplaced() throws {
        let text = service(backend: backend(), endpointExtra: #""auth/client-credentials": null"#)
        #expect(try #require(lint(text)).findings.isEmpty)
    }

    // MARK: empty-scope, scope-double-space

    @Test func missingScopesPointsAtTheBlock() throws {
        let text = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t""#)))
        let f = try #require(lint(text)?.with(.emptyScope).first)
        #expect(f.path == blockPath + ".scopes")
        #expect(f.location == position(of: #"{"client_id""#, in: text))
        #expect(f.message.contains("no \"scopes\""))
        #expect(f.gatewayBehaviour.contains("`scope=`"))
    }

    @Test func emptyScopeNotReportedForADisabledBlock() throws {
        let text = service(backend: backend(extra: credentials(#""is_disabled": true"#)))
        let result = try #require(lint(text))
        #expect(result.codes == ["credentials-disabled"])
    }

    @Test(arguments: [
        ("a, b", "scope=a++b", "a,b"),
        ("a ,b", "scope=a++b", "a,b"),
        ("a,,b", "scope=a++b", "a,b"),
        ("a,b,", "scope=a+b+", "a,b"),
        (" a", "scope=+a", "a"),
        ("read:x, write:y", "scope=read%3Ax++write%3Ay", "read:x,write:y"),
    ])
    func doubleSpaceShowsWhatIsSent(_ scopes: String, _ sent: String, _ fixed: String) throws {
        let text = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t", "scopes": "\#(scopes)""#)))
        let f = try #require(lint(text)?.with(.scopeDoubleSpace).first)
        #expect(f.gatewayBehaviour.contains("`\(sent)`"), "\(f.gatewayBehaviour)")
        #expect(f.fix.contains(#""scopes": "\#(fixed)""#), "\(f.fix)")
    }

    @Test(arguments: ["a,b", "a b", "read:x", "{{ env \"SCOPES\" }}"])
    func wellFormedScopesAreClean(_ scopes: String) throws {
        let text = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://idp/t", "scopes": "\#(scopes)""#)))
        #expect(try #require(lint(text)).findings.isEmpty)
    }

    // MARK: scope-in-endpoint-params, grant-type-in-endpoint-params

    @Test func scopeInParamsOfADisabledBlockIsAWarning() throws {
        let text = service(backend: backend(extra: credentials(#""is_disabled": true, "endpoint_params": {"scope": ["x"]}"#)))
        let f = try #require(lint(text)?.with(.scopeInEndpointParams).first)
        #expect(f.severity == .warning)
        #expect(f.message.contains("is_disabled"))
    }

    @Test func scopeInParamsWithTheWrongTypeReportsBoth() throws {
        let text = service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"scope": "x"}"#)))
        let result = try #require(lint(text))
        #expect(result.codes.sorted() == ["credentials-wrong-type", "scope-in-endpoint-params"])
    }

    @Test func grantTypeMessageShowsTheReplacement() throws {
        let text = service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"grant_type": ["urn:x"]}"#)))
        let f = try #require(lint(text)?.with(.grantTypeInEndpointParams).first)
        #expect(f.gatewayBehaviour.contains("`grant_type=urn%3Ax`"))
    }

    // MARK: credentials-wrong-type

    @Test func everyWrongTypeIsReportedWhereItIs() throws {
        let fields = #""client_id": 42, "client_secret": null, "token_url": "https://idp/t", "scopes": "a", "is_disabled": "no", "#
            + #""endpoint_params": {"audience": "aud", "resource": ["r1", 7], "@comment": "ignored"}"#
        let text = service(backend: backend(extra: credentials(fields)))
        let result = try #require(lint(text))
        let found = result.with(.credentialsWrongType)
        #expect(found.map(\.path) == [blockPath + ".client_id", blockPath + ".client_secret", blockPath + ".is_disabled",
                                      blockPath + ".endpoint_params.audience", blockPath + ".endpoint_params.resource[1]"])
        #expect(found.map(\.location) == [position(of: "42", in: text), position(of: "null", in: text), position(of: #""no""#, in: text),
                                          position(of: #""aud""#, in: text), position(of: "7]", in: text)])
        #expect(found.map(\.message) == ["expected a string, found number", "expected a string, found null", "expected a boolean, found string",
                                         "expected a list of strings, found string", "expected a string, found number"])
        #expect(found[0].gatewayBehaviour.contains("interface {} is float64, not string"))
        // Nothing else: no loader duplicates, and no "missing field" for the mistyped ones.
        #expect(result.findings.count == found.count, "\(result.findings)")
    }

    @Test func scopesListFixJoinsTheItems() throws {
        let text = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://i/t", "scopes": ["orders:read", "orders:write"]"#)))
        let f = try #require(lint(text)?.with(.credentialsWrongType).first)
        #expect(f.fix.contains(#"`"scopes": "orders:read,orders:write"`"#))
        #expect(f.gatewayBehaviour.contains("interface {} is []interface {}, not string"))
    }

    @Test func endpointParamsNotAnObject() throws {
        let text = service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": ["audience"]"#)))
        let result = try #require(lint(text))
        let f = try #require(result.with(.credentialsWrongType).first)
        #expect(f.path == blockPath + ".endpoint_params")
        #expect(f.message == "expected an object, found array")
        #expect(result.findings.count == 1)
    }

    @Test func blockThatIsNotAnObjectIsIgnoredByTheGateway() throws {
        let text = service(backend: backend(extra: #""auth/client-credentials": "client_id=gw""#))
        let result = try #require(lint(text))
        let f = try #require(result.with(.credentialsWrongType).first)
        #expect(f.path == blockPath)
        #expect(f.gatewayBehaviour.contains("without a token"))
        #expect(result.findings.count == 1)
    }

    @Test func wrongTypesInADisabledBlockStillPanic() throws {
        let text = service(backend: backend(extra: credentials(#""is_disabled": true, "scopes": ["a"]"#)))
        let result = try #require(lint(text))
        #expect(result.codes.sorted() == ["credentials-disabled", "credentials-wrong-type"])
    }

    // MARK: credentials-missing-field

    @Test func everyMissingFieldIsOneFindingAndNoLoaderDuplicate() throws {
        let text = service(backend: backend(extra: credentials(#""scopes": "a""#)))
        let result = try #require(lint(text))
        #expect(result.codes == ["credentials-missing-field", "credentials-missing-field", "credentials-missing-field"])
        // Same spot: the error first. An empty id or secret may be accepted (a public client); an
        // empty token_url never is.
        #expect(result.findings.map(\.message) == [#"the client-credentials block has no "token_url""#,
                                                   #"the client-credentials block has no "client_id""#,
                                                   #"the client-credentials block has no "client_secret""#])
        #expect(result.findings.map(\.severity) == [.error, .warning, .warning])
        #expect(result.findings.allSatisfy { $0.location == position(of: #"{"scopes""#, in: text) && $0.path == blockPath })
        // With no client_id either, the Basic header is base64 of ":" and the retry carries nothing.
        let secret = try #require(result.findings.first { $0.message.hasSuffix(#""client_secret""#) })
        #expect(secret.gatewayBehaviour.contains("`Authorization: Basic Og==` (base64 of `:`, the client_id and an empty secret)"))
        #expect(secret.gatewayBehaviour.contains("the one retry sends neither client_id nor client_secret in the form body"))
        #expect(result.configuration != nil, "the file loads: the gateway starts with it")
    }

    /// What the gateway sends without a client_secret, with the real client_id (form-encoded
    /// before base64, as Go's SetBasicAuth gets it from the oauth2 package).
    @Test func missingSecretSaysTheExactBasicHeaderAndRetryBody() throws {
        let text = service(backend: backend(extra: credentials(#""client_id": "my app", "token_url": "https://idp/t", "scopes": "a""#)))
        let f = try #require(lint(text)?.with(.credentialsMissingField).first)
        #expect(f.severity == .warning)
        // base64("my+app:") = bXkrYXBwOg==
        #expect(f.gatewayBehaviour.contains("`Authorization: Basic bXkrYXBwOg==` (base64 of `my+app:`, the client_id and an empty secret)"))
        #expect(f.gatewayBehaviour.contains("the one retry sends `client_id=my+app` in the form body and no client_secret field at all"))

        // A templated id is not known: the header is described, not made up.
        let templated = service(backend: backend(extra: credentials(#""client_id": "{{ env "ID" }}", "token_url": "https://idp/t", "scopes": "a""#)))
        let g = try #require(lint(templated)?.with(.credentialsMissingField).first)
        #expect(g.gatewayBehaviour.contains("`Authorization: Basic` with base64 of the client_id, a colon and an empty secret"))
    }

    @Test func missingTokenURLIsAnErrorNamingGosError() throws {
        let text = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "scopes": "a""#)))
        let result = try #require(lint(text))
        let f = try #require(result.with(.credentialsMissingField).first)
        #expect(result.findings.count == 1)
        #expect(f.severity == .error && result.hasErrors)
        #expect(f.gatewayBehaviour.contains(#"`Post "": unsupported protocol scheme ""`"#))
    }

    /// The public-client fixture: warnings only (lint exits 0), with file:line:column.
    @Test func publicClientFixture() throws {
        let name = "v3-public-client-no-secret.json"
        let text = try fixtureText(name)
        let path = fixturePath(name)
        let result = try ConfigLinter.lint(path: path, environment: [:])
        #expect(result.codes == ["credentials-missing-field", "grant-type-in-endpoint-params"])
        #expect(!result.hasErrors)
        let f = try #require(result.findings.first)
        let key = position(of: #""auth/client-credentials": {"#, in: text)
        let block = "\(key.line):\(key.column + #""auth/client-credentials": "#.count)"
        #expect(f.description == "\(path):\(block): warning [credentials-missing-field] "
            + #"endpoints[0].backend[0].extra_config["auth/client-credentials"]: the client-credentials block has no "client_secret""#)
        // base64("reporting-cli:") = cmVwb3J0aW5nLWNsaTo=
        #expect(f.gatewayBehaviour.contains("`Authorization: Basic cmVwb3J0aW5nLWNsaTo=`"))
        #expect(f.gatewayBehaviour.contains("`client_id=reporting-cli` in the form body and no client_secret field at all"))
        #expect(result.configuration?.routes.first?.credentials?.clientSecret == "")
    }

    // MARK: plain-http-token-url

    @Test(arguments: ["http://localhost/t", "http://LOCALHOST:8080/t", "http://127.0.0.1/t", "http://127.9.8.7:1/t",
                      "http://[::1]:9000/t", "HTTP://localhost/t", "http://user:pw@127.0.0.1/t", "https://idp.example/t",
                      #"{{ env "TOKEN_URL" }}"#])
    func acceptableTokenURLs(_ url: String) throws {
        let text = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "\#(url)", "scopes": "a""#)))
        #expect(try #require(lint(text)).findings.isEmpty, "\(url)")
    }

    @Test(arguments: [("http://idp.example/t", "idp.example"), ("Http://10.0.0.1:8080/t", "10.0.0.1"),
                      ("http://[fe80::1]/t", "fe80::1"), ("http://localhost.evil.example/t", "localhost.evil.example"),
                      ("http://127.0.0.1.nip.io/t", "127.0.0.1.nip.io"), ("http://user@idp?x", "idp")])
    func plainHTTPToTheNetwork(_ url: String, _ host: String) throws {
        let text = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "\#(url)", "scopes": "a""#)))
        let f = try #require(lint(text)?.with(.plainHTTPTokenURL).first)
        #expect(f.message.contains("\"\(host)\""))
    }

    @Test func plainHTTPNotReportedForADisabledBlock() throws {
        let text = service(backend: backend(extra: credentials(#""is_disabled": true, "token_url": "http://idp.example/t""#)))
        #expect(try #require(lint(text)).with(.plainHTTPTokenURL).isEmpty)
    }

    // MARK: secret-in-file

    @Test func secretsAreNeverPrinted() throws {
        let secret = "S3CR3T-do-not-print"
        let fields = #""client_id": "gw", "client_secret": "\#(secret)", "token_url": "http://idp.example/t", "scopes": "a, b", "#
            + #""endpoint_params": {"client_id": ["other"], "client_secret": ["\#(secret)"], "scope": ["\#(secret)"], "grant_type": ["x"]}"#
        let broken = #""client_id": "gw", "client_secret": "\#(secret)", "token_url": "https://idp/t", "endpoint_params": {"client_secret": "\#(secret)"}"#
        let text = service([("/a", [backend(extra: credentials(fields)), backend(extra: credentials(fields))]),
                            ("/b", [backend(extra: credentials(broken))])])
        let result = try #require(lint(text))
        #expect(result.findings.count > 8)
        for f in result.findings {
            #expect(!"\(f) \(f.gatewayBehaviour) \(f.fix)".contains(secret), "\(f)")
        }
        #expect(result.with(.secretInFile).map(\.path) == [
            blockPath + ".client_secret", blockPath + ".endpoint_params.client_secret[0]",
            #"endpoints[0].backend[1].extra_config["auth/client-credentials"].client_secret"#,
            #"endpoints[0].backend[1].extra_config["auth/client-credentials"].endpoint_params.client_secret[0]"#,
            #"endpoints[1].backend[0].extra_config["auth/client-credentials"].client_secret"#,
            #"endpoints[1].backend[0].extra_config["auth/client-credentials"].endpoint_params.client_secret"#,
        ])
    }

    @Test func secretInADisabledBlockIsStillALeak() throws {
        let text = service(backend: backend(extra: credentials(#""is_disabled": true, "client_secret": "plain""#)))
        #expect(try #require(lint(text)).codes.sorted() == ["credentials-disabled", "secret-in-file"])
    }

    @Test func emptySecretIsNotASecretInTheFile() throws {
        let text = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "", "token_url": "https://idp/t", "scopes": "a""#)))
        #expect(try #require(lint(text)).findings.isEmpty)
    }

    // MARK: duplicate-credentials

    @Test func duplicatesAreGroupedByEverythingThatGoesIntoTheRequest() throws {
        let a = credentials()
        let b = credentials(goodFields + #", "endpoint_params": {"audience": ["x"]}"#)
        let text = service([("/1", [backend(extra: a), backend(extra: b)]),
                            ("/2", [backend(extra: a), backend(extra: b), backend(extra: credentials(#""is_disabled": true"#))]),
                            ("/3", [backend(extra: a)])])
        let result = try #require(lint(text))
        let found = result.with(.duplicateCredentials)
        #expect(found.map(\.routeIDs) == [[0, 2, 5], [1, 3]])
        #expect(found[0].message.hasPrefix(#"3 backends use identical client credentials (client_id "gw" at https://idp.example/token)"#))
        #expect(found[0].message.contains("endpoints[1].backend[0]") && found[0].message.contains("endpoints[2].backend[0]"))
        #expect(found[0].gatewayBehaviour.contains("3 times"))
    }

    @Test func duplicateMessageHidesAPasswordInTheTokenURL() throws {
        let fields = #""client_id": "gw", "client_secret": "{{ env "S" }}", "token_url": "https://u:pw@idp/t", "scopes": "a""#
        let text = service([("/1", [backend(extra: credentials(fields))]), ("/2", [backend(extra: credentials(fields))])])
        let f = try #require(lint(text)?.with(.duplicateCredentials).first)
        #expect(f.message.contains("https://***@idp/t") && !f.message.contains("pw"))
    }

    // MARK: martian

    @Test func authorizationInsideAGroupAndAnyCase() throws {
        let martian = #""github.com/devopsfaith/krakend-martian": {"fifo.Group": {"modifiers": [{"header.Modifier": {"name": "X-A", "value": "1"}}, {"header.Modifier": {"name": "authorization", "value": "x"}}]}}"#
        let text = service(backend: backend(extra: credentials() + ", " + martian))
        let f = try #require(lint(text)?.with(.martianAuthorizationOverwritten).first)
        #expect(f.path == #"endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-martian"]["fifo.Group"].modifiers[1]["header.Modifier"]"#)
    }

    @Test(arguments: [
        #"{"header.Modifier": {"scope": ["response"], "name": "Authorization", "value": "x"}}"#,
        #"{"fifo.Group": {"scope": ["response"], "modifiers": [{"header.Modifier": {"name": "Authorization", "value": "x"}}]}}"#,
        #"{"header.Modifier": {"name": "X-Authorization", "value": "x"}}"#,
    ])
    func authorizationThatIsNotOverwritten(_ martian: String) throws {
        let text = service(backend: backend(extra: credentials() + #", "modifier/martian": "# + martian))
        #expect(try #require(lint(text)).findings.isEmpty)
    }

    @Test func authorizationOnADisabledBlockIsNotOverwritten() throws {
        let text = service(backend: backend(extra: credentials(#""is_disabled": true"#)
            + #", "modifier/martian": {"header.Modifier": {"name": "Authorization", "value": "x"}}"#))
        #expect(try #require(lint(text)).codes == ["credentials-disabled"])
    }

    @Test func severalModifiersInsideAGroupElementAndAFilter() throws {
        let martian = #""modifier/martian": {"fifo.Group": {"modifiers": [{"header.Modifier": {"name": "A", "value": "1"}, "header.Modifier2": {}}, "#
            + #"{"header.Filter": {"name": "X", "modifier": {"a.Modifier": {}, "b.Modifier": {}}}}]}}"#
        let text = service(backend: backend(extra: martian))
        let found = try #require(lint(text)).with(.martianSeveralModifiers)
        #expect(found.map(\.path) == [
            #"endpoints[0].backend[0].extra_config["modifier/martian"]["fifo.Group"].modifiers[0]"#,
            #"endpoints[0].backend[0].extra_config["modifier/martian"]["fifo.Group"].modifiers[1]["header.Filter"].modifier"#,
        ])
        #expect(found[0].message.hasPrefix("2 martian modifiers side by side (header.Modifier, header.Modifier2)"))
    }

    @Test func anAuthorizationHeaderInARejectedBlockIsNotReportedAsOverwritten() throws {
        let text = service(backend: backend(extra: credentials()
            + #", "modifier/martian": {"header.Modifier": {"name": "Authorization", "value": "x"}, "body.Modifier": {}}"#))
        #expect(try #require(lint(text)).codes == ["martian-several-modifiers"])
    }

    @Test func commentKeysAreNotModifiers() throws {
        let text = service(backend: backend(extra: #""modifier/martian": {"@comment": "sets X-A", "header.Modifier": {"name": "X-A", "value": "1"}}"#))
        #expect(try #require(lint(text)).findings.isEmpty)
    }

    // MARK: invalid-host

    @Test func invalidHostVariants() throws {
        let text = service([("/a", [backend(host: #""HTTP://upper.example""#)]),
                            ("/b", [backend(host: #"["[::1]:8080"]"#, more: #", "disable_host_sanitize": true"#)]),
                            ("/c", [backend(host: #"["srv-name:1"]"#, more: #", "sd": "dns""#)]),
                            ("/d", [backend(host: #"["a.example:1"]"#)])],
                           rootExtra: #" "host": ["https://ok.example", "http://bad.example/path"],"#)
        let found = try #require(lint(text)).with(.invalidHost)
        #expect(found.map(\.path) == ["host[1]", "endpoints[0].backend[0].host", "endpoints[3].backend[0].host[0]"])
        #expect(found.map(\.routeIDs) == [[], [0], [3]])
        #expect(found[0].fix.contains("Root hosts are always sanitised"))
        #expect(found[1].fix.contains("disable_host_sanitize"))
    }

    @Test func invalidHostHidesAPassword() throws {
        let f = try #require(lint(service(backend: backend(host: #"["https://svc:pa55@api.example/v1"]"#)))?.with(.invalidHost).first)
        #expect(f.message == #"host "https://***@api.example/v1" is not valid under the gateway's sanitising rules"#)
        #expect(!"\(f) \(f.gatewayBehaviour)".contains("pa55"))
    }

    // MARK: undefined-placeholder

    @Test func placeholdersFollowLurasPatterns() throws {
        let text = service([
            ("/a/{id}", [backend(url: "/x/{id}/{id}?q={JWT.sub}&r={resp1_data.id}")]),  // fine
            ("/b/{id}", [backend(url: "/x?{q}&{resp_x}&{JWT.}")]),                       // q, resp_x, JWT. undefined
            ("/c-{id}", [backend(url: "/{id}")]),                                        // `{id}` not after a slash
            ("/d/{a.b}", [backend(url: "/{a.b}")]),                                      // `.` not in an endpoint key
        ])
        let found = try #require(lint(text)).with(.undefinedPlaceholder)
        #expect(found.map(\.routeIDs) == [[1], [1], [1], [2], [3]])
        #expect(found.map(\.message) == [
            #"url_pattern uses {q}, which the endpoint path "/b/{id}" does not define (it defines {id})"#,
            #"url_pattern uses {resp_x}, which the endpoint path "/b/{id}" does not define (it defines {id})"#,
            #"url_pattern uses {JWT.}, which the endpoint path "/b/{id}" does not define (it defines {id})"#,
            #"url_pattern uses {id}, which the endpoint path "/c-{id}" does not define (it defines none)"#,
            #"url_pattern uses {a.b}, which the endpoint path "/d/{a.b}" does not define (it defines none)"#,
        ])
    }

    @Test func disableRESTLetsEndpointsDefineLooserKeys() throws {
        let text = service([("/c-{id}", [backend(url: "/{id}")]), ("/d/{a.b}", [backend(url: "/{a.b}")])],
                           rootExtra: #" "disable_rest": true,"#)
        #expect(try #require(lint(text)).findings.isEmpty)
    }

    // MARK: credentials-in-endpoint-params

    @Test func repeatedCredentialsThatDifferAreAWarning() throws {
        let text = service(backend: backend(extra: credentials(goodFields + #", "endpoint_params": {"client_secret": ["{{ env "OTHER" }}"]}"#)))
        let f = try #require(lint(text)?.with(.credentialsInEndpointParams).first)
        #expect(f.severity == .warning)
        #expect(f.path == blockPath + ".endpoint_params.client_secret")
        #expect(f.gatewayBehaviour.contains("client_secret differs"))
    }

    // MARK: configuration errors from the loader

    @Test func loaderProblemsOutsideTheRulesStillShowWithTheirRows() throws {
        let text = service([("/a", [backend()]), ("/b", [backend(more: #", "sd": "consul""#)])],
                           rootExtra: #" "version": 9,"#)
        let result = try #require(lint(text))
        #expect(result.findings.map(\.rule) == [.configWarning, .configError, .configWarning])
        #expect(result.findings[0].message.contains("duplicate key"))
        #expect(result.findings[1].path == "version" && result.findings[1].routeIDs == [])
        #expect(result.findings[2].path == "endpoints[1].backend[0].sd" && result.findings[2].routeIDs == [1])
        #expect(result.configuration == nil)
    }
}
