@testable import DemoGateway
import Foundation
import Testing

@Suite("Internals")
struct InternalsTests {
    @Test func formCoding() {
        #expect(Form.escape("my id") == "my+id")
        #expect(Form.escape("s3cr:t/+&") == "s3cr%3At%2F%2B%26")
        #expect(Form.unescape("s3cr%3At%2F%2B%26") == "s3cr:t/+&")
        #expect(Form.unescape("a+b%20c") == "a b c")
        #expect(Form.unescape("%zz") == nil)
        #expect(Form.unescape("%4") == nil)
        let pairs = Form.decode("a=1&b=&c&a=x+y")!
        #expect(pairs.map(\.0) == ["a", "b", "c", "a"])
        #expect(pairs.map(\.1) == ["1", "", "", "x y"])
        #expect(Form.decode("a=%ff") == nil)  // not UTF-8
    }

    @Test func basicCredentials() {
        #expect(BasicCredentials(authorization: nil) == .absent)
        #expect(BasicCredentials(authorization: "Bearer x") == .absent)
        #expect(BasicCredentials(authorization: "Basic !!!") == .malformed)
        #expect(BasicCredentials(authorization: "Basic bm9jb2xvbg==") == .malformed)  // "nocolon"
        #expect(BasicCredentials(authorization: "basic bXkraWQ6czNjciUzQXQlMkYlMkIlMjY=")
            == .valid(id: "my id", secret: "s3cr:t/+&"))
    }

    @Test func jsonText() {
        let value = JSON.object([
            ("s", .string("a\"b\\c\n\u{01}/é")), ("n", .null), ("i", .int(-5)), ("d", .double(3599.5)),
            ("d2", .double(3600)), ("b", .bool(true)), ("e", .array([])), ("o", .object([])),
            ("a", .array([.int(1), .object([("k", .string("v"))])])),
        ])
        #expect(value.compact
            == #"{"s":"a\"b\\c\n\u0001/é","n":null,"i":-5,"d":3599.5,"d2":3600,"b":true,"e":[],"o":{},"a":[1,{"k":"v"}]}"#)
        #expect(JSON.object([("a", .array([.int(1)])), ("b", .object([]))]).pretty
            == "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}")
    }

    @Test func masking() {
        #expect(GatewayCore.mask("Bearer abcdefghijklmnopq") == "Bearer abcdef…lmnopq")
        #expect(GatewayCore.mask("Bearer abcdefghijklmnop") == "Bearer …")
        #expect(GatewayCore.mask("Bearer short") == "Bearer …")
        #expect(GatewayCore.mask("garbage") == "…")
    }

    @Test func hangingConnectionIsReleasedWhenTheClientGivesUp() async throws {
        try await withGateway { gateway, client in
            await #expect(throws: (any Error).self) {
                _ = try await client.postForm(Scenario.hang.tokenPath, "grant_type=client_credentials", timeout: .milliseconds(300))
            }
            let start = ContinuousClock.now
            while gateway.openConnectionCount > 0, ContinuousClock.now - start < .seconds(15) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(gateway.openConnectionCount == 0)
        }
    }
}
