import AsyncHTTPClient
import DemoGateway
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A response read in full, for assertions.
struct Response {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? { headers.first(name: name) }

    /// The body as a JSON object (fails the test if it is not one).
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        return try #require(object as? [String: Any], "not a JSON object: \(text.prefix(200))",
                            sourceLocation: sourceLocation)
    }
}

/// A small HTTP client over AsyncHTTPClient against one gateway. Redirects are not followed, so
/// tests see the 302s themselves.
struct TestClient {
    let http: HTTPClient
    let baseURL: String

    func request(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [],
                 body: [UInt8]? = nil, timeout: TimeAmount = .seconds(10)) async throws -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(request, deadline: .now() + timeout)
        let buffer = try await response.body.collect(upTo: 8 << 20)
        return Response(status: Int(response.status.code), headers: response.headers,
                        body: Array(buffer.readableBytesView))
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Response {
        try await request(.GET, path, headers: headers)
    }

    /// POSTs a form body, encoded here exactly as given (so tests control every byte).
    func postForm(_ path: String, _ body: String, headers: [(String, String)] = [],
                  timeout: TimeAmount = .seconds(10)) async throws -> Response {
        try await request(.POST, path,
                          headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers,
                          body: Array(body.utf8), timeout: timeout)
    }

    /// A token request for a scenario's default client, credentials in the body.
    func token(_ scenario: Scenario, extra: String = "") async throws -> Response {
        try await postForm(scenario.tokenPath,
                           "grant_type=client_credentials&client_id=\(scenario.clientID)&client_secret=\(scenario.clientSecret)"
                               + extra)
    }

    /// A fresh access token from a scenario that issues one.
    func accessToken(_ scenario: Scenario = .healthy) async throws -> String {
        let response = try await token(scenario)
        #expect(response.status == 200, "\(response.text)")
        return try #require(try response.json()["access_token"] as? String)
    }
}

/// Starts a gateway and a client, runs `body`, and shuts both down even when `body` throws.
func withGateway<T>(options: DemoGateway.Options = .init(),
                    _ body: (DemoGateway, TestClient) async throws -> T) async throws -> T {
    let gateway = try await DemoGateway.start(options: options)
    var configuration = HTTPClient.Configuration()
    // Generous: AHC also fails requests that wait longer than this for a pooled connection, and
    // 40 concurrent requests on a loaded machine wait (HTTPClientError.getConnectionFromPoolTimeout).
    configuration.timeout.connect = .seconds(5)
    configuration.redirectConfiguration = .disallow
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let client = TestClient(http: http, baseURL: gateway.baseURL)
    do {
        let result = try await body(gateway, client)
        try await http.shutdown()
        try await gateway.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        try? await gateway.shutdown()
        throw error
    }
}

/// `Basic base64(formEncode(id) ":" formEncode(secret))`, RFC 6749 §2.3.1, as the gateway builds it.
func basicAuthorization(id: String, secret: String) -> String {
    func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~ ")
        return s.addingPercentEncoding(withAllowedCharacters: allowed)!.replacingOccurrences(of: " ", with: "+")
    }
    return "Basic " + Data("\(formEncode(id)):\(formEncode(secret))".utf8).base64EncodedString()
}

/// The claims of a JWT (middle part, base64url).
func jwtPart(_ token: String, _ index: Int) throws -> [String: Any] {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    try #require(parts.count == 3, "not a JWT: \(token)")
    var b64 = String(parts[index]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while b64.count % 4 != 0 { b64 += "=" }
    let data = try #require(Data(base64Encoded: b64))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}
