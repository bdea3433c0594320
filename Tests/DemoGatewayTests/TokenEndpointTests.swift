import AsyncHTTPClient
import DemoGateway
import Foundation
import NIOCore
import Testing

@Suite("Token endpoint: scenarios")
struct TokenScenarioTests {
    @Test func healthyIssuesJWT() async throws {
        try await withGateway { gateway, client in
            let response = try await client.token(.healthy, extra: "&scope=read+write")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Cache-Control") == "no-store")
            let body = try response.json()
            #expect(body["token_type"] as? String == "Bearer")
            #expect(body["expires_in"] as? Int == 3600)
            #expect(body["scope"] as? String == "read write")
            let token = try #require(body["access_token"] as? String)
            let header = try jwtPart(token, 0)
            #expect(header["alg"] as? String == "HS256")
            #expect(header["typ"] as? String == "JWT")
            let claims = try jwtPart(token, 1)
            #expect(claims["iss"] as? String == gateway.baseURL)
            #expect(claims["sub"] as? String == "healthy")
            #expect(claims["scope"] as? String == "read write")
            #expect(claims["aud"] is String)
            #expect(claims["jti"] is String)
            let iat = try #require(claims["iat"] as? Int)
            let exp = try #require(claims["exp"] as? Int)
            #expect(exp - iat == 3600)
            #expect(abs(Double(iat) - Date().timeIntervalSince1970) < 60)
        }
    }

    @Test func emptyScopeGrantsTheClientsScopes() async throws {
        // The gateway sends `scope=` when the config has no scopes: that must not fail.
        try await withGateway { _, client in
            let body = try await client.token(.healthy, extra: "&scope=").json()
            #expect(body["scope"] as? String == "read write")
            // "read, write" in a config becomes `scope=read++write`: two spaces, still fine.
            let body2 = try await client.token(.healthy, extra: "&scope=read++write").json()
            #expect(body2["scope"] as? String == "read write")
        }
    }

    @Test func scopeNotAllowedIsInvalidScope() async throws {
        try await withGateway { _, client in
            let response = try await client.token(.healthy, extra: "&scope=admin")
            #expect(response.status == 400)
            #expect(try response.json()["error"] as? String == "invalid_scope")
        }
    }

    @Test(arguments: [(Scenario.shortLived, 20), (.flaky, 60), (.stringExpiry, 3600), (.slow, 3600)])
    func lifetimes(scenario: Scenario, seconds: Int) async throws {
        try await withGateway(options: .init(slowDelay: .milliseconds(50))) { _, client in
            let body = try await client.token(scenario).json()
            if scenario == .stringExpiry {
                #expect(body["expires_in"] as? String == String(seconds))
            } else {
                #expect(body["expires_in"] as? Int == seconds)
            }
            #expect(body["access_token"] is String)
        }
    }

    @Test func noExpiryOmitsExpiresIn() async throws {
        try await withGateway { _, client in
            let response = try await client.token(.noExpiry)
            #expect(response.status == 200)
            let body = try response.json()
            #expect(body["access_token"] is String)
            #expect(body["expires_in"] == nil)
            #expect(!response.text.contains("expires_in"))
            let claims = try jwtPart(body["access_token"] as! String, 1)
            #expect(claims["exp"] == nil)
        }
    }

    @Test func negativeAndFractionExpiry() async throws {
        try await withGateway { _, client in
            let negative = try await client.token(.negativeExpiry)
            #expect(negative.status == 200)
            #expect(negative.text.contains(#""expires_in":-5"#))
            let fraction = try await client.token(.fractionExpiry)
            #expect(fraction.status == 200)
            #expect(fraction.text.contains(#""expires_in":3599.5"#))
        }
    }

