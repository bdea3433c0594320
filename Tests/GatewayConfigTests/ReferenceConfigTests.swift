import Foundation
import Testing
@testable import GatewayConfig

@Suite("Reference configs (shared/reference/configs)")
struct ReferenceConfigTests {
    func load(_ name: String) throws -> GatewayConfiguration {
        try ConfigLoader.load(path: referenceConfigs.appendingPathComponent(name).path, environment: [:])
    }

    @Test func allReferenceConfigsLoad() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: referenceConfigs.path).filter { $0.hasSuffix(".json") }
        #expect(files.count == 7)
        for file in files {
            let config = try load(file)
            #expect(!config.routes.isEmpty, "\(file)")
            #expect(config.diagnostics.allSatisfy { $0.severity == .warning }, "\(file)")
        }
    }

    @Test func v1LuraExample() throws {
        let c = try load("01_v1_lura-0.3_docs-CONFIG-example.json")
        #expect(c.version == 1)
        #expect(c.name == "My lovely gateway")
        #expect(!c.isFragment)
        #expect(c.rootHosts == ["http://127.0.0.1:8080", "http://127.0.0.2:8000", "http://127.0.0.3:9000", "http://127.0.0.4"])
        #expect(c.routes.count == 6)
        #expect(c.routes.map(\.id) == Array(0..<6))
        #expect(c.routes.map(\.endpoint) == ["/users/{user}", "/users/{user}", "/foo/bar", "/github",
                                             "/combination/{id}/{supu}", "/combination/{id}/{supu}"])
        #expect(c.routes[0].hosts == ["http://127.0.0.3:9000", "http://127.0.0.4"])
        #expect(c.routes[0].path == "endpoints[0].backend[0]")
        #expect(c.routes[1].path == "endpoints[0].backend[1]")
        #expect(c.routes[1].backendIndex == 1)
        #expect(c.routes[2].method == "POST")
        #expect(c.routes[2].hosts == ["https://127.0.0.1:8081"])
        #expect(c.routes[4].urlPattern == "/posts/{id}?supu={supu}")
        #expect(c.routes[4].endpointIndex == 3)
        // Integer timeouts are nanoseconds to the gateway.
        #expect(c.routes[2].timeout == .nanoseconds(10000))
        #expect(c.routes.allSatisfy { !$0.isProtected && $0.headerModifiers.isEmpty })
        #expect(c.diagnostics.isEmpty)
    }

    @Test func v2DisabledCredentialsWithDNS() throws {
        let c = try load("02_v2_linuxbrew-formula-test_oauth2-disabled.json")
        #expect(c.version == 2)
        #expect(c.routes.count == 1)
        let r = c.routes[0]
        #expect(r.serviceDiscovery == .dns)
        #expect(r.disableHostSanitize)
        #expect(r.hosts == ["host1"])  // a service name, verbatim
        #expect(r.isProtected && r.isDisabled)
        let cc = try #require(r.credentials)
        #expect(cc.namespace == .legacy)
        #expect(cc.clientID.isEmpty && cc.tokenURL.isEmpty)
        #expect(cc.endpointParams.isEmpty)
        #expect(cc.path == #"endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-oauth2-clientcredentials"]"#)
        #expect(cc.location == SourceLocation(line: 31, column: 72))
        #expect(r.timeout == .seconds(2))  // KrakenD's default
        #expect(c.diagnostics.isEmpty)
    }

    @Test(arguments: [("03_v2_krakend-ce-v1.4.1_krakend.json", 2), ("05_v3_krakend-ce_krakend.json", 3)])
    func krakendCESample(file: String, version: Int) throws {
        let c = try load(file)
        #expect(c.version == version)
        #expect(c.routes.count == 5)
        #expect(c.routes.map(\.endpoint) == ["/supu", "/github/{user}", "/private/{user}", "/show/{id}", "/show/{id}"])
        let xMartian = HeaderModifier(name: "X-Martian", value: "ouh yeah!", scopes: ["request", "response"])
        #expect(c.routes[0].headerModifiers == [xMartian])
        // The header.Modifier inside the RegexFilter is conditional: recorded as the filter.
        #expect(c.routes[0].otherModifiers == ["header.RegexFilter"])
        #expect(c.routes[1].headerModifiers == [xMartian])
        #expect(c.routes[1].otherModifiers == ["body.Modifier", "header.RegexFilter"])
        #expect(c.routes[1].disableHostSanitize)
        #expect(c.routes[1].hosts == ["https://api.github.com"])
        #expect(c.routes[3].hosts == ["http://showrss.info"])  // trailing slash dropped
        #expect(c.routes.allSatisfy { $0.timeout == .seconds(3) && !$0.isProtected })
        #expect(c.diagnostics.isEmpty)
    }

    @Test func basicAuthMartianWithRootHosts() throws {
        let c = try load("09_v3_examples_basic-auth-martian_krakend.json")
        #expect(c.version == 3)
        #expect(c.rootHosts == ["http://fake_api:8080"])
        #expect(c.routes.count == 2)
        #expect(c.routes.allSatisfy { $0.hosts == ["http://fake_api:8080"] })
        #expect(c.routes[0].headerModifiers.isEmpty)
        #expect(c.routes[1].headerModifiers == [HeaderModifier(name: "Authorization", value: "Basic a3Jha2VuZDpwYXNzd29yZA==", scopes: ["request"])])
        #expect(c.routes[1].headerModifiers[0].appliesToRequest)
    }

    @Test(arguments: [
        ("14_fragment_v3_docs_auth0-client-credentials-martian_endpoint.json", CredentialsNamespace.current),
        ("15_fragment_v2_docs-v1.4_auth0-client-credentials-martian_endpoint.json", CredentialsNamespace.legacy),
    ])
    func auth0Fragments(file: String, namespace: CredentialsNamespace) throws {
        let c = try load(file)
        #expect(c.isFragment)
        #expect(c.version == nil)
        #expect(c.routes.count == 1)
        #expect(c.diagnostics.map(\.message) == ["this is an endpoint fragment, not a full config"])
        #expect(c.diagnostics.first?.severity == .warning)
        let r = c.routes[0]
        #expect(r.endpoint == "/endpoint")
        #expect(r.path == "backend[0]")
        #expect(r.hosts.isEmpty)
        let cc = try #require(r.credentials)
        #expect(cc.namespace == namespace)
        #expect(cc.clientID == "YOUR-CLIENT-ID")
        #expect(cc.clientSecret == "YOUR-CLIENT-SECRET")
        #expect(cc.tokenURL == "https://custom.auth0.tld/token_endpoint")
        #expect(cc.scopes == nil)
        #expect(cc.endpointParams == ["client_id": ["YOUR-CLIENT-ID"], "client_secret": ["YOUR-CLIENT-SECRET"], "audience": ["YOUR-AUDIENCE"]])
        #expect(!cc.isDisabled)
        // The group's scope is request+response, the modifier's request: effective request.
        #expect(r.headerModifiers == [HeaderModifier(name: "Accept", value: "application/json", scopes: ["request"])])
    }
}
