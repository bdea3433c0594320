import DemoGateway
import Foundation
import Testing

@Suite("Config")
struct ConfigTests {
    /// The config's endpoints by path, each with its single backend.
    private func endpoints(_ config: [String: Any]) throws -> [String: [String: Any]] {
        let list = try #require(config["endpoints"] as? [[String: Any]])
        var byPath: [String: [String: Any]] = [:]
        for endpoint in list {
            let path = try #require(endpoint["endpoint"] as? String)
            let backends = try #require(endpoint["backend"] as? [[String: Any]])
            #expect(backends.count == 1)
            byPath[path] = backends[0]
        }
        #expect(byPath.count == list.count, "duplicate endpoint paths")
        return byPath
    }

    private func credentials(_ backend: [String: Any]?) -> [String: Any]? {
        (backend?["extra_config"] as? [String: Any])?["auth/client-credentials"] as? [String: Any]
    }

    @Test func parsesAndDescribesEveryScenario() async throws {
        let gateway = try await DemoGateway.start()
        let text = gateway.configJSON()
        try await gateway.shutdown()  // the config needs no running server
        let config = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(config["version"] as? Int == 3)
        #expect(config["name"] as? String == "tokentop demo gateway")
        #expect(config["host"] as? [String] == [gateway.baseURL])
        let byPath = try endpoints(config)
        for scenario in Scenario.allCases {
            let backend = try #require(byPath[scenario.endpointPath], "no endpoint for \(scenario)")
            #expect(backend["url_pattern"] as? String == scenario.backendPath)
            let creds = try #require(credentials(backend))
            #expect(creds["client_id"] as? String == scenario.clientID)
            #expect(creds["token_url"] as? String == gateway.baseURL + "/oauth/\(scenario.rawValue)/token")
            #expect(creds["client_secret"] as? String == (scenario == .wrongSecret ? "wrong-secret-typo" : "\(scenario.rawValue)-secret"))
        }
        #expect(credentials(byPath["/demo/healthy"])?["scopes"] as? String == "read,write")

        let auth0 = try #require(credentials(byPath["/demo/auth0"])?["endpoint_params"] as? [String: [String]])
        #expect(auth0 == ["audience": ["https://demo-api"], "client_id": ["auth0"], "client_secret": ["auth0-secret"]])

        // Extras.
        #expect(credentials(byPath["/demo/public"]) == nil)
        #expect(byPath["/demo/users/{id}"]?["url_pattern"] as? String == "/api/healthy/users/{id}")
        let shared = try #require(credentials(byPath["/demo/healthy-shared"]))
        #expect(NSDictionary(dictionary: shared).isEqual(to: try #require(credentials(byPath["/demo/healthy"]))))
        let martianBackend = try #require(byPath["/demo/martian"])
        #expect(NSDictionary(dictionary: try #require(credentials(martianBackend)))
            .isEqual(to: try #require(credentials(byPath["/demo/healthy"]))))
        let martian = try #require((martianBackend["extra_config"] as? [String: Any])?["modifier/martian"] as? [String: Any])
        let group = try #require(martian["fifo.Group"] as? [String: Any])
        let modifiers = try #require(group["modifiers"] as? [[String: Any]])
        let headers = modifiers.compactMap { ($0["header.Modifier"] as? [String: Any]).flatMap { m in
            (m["name"] as? String).map { ($0, m["value"] as? String ?? "") }
        } }
        #expect(headers.map(\.0) == ["X-Demo", "Accept"])
        #expect(headers.map(\.1) == ["yes", "application/json"])
        #expect(byPath["/demo/redirect/cross-host"]?["url_pattern"] as? String == "/redirect/cross-host")
        #expect(byPath["/demo/redirect/same-host"]?["url_pattern"] as? String == "/redirect/same-host")
    }

    @Test func stableTextAndWriteConfig() async throws {
        let a = try await DemoGateway.start()
        let b = try await DemoGateway.start()
        let textA = a.configJSON().replacingOccurrences(of: a.baseURL, with: "http://127.0.0.1:PORT")
        let textB = b.configJSON().replacingOccurrences(of: b.baseURL, with: "http://127.0.0.1:PORT")
        #expect(textA == textB)
        #expect(textA.hasPrefix("{\n  \"$schema\": "))
        #expect(textA.contains("\n  \"version\": 3,\n  \"name\": \"tokentop demo gateway\",\n"))
        #expect(textA.hasSuffix("}\n"))

        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tokentop-demo-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try a.writeConfig(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == a.configJSON())
        try await a.shutdown()
        try await b.shutdown()
    }

    @Test func configCredentialsWorkAgainstTheServer() async throws {
        // Every scenario's configured credentials, sent the gateway's way (body fields here),
        // reach the scenario's behaviour rather than an authentication failure.
        try await withGateway(options: .init(slowDelay: .milliseconds(10))) { gateway, client in
            let config = try #require(try JSONSerialization.jsonObject(with: Data(gateway.configJSON().utf8)) as? [String: Any])
            let byPath = try endpoints(config)
            for scenario in Scenario.allCases where scenario != .hang {
                let creds = try #require(credentials(byPath[scenario.endpointPath]))
                let url = try #require(creds["token_url"] as? String)
                var form = "grant_type=client_credentials&client_id=\(creds["client_id"]!)&client_secret=\(creds["client_secret"]!)"
                if scenario == .auth0 { form += "&audience=https%3A%2F%2Fdemo-api" }
                if let scopes = creds["scopes"] as? String {
                    form += "&scope=" + scopes.replacingOccurrences(of: ",", with: "+")
                }
                let response = try await client.postForm(String(url.dropFirst(gateway.baseURL.count)), form)
                switch scenario {
                case .wrongSecret: #expect(response.status == 401)
                case .empty403: #expect(response.status == 403)
                case .rateLimited: #expect(response.status == 429)
                default: #expect(response.status == 200, "\(scenario): \(response.status) \(response.text.prefix(200))")
                }
            }
        }
    }
}

@Suite("Recording")
struct RecordingTests {
    @Test func tokenRequestsKeepRawBytes() async throws {
        try await withGateway { gateway, client in
            let body: [UInt8] = Array("grant_type=client_credentials&client_id=healthy&client_secret=healthy-secret&x=".utf8)
                + [0xFF, 0x00, 0x25]
            _ = try await client.request(.POST, Scenario.healthy.tokenPath,
                                         headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                                   ("X-Zeta", "1"), ("x-alpha", "2"), ("X-Zeta", "3")],
                                         body: body)
            let records = gateway.recordedTokenRequests()
            let record = try #require(records.first)
            #expect(records.count == 1)
            #expect(record.method == "POST")
            #expect(record.uri == "/oauth/healthy/token")
            #expect(record.body == body)
            // Header order, spelling and repeats as sent.
            let custom = record.headers.filter { ["x-zeta", "x-alpha"].contains($0.name.lowercased()) }
            #expect(custom == [HeaderField(name: "X-Zeta", value: "1"), HeaderField(name: "x-alpha", value: "2"),
                               HeaderField(name: "X-Zeta", value: "3")])
            #expect(record.headers(named: "x-zeta") == ["1", "3"])
            #expect(record.header("content-type") == "application/x-www-form-urlencoded")
            #expect(abs(record.receivedAt.timeIntervalSinceNow) < 60)
            #expect(gateway.recordedBackendRequests().isEmpty)
        }
    }

    @Test func backendRequestsAreRecordedWithAuthorization() async throws {
        try await withGateway { gateway, client in
            let token = try await client.accessToken()
            _ = try await client.request(.POST, "/api/healthy/x?q=1", headers: [("Authorization", "Bearer " + token)],
                                         body: [1, 2, 3])
            _ = try await client.get("/api/public")
            let records = gateway.recordedBackendRequests()
            #expect(records.map(\.uri) == ["/api/healthy/x?q=1", "/api/public"])
            #expect(records[0].path == "/api/healthy/x")
            #expect(records[0].query == "q=1")
            #expect(records[0].header("Authorization") == "Bearer " + token)  // unmasked in the record
            #expect(records[0].body == [1, 2, 3])
            #expect(records[1].header("Authorization") == nil)
            let tokenRecord = try #require(gateway.recordedTokenRequests().first)
            #expect(tokenRecord.formValue("client_id") == "healthy")
        }
    }

    @Test func recordsAreBounded() async throws {
        try await withGateway(options: .init(maxRecordedRequests: 5)) { gateway, client in
            for i in 0..<12 { _ = try await client.get("/api/public?i=\(i)") }
            let records = gateway.recordedBackendRequests()
            #expect(records.count >= 5 && records.count <= 6)
            #expect(records.last?.uri == "/api/public?i=11")
        }
    }
}
