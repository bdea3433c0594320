import Foundation
import GatewayConfig
import Testing
@testable import TokenKit

private func creds(id: String = "client", secret: String = "secret", scopes: String? = nil,
                   params: [String: [String]] = [:]) -> ClientCredentials {
    ClientCredentials(clientID: id, clientSecret: secret, tokenURL: "http://127.0.0.1:1/token", scopes: scopes, endpointParams: params)
}

@Suite struct FormEncodingTests {
    @Test func escapesLikeGoQueryEscape() {
        #expect(FormEncoding.escape("my id") == "my+id")
        #expect(FormEncoding.escape("s3cr:t/+&") == "s3cr%3At%2F%2B%26")
        #expect(FormEncoding.escape("a-b_c.d~e") == "a-b_c.d~e")
        #expect(FormEncoding.escape("100%=é@") == "100%25%3D%C3%A9%40")
    }
    @Test func encodesSortedKeysAndRepeatsListValues() {
        #expect(FormEncoding.encode(["b": ["2"], "a": ["1"], "resource": ["r1", "r2"]]) == "a=1&b=2&resource=r1&resource=r2")
    }
    @Test func parsesQueryStrings() {
        #expect(FormEncoding.parseQuery("a=1&b=x+y&c=%2F")! == ["a": ["1"], "b": ["x y"], "c": ["/"]])
        #expect(FormEncoding.parseQuery("a=%zz") == nil)
    }
}

@Suite struct TokenRequestBytesTests {
    @Test func noScopesStillSendsEmptyScope() throws {
        let r = try TokenRequestBuilder.request(for: creds(scopes: nil), style: .basic)
        #expect(r.bodyString == "grant_type=client_credentials&scope=")
        #expect(r.method == "POST")
        #expect(r.headers == [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"),
                              HTTPHeader("Authorization", "Basic Y2xpZW50OnNlY3JldA=="),
                              HTTPHeader("User-Agent", "Go-http-client/1.1")])
        #expect(try TokenRequestBuilder.request(for: creds(scopes: ""), style: .basic).bodyString == "grant_type=client_credentials&scope=")
    }
    @Test func spaceAfterCommaBecomesDoublePlus() throws {
        let r = try TokenRequestBuilder.request(for: creds(scopes: "a, b"), style: .basic)
        #expect(r.bodyString == "grant_type=client_credentials&scope=a++b")
    }
    @Test func multiValuedEndpointParamRepeatsTheKey() throws {
        let r = try TokenRequestBuilder.request(for: creds(scopes: "read", params: ["resource": ["r1", "r2"], "audience": ["https://api"]]), style: .basic)
        #expect(r.bodyString == "audience=https%3A%2F%2Fapi&grant_type=client_credentials&resource=r1&resource=r2&scope=read")
    }
    @Test func auth0StyleBodyReplacesRepeatedCredentials() throws {
        let c = creds(id: "YOUR-CLIENT-ID", secret: "YOUR-CLIENT-SECRET", scopes: nil,
                      params: ["client_id": ["YOUR-CLIENT-ID"], "client_secret": ["YOUR-CLIENT-SECRET"], "audience": ["YOUR-AUDIENCE"]])
        let body = try TokenRequestBuilder.request(for: c, style: .body)
        #expect(body.bodyString == "audience=YOUR-AUDIENCE&client_id=YOUR-CLIENT-ID&client_secret=YOUR-CLIENT-SECRET&grant_type=client_credentials&scope=")
        #expect(body.headers.first(named: "Authorization") == nil)
        // The first (Basic) attempt carries the credentials twice: header and body.
        let basic = try TokenRequestBuilder.request(for: c, style: .basic)
        #expect(basic.bodyString == "audience=YOUR-AUDIENCE&client_id=YOUR-CLIENT-ID&client_secret=YOUR-CLIENT-SECRET&grant_type=client_credentials&scope=")
        #expect(basic.headers.first(named: "Authorization") == "Basic WU9VUi1DTElFTlQtSUQ6WU9VUi1DTElFTlQtU0VDUkVU")
    }
    @Test func specialCharactersInCredentials() throws {
        let c = creds(id: "my id+/:", secret: "s3cr:t/+&%", scopes: "x")
        let basic = try TokenRequestBuilder.request(for: c, style: .basic)
        // base64("my+id%2B%2F%3A:s3cr%3At%2F%2B%26%25")
        let expected = "Basic " + Data("my+id%2B%2F%3A:s3cr%3At%2F%2B%26%25".utf8).base64EncodedString()
        #expect(basic.headers.first(named: "Authorization") == expected)
        #expect(expected == "Basic bXkraWQlMkIlMkYlM0E6czNjciUzQXQlMkYlMkIlMjYlMjU=")
        let body = try TokenRequestBuilder.request(for: c, style: .body)
        #expect(body.bodyString == "client_id=my+id%2B%2F%3A&client_secret=s3cr%3At%2F%2B%26%25&grant_type=client_credentials&scope=x")
    }
    @Test func scopeInEndpointParamsFailsLikeTheGateway() {
        #expect(throws: TokenFailure.self) { try TokenRequestBuilder.request(for: creds(params: ["scope": ["x"]]), style: .basic) }
        do { _ = try TokenRequestBuilder.request(for: creds(params: ["scope": ["x"]]), style: .basic) }
        catch { #expect(error.message == "oauth2: cannot overwrite parameter \"scope\""); #expect(error.kind == .configuration) }
    }
    @Test func grantTypeInEndpointParamsOverridesTheGrant() throws {
        let r = try TokenRequestBuilder.request(for: creds(scopes: "a", params: ["grant_type": ["password"]]), style: .body)
        #expect(r.bodyString == "client_id=client&client_secret=secret&grant_type=password&scope=a")
    }
    @Test func emptySecretIsLeftOutOfTheBody() throws {
        let r = try TokenRequestBuilder.request(for: creds(secret: ""), style: .body)
        #expect(r.bodyString == "client_id=client&grant_type=client_credentials&scope=")
    }
    /// A block without client_secret loads with "" (as on the gateway): Basic carries `client:`.
    @Test func emptySecretInBasicIsTheIdAndAColon() throws {
        let r = try TokenRequestBuilder.request(for: creds(secret: ""), style: .basic)
        #expect(r.headers.first { $0.name == "Authorization" }?.value == "Basic Y2xpZW50Og==")  // base64("client:")
    }
    /// A block without token_url loads with "": Go's client fails before connecting, with this
    /// error, and nothing is sent (the transport's bare "invalid URL: " said nothing useful).
    @Test func emptyTokenURLFailsBeforeSendingLikeTheGateway() {
        let c = ClientCredentials(clientID: "client", clientSecret: "secret", tokenURL: "", scopes: nil, endpointParams: [:])
        for style in [AuthStyle.basic, .body] {
            do {
                _ = try TokenRequestBuilder.request(for: c, style: style)
                Issue.record("built a request to an empty URL")
            } catch {
                #expect(error.kind == .configuration)
                #expect(error.message == #"Post "": unsupported protocol scheme "" (the block has no token_url)"#)
            }
        }
    }
}

