import Foundation
import Testing
@testable import GatewayConfig

private let ccPath = #"endpoints[0].backend[0].extra_config["auth/client-credentials"]"#

@Suite("Loader: versions and structure")
struct LoaderStructureTests {
    @Test func unsupportedVersion() throws {
        let error = try #require(loadFailure(#"{"version": 4, "endpoints": []}"#))
        #expect(error.errors.count == 1)
        let d = try #require(error.errors.first)
        #expect(d.message == "unsupported version: 4 (KrakenD accepts 1, 2, 3)")
        #expect(d.path == "version")
        #expect(d.location == loc(1, 13))
        #expect(d.description == "test.json:1:13: error: version: unsupported version: 4 (KrakenD accepts 1, 2, 3)")
    }

    @Test func fractionalAndStringVersions() throws {
        #expect(loadFailure(#"{"version": 2.5}"#)?.errors.first?.message == "unsupported version: 2.5 (KrakenD accepts 1, 2, 3)")
        let text = loadFailure(#"{"version": "3"}"#)?.errors.first
        #expect(text?.message == "expected number, found string")
        #expect(text?.location == loc(1, 13))
    }

    @Test func missingVersion() throws {
        let d = try #require(loadFailure(#"{"endpoints": []}"#)?.errors.first)
        #expect(d.message == "missing \"version\": KrakenD refuses a config without it (use 3 for KrakenD 2.x, 2 for 1.x)")
        #expect(d.location == loc(1, 1))
    }

    @Test func rootMustBeAnObjectOrAnArray() throws {
        let d = try #require(loadFailure(#""krakend""#)?.errors.first)
        #expect(d.message == "expected an object (a KrakenD config) or an array of endpoints, found string")
    }

    @Test func arrayFragment() throws {
        let c = try #require(loadConfig("""
        [
          {"endpoint": "/a", "backend": [{"url_pattern": "/x", "host": "b:9000"}]},
          {"endpoint": "/b", "method": "delete", "backend": [{"url_pattern": "/y"}, {"url_pattern": "/z"}]}
        ]
        """))
        #expect(c.isFragment)
        #expect(c.version == nil)
        #expect(c.diagnostics.map(\.message) == ["this is an endpoint fragment, not a full config"])
        #expect(c.routes.map(\.path) == ["[0].backend[0]", "[1].backend[0]", "[1].backend[1]"])
        #expect(c.routes.map(\.id) == [0, 1, 2])
        #expect(c.routes[0].hosts == ["http://b:9000"])
        #expect(c.routes[2].method == "DELETE")
        #expect(c.routes[2].location == loc(3, 77))
    }

    @Test func routesAreEveryEndpointBackendPairInFileOrder() throws {
        let text = """
        {
          "version": 3, "host": ["http://default:8080"],
          "endpoints": [
            {"endpoint": "/a", "backend": [{"url_pattern": "/1"}, {"url_pattern": "/2"}]},
            {"endpoint": "/b", "backend": [{"url_pattern": "/3"}]}
          ]
        }
        """
        let c = try #require(loadConfig(text))
        #expect(c.routes.map(\.id) == [0, 1, 2])
        #expect(c.routes.map(\.urlPattern) == ["/1", "/2", "/3"])
        #expect(c.routes.map(\.endpointIndex) == [0, 0, 1])
        #expect(c.routes.map(\.backendIndex) == [0, 1, 0])
        #expect(c.routes.map(\.path) == ["endpoints[0].backend[0]", "endpoints[0].backend[1]", "endpoints[1].backend[0]"])
        #expect(c.routes[1].location == position(of: #"{"url_pattern": "/2"}"#, in: text))
        #expect(c.routes.allSatisfy { $0.displayURL.hasPrefix("http://default:8080/") })
    }

    @Test func wrongTypesAreErrorsWithPathAndFoundType() throws {
        #expect(loadFailure(#"{"version": 3, "endpoints": {}}"#)?.errors.map(\.message) == ["expected array, found object"])
        let text = """
        {
          "version": 3,
          "endpoints": [
            {"endpoint": "/a", "backend": ["http://x"]},
            {"endpoint": "/b", "backend": [{"url_pattern": 42}]},
            {"endpoint": 7, "backend": {"url_pattern": "/"}},
            "oops"
          ]
        }
        """
        let error = try #require(loadFailure(text))
        let errors = error.errors
        #expect(errors.map(\.path) == ["endpoints[0].backend[0]", "endpoints[1].backend[0].url_pattern",
                                       "endpoints[2].endpoint", "endpoints[2].backend", "endpoints[3]"])
        #expect(errors.map(\.message) == ["expected object, found string", "expected string, found number",
                                          "expected string, found number", "expected array, found object",
                                          "expected object, found string"])
        #expect(errors.map(\.location) == [loc(4, 36), loc(5, 52), loc(6, 18), loc(6, 32), loc(7, 5)])
    }

    @Test func missingRequiredFields() throws {
        let text = """
        {"version": 3, "endpoints": [
          {"backend": [{"host": ["http://h:80"]}]},
          {"endpoint": "/x"},
          {"endpoint": "/y", "backend": []}
        ]}
        """
        let errors = try #require(loadFailure(text)).errors
        #expect(errors.map(\.message) == [
            "missing required field \"endpoint\"",
            "missing required field \"url_pattern\"",
            "missing required field \"backend\" (the gateway refuses an endpoint without backends)",
            "the endpoint has no backends (the gateway refuses to start)",
        ])
        #expect(errors.map(\.path) == ["endpoints[0]", "endpoints[0].backend[0]", "endpoints[1]", "endpoints[2].backend"])
        #expect(errors.map(\.location) == [loc(2, 3), loc(2, 16), loc(3, 3), loc(4, 33)])
    }

    @Test func duplicateKeysWarnAndTheLaterWins() throws {
        let text = config(backend: #"{"url_pattern": "/old", "host": ["http://h:80"], "url_pattern": "/new"}"#)
        let c = try #require(loadConfig(text))
        #expect(c.routes[0].urlPattern == "/new")
        let warning = try #require(c.diagnostics.first)
        #expect(warning.severity == .warning)
        #expect(warning.path == "endpoints[0].backend[0].url_pattern")
        #expect(warning.message == "duplicate key \"url_pattern\"; the later one wins (as in the gateway)")
        #expect(warning.location == position(of: #""url_pattern": "/new""#, in: text))
    }

    @Test func commentKeysAreIgnored() throws {
        let text = """
        {
          "@comment": "root comment", "@comment": "another one", "version": 3,
          "endpoints": [{
            "@comment": "endpoint", "endpoint": "/e",
            "backend": [{
              "@comment": "backend", "url_pattern": "/", "host": ["http://h:80"],
              "extra_config": {
                "@comment": "extra",
                "auth/client-credentials": {
                  "@comment": "cc", "client_id": "i", "client_secret": "s", "token_url": "https://t",
                  "endpoint_params": {"@comment": "not a form field", "audience": ["a"]}
                },
                "modifier/martian": {"@comment": "m", "header.Modifier": {"@comment": "h", "name": "X", "value": "1"}}
              }
            }]
          }]
        }
        """
        let c = try #require(loadConfig(text))
        #expect(c.diagnostics.isEmpty)
        let r = try #require(c.routes.first)
        #expect(r.credentials?.endpointParams == ["audience": ["a"]])
        #expect(r.headerModifiers == [HeaderModifier(name: "X", value: "1", scopes: [])])
    }

    @Test func errorsAndWarningsAreAllCollected() throws {
        let text = """
        {"version": 3, "extra_config": {"auth/client-credentials": {}}, "endpoints": [
          {"endpoint": "/a", "backend": [{"url_pattern": 1}]},
          {"endpoint": "/b", "backend": [{"url_pattern": "/", "host": ["http://h/p"]}]}
        ]}
        """
        let error = try #require(loadFailure(text))
        #expect(error.errors.count == 2)
        #expect(error.diagnostics.count == 3)
        #expect(error.diagnostics.first?.severity == .warning)
        #expect(error.description.split(separator: "\n").count == 3)
    }
}

@Suite("Loader: scale")
struct LoaderScaleTests {
    /// A generated config with thousands of backends loads with exact routes and positions
    /// (speed is measured in release builds elsewhere; this checks correctness at size).
    @Test func thousandsOfBackends() throws {
        let count = 3000
        var text = "{\n  \"version\": 3,\n  \"host\": [\"http://default:8080\"],\n  \"endpoints\": [\n"
        for i in 0..<count {
            let cc = i % 3 == 0
                ? #", "extra_config": {"auth/client-credentials": {"client_id": "c\#(i % 7)", "client_secret": "s", "token_url": "https://idp/token", "scopes": "a,b"}}"#
                : ""
            text += #"    {"endpoint": "/items\#(i)/{id}", "backend": [{"url_pattern": "/v1/items/{id}", "host": ["backend-\#(i % 50):8080"]\#(cc)}]}"#
            text += i == count - 1 ? "\n" : ",\n"
        }
        text += "  ]\n}\n"
        let c = try #require(loadConfig(text))
        #expect(c.routes.count == count)
        #expect(c.routes.filter(\.isProtected).count == count / 3)
        let last = try #require(c.routes.last)
        #expect(last.endpoint == "/items\(count - 1)/{id}")
        #expect(last.hosts == ["http://backend-\((count - 1) % 50):8080"])
        #expect(last.location == loc(4 + count, 45 + String(count - 1).count))
        #expect(c.diagnostics.isEmpty)
    }
}

@Suite("Loader: hosts, methods, durations")
struct LoaderDefaultsTests {
    @Test func backendHostsFallBackToRootHosts() throws {
        let text = """
        {"version": 3, "host": ["root.internal:8080", "https://other/"], "endpoints": [{"endpoint": "/e", "backend": [
          {"url_pattern": "/missing"},
          {"url_pattern": "/empty-string", "host": ""},
          {"url_pattern": "/empty-list", "host": []},
          {"url_pattern": "/single", "host": "single:9000"},
          {"url_pattern": "/null", "host": null}
        ]}]}
        """
        let c = try #require(loadConfig(text))
        #expect(c.rootHosts == ["http://root.internal:8080", "https://other"])
        #expect(c.routes.map(\.hosts) == [c.rootHosts, c.rootHosts, c.rootHosts, ["http://single:9000"], c.rootHosts])
    }

    @Test func rootHostAsSingleString() throws {
        let c = try #require(loadConfig(#"{"version": 3, "host": "api:8080", "endpoints": [{"endpoint": "/e", "backend": [{"url_pattern": "/"}]}]}"#))
        #expect(c.rootHosts == ["http://api:8080"])
        #expect(c.routes[0].hosts == ["http://api:8080"])
    }

    @Test func invalidBackendHostIsAnError() throws {
        let text = config(backend: #"{"url_pattern": "/", "host": ["http://ok:80", "https://idp.example/oauth2"]}"#)
        let d = try #require(loadFailure(text)?.errors.first)
        #expect(d.message == #"host "https://idp.example/oauth2" not valid: invalid host (the gateway refuses to start)"#)
        #expect(d.path == "endpoints[0].backend[0].host[1]")
        #expect(d.location == position(of: #""https://idp"#, in: text))
    }

    @Test func invalidRootHostsAreErrorsEvenWhenBackendsDisableSanitizing() throws {
        let text = """
        {"version": 3, "host": "HTTP://upper", "endpoints": [{"endpoint": "/e", "backend": [
          {"url_pattern": "/", "host": ["http://[::1]:8080/x"], "disable_host_sanitize": true}
        ]}]}
        """
        let errors = try #require(loadFailure(text)).errors
        #expect(errors.count == 1)
        #expect(errors[0].path == "host")
        #expect(errors[0].message == #"host "HTTP://upper" not valid: invalid host (the gateway refuses to start)"#)
        #expect(errors[0].location == loc(1, 24))
    }

    @Test func disableHostSanitizeKeepsHostsVerbatim() throws {
        let c = try #require(loadConfig(config(backend: #"{"url_pattern": "/", "host": ["http://a:8/b", "ws://x"], "disable_host_sanitize": true}"#)))
        #expect(c.routes[0].hosts == ["http://a:8/b", "ws://x"])
        #expect(c.routes[0].disableHostSanitize)
    }

    @Test func serviceDiscoveryHostsAreServiceNames() throws {
        let text = """
        {"version": 3, "endpoints": [{"endpoint": "/e", "backend": [
          {"url_pattern": "/", "host": ["_api._tcp.service.consul"], "sd": "dns"},
          {"url_pattern": "/", "host": ["api.service.consul"], "sd": "dns-shared"},
          {"url_pattern": "/", "host": ["h:8080"], "sd": "static"},
          {"url_pattern": "/", "host": ["h:8080"], "sd": "eureka"}
        ]}]}
        """
        let c = try #require(loadConfig(text))
        #expect(c.routes.map(\.serviceDiscovery) == [.dns, .dnsShared, .static, .static])
        #expect(c.routes.map(\.hosts) == [["_api._tcp.service.consul"], ["api.service.consul"], ["http://h:8080"], ["http://h:8080"]])
        #expect(c.diagnostics.map(\.message) == [#"unknown service discovery "eureka"; the gateway falls back to static hosts"#])
        #expect(c.diagnostics.first?.path == "endpoints[0].backend[3].sd")
    }

    @Test func hostCharactersTheGatewayDropsAreAWarning() throws {
        let text = config(backend: #"{"url_pattern": "/", "host": ["http://h:8080 "]}"#)
        let c = try #require(loadConfig(text))
        #expect(c.routes[0].hosts == ["http://h:8080"])
        #expect(c.diagnostics.map(\.message) == [#"the gateway reads host "http://h:8080 " as "http://h:8080" (it drops characters it cannot match)"#])
    }

    @Test func methods() throws {
        let text = """
        {"version": 3, "host": ["h:80"], "endpoints": [
          {"endpoint": "/a", "backend": [{"url_pattern": "/"}, {"url_pattern": "/", "method": "put"}, {"url_pattern": "/", "method": ""}]},
          {"endpoint": "/b", "method": "post", "backend": [{"url_pattern": "/"}]},
          {"endpoint": "/c", "method": "", "backend": [{"url_pattern": "/"}]}
        ]}
        """
        let c = try #require(loadConfig(text))
        #expect(c.routes.map(\.endpointMethod) == ["GET", "GET", "GET", "POST", "GET"])
        #expect(c.routes.map(\.method) == ["GET", "PUT", "GET", "POST", "GET"])
    }

    @Test func durationsAsStringsOrNanoseconds() throws {
        let text = """
        {"version": 3, "timeout": "3s", "host": ["h:80"], "endpoints": [
          {"endpoint": "/inherit", "backend": [{"url_pattern": "/"}]},
          {"endpoint": "/string", "timeout": "1500ms", "backend": [{"url_pattern": "/"}]},
          {"endpoint": "/number", "timeout": 1000000000, "backend": [{"url_pattern": "/"}]},
          {"endpoint": "/compound", "timeout": "1m30s", "backend": [{"url_pattern": "/"}]}
        ]}
        """
        let c = try #require(loadConfig(text))
        #expect(c.routes.map(\.timeout) == [.seconds(3), .milliseconds(1500), .seconds(1), .seconds(90)])
        let defaults = try #require(loadConfig(#"{"version": 3, "endpoints": [{"endpoint": "/e", "backend": [{"url_pattern": "/"}]}]}"#))
        #expect(defaults.routes[0].timeout == .seconds(2))
    }

    @Test func invalidDurations() throws {
        let text = """
        {"version": 3, "timeout": "3 seconds", "endpoints": [
          {"endpoint": "/a", "timeout": true, "backend": [{"url_pattern": "/"}]}
        ]}
        """
        let errors = try #require(loadFailure(text)).errors
        #expect(errors.map(\.path) == ["timeout", "endpoints[0].timeout"])
        #expect(errors[0].message == #"invalid duration "3 seconds" (Go syntax such as "3s", "1500ms" or "1m30s")"#)
        #expect(errors[0].location == loc(1, 27))
        #expect(errors[1].message == #"expected duration (string such as "3s", or number of nanoseconds), found boolean"#)
        #expect(errors[1].location == loc(2, 33))
    }

    @Test func allowInsecureConnections() throws {
        let endpoints = #""endpoints": [{"endpoint": "/e", "backend": [{"url_pattern": "/", "host": "h:80"}]}]"#
        #expect(loadConfig(#"{"version": 3, "allow_insecure_connections": true, \#(endpoints)}"#)?.allowInsecureConnections == true)
        #expect(loadConfig(#"{"version": 3, "extra_config": {"allow_insecure_connections": true}, \#(endpoints)}"#)?.allowInsecureConnections == true)
        #expect(loadConfig(#"{"version": 3, \#(endpoints)}"#)?.allowInsecureConnections == false)
        let d = loadFailure(#"{"version": 3, "allow_insecure_connections": "yes", \#(endpoints)}"#)?.errors.first
        #expect(d?.path == "allow_insecure_connections")
        #expect(d?.message == "expected boolean, found string")
    }
}

@Suite("Loader: client credentials")
struct LoaderCredentialsTests {
    func backend(_ block: String, namespace: String = "auth/client-credentials") -> String {
        config(backend: """
        {"url_pattern": "/", "host": ["http://h:80"], "extra_config": {
              "\(namespace)": \(block)
            }}
        """)
    }

    @Test func fullBlock() throws {
        let text = backend(#"{"client_id": "id", "client_secret": "s", "token_url": "https://idp/token", "scopes": "a, b", "endpoint_params": {"audience": ["x", "y"]}}"#)
        let c = try #require(loadConfig(text))
        let cc = try #require(c.routes[0].credentials)
        #expect(cc.clientID == "id")
        #expect(cc.clientSecret == "s")
        #expect(cc.tokenURL == "https://idp/token")
        #expect(cc.scopes == "a, b")
        #expect(cc.scopeList == ["a", " b"])  // untrimmed, like the gateway
        #expect(cc.endpointParams == ["audience": ["x", "y"]])
        #expect(cc.namespace == .current)
        #expect(cc.path == ccPath)
        #expect(cc.location == position(of: #"{"client_id""#, in: text))
        #expect(c.diagnostics.isEmpty)
    }

    @Test func legacyNamespace() throws {
        let text = backend(#"{"client_id": "id", "client_secret": "s", "token_url": "https://t"}"#,
                           namespace: "github.com/devopsfaith/krakend-oauth2-clientcredentials")
        let cc = try #require(loadConfig(text)?.routes[0].credentials)
        #expect(cc.namespace == .legacy)
        #expect(cc.path == #"endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-oauth2-clientcredentials"]"#)
    }

    @Test func bothNamespacesTheCurrentOneWins() throws {
        let text = config(backend: """
        {"url_pattern": "/", "host": ["http://h:80"], "extra_config": {
              "github.com/devopsfaith/krakend-oauth2-clientcredentials": {"client_id": "old", "client_secret": "s", "token_url": "https://t"},
              "auth/client-credentials": {"client_id": "new", "client_secret": "s", "token_url": "https://t"}
            }}
        """)
        let c = try #require(loadConfig(text))
        #expect(c.routes[0].credentials?.clientID == "new")
        #expect(c.routes[0].credentials?.namespace == .current)
        let w = try #require(c.diagnostics.first)
        #expect(w.severity == .warning)
        #expect(w.path == #"endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-oauth2-clientcredentials"]"#)
        #expect(w.message == #"both "auth/client-credentials" and "github.com/devopsfaith/krakend-oauth2-clientcredentials" are present; the gateway uses "auth/client-credentials" and ignores this one"#)
        #expect(w.location == position(of: #"{"client_id": "old""#, in: text))
    }

    @Test func scopesMustBeAString() throws {
        let text = backend(#"{"client_id": "id", "client_secret": "s", "token_url": "https://t", "scopes": ["a", "b"]}"#)
        let errors = try #require(loadFailure(text)).errors
        #expect(errors.count == 1)
        #expect(errors[0].path == #"endpoints[0].backend[0].extra_config["auth/client-credentials"].scopes"#)
        #expect(errors[0].message == "expected string, found array")
        #expect(errors[0].location == position(of: #"["a", "b"]"#, in: text))
        #expect(errors[0].location == loc(8, 112))
    }

    @Test func endpointParamsValuesMustBeListsOfStrings() throws {
        let text = backend(#"{"client_id": "id", "client_secret": "s", "token_url": "https://t", "endpoint_params": {"audience": "x", "resource": ["r", 2]}}"#)
        let errors = try #require(loadFailure(text)).errors
        #expect(errors.map(\.path) == [ccPath + ".endpoint_params.audience", ccPath + ".endpoint_params.resource[1]"])
        #expect(errors.map(\.message) == ["expected array of strings, found string", "expected string, found number"])
        #expect(errors.map(\.location) == [position(of: #""x""#, in: text), position(of: "2]", in: text)])
    }

    @Test func endpointParamsMustBeAnObject() throws {
        let text = backend(#"{"client_id": "id", "client_secret": "s", "token_url": "https://t", "endpoint_params": ["audience"]}"#)
        let d = try #require(loadFailure(text)?.errors.first)
        #expect(d.path == ccPath + ".endpoint_params")
        #expect(d.message == "expected object, found array")
    }

    /// The gateway's component reads client_id, client_secret and token_url only when present and
    /// runs with an empty string otherwise (a public client with no secret works that way): a
    /// missing field loads as "" with a warning saying what the gateway sends, never an error.
    @Test func missingFieldsLoadAsEmptyStringsWithAWarning() throws {
        let text = backend(#"{"client_id": "id"}"#)
        let c = try #require(loadConfig(text))
        let cc = try #require(c.routes.first?.credentials)
        #expect(cc.clientID == "id")
        #expect(cc.clientSecret.isEmpty && cc.tokenURL.isEmpty)
        #expect(c.routes[0].isProtected && !c.routes[0].isDisabled)
        #expect(c.diagnostics.map(\.severity) == [.warning, .warning])
        #expect(c.diagnostics.map(\.message) == [
            #"missing "client_secret": the gateway sends an empty secret (Basic auth "client_id:", then the body without client_secret)"#,
            #"missing "token_url": the gateway posts every token request to an empty URL and each fails (Post "": unsupported protocol scheme "")"#,
        ])
        #expect(c.diagnostics.allSatisfy { $0.path == ccPath })
        #expect(c.diagnostics.allSatisfy { $0.location == position(of: #"{"client_id": "id"}"#, in: text) })

        let noID = try #require(loadConfig(backend(#"{"client_secret": "s", "token_url": "https://t"}"#)))
        #expect(noID.routes[0].credentials?.clientID == "")
        #expect(noID.diagnostics.map(\.message) == [
            #"missing "client_id": the gateway sends an empty client id (Basic auth ":client_secret", then the body without client_id)"#,
        ])
    }

    /// A field that is present with the wrong type still refuses the file: the gateway's type
    /// assertion panics on it. Only absence is harmless.
    @Test func presentFieldsOfTheWrongTypeAreStillErrors() throws {
        let text = backend(#"{"client_id": "id", "client_secret": 42}"#)
        let e = try #require(loadFailure(text))
        #expect(e.errors.map(\.path) == [ccPath + ".client_secret"])
        #expect(e.errors.map(\.message) == ["expected string, found number"])
        #expect(e.errors.map(\.location) == [position(of: "42", in: text)])
    }

    @Test func disabledBlocksNeedNoFieldsButTypesStillCount() throws {
        let c = try #require(loadConfig(backend(#"{"is_disabled": true}"#)))
        #expect(c.routes[0].isDisabled)
        #expect(c.routes[0].isProtected)
        // The gateway type-asserts present fields even when disabled (a wrong type panics it).
        let d = try #require(loadFailure(backend(#"{"is_disabled": true, "client_id": 5}"#))?.errors.first)
        #expect(d.path == ccPath + ".client_id")
        #expect(d.message == "expected string, found number")
        let b = try #require(loadFailure(backend(#"{"is_disabled": "true"}"#))?.errors.first)
        #expect(b.path == ccPath + ".is_disabled")
        #expect(b.message == "expected boolean, found string")
    }

    @Test func nullFieldsAreWrongTypes() throws {
        let d = try #require(loadFailure(backend(#"{"client_id": null, "client_secret": "s", "token_url": "https://t"}"#))?.errors.first)
        #expect(d.message == "expected string, found null")
    }

    @Test func blockMustBeAnObject() throws {
        let d = try #require(loadFailure(backend(#""client-id""#))?.errors.first)
        #expect(d.path == ccPath)
        #expect(d.message == "expected object, found string")
    }

    @Test func credentialsOnTheEndpointOrRootAreIgnoredWithAWarning() throws {
        let text = config(backend: #"{"url_pattern": "/", "host": ["http://h:80"]}"#,
                          endpointExtra: #"{"auth/client-credentials": {"client_id": "a", "client_secret": "b", "token_url": "https://t"}}"#,
                          rootExtra: #""extra_config": {"github.com/devopsfaith/krakend-oauth2-clientcredentials": {}},"#)
        let c = try #require(loadConfig(text))
        #expect(!c.routes[0].isProtected)
        #expect(c.diagnostics.map(\.path) == [#"extra_config["github.com/devopsfaith/krakend-oauth2-clientcredentials"]"#,
                                              #"endpoints[0].extra_config["auth/client-credentials"]"#])
        #expect(c.diagnostics.allSatisfy { $0.message == "the gateway ignores client credentials here; move it into the backend's extra_config" })
        #expect(c.diagnostics.allSatisfy { $0.severity == .warning })
        #expect(c.diagnostics[1].location == position(of: #"{"client_id": "a""#, in: text))
    }

    @Test func unknownKeysAndTheScopeTrap() throws {
        let text = backend(#"{"client_id": "i", "client_secret": "s", "token_url": "https://t", "scope": "a", "endpoint_params": {"scope": ["b"]}}"#)
        let c = try #require(loadConfig(text))
        #expect(c.diagnostics.map(\.path) == [ccPath + ".endpoint_params.scope", ccPath + ".scope"])
        #expect(c.diagnostics.map(\.message) == [
            #"every token fetch fails: oauth2: cannot overwrite parameter "scope" (use "scopes" in the block instead)"#,
            #"unknown key "scope"; the gateway ignores it (did you mean "scopes"?)"#,
        ])
        #expect(c.routes[0].credentials?.scopes == nil)
    }
}

@Suite("Loader: martian")
struct LoaderMartianTests {
    func route(_ martian: String, namespace: String = "modifier/martian") -> (Route?, [Diagnostic]) {
        let text = config(backend: #"{"url_pattern": "/", "host": ["http://h:80"], "extra_config": {"\#(namespace)": \#(martian)}}"#)
        guard let c = loadConfig(text) else { return (nil, []) }
        return (c.routes.first, c.diagnostics)
    }

    @Test func singleHeaderModifierInEitherNamespace() throws {
        for ns in MartianNamespace.allCases {
            let (r, d) = route(#"{"header.Modifier": {"name": "X-A", "value": "1"}}"#, namespace: ns.rawValue)
            #expect(r?.headerModifiers == [HeaderModifier(name: "X-A", value: "1", scopes: [])])
            #expect(r?.headerModifiers.first?.appliesToRequest == true)
            #expect(d.isEmpty)
        }
    }

    @Test func nestedGroupsAreFlattenedInOrder() throws {
        let (r, d) = route("""
        {"fifo.Group": {"scope": ["request", "response"], "modifiers": [
          {"header.Modifier": {"scope": ["request"], "name": "A", "value": "1"}},
          {"fifo.Group": {"modifiers": [
            {"header.Modifier": {"name": "B", "value": "2"}},
            {"fifo.Group": {"scope": ["request"], "modifiers": [
              {"header.Modifier": {"scope": ["request", "response"], "name": "C", "value": "3"}},
              {"header.Modifier": {"scope": ["response"], "name": "D", "value": "4"}}
            ]}}
          ]}},
          {"header.RegexFilter": {"header": "X", "regex": "y", "modifier": {"header.Modifier": {"name": "E", "value": "5"}}}},
          {"body.Modifier": {"contentType": "text/plain", "body": "eA=="}},
          {"header.Modifier": {"scope": ["response"], "name": "F", "value": "6"}}
        ]}}
        """)
        #expect(r?.headerModifiers == [
            HeaderModifier(name: "A", value: "1", scopes: ["request"]),
            HeaderModifier(name: "B", value: "2", scopes: []),
            HeaderModifier(name: "C", value: "3", scopes: ["request"]),  // narrowed by its group
            HeaderModifier(name: "F", value: "6", scopes: ["response"]),
        ])
        #expect(r?.headerModifiers.map(\.appliesToRequest) == [true, true, true, false])
        #expect(r?.otherModifiers == ["header.Modifier D (never applied: out of scope)", "header.RegexFilter", "body.Modifier"])
        #expect(d.isEmpty)
    }

    @Test func bothNamespacesTheCurrentOneWins() throws {
        let text = config(backend: """
        {"url_pattern": "/", "host": ["http://h:80"], "extra_config": {
          "modifier/martian": {"header.Modifier": {"name": "New", "value": "1"}},
          "github.com/devopsfaith/krakend-martian": {"header.Modifier": {"name": "Old", "value": "1"}}
        }}
        """)
        let c = try #require(loadConfig(text))
        #expect(c.routes[0].headerModifiers.map(\.name) == ["New"])
        #expect(c.diagnostics.map(\.path) == [#"endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-martian"]"#])
    }

    /// martian failures are logged by the gateway, which then runs without modifiers: warnings.
    @Test func martianParseFailuresAreWarningsAndApplyNothing() throws {
        let (two, d1) = route(#"{"header.Modifier": {"name": "A", "value": "1"}, "body.Modifier": {"body": ""}}"#)
        #expect(two?.headerModifiers == [])
        #expect(two?.otherModifiers == [])
        #expect(d1.map(\.message) == ["expected exactly one modifier here, found 2 (header.Modifier, body.Modifier); martian rejects this, so the gateway applies no martian modifier to this backend"])
        #expect(d1.first?.path == #"endpoints[0].backend[0].extra_config["modifier/martian"]"#)

        let (badScope, d2) = route(#"{"fifo.Group": {"modifiers": [{"header.Modifier": {"name": "A", "value": "1"}}, {"header.Modifier": {"scope": ["req"], "name": "B", "value": "2"}}]}}"#)
        #expect(badScope?.headerModifiers == [])
        #expect(d2.first?.path == #"endpoints[0].backend[0].extra_config["modifier/martian"]["fifo.Group"].modifiers[1]["header.Modifier"].scope[0]"#)
        #expect(d2.first?.message.hasPrefix("\"req\" is not a valid scope (request or response)") == true)

        let (badType, d3) = route(#"{"fifo.Group": {"modifiers": {"header.Modifier": {"name": "A"}}}}"#)
        #expect(badType?.headerModifiers == [])
        #expect(d3.first?.message.hasPrefix("expected array, found object") == true)
        #expect(d3.allSatisfy { $0.severity == .warning })
    }

    @Test func emptyScopeNeverApplies() throws {
        let (r, _) = route(#"{"header.Modifier": {"scope": [], "name": "A", "value": "1"}}"#)
        #expect(r?.headerModifiers == [])
        #expect(r?.otherModifiers == ["header.Modifier A (never applied: out of scope)"])
    }
}

@Suite("Loader: not JSON, and files")
struct LoaderFileTests {
    @Test func yamlAndTomlByExtension() throws {
        let yaml = try #require(loadFailure("version: 3\n", file: "krakend.yaml")?.errors.first)
        #expect(yaml.message == "tokentop reads JSON configs; convert YAML first, e.g. `yq -o=json '.' krakend.yaml > krakend.json`")
        #expect(loadFailure("{}", file: "conf/KRAKEND.YML")?.errors.first?.message.contains("convert YAML") == true)
        #expect(loadFailure("{}", file: "krakend.toml")?.errors.first?.message
                == "tokentop reads JSON configs; convert TOML first, e.g. `yq -p=toml -o=json '.' krakend.toml > krakend.json`")
    }

    @Test func yamlAndTomlByContent() throws {
        let yaml = try #require(loadFailure("# gateway\nversion: 3\n", file: "krakend.json")?.errors.first)
        #expect(yaml.message.contains("convert YAML"))
        #expect(yaml.location == loc(1, 1))
        #expect(loadFailure("\nversion: 3\nendpoints:\n  - endpoint: /a\n")?.errors.first?.location == loc(2, 1))
        #expect(loadFailure("---\nversion: 3\n")?.errors.first?.message.contains("convert YAML") == true)
        #expect(loadFailure("version = 3\n")?.errors.first?.message.contains("convert TOML") == true)
        #expect(loadFailure("[service]\nport = 8080\n")?.errors.first?.message.contains("convert TOML") == true)
        // A real JSON syntax error is still reported as such.
        #expect(loadFailure("[1, 2,]")?.errors.first?.message.contains("trailing") == true)
    }

    @Test func emptyContent() throws {
        #expect(loadBytesFailure([])?.errors.first?.message == "file is empty")
        #expect(loadFailure(" \n\t")?.errors.first?.message == "file is empty (only whitespace)")
    }

    @Test func syntaxErrorsBecomeDiagnostics() throws {
        let d = try #require(loadFailure("{\n  \"version\": 3,\n}", file: "k.json")?.errors.first)
        #expect(d.description == "k.json:2:15: error: trailing ',' before '}' (JSON does not allow trailing commas)")
        #expect(d.path == "")
    }

    @Test func fileErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokentop-gc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        func failure(_ path: String) -> Diagnostic? {
            do {
                _ = try ConfigLoader.load(path: path, environment: [:])
                Issue.record("expected \(path) to fail")
                return nil
            } catch {
                return error.errors.first
            }
        }

        let missing = dir.appendingPathComponent("nope.json").path
        let m = try #require(failure(missing))
        #expect(m.message == "cannot read: No such file or directory")
        #expect(m.file == missing)
        #expect(m.location == nil)

        #expect(failure(dir.path)?.message == "is a directory")

        let empty = dir.appendingPathComponent("empty.json")
        try Data().write(to: empty)
        #expect(failure(empty.path)?.message == "file is empty")
        #expect(failure(empty.appendingPathComponent("x").path)?.message == "cannot read: Not a directory")

        let good = dir.appendingPathComponent("ok.json")
        try Data(#"{"version": 3, "endpoints": [{"endpoint": "/e", "backend": [{"url_pattern": "/", "host": "h:80"}]}]}"#.utf8).write(to: good)
        #expect(try ConfigLoader.load(path: good.path, environment: [:]).routes.count == 1)

        // Permission bits don't stop root, so only check unreadable files as a normal user.
        if getuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: good.path)
            #expect(failure(good.path)?.message == "cannot read: Permission denied")
        }
    }
}