    @Test func auth0WantsBodyCredentialsAndAudience() async throws {
        try await withGateway { _, client in
            let form = "grant_type=client_credentials&client_id=auth0&client_secret=auth0-secret"
            // Basic is refused even with good credentials, the way Auth0 does it.
            let basic = try await client.postForm(Scenario.auth0.tokenPath,
                                                  "grant_type=client_credentials&audience=https%3A%2F%2Fdemo-api",
                                                  headers: [("Authorization", basicAuthorization(id: "auth0", secret: "auth0-secret"))])
            #expect(basic.status == 401)
            #expect(try basic.json()["error"] as? String == "access_denied")
            #expect(try basic.json()["error_description"] as? String == "Unauthorized")

            let noAudience = try await client.postForm(Scenario.auth0.tokenPath, form)
            #expect(noAudience.status == 403)
            #expect(try noAudience.json()["error"] as? String == "access_denied")
            #expect(try noAudience.json()["error_description"] as? String
                == "No audience parameter was provided, and no default audience has been configured")

            let wrongAudience = try await client.postForm(Scenario.auth0.tokenPath, form + "&audience=https%3A%2F%2Fother")
            #expect(wrongAudience.status == 403)

            let badSecret = try await client.postForm(
                Scenario.auth0.tokenPath,
                "grant_type=client_credentials&client_id=auth0&client_secret=nope&audience=https%3A%2F%2Fdemo-api")
            #expect(badSecret.status == 401)
            #expect(try badSecret.json()["error"] as? String == "access_denied")

            let ok = try await client.postForm(Scenario.auth0.tokenPath, form + "&audience=https%3A%2F%2Fdemo-api")
            #expect(ok.status == 200)
            let body = try ok.json()
            #expect(body["expires_in"] as? Int == 86_400)
            let claims = try jwtPart(try #require(body["access_token"] as? String), 1)
            #expect(claims["aud"] as? String == "https://demo-api")
        }
    }

    @Test func wrongSecret() async throws {
        try await withGateway { _, client in
            let response = try await client.postForm(
                Scenario.wrongSecret.tokenPath, "grant_type=client_credentials",
                headers: [("Authorization", basicAuthorization(id: "wrong-secret", secret: Scenario.wrongSecret.configuredSecret))])
            #expect(response.status == 401)
            #expect(response.header("WWW-Authenticate") == #"Basic realm="demo", error="invalid_client""#)
            let body = try response.json()
            #expect(body["error"] as? String == "invalid_client")
            #expect(body["error_description"] as? String == "Client authentication failed: bad secret")
            // The real secret works: the scenario is about the config, not the server.
            #expect(try await client.token(.wrongSecret).status == 200)
        }
    }

    @Test func empty403() async throws {
        try await withGateway { _, client in
            let response = try await client.token(.empty403)
            #expect(response.status == 403)
            #expect(response.body.isEmpty)
            #expect(response.header("Content-Length") == "0")
        }
    }

    @Test func flakyAlternates() async throws {
        try await withGateway { gateway, client in
            let statuses = try await [client.token(.flaky), client.token(.flaky), client.token(.flaky), client.token(.flaky)]
            #expect(statuses.map(\.status) == [200, 500, 200, 500])
            let failure = statuses[1]
            #expect(failure.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(failure.text.hasPrefix("<html><body><h1>500 Internal Server Error</h1>"))
            gateway.resetRecords()  // restarts the alternation
            #expect(try await client.token(.flaky).status == 200)
        }
    }

    @Test func slowWaits() async throws {
        try await withGateway(options: .init(slowDelay: .milliseconds(400))) { _, client in
            let start = ContinuousClock.now
            let response = try await client.token(.slow)
            let elapsed = ContinuousClock.now - start
            #expect(response.status == 200)
            #expect(elapsed >= .milliseconds(400))
            #expect(elapsed < .seconds(3))
        }
    }

