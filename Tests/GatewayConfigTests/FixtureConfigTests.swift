import Foundation
import Testing
@testable import GatewayConfig

/// The configs of `Tests/Fixtures/configs` (what each stands for: its README.md). Expected values
/// are read off the fixture files; positions are computed from their text by `position(of:in:)`,
/// independently of the parser.
@Suite("Fixture configs (Tests/Fixtures/configs)")
struct FixtureConfigTests {
    func load(_ name: String) throws -> GatewayConfiguration {
        try ConfigLoader.load(path: fixturePath(name), environment: [:])
    }

    /// Where the object value of `"key": {` starts in `text` (the `{`).
    func objectValue(of key: String, in text: String) -> GatewayConfig.SourceLocation {
        let p = position(of: "\"\(key)\": {", in: text)
        return GatewayConfig.SourceLocation(line: p.line, column: p.column + key.count + 4)
    }

    @Test func allFixtureConfigsLoad() throws {
        let files = try fixtureConfigFiles()
        #expect(files.count == 8)
        for file in files {
            let config = try load(file)
            #expect(!config.routes.isEmpty, "\(file)")
            #expect(config.diagnostics.allSatisfy { $0.severity == .warning }, "\(file)")
        }
    }

    @Test func v1Config() throws {
        let c = try load("v1-parcels.json")
        #expect(c.version == 1)
        #expect(c.name == "Parcel tracking gateway")
        #expect(!c.isFragment)
        // Root hosts are sanitised: the bare name gets http://.
        #expect(c.rootHosts == ["http://10.20.0.11:7001", "http://10.20.0.12:7001", "http://tracking-legacy"])
        #expect(c.routes.count == 6)
        #expect(c.routes.map(\.id) == Array(0..<6))
        #expect(c.routes.map(\.endpoint) == ["/parcels/{parcel}", "/parcels/{parcel}", "/labels", "/depots",
                                             "/route/{depot}/{day}", "/route/{depot}/{day}"])
        #expect(c.routes[0].hosts == ["http://10.20.0.21:7100", "http://10.20.0.22"])
        #expect(c.routes[0].path == "endpoints[0].backend[0]")
        #expect(c.routes[1].path == "endpoints[0].backend[1]")
        #expect(c.routes[1].backendIndex == 1)
        #expect(c.routes[1].hosts == ["http://10.20.0.11:7001"])
        #expect(c.routes[2].method == "POST")
        #expect(c.routes[2].hosts == ["https://10.20.0.30:8443"])
        // A backend without hosts takes the root list; its method defaults to GET.
        #expect(c.routes[3].hosts == c.rootHosts)
        #expect(c.routes[3].method == "GET")
        #expect(c.routes[4].urlPattern == "/plan/{depot}?day={day}")
        #expect(c.routes[4].endpointIndex == 3)
        #expect(c.routes[5].backendIndex == 1)
        // Integer timeouts are nanoseconds to the gateway; an endpoint without one takes the root's.
        #expect(c.routes[0].timeout == .nanoseconds(1500))
        #expect(c.routes[2].timeout == .nanoseconds(25000))
        #expect(c.routes[3].timeout == .nanoseconds(5000))
        #expect(c.routes.allSatisfy { !$0.isProtected && $0.headerModifiers.isEmpty })
        #expect(c.diagnostics.isEmpty)
    }

    @Test func v2DisabledCredentialsWithDNS() throws {
        let name = "v2-inventory-disabled-dns.json"
        let c = try load(name)
        #expect(c.version == 2)
        #expect(c.routes.count == 1)
        let r = c.routes[0]
        #expect(r.serviceDiscovery == .dns)
        #expect(r.disableHostSanitize)
        #expect(r.hosts == ["inventory.service.consul"])  // a service name, verbatim
        #expect(r.isProtected && r.isDisabled)
        let cc = try #require(r.credentials)
        #expect(cc.namespace == .legacy)
        // A disabled block needs no field: the missing ones are empty, and nothing is reported.
        #expect(cc.clientID.isEmpty && cc.clientSecret.isEmpty && cc.tokenURL.isEmpty)
        #expect(cc.endpointParams.isEmpty)
        #expect(cc.path == #"endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-oauth2-clientcredentials"]"#)
        #expect(cc.location == objectValue(of: CredentialsNamespace.legacy.rawValue, in: try fixtureText(name)))
        #expect(r.timeout == .seconds(2))  // KrakenD's default
        #expect(c.diagnostics.isEmpty)
    }

    @Test(arguments: [("v2-storefront-ce-style.json", 2), ("v3-storefront-ce-style.json", 3)])
    func ceStyleSample(file: String, version: Int) throws {
        let c = try load(file)
        #expect(c.version == version)
        #expect(c.routes.count == 5)
        #expect(c.routes.map(\.endpoint) == ["/catalog", "/reviews/{sku}", "/account/{user}", "/feed/{id}", "/feed/{id}"])
        let xGateway = HeaderModifier(name: "X-Gateway", value: "storefront", scopes: ["request", "response"])
        #expect(c.routes[0].headerModifiers == [xGateway])
        // The header.Modifier inside the RegexFilter is conditional: recorded as the filter.
        #expect(c.routes[0].otherModifiers == ["header.RegexFilter"])
        #expect(c.routes[1].headerModifiers == [xGateway])
        #expect(c.routes[1].otherModifiers == ["body.Modifier", "header.RegexFilter"])
        #expect(c.routes[1].disableHostSanitize)
        #expect(c.routes[1].hosts == ["https://reviews.example.org"])
        #expect(c.routes[2].hosts == ["http://accounts.example.org"])
        #expect(c.routes[3].hosts == ["http://feeds.example.org"])  // trailing slash dropped
        #expect(c.routes[4].hosts == ["http://feeds.example.org"])
        #expect(c.routes[4].urlPattern == "/offers/{id}.rss")
        #expect(c.routes.allSatisfy { $0.timeout == .seconds(3) && !$0.isProtected })
        #expect(c.diagnostics.isEmpty)
    }

    @Test func basicAuthMartianWithRootHosts() throws {
        let c = try load("v3-billing-basic-auth-martian.json")
        #expect(c.version == 3)
        #expect(c.rootHosts == ["http://billing-legacy:9090"])
        #expect(c.routes.count == 2)
        #expect(c.routes.allSatisfy { $0.hosts == ["http://billing-legacy:9090"] })
        #expect(c.routes[0].headerModifiers.isEmpty)
        #expect(c.routes[1].headerModifiers == [HeaderModifier(name: "Authorization", value: "Basic YmlsbGluZzpub3QtYS1yZWFsLXBhc3N3b3Jk",
                                                               scopes: ["request"])])
        #expect(c.routes[1].headerModifiers[0].appliesToRequest)
        #expect(c.routes.allSatisfy { !$0.isProtected })
    }

    /// A public client with no client_secret (a password grant): the gateway starts and serves
    /// it, so the file loads, with an empty secret and one warning on the block.
    @Test func publicClientWithoutSecretLoads() throws {
        let name = "v3-public-client-no-secret.json"
        let c = try load(name)
        #expect(c.routes.count == 1)
        let cc = try #require(c.routes[0].credentials)
        #expect(cc.clientID == "reporting-cli")
        #expect(cc.clientSecret == "")
        #expect(cc.tokenURL == "https://sso.example.com/realms/ops/protocol/openid-connect/token")
        #expect(cc.scopes == "reports:read")
        #expect(cc.endpointParams == ["grant_type": ["password"], "username": ["report-bot"], "password": ["example-only"]])
        #expect(c.routes[0].isProtected && !c.routes[0].isDisabled)
        let location = objectValue(of: CredentialsNamespace.current.rawValue, in: try fixtureText(name))
        #expect(c.diagnostics.map(\.description) == [
            "\(fixturePath(name)):\(location.line):\(location.column): warning: "
                + #"endpoints[0].backend[0].extra_config["auth/client-credentials"]: "#
                + #"missing "client_secret": the gateway sends an empty secret (Basic auth "client_id:", then the body without client_secret)"#,
        ])
    }

    @Test(arguments: [
        ("fragment-v3-auth0-style-endpoint.json", CredentialsNamespace.current),
        ("fragment-v2-auth0-style-endpoint.json", CredentialsNamespace.legacy),
    ])
    func auth0StyleFragments(file: String, namespace: CredentialsNamespace) throws {
        let c = try load(file)
        #expect(c.isFragment)
        #expect(c.version == nil)
        #expect(c.routes.count == 1)
        #expect(c.diagnostics.map(\.message) == ["this is an endpoint fragment, not a full config"])
        #expect(c.diagnostics.first?.severity == .warning)
        let r = c.routes[0]
        #expect(r.endpoint == "/shipments")
        #expect(r.path == "backend[0]")
        #expect(r.hosts.isEmpty)
        let cc = try #require(r.credentials)
        #expect(cc.namespace == namespace)
        #expect(cc.location == objectValue(of: namespace.rawValue, in: try fixtureText(file)))
        #expect(cc.clientID == "EXAMPLE-CLIENT-ID")
        #expect(cc.clientSecret == "EXAMPLE-CLIENT-SECRET")
        #expect(cc.tokenURL == "https://tenant.idp.example/oauth/token")
        #expect(cc.scopes == nil)
        #expect(cc.endpointParams == ["client_id": ["EXAMPLE-CLIENT-ID"], "client_secret": ["EXAMPLE-CLIENT-SECRET"],
                                      "audience": ["https://shipments.api.example"]])
        #expect(!cc.isDisabled)
        // The group's scope is request+response, the modifier's request: effective request.
        #expect(r.headerModifiers == [HeaderModifier(name: "Accept", value: "application/json", scopes: ["request"])])
    }
}
