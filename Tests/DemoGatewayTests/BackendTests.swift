import DemoGateway
import Foundation
import Testing

@Suite("Backends")
struct BackendTests {
    @Test func freshTokenIsAccepted() async throws {
        try await withGateway { _, client in
            let token = try await client.accessToken()
            let response = try await client.get("/api/healthy/users/7?b=2&a=x+y&a=z",
                                                headers: [("Authorization", "Bearer " + token), ("X-Custom", "one")])
            #expect(response.status == 200, "\(response.text)")
            #expect(response.header("Content-Type") == "application/json")
            let body = try response.json()
            #expect(body["backend"] as? String == "healthy")
            #expect(body["sub"] as? String == "healthy")
            #expect(body["method"] as? String == "GET")
            #expect(body["path"] as? String == "/api/healthy/users/7")
            let query = try #require(body["query"] as? [String: Any])
            #expect(query["b"] as? String == "2")
            #expect(query["a"] as? [String] == ["x y", "z"])
            let headers = try #require(body["headers"] as? [String: String])
            #expect(headers["X-Custom"] == "one")
            // The token is masked in the echo: recognisable, not reusable.
            let masked = try #require(headers["Authorization"])
            #expect(masked == "Bearer " + token.prefix(6) + "…" + token.suffix(6))
            #expect(!masked.contains(token))
        }
    }

    @Test func anyScenarioTokenWorksOnAnyScenarioBackend() async throws {
        try await withGateway { _, client in
            let token = try await client.accessToken(.shortLived)
            let response = try await client.request(.POST, "/api/short-lived", headers: [("Authorization", "bearer " + token)],
                                                    body: Array("x".utf8))
            #expect(response.status == 200)
            #expect(try response.json()["method"] as? String == "POST")
        }
    }

    @Test func unknownTokenIsRejected() async throws {
        try await withGateway { _, client in
            let response = try await client.get("/api/healthy", headers: [("Authorization", "Bearer not-a-token")])
            #expect(response.status == 401)
            #expect(response.header("WWW-Authenticate")
                == #"Bearer realm="demo", error="invalid_token", error_description="The access token is not known to this server""#)
            #expect(try response.json()["error"] as? String == "invalid_token")
        }
    }

    @Test func missingTokenGetsChallengeWithoutErrorCode() async throws {
        // RFC 6750 §3.1: no credentials → challenge only, no error code.
        try await withGateway { _, client in
            let response = try await client.get("/api/healthy")
            #expect(response.status == 401)
            #expect(response.header("WWW-Authenticate") == #"Bearer realm="demo""#)
            let basic = try await client.get("/api/healthy", headers: [("Authorization", "Basic Zm9vOmJhcg==")])
            #expect(basic.status == 401)
        }
    }

    @Test func expiredTokenIsRejected() async throws {
        try await withGateway { _, client in
            // negative-expiry issues a token that expired 5 s before it was issued.
            let token = try await client.accessToken(.negativeExpiry)
            let response = try await client.get("/api/negative-expiry", headers: [("Authorization", "Bearer " + token)])
            #expect(response.status == 401)
            let challenge = try #require(response.header("WWW-Authenticate"))
            #expect(challenge.contains(#"error="invalid_token""#))
            #expect(challenge.contains("expired"))
        }
    }

    @Test func noExpiryTokenIsAccepted() async throws {
        try await withGateway { _, client in
            let token = try await client.accessToken(.noExpiry)
            #expect(try await client.get("/api/no-expiry", headers: [("Authorization", "Bearer " + token)]).status == 200)
        }
    }

    @Test func scopedBackendNeedsAdmin() async throws {
        try await withGateway { _, client in
            let token = try await client.accessToken(.scoped)
            let response = try await client.get("/api/scoped", headers: [("Authorization", "Bearer " + token)])
            #expect(response.status == 403)
            let challenge = try #require(response.header("WWW-Authenticate"))
            #expect(challenge.hasPrefix("Bearer "))
            #expect(challenge.contains(#"error="insufficient_scope""#))
            #expect(challenge.contains(#"scope="admin""#))
            let body = try response.json()
            #expect(body["error"] as? String == "insufficient_scope")
            #expect(body["granted_scope"] as? String == "read")
            // The scoped client cannot ask for admin either.
            let denied = try await client.token(.scoped, extra: "&scope=admin")
            #expect(denied.status == 400)
            #expect(try denied.json()["error"] as? String == "invalid_scope")
        }
    }

    @Test func publicBackendNeedsNothing() async throws {
        try await withGateway { _, client in
            let response = try await client.get("/api/public")
            #expect(response.status == 200)
            let body = try response.json()
            #expect(body["backend"] as? String == "public")
            #expect(body["sub"] is NSNull)
        }
    }

    @Test func unknownBackendIs404() async throws {
        try await withGateway { _, client in
            let unknown = try await client.get("/api/nope")
            #expect(unknown.status == 404)
            let root = try await client.get("/")
            #expect(root.status == 404)
        }
    }

    @Test func headGetsNoBody() async throws {
        try await withGateway { _, client in
            let response = try await client.request(.HEAD, "/api/public")
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            #expect(Int(response.header("Content-Length") ?? "") ?? 0 > 0)
        }
    }

    @Test func redirects() async throws {
        try await withGateway { gateway, client in
            let cross = try await client.get("/redirect/cross-host")
            #expect(cross.status == 302)
            #expect(cross.header("Location") == "http://localhost:\(gateway.port)/api/public")
            let same = try await client.get("/redirect/same-host")
            #expect(same.status == 302)
            #expect(same.header("Location") == "/api/healthy")
        }
    }
}