    @Test func formEncodedResponse() async throws {
        try await withGateway { _, client in
            let response = try await client.token(.formEncoded)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/x-www-form-urlencoded")
            var fields: [String: String] = [:]
            for pair in response.text.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                fields[String(kv[0])] = String(kv[1])
            }
            #expect(Set(fields.keys) == ["access_token", "token_type", "expires_in"])
            #expect(fields["token_type"] == "bearer")
            #expect(fields["expires_in"] == "3600")
            #expect(response.text.hasPrefix("access_token="))
        }
    }

    @Test func error200() async throws {
        try await withGateway { _, client in
            let response = try await client.token(.error200, extra: "&scope=admin")
            #expect(response.status == 200)
            let body = try response.json()
            #expect(body["error"] as? String == "invalid_scope")
            #expect(body["error_description"] as? String == "scope 'admin' is not allowed")
            #expect(body["access_token"] == nil)
        }
    }

    @Test func oversized() async throws {
        try await withGateway { _, client in
            let response = try await client.token(.oversized)
            #expect(response.status == 200)
            #expect(response.body.count > 2_000_000)
            #expect(response.body.count < 2_200_000)
            #expect(response.text.hasPrefix(#"{"access_token":""#))
            let body = try response.json()  // valid JSON when read in full
            #expect(body["access_token"] is String)
            #expect((body["padding"] as? String)?.count ?? 0 > 1 << 20)
        }
    }

    @Test func missingTokenAndGarbage() async throws {
        try await withGateway { _, client in
            let missing = try await client.token(.missingToken)
            #expect(missing.status == 200)
            let body = try missing.json()
            #expect(body["access_token"] == nil)
            #expect(body["token_type"] as? String == "bearer")
            #expect(body["expires_in"] as? Int == 3600)

            let garbage = try await client.token(.garbage)
            #expect(garbage.status == 200)
            #expect(garbage.header("Content-Type") == "application/json")
            #expect(garbage.text == "not json at all")
        }
    }

    @Test func rateLimited() async throws {
        try await withGateway { _, client in
            let response = try await client.token(.rateLimited)
            #expect(response.status == 429)
            #expect(response.header("Retry-After") == "7")
            #expect(try response.json()["error"] as? String == "slow_down")
        }
    }

    @Test func hangNeverAnswers() async throws {
        try await withGateway { gateway, client in
            let start = ContinuousClock.now
            await #expect(throws: (any Error).self) {
                _ = try await client.postForm(Scenario.hang.tokenPath,
                                              "grant_type=client_credentials&client_id=hang&client_secret=hang-secret",
                                              timeout: .seconds(3))
            }
            // 3 s, not 1: on a loaded machine connecting and sending alone can take a second.
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(2900))
            #expect(elapsed < .seconds(8))
            // The request did arrive; it just never got an answer.
            #expect(gateway.tokenRequestCount(clientID: "hang") == 1)
            #expect(gateway.recordedTokenRequests().count == 1)
            // The server is still fine for everyone else.
            let healthy = try await client.token(.healthy)
            #expect(healthy.status == 200)
        }
    }

    @Test func hangingConnectionDoesNotBlockShutdown() async throws {
        let gateway = try await DemoGateway.start()
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(1)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var request = HTTPClientRequest(url: gateway.baseURL + Scenario.hang.tokenPath)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials"))
        let pending = Task { try await http.execute(request, deadline: .now() + .seconds(20)) }
        // Wait until the server has the request, then shut it down under the waiting client.
        let waitStart = ContinuousClock.now
        while gateway.recordedTokenRequests().isEmpty, ContinuousClock.now - waitStart < .seconds(5) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let start = ContinuousClock.now
        try await gateway.shutdown()
        await #expect(throws: (any Error).self) { _ = try await pending.value }
        #expect(ContinuousClock.now - start < .seconds(5))
        try await gateway.shutdown()  // idempotent
        try await http.shutdown()
    }
}

@Suite("Token endpoint: protocol")
struct TokenProtocolTests {
    @Test func grantTypeIsRequired() async throws {
        try await withGateway { _, client in
            let password = try await client.postForm(Scenario.healthy.tokenPath,
                                                     "grant_type=password&client_id=healthy&client_secret=healthy-secret")
            #expect(password.status == 400)
            #expect(try password.json()["error"] as? String == "unsupported_grant_type")
            let missing = try await client.postForm(Scenario.healthy.tokenPath, "client_id=healthy&client_secret=healthy-secret")
            #expect(missing.status == 400)
            #expect(try missing.json()["error"] as? String == "invalid_request")
        }
    }

