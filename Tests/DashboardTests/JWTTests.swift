import Foundation
import GatewayConfig
import Testing
@testable import TokenKit
@testable import Dashboard
import TerminalScreen

@Suite struct JWTTests {
    @Test func decodesHeaderAndClaims() throws {
        let jwt = try #require(JWT.decode(Fixture.ordersJWT))
        #expect(jwt.algorithm == "RS256")
        #expect(jwt.type == "JWT")
        #expect(jwt.keyID == "key-2027-01")
        #expect(jwt.issuer == "https://auth.example.com/")
        #expect(jwt.subject == "orders-gateway")
        #expect(jwt.audience == ["orders-api"])
        #expect(jwt.scope == "orders:read orders:write")
        #expect(jwt.issuedAt == Fixture.ordersIssued)
        #expect(jwt.expiresAt == Fixture.ordersIssued.addingTimeInterval(3600))
        #expect(jwt.otherClaims.map(\.key) == ["client_id", "jti", "tenant"])
        #expect(jwt.claims["tenant"]?.compact == #"{"id":"acme","tier":2}"#)
        #expect(jwt.signature == "c2lnbmF0dXJlLW5vdC1jaGVja2Vk")
    }

    @Test func audienceArraysScpAndFractionalTimes() throws {
        let token = Fixture.jwt(header: ["alg": "none"],
                                claims: ["aud": ["a", "b"], "scp": ["read", "write"], "exp": 1_800_000_000.5, "admin": true, "n": NSNull()],
                                signature: "")
        let jwt = try #require(JWT.decode(token))
        #expect(jwt.audience == ["a", "b"])
        #expect(jwt.scope == "read write")
        #expect(jwt.expiresAt == Date(timeIntervalSince1970: 1_800_000_000.5))
        #expect(jwt.claims["admin"] == .bool(true))
        #expect(jwt.claims["n"] == .null)
        #expect(jwt.otherClaims.map(\.key) == ["admin", "n"], "scp is shown as the scope")
    }

    @Test func base64urlAlphabetAndPadding() throws {
        // "?>?" encodes to "Pz4/" in base64 and "Pz4_" in base64url; "ÿ" exercises "-" too.
        let header = #"{"alg":"HS256","x":"?>?ÿ~"}"#
        let b64 = Data(header.utf8).base64EncodedString()
        let url = b64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(url.contains("_") || url.contains("-"))
        let payload = Fixture.base64url(Data(#"{"sub":"x"}"#.utf8))
        let unpadded = url.replacingOccurrences(of: "=", with: "")
        for h in [url, unpadded] {
            let jwt = try #require(JWT.decode(h + "." + payload + ".sig"))
            #expect(jwt.header["x"] == .string("?>?ÿ~"))
        }
    }

    @Test(arguments: [
        "opaque-token-value",
        "a.b",
        "a.b.c.d.e",                 // JWE: five parts
        "!!!.e30.sig",               // not base64
        "e30..sig",                  // empty payload
        "WzFd.e30.sig",              // header is a JSON array
        "e30.bm90IGpzb24.sig",       // payload "not json"
        "",
    ])
    func rejectsNonJWTs(token: String) {
        #expect(JWT.decode(token) == nil)
    }

    @Test func acceptsEmptyObjects() {
        #expect(JWT.decode("e30.e30.") != nil)
    }

    /// The detail pane flags a JWT whose exp doesn't match expires_in by more than 5 s.
    @Test(arguments: [(3600, false), (3605, false), (3606, true), (3300, true)])
    func expiryDisagreementFlag(jwtLifetime: Int, flagged: Bool) {
        let issued = Fixture.ago(60)
        let token = Fixture.jwt(header: ["alg": "RS256"], claims: ["exp": Int(issued.timeIntervalSince1970) + jwtLifetime])
        var snaps = Fixture.entries
        snaps[0].token = AccessToken(value: token, rawTokenType: "Bearer", expiresIn: 3600, receivedAt: issued)
        var m = Fixture.model()
        _ = update(&m, .tokens(snaps, events: []))
        let text = m.detailLines(width: 200).map(\.plainText).joined(separator: "\n")
        #expect(text.contains("JWT exp and expires_in disagree by \(abs(jwtLifetime - 3600))s") == flagged)
    }

    @Test func jwtWithoutExpiresInIsFlagged() {
        let token = Fixture.jwt(header: ["alg": "RS256"], claims: ["exp": 1_800_003_600])
        var snaps = Fixture.entries
        snaps[0].token = AccessToken(value: token, rawTokenType: "Bearer", expiresIn: nil, receivedAt: Fixture.now)
        var m = Fixture.model()
        _ = update(&m, .tokens(snaps, events: []))
        let text = m.detailLines(width: 200).map(\.plainText).joined(separator: "\n")
        #expect(text.contains("the JWT has exp but expires_in was absent"))
    }

    @Test func opaqueTokensSaySo() {
        var m = Fixture.model()
        press(&m, .char("G"), .enter)
        let text = view(m, size: large).text
        #expect(text.contains("opaque (not a JWT)"))
        #expect(!text.contains("JWT\n"))
    }
}
