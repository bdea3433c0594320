import BackendCall
import Foundation
import GatewayConfig
import Testing
import TokenKit

/// Building the request, without any network.
@Suite struct PlanTests {
    @Test func placeholderKindsAndNotes() {
        let route = makeRoute(endpoint: "/orders/{id}", hosts: ["http://x"],
                              urlPattern: "/o/{id}/{resp0_user.id}/{JWT.sub}?{not-valid!}&v={id}&w={ghost}")
        let ps = BackendCallBuilder.placeholders(in: route)
        #expect(ps.map(\.name) == ["id", "resp0_user.id", "JWT.sub", "ghost"])
        #expect(ps.map(\.kind) == [.path, .response, .jwt, .path])
        #expect(ps.map(\.inQuery) == [false, false, false, true])
        #expect(ps[0].note == "from the endpoint path /orders/{id}")
        #expect(ps[1].note.contains("backend 0"))
        #expect(ps[1].note.contains("at run time"))
        #expect(ps[2].note.contains("claim 'sub'"))
        #expect(ps[3].note.contains("undefined output param"))
        #expect(ps[1].isRuntimeOnly && ps[2].isRuntimeOnly && !ps[0].isRuntimeOnly)
    }

    /// Test calls and lint read placeholders by the same rules (GatewayRules, after lura): an
    /// endpoint parameter is a `{name}` right after a `/` (any `{name}` with `disable_rest`), and
    /// `resp<N>_` needs something after the underscore. Test calls used to accept `{x}` anywhere
    /// in the endpoint and a bare `resp0_`, and so disagreed with lint and the gateway.
    @Test func placeholderRulesAreTheGatewaysAsInLint() {
        var route = makeRoute(endpoint: "/orders/v{id}", hosts: ["http://x"], urlPattern: "/o/{id}/{resp0_}")
        var ps = BackendCallBuilder.placeholders(in: route)
        #expect(ps.map(\.kind) == [.path, .path])
        #expect(ps[0].note.contains("undefined output param"), "{id} after 'v' is no parameter for lura: \(ps[0].note)")
        #expect(ps[1].note.contains("undefined output param"), "a bare resp0_ is no sequential value: \(ps[1].note)")
        route.disableREST = true
        ps = BackendCallBuilder.placeholders(in: route)
        #expect(ps[0].note == "from the endpoint path /orders/v{id}")
    }

    @Test func disableRESTIsReadFromTheRoot() throws {
        let json = #"{"version": 3, "disable_rest": true, "endpoints": [{"endpoint": "/a", "backend": [{"host": ["http://x"], "url_pattern": "/b"}]}]}"#
        let cfg = try ConfigLoader.load(bytes: Array(json.utf8), file: "t.json")
        #expect(cfg.routes.first?.disableREST == true)
        let plain = try ConfigLoader.load(bytes: Array(json.replacingOccurrences(of: "true", with: "false").utf8), file: "t.json")
        #expect(plain.routes.first?.disableREST == false)
    }

    @Test func fillsEveryOccurrenceAndKeepsLiteralBraces() throws {
        let route = makeRoute(endpoint: "/orders/{id}", hosts: ["http://x:8080"],
                              urlPattern: "/o/{id}/{resp0_user.id}/{JWT.sub}?{not-valid!}&v={id}")
        let plan = try BackendCallBuilder.plan(route: route, params: ["id": "7 8", "resp0_user.id": "u1", "JWT.sub": "alice"], token: nil)
        #expect(plan.request.url == "http://x:8080/o/7%208/u1/alice?{not-valid!}&v=7%208")
        #expect(plan.notes.contains("{resp0_user.id} is filled by the gateway at run time; the value given here is a stand-in"))
        #expect(plan.notes.contains("{JWT.sub} is filled by the gateway at run time; the value given here is a stand-in"))
    }