    @Test func formContentTypeAndPostAreRequired() async throws {
        try await withGateway { gateway, client in
            let json = try await client.request(.POST, Scenario.healthy.tokenPath,
                                                headers: [("Content-Type", "application/json")],
                                                body: Array(#"{"grant_type":"client_credentials"}"#.utf8))
            #expect(json.status == 400)
            #expect(try json.json()["error"] as? String == "invalid_request")
            let get = try await client.get(Scenario.healthy.tokenPath)
            #expect(get.status == 405)
            #expect(get.header("Allow") == "POST")
            // Content-Type with parameters is still a form.
            let charset = try await client.request(
                .POST, Scenario.healthy.tokenPath,
                headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                body: Array("grant_type=client_credentials&client_id=healthy&client_secret=healthy-secret".utf8))
            #expect(charset.status == 200)
            // GET is recorded but not counted as a token request.
            #expect(gateway.totalTokenRequests() == 2)
            #expect(gateway.recordedTokenRequests().count == 3)
        }
    }

    @Test func basicAndBodyClientAuthentication() async throws {
        try await withGateway { _, client in
            let basic = try await client.postForm(
                Scenario.healthy.tokenPath, "grant_type=client_credentials&scope=read",
                headers: [("Authorization", basicAuthorization(id: "healthy", secret: "healthy-secret"))])
            #expect(basic.status == 200)
            #expect(try basic.json()["scope"] as? String == "read")

            let body = try await client.token(.healthy)
            #expect(body.status == 200)

            let none = try await client.postForm(Scenario.healthy.tokenPath, "grant_type=client_credentials")
            #expect(none.status == 401)
            #expect(try none.json()["error"] as? String == "invalid_client")

            let unknown = try await client.postForm(Scenario.healthy.tokenPath,
                                                    "grant_type=client_credentials&client_id=nobody&client_secret=x")
            #expect(unknown.status == 401)
            #expect(try unknown.json()["error_description"] as? String == "Client authentication failed: unknown client")

            // Two different identities in one request are refused.
            let mixed = try await client.postForm(
                Scenario.healthy.tokenPath, "grant_type=client_credentials&client_id=slow",
                headers: [("Authorization", basicAuthorization(id: "healthy", secret: "healthy-secret"))])
            #expect(mixed.status == 400)
        }
    }

    @Test func encodedCredentials() async throws {
        try await withGateway { gateway, client in
            gateway.registerClient(id: "my id", secret: "s3cr:t/+&", lifetime: 42, scopes: ["read"])

            // RFC 6749 §2.3.1: form-encode each part, then base64.
            let header = "Basic bXkraWQ6czNjciUzQXQlMkYlMkIlMjY="
            #expect(basicAuthorization(id: "my id", secret: "s3cr:t/+&") == header)
            let basic = try await client.postForm("/oauth/token", "grant_type=client_credentials",
                                                  headers: [("Authorization", header)])
            #expect(basic.status == 200, "\(basic.text)")
            let body = try basic.json()
            #expect(body["expires_in"] as? Int == 42)
            #expect(body["scope"] as? String == "read")
            #expect(try jwtPart(body["access_token"] as! String, 1)["sub"] as? String == "my id")

            // Body credentials, form-encoded like the gateway does.
            let inBody = try await client.postForm(
                Scenario.healthy.tokenPath, "client_id=my+id&client_secret=s3cr%3At%2F%2B%26&grant_type=client_credentials")
            #expect(inBody.status == 200)

            // Basic without the form encoding: `+` decodes to a space, so the secret is wrong.
            let raw = "Basic " + Data("my id:s3cr:t/+&".utf8).base64EncodedString()
            let rawResponse = try await client.postForm("/oauth/token", "grant_type=client_credentials",
                                                        headers: [("Authorization", raw)])
            #expect(rawResponse.status == 401)
            #expect(try rawResponse.json()["error_description"] as? String == "Client authentication failed: bad secret")

            #expect(gateway.tokenRequestCount(clientID: "my id") == 3)
        }
    }

    @Test func requestCountsPerClient() async throws {
        try await withGateway { gateway, client in
            _ = try await client.token(.healthy)
            _ = try await client.postForm(Scenario.healthy.tokenPath, "grant_type=client_credentials",
                                          headers: [("Authorization", basicAuthorization(id: "healthy", secret: "bad"))])
            _ = try await client.token(.shortLived)
            _ = try await client.token(.empty403)  // fails, still counted
            _ = try await client.postForm(Scenario.healthy.tokenPath, "grant_type=client_credentials&client_id=ghost")
            _ = try await client.postForm(Scenario.healthy.tokenPath, "grant_type=client_credentials")
            #expect(gateway.tokenRequestCount(clientID: "healthy") == 2)
            #expect(gateway.tokenRequestCount(clientID: "short-lived") == 1)
            #expect(gateway.tokenRequestCount(clientID: "empty-403") == 1)
            #expect(gateway.tokenRequestCount(clientID: "") == 2)
            #expect(gateway.tokenRequestCount(clientID: "ghost") == 0)
            #expect(gateway.totalTokenRequests() == 6)
            // Backend calls are not token requests.
            _ = try await client.get("/api/public")
            #expect(gateway.totalTokenRequests() == 6)

            gateway.resetRecords()
            #expect(gateway.totalTokenRequests() == 0)
            #expect(gateway.tokenRequestCount(clientID: "healthy") == 0)
            #expect(gateway.recordedTokenRequests().isEmpty)
            #expect(gateway.recordedBackendRequests().isEmpty)
        }
    }

    @Test func concurrentRequestsAreAllCounted() async throws {
        try await withGateway { gateway, client in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 { group.addTask { try await client.token(.healthy).status } }
                for try await status in group { #expect(status == 200) }
            }
            #expect(gateway.tokenRequestCount(clientID: "healthy") == 40)
            #expect(gateway.recordedTokenRequests().count == 40)
        }
    }

    @Test func unknownTokenPath() async throws {
        try await withGateway { gateway, client in
            let response = try await client.postForm("/oauth/nope/token", "grant_type=client_credentials")
            #expect(response.status == 404)
            #expect(gateway.totalTokenRequests() == 0)
        }
    }
}
