import DemoGateway
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import Testing
@testable import TokenKit

/// TokenKit against the real DemoGateway over loopback HTTP: every scenario, the bytes on the wire,
/// auth-style fallback and the request counters.
@Suite(.serialized) struct LoopbackTests {
    /// One demo + transport per test: cheap (loopback, singleton event loop).
    func withDemo(_ body: (DemoGateway, AHCTransport, GatewayConfiguration) async throws -> Void) async throws {
        let demo = try await DemoGateway.start(options: .init(slowDelay: .milliseconds(300)))
        let transport = try AHCTransport(connectTimeout: .seconds(1))
        do {
            let cfg = try ConfigLoader.load(bytes: Array(demo.configJSON().utf8), file: "demo.json")
            try await body(demo, transport, cfg)
        } catch {
            await transport.shutdown(); try? await demo.shutdown(); throw error
        }
        await transport.shutdown()
        try await demo.shutdown()
    }

    func credentials(_ cfg: GatewayConfiguration, _ s: Scenario) throws -> ClientCredentials {
        try #require(cfg.routes.first { $0.endpoint == s.endpointPath }?.credentials, "no route for \(s)")
    }

    func fetch(_ cfg: GatewayConfiguration, _ s: Scenario, _ t: AHCTransport, timeout: Duration = .seconds(5),
               knownStyle: AuthStyle? = nil) async throws -> FetchResult {
        await TokenFetcher(transport: t, timeout: timeout).fetch(try credentials(cfg, s), knownStyle: knownStyle)
    }

    func failure(_ r: FetchResult) -> TokenFailure? { if case .failure(let f) = r.result { return f }; return nil }
    func token(_ r: FetchResult) -> AccessToken? { if case .success(let t) = r.result { return t }; return nil }

    @Test func healthyGivesAJWTWithBasicInOnePost() async throws {
        try await withDemo { demo, t, cfg in
            let r = try await fetch(cfg, .healthy, t)
            let tok = try #require(token(r))
            #expect(tok.expiresIn == 3600)
            #expect(tok.value.split(separator: ".").count == 3)
            #expect(r.style == .basic)
            #expect(demo.tokenRequestCount(clientID: "healthy") == 1)
        }
    }

    @Test func bytesOnTheWireMatchTheGateway() async throws {
        try await withDemo { demo, t, _ in
            demo.registerClient(id: "my id+/:", secret: "s3cr:t/+&%", lifetime: 60)
            let c = ClientCredentials(clientID: "my id+/:", clientSecret: "s3cr:t/+&%", tokenURL: demo.baseURL + "/oauth/token",
                                      scopes: "a, b", endpointParams: ["resource": ["r1", "r2"]])
            let r = await TokenFetcher(transport: t).fetch(c)
            let req = try #require(demo.recordedTokenRequests().last)
            #expect(req.method == "POST")
            #expect(req.bodyText == "grant_type=client_credentials&resource=r1&resource=r2&scope=a++b")
            // base64("my+id%2B%2F%3A:s3cr%3At%2F%2B%26%25")
            #expect(req.header("Authorization") == "Basic bXkraWQlMkIlMkYlM0E6czNjciUzQXQlMkYlMkIlMjYlMjU=")
            #expect(req.header("Content-Type") == "application/x-www-form-urlencoded")
            #expect(req.header("Accept") == nil)
            #expect(req.header("User-Agent") == "Go-http-client/1.1")
            #expect(req.header("Content-Length") == "\(req.body.count)")
            // The demo server decodes the Basic credentials properly, so the first style works.
            #expect(r.style == .basic)
        }
    }

    @Test func auth0RejectsBasicThenBodyWorksAndIsRemembered() async throws {
        try await withDemo { demo, t, cfg in
            let r = try await fetch(cfg, .auth0, t)
            #expect(token(r) != nil)
            #expect(r.exchanges.map(\.style) == [.basic, .body])
            #expect(r.exchanges.map(\.status) == [401, 200])
            let reqs = demo.recordedTokenRequests()
            #expect(reqs.count == 2)
            #expect(reqs[0].header("Authorization")?.hasPrefix("Basic ") == true)
            #expect(reqs[1].header("Authorization") == nil)
            #expect(reqs[1].bodyText == "audience=https%3A%2F%2Fdemo-api&client_id=auth0&client_secret=auth0-secret&grant_type=client_credentials&scope=read")
            #expect(r.style == .body)
            // The caller remembers the style (per token source): the next fetch goes straight to it, one POST.
            let again = try await fetch(cfg, .auth0, t, knownStyle: r.style)
            #expect(again.exchanges.map(\.style) == [.body])
            #expect(demo.tokenRequestCount(clientID: "auth0") == 3)
        }
    }

    @Test func wrongSecretShowsRFCErrorAndWWWAuthenticate() async throws {
        try await withDemo { demo, t, cfg in
            let r = try await fetch(cfg, .wrongSecret, t)
            let f = try #require(failure(r))
            #expect(f.status == 401)
            #expect(f.error == "invalid_client")
            #expect(f.errorDescription?.contains("bad secret") == true)
            #expect(f.wwwAuthenticate?.contains("invalid_client") == true)
            #expect(f.summary.hasPrefix("401 invalid_client: "))
            #expect(r.exchanges.count == 2) // every failed fetch costs two POSTs
            #expect(demo.tokenRequestCount(clientID: "wrong-secret") == 2)
        }
    }

