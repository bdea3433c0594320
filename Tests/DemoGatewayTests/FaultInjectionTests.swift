import AsyncHTTPClient
import DemoGateway
import Foundation
import NIOCore
import Testing

/// Run-time faults (`setFault`) and going away / coming back (`pause`/`resume`), seen from a plain
/// HTTP client: what exactly goes over the wire.
@Suite struct FaultInjectionTests {
    @Test func faultOverridesOnePathUntilCleared() async throws {
        try await withGateway { gateway, client in
            gateway.setFault(.html500, path: Scenario.healthy.tokenPath)
            let broken = try await client.token(.healthy)
            #expect(broken.status == 500)
            #expect(broken.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(broken.text.contains("Internal Server Error"))
            // Other paths are untouched, and the faulty request was still counted.
            #expect(try await client.token(.noExpiry).status == 200)
            #expect(gateway.tokenRequestCount(clientID: "healthy") == 1)
            gateway.clearFaults()
            #expect(try await client.token(.healthy).status == 200)
        }
    }

    @Test func eachFaultAnswersAsDocumented() async throws {
        try await withGateway(options: .init(hugeBodySize: 3 << 20)) { gateway, client in
            let path = Scenario.healthy.tokenPath
            gateway.setFault(.rateLimited(retryAfter: 3), path: path)
            let limited = try await client.token(.healthy)
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") == "3")
            #expect(try limited.json()["error"] as? String == "slow_down")

            gateway.setFault(.error200, path: path)
            let error200 = try await client.token(.healthy)
            #expect(error200.status == 200)
            #expect(try error200.json()["error"] as? String == "invalid_scope")

            gateway.setFault(.invalidJSON, path: path)
            let invalid = try await client.token(.healthy)
            #expect(invalid.status == 200)
            #expect((try? JSONSerialization.jsonObject(with: Data(invalid.body))) == nil)

            gateway.setFault(.hugeBody, path: path)
            let huge = try await client.token(.healthy)
            #expect(huge.body.count == 3 << 20)
            let object = try huge.json()
            #expect(object["access_token"] is String) // the token first, then padding
            #expect(huge.text.hasPrefix(#"{"access_token":"#))

            gateway.setFault(.redirectLoop, path: "/api/public")
            let first = try await client.get("/api/public")
            #expect(first.status == 302)
            #expect(first.header("Location") == "/api/public?loop=1")
            let second = try await client.get("/api/public?loop=1")
            #expect(second.header("Location") == "/api/public")
        }
    }

    @Test func trickleSendsTheHeadAtOnceAndTheBodySlowly() async throws {
        try await withGateway(options: .init(trickleInterval: .milliseconds(20))) { gateway, client in
            gateway.setFault(.trickle, path: "/api/public")
            let started = ContinuousClock.now
            let r = try await client.get("/api/public")
            let elapsed = ContinuousClock.now - started
            #expect(r.status == 200)
            #expect(try r.json()["backend"] as? String == "public") // the whole answer arrives in the end
            #expect(elapsed >= .milliseconds(20 * r.body.count / 2), "\(r.body.count) bytes in \(elapsed)")
        }
    }

    @Test func hangCloseAndNotHTTPGiveNoHTTPAnswer() async throws {
        try await withGateway { gateway, client in
            gateway.setFault(.hang, path: "/api/public")
            await #expect(throws: (any Error).self) { try await client.request(.GET, "/api/public", timeout: .milliseconds(300)) }
            gateway.setFault(.closeWithoutAnswer, path: "/api/public")
            await #expect(throws: (any Error).self) { try await client.get("/api/public") }
            gateway.setFault(.notHTTP, path: "/api/public")
            await #expect(throws: (any Error).self) { try await client.get("/api/public") }
            gateway.clearFaults()
            let fixed = try await client.get("/api/public")
            #expect(fixed.status == 200)
        }
    }

    @Test func pauseRefusesAndResumeComesBackOnTheSamePortWithItsState() async throws {
        try await withGateway { gateway, client in
            gateway.registerClient(id: "kept", secret: "kept-secret", lifetime: 60)
            let token = try await client.accessToken()
            let port = gateway.port
            try await gateway.pause()
            #expect(gateway.isPaused)
            await #expect(throws: (any Error).self) { try await client.get("/api/public") }
            try await gateway.resume()
            #expect(!gateway.isPaused)
            #expect(gateway.port == port)
            // Tokens issued before the pause are still known, registered clients still work.
            #expect(try await client.get("/api/healthy", headers: [("Authorization", "Bearer \(token)")]).status == 200)
            let kept = try await client.postForm(DemoGateway.genericTokenPath,
                                                 "grant_type=client_credentials&client_id=kept&client_secret=kept-secret")
            #expect(kept.status == 200)
            try await gateway.resume() // idempotent
        }
    }

    @Test func pauseEndsARequestHeldByHang() async throws {
        try await withGateway { gateway, client in
            gateway.setFault(.hang, path: "/api/public")
            let pending = Task { try await client.request(.GET, "/api/public", timeout: .seconds(10)) }
            // Pause only once the request is held, not while it is still connecting.
            let deadline = Date().addingTimeInterval(5)
            while gateway.recordedBackendRequests().isEmpty && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!gateway.recordedBackendRequests().isEmpty)
            let t0 = ContinuousClock.now
            try await gateway.pause()
            await #expect(throws: (any Error).self) { try await pending.value }
            #expect(ContinuousClock.now - t0 < .seconds(3))
        }
    }
}