    @Test func missingValuesAreAllNamed() {
        let route = makeRoute(endpoint: "/a/{x}/{y}", hosts: ["http://x"], urlPattern: "/b/{x}/{y}/{JWT.sub}")
        #expect(throws: BackendCallError.missingPlaceholders(BackendCallBuilder.placeholders(in: route).filter { $0.name != "x" })) {
            try BackendCallBuilder.plan(route: route, params: ["x": "1"], token: nil)
        }
        let e = BackendCallError.missingPlaceholders(BackendCallBuilder.placeholders(in: route))
        #expect(e.description == "missing values for {x}, {y}, {JWT.sub} in the url_pattern")
    }

    @Test func escaping() {
        #expect(URLEscaping.pathSegment("a b/c?d#e%f") == "a%20b%2Fc%3Fd%23e%25f")
        #expect(URLEscaping.pathSegment("ok-._~!$&'()*+,;=:@") == "ok-._~!$&'()*+,;=:@")
        #expect(URLEscaping.queryValue("a&b=c+d e#/?") == "a%26b%3Dc%2Bd%20e%23/?")
        #expect(URLEscaping.pathSegment("é") == "%C3%A9")
    }

    @Test func headerOrderMartianThenTokenOverwrites() throws {
        let route = makeRoute(hosts: ["http://x"], urlPattern: "/p", credentials: ClientCredentials(
            clientID: "c", clientSecret: "s", tokenURL: "http://t/token", scopes: nil), modifiers: [
            HeaderModifier(name: "X-Demo", value: "yes", scopes: ["request"]),
            HeaderModifier(name: "Authorization", value: "Basic Zm9vOmJhcg==", scopes: []),
            HeaderModifier(name: "X-Response-Only", value: "1", scopes: ["response"]),
            HeaderModifier(name: "x-demo", value: "twice", scopes: ["request", "response"]),
        ])
        let token = AccessToken(value: "tok-" + String(repeating: "a", count: 30), rawTokenType: "", expiresIn: 60, receivedAt: Date())
        let plan = try BackendCallBuilder.plan(route: route, options: CallOptions(extraHeaders: [
            HTTPHeader("X-Demo", "mine"), HTTPHeader("X-Mine", "1"), HTTPHeader("user-agent", "curl"),
        ]), token: token)
        #expect(plan.request.headers == [
            HTTPHeader("user-agent", "curl"),
            HTTPHeader("x-demo", "twice"),
            HTTPHeader("X-Mine", "1"),
            HTTPHeader("Authorization", "Bearer \(token.value)"),
        ])
        #expect(plan.notes.contains("martian sets Authorization; the gateway overwrites it with the token"))
        #expect(plan.notes.contains { $0.contains("replaces the given header X-Demo") })
        #expect(plan.tokenMasked == token.masked)
        #expect(plan.displayRequest.headers.last?.value == "Bearer \(token.masked)")
        #expect(!"\(plan.displayRequest)".contains(token.value))
    }

    @Test func methodAndBodyRules() throws {
        let get = makeRoute(hosts: ["http://x"], urlPattern: "/p")
        #expect(throws: BackendCallError.bodyNotAllowed(method: "GET")) {
            try BackendCallBuilder.plan(route: get, body: Array("x".utf8), token: nil)
        }
        let put = try BackendCallBuilder.plan(route: get, options: CallOptions(method: "put", body: Array("hello".utf8)), token: nil)
        #expect(put.request.method == "PUT")
        #expect(put.request.headers.first(named: "Content-Type") == "text/plain; charset=utf-8")
        #expect(put.notes.contains("method PUT instead of the backend's GET"))
        #expect(BackendCallBuilder.guessContentType(Array(#" {"a":1}"#.utf8)) == "application/json")
        #expect(BackendCallBuilder.guessContentType([0xff, 0x00]) == "application/octet-stream")
        // An explicit Content-Type wins over the guess.
        let typed = try BackendCallBuilder.plan(route: get, options: CallOptions(method: "POST",
            extraHeaders: [HTTPHeader("Content-Type", "application/xml")], body: Array("<a/>".utf8)), token: nil)
        #expect(typed.request.headers.filter { $0.name.lowercased() == "content-type" }.map(\.value) == ["application/xml"])
        #expect(throws: BackendCallError.invalidMethod("GE T")) {
            try BackendCallBuilder.plan(route: get, options: CallOptions(method: "GE T"), token: nil)
        }
        #expect(throws: BackendCallError.invalidHeader("X-A: b\r\nEvil: 1")) {
            try BackendCallBuilder.plan(route: get, options: CallOptions(extraHeaders: [HTTPHeader("X-A", "b\r\nEvil: 1")]), token: nil)
        }
    }

    @Test func hostsAndServiceDiscovery() throws {
        let dns = makeRoute(hosts: ["my-service.consul"], urlPattern: "/p", sd: .dns)
        #expect(throws: BackendCallError.serviceDiscovery(.dns, service: "my-service.consul")) {
            try BackendCallBuilder.plan(route: dns, token: nil)
        }
        #expect(BackendCallError.serviceDiscovery(.dns, service: "s").description.contains("--host URL"))
        let viaHost = try BackendCallBuilder.plan(route: dns, options: CallOptions(hostOverride: "https://10.0.0.1:8443/"), token: nil)
        #expect(viaHost.request.url == "https://10.0.0.1:8443/p")

        let multi = makeRoute(hosts: ["http://a", "http://b:81"], urlPattern: "/p")
        let second = try BackendCallBuilder.plan(route: multi, hostIndex: 1, token: nil)
        #expect(second.request.url == "http://b:81/p")
        #expect(second.notes.contains { $0.contains("2 hosts") && $0.contains("http://b:81") })
        #expect(throws: BackendCallError.hostIndexOutOfRange(index: 2, count: 2)) {
            try BackendCallBuilder.plan(route: multi, hostIndex: 2, token: nil)
        }
        #expect(throws: BackendCallError.noHost) { try BackendCallBuilder.plan(route: makeRoute(hosts: [], urlPattern: "/p"), token: nil) }
        #expect(throws: BackendCallError.invalidHost("ftp://x")) {
            try BackendCallBuilder.plan(route: multi, options: CallOptions(hostOverride: "ftp://x"), token: nil)
        }
        #expect(try BackendCallBuilder.sanitizeHost("localhost:8080") == "http://localhost:8080")
    }

    @Test func disabledCredentialsAndOtherModifiersAreNoted() throws {
        let route = makeRoute(hosts: ["http://x"], urlPattern: "p", credentials: ClientCredentials(
            clientID: "c", clientSecret: "s", tokenURL: "http://t", scopes: nil, isDisabled: true), other: ["body.Modifier"])
        let plan = try BackendCallBuilder.plan(route: route, params: ["unused": "1"], token: nil)
        #expect(plan.request.url == "http://x/p")
        #expect(plan.notes.contains { $0.contains("is_disabled") })
        #expect(plan.notes.contains("martian body.Modifier is not reproduced by tokentop"))
        #expect(plan.notes.contains("ignored parameter not in the url_pattern: unused"))
    }
}