    @Test func empty403() async throws {
        try await withDemo { _, t, cfg in
            let f = try #require(failure(try await fetch(cfg, .empty403, t)))
            #expect(f.summary == "403 Forbidden (empty body)")
            #expect(f.kind == .httpStatus)
        }
    }

    @Test func flakyFailsWithHTMLThenRecovers() async throws {
        try await withDemo { _, t, cfg in
            var statuses: [Int?] = []
            for _ in 0..<2 { statuses += try await fetch(cfg, .flaky, t).exchanges.map(\.status) }
            #expect(statuses.contains(500))
            #expect(statuses.contains(200))
        }
    }

    @Test func slowAnswersAfterTheDelay() async throws {
        try await withDemo { _, t, cfg in
            let r = try await fetch(cfg, .slow, t)
            #expect(token(r) != nil)
            #expect(r.exchanges[0].duration >= 0.29)
        }
    }

    @Test func expiryVariants() async throws {
        try await withDemo { _, t, cfg in
            #expect(token(try await fetch(cfg, .stringExpiry, t))?.expiresIn == 3600)
            #expect(token(try await fetch(cfg, .shortLived, t))?.expiresIn == 20)
            let noExp = try #require(token(try await fetch(cfg, .noExpiry, t)))
            #expect(noExp.expiry == nil)
            let neg = try #require(token(try await fetch(cfg, .negativeExpiry, t)))
            #expect(neg.isExpired(at: Date()))
            #expect(failure(try await fetch(cfg, .fractionExpiry, t))?.kind == .malformedResponse)
        }
    }

    @Test func formEncodedResponse() async throws {
        try await withDemo { _, t, cfg in
            let tok = try #require(token(try await fetch(cfg, .formEncoded, t)))
            #expect(tok.expiresIn == 3600)
            #expect(tok.tokenType == "Bearer")
        }
    }

    @Test func errorWith200() async throws {
        try await withDemo { _, t, cfg in
            let f = try #require(failure(try await fetch(cfg, .error200, t)))
            #expect(f.kind == .errorField)
            #expect(f.error == "invalid_scope")
            #expect(f.status == 200)
        }
    }

    @Test func oversizedBodyIsCutAtOneMiB() async throws {
        try await withDemo { _, t, cfg in
            let f = try #require(failure(try await fetch(cfg, .oversized, t)))
            #expect(f.kind == .malformedResponse)
            #expect(f.message.contains("1 MiB"))
        }
    }

    @Test func missingTokenAndGarbage() async throws {
        try await withDemo { _, t, cfg in
            let missing = try await fetch(cfg, .missingToken, t)
            let garbage = try await fetch(cfg, .garbage, t)
            #expect(failure(missing)?.kind == .missingAccessToken)
            #expect(failure(garbage)?.kind == .malformedResponse)
        }
    }

    @Test func hangHitsTheDeadline() async throws {
        try await withDemo { _, t, cfg in
            let started = ContinuousClock.now
            let f = try #require(failure(try await fetch(cfg, .hang, t, timeout: .milliseconds(400))))
            #expect(f.kind == .transport)
            #expect(f.transportError == .deadlineExceeded(seconds: 0.4))
            #expect(f.summary.contains("timeout"))
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func rateLimitedKeepsRetryAfter() async throws {
        try await withDemo { _, t, cfg in
            let f = try #require(failure(try await fetch(cfg, .rateLimited, t)))
            #expect(f.status == 429)
            #expect(f.retryAfter == "7")
        }
    }

    @Test func connectionRefusedInPlainWords() async throws {
        let t = try AHCTransport(connectTimeout: .seconds(1))
        // Port 9 (discard) on loopback: nothing listens there on these machines.
        let c = ClientCredentials(clientID: "x", clientSecret: "y", tokenURL: "http://127.0.0.1:9/token", scopes: nil)
        let r = await TokenFetcher(transport: t, timeout: .seconds(2)).fetch(c)
        await t.shutdown()
        let f = try #require(failure(r))
        #expect(f.kind == .transport)
        #expect(f.summary == "connection refused by 127.0.0.1:9")
    }

    @Test func managerOverRealHTTPSharesTokensAndCountsPosts() async throws {
        try await withDemo { demo, t, cfg in
            let m = TokenManager(routes: cfg.routes, fetcher: TokenFetcher(transport: t, timeout: .seconds(1)))
            await m.fetchAllOnce()
            let snaps = await m.snapshot()
            let now = Date()
            func state(_ s: Scenario) async -> TokenState? {
                guard let r = cfg.routes.first(where: { $0.endpoint == s.endpointPath }), let e = await m.entryID(forRoute: r.id) else { return nil }
                return snaps[e].state(at: now)
            }
            #expect(await state(.healthy) == .valid)
            #expect(await state(.noExpiry) == .noExpiry)
            #expect(await state(.wrongSecret) == .failed)
            // Already expired on arrival: the gateway fetches one for every call; works, a warning.
            #expect(await state(.negativeExpiry) == .perCall)
            #expect(await state(.hang) == .failed)
            // The healthy credentials are used by several routes but fetched once.
            let shared = try #require(snaps.first { $0.credentials.clientID == "healthy" })
            #expect(shared.routeIDs.count >= 2)
            #expect(demo.tokenRequestCount(clientID: "healthy") == 1)
            // Forced refresh: exactly one more POST.
            await m.refresh(entry: shared.id)
            #expect(demo.tokenRequestCount(clientID: "healthy") == 2)
        }
    }
}