@Suite struct TokenResponseTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func resp(_ status: Int = 200, body: String, type: String? = "application/json", headers: [HTTPHeader] = []) -> HTTPResponseData {
        HTTPResponseData(status: status, reason: status == 200 ? "OK" : "Error",
                         headers: (type.map { [HTTPHeader("Content-Type", $0)] } ?? []) + headers, body: Array(body.utf8))
    }
    func token(_ r: HTTPResponseData) throws -> AccessToken { try TokenResponseParser.parse(r, receivedAt: t0).get() }
    func failure(_ r: HTTPResponseData) -> TokenFailure? {
        if case .failure(let f) = TokenResponseParser.parse(r, receivedAt: t0) { return f }
        return nil
    }

    @Test func jsonNumberAndStringExpiry() throws {
        #expect(try token(resp(body: #"{"access_token":"abc","token_type":"bearer","expires_in":3600}"#)).expiry == t0.addingTimeInterval(3600))
        #expect(try token(resp(body: #"{"access_token":"abc","expires_in":"3600"}"#)).expiresIn == 3600)
    }
    @Test func missingNullOrZeroExpiryNeverExpires() throws {
        for b in [#"{"access_token":"a"}"#, #"{"access_token":"a","expires_in":null}"#, #"{"access_token":"a","expires_in":0}"#] {
            let t = try token(resp(body: b))
            #expect(t.expiry == nil)
            #expect(!t.isExpired(at: t0.addingTimeInterval(1e9)))
        }
    }
    @Test func negativeExpiryIsAlreadyExpired() throws {
        let t = try token(resp(body: #"{"access_token":"a","expires_in":-5}"#))
        #expect(t.isExpired(at: t0))
    }
    @Test func fractionOrGarbageExpiryRejectsTheResponse() {
        #expect(failure(resp(body: #"{"access_token":"a","expires_in":3599.5}"#))?.kind == .malformedResponse)
        #expect(failure(resp(body: #"{"access_token":"a","expires_in":"soon"}"#))?.kind == .malformedResponse)
        #expect(failure(resp(body: #"{"access_token":"a","expires_in":true}"#))?.kind == .malformedResponse)
    }
    @Test func tenSecondEarlyExpiry() throws {
        let t = try token(resp(body: #"{"access_token":"a","expires_in":60}"#))
        #expect(!t.isExpired(at: t0.addingTimeInterval(49)))
        #expect(t.isExpired(at: t0.addingTimeInterval(50)))
        let short = try token(resp(body: #"{"access_token":"a","expires_in":10}"#))
        #expect(short.isExpired(at: t0))
    }
    @Test func tokenTypeNormalisedLikeGo() throws {
        #expect(try token(resp(body: #"{"access_token":"a","token_type":"BEARER"}"#)).tokenType == "Bearer")
        #expect(try token(resp(body: #"{"access_token":"a"}"#)).tokenType == "Bearer")
        #expect(try token(resp(body: #"{"access_token":"a","token_type":"DPoP"}"#)).tokenType == "DPoP")
    }
    @Test func formEncodedAndTextPlainBodies() throws {
        let t = try token(resp(body: "access_token=xyz&token_type=bearer&expires_in=3600", type: "application/x-www-form-urlencoded; charset=utf-8"))
        #expect(t.value == "xyz"); #expect(t.expiresIn == 3600)
        // Go ignores a bad expires_in in form bodies (Atoi error → 0 → no expiry).
        #expect(try token(resp(body: "access_token=xyz&expires_in=soon", type: "text/plain")).expiry == nil)
    }
    @Test func errorFieldWith200IsAFailure() throws {
        let f = try #require(failure(resp(body: #"{"error":"invalid_scope","error_description":"scope 'admin' is not allowed"}"#)))
        #expect(f.kind == .errorField)
        #expect(f.message == #"oauth2: "invalid_scope" "scope 'admin' is not allowed""#)
        #expect(f.summary == "200 invalid_scope: scope 'admin' is not allowed")
    }
    @Test func rfcErrorWith401KeepsHeaders() throws {
        let f = try #require(failure(resp(401, body: #"{"error":"invalid_client","error_description":"bad","error_uri":"https://x/e"}"#,
                                         headers: [HTTPHeader("WWW-Authenticate", #"Basic realm="x""#)])))
        #expect(f.status == 401); #expect(f.error == "invalid_client"); #expect(f.errorURI == "https://x/e")
        #expect(f.wwwAuthenticate == #"Basic realm="x""#)
        #expect(f.message == #"oauth2: "invalid_client" "bad" "https://x/e""#)
    }
    @Test func nonRFCErrorShowsStatusAndBody() throws {
        let f = try #require(failure(resp(500, body: "<html>boom</html>", type: "text/html")))
        #expect(f.message == "oauth2: cannot fetch token: 500 Error\nResponse: <html>boom</html>")
        #expect(f.summary == "500 Error")
        let empty = try #require(failure(resp(403, body: "", type: nil)))
        #expect(empty.summary == "403 Error (empty body)")
        #expect(empty.bodyPreview == "")
    }
    @Test func missingOrEmptyAccessToken() {
        #expect(failure(resp(body: #"{"token_type":"bearer"}"#))?.kind == .missingAccessToken)
        #expect(failure(resp(body: #"{"access_token":""}"#))?.summary == "200 server response missing access_token")
    }
    @Test func invalidJSON() {
        #expect(failure(resp(body: "not json"))?.kind == .malformedResponse)
        #expect(failure(resp(body: #"{"access_token":42}"#))?.kind == .malformedResponse)
    }
    @Test func masksSecrets() {
        #expect(Secret.mask("eyJhbGciOiJIUzI1NiJ9.payload.signature1234") == "eyJhbG…1234 (42 chars)")
        #expect(Secret.mask("short") == "*** (5 chars)")
    }
}
