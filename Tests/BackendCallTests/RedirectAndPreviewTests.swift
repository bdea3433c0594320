import BackendCall
import Foundation
import GatewayConfig
import Testing
import TokenKit

/// Redirect rules with a scripted transport (no server needed), and body previews.
@Suite struct RedirectRuleTests {
    func postPlan(url: String = "http://api.local/a") -> BackendRequestPlan {
        BackendRequestPlan(request: HTTPRequestData(method: "POST", url: url, headers: [
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("Authorization", "Bearer secret-token-value-123456"),
        ], body: Array("{}".utf8)), tokenMasked: "masked")
    }

    @Test(arguments: [301, 302, 303])
    func postBecomesGetWithoutBody(status: Int) async {
        let t = ScriptedTransport([ScriptedTransport.redirect(status, to: "/b"), ScriptedTransport.ok()])
        let r = await BackendCaller(transport: t).call(postPlan())
        #expect(r.isSuccess)
        #expect(t.sent.count == 2)
        #expect(t.sent[1].method == "GET")
        #expect(t.sent[1].url == "http://api.local/b")
        #expect(t.sent[1].body.isEmpty)
        #expect(t.sent[1].headers.first(named: "Content-Type") == nil)
        // Same host: the token goes along, as it would from the gateway.
        #expect(t.sent[1].headers.first(named: "Authorization") == "Bearer secret-token-value-123456")
        #expect(r.notes.contains { $0.contains("POST became GET") })
    }

    @Test(arguments: [307, 308])
    func temporaryAndPermanentKeepMethodAndBody(status: Int) async {
        let t = ScriptedTransport([ScriptedTransport.redirect(status, to: "http://API.local:80/c?x=1"), ScriptedTransport.ok()])
        let r = await BackendCaller(transport: t).call(postPlan())
        #expect(r.isSuccess)
        #expect(t.sent[1].method == "POST")
        #expect(t.sent[1].body == Array("{}".utf8))
        #expect(t.sent[1].url == "http://API.local:80/c?x=1")
        #expect(r.hops.count == 2)
    }

    @Test func atMostFiveRedirects() async {
        let t = ScriptedTransport(Array(repeating: ScriptedTransport.redirect(302, to: "/loop"), count: 10))
        let r = await BackendCaller(transport: t).call(postPlan())
        #expect(r.outcome == .tooManyRedirects(limit: 5))
        #expect(t.sent.count == 6)
        #expect(r.hops.count == 6)
        #expect(!r.isSuccess)
        #expect(r.summary.hasPrefix("stopped after 5 redirects"))
    }

    @Test func otherSchemeOrPortCountsAsAnotherHost() async {
        for target in ["https://api.local/a", "http://api.local:8080/a", "http://evil.example/a"] {
            let t = ScriptedTransport([ScriptedTransport.redirect(301, to: target)])
            let r = await BackendCaller(transport: t).call(postPlan())
            #expect(r.outcome == .crossHostRedirect(location: target))
            #expect(t.sent.count == 1)
            #expect(r.notes.contains { $0.contains("known leak") && !$0.contains("secret-token-value-123456") })
        }
    }

    @Test func redirectWithoutLocationIsTheAnswer() async {
        let t = ScriptedTransport([.success(HTTPResponseData(status: 302, reason: "Found", headers: [], body: []))])
        let r = await BackendCaller(transport: t).call(postPlan())
        #expect(r.outcome == .response)
        #expect(r.status == 302)
        #expect(!r.isSuccess)
    }

    @Test func transportErrorsAreKept() async {
        let t = ScriptedTransport([.failure(.hostNotFound("nowhere:80"))])
        let r = await BackendCaller(transport: t).call(postPlan())
        #expect(r.outcome == .transportFailure)
        #expect(r.failure == .hostNotFound("nowhere:80"))
        #expect(r.statusSummary == "host not found")
        #expect(r.summary.hasPrefix("host not found: nowhere:80"))
    }

    @Test func anEchoedTokenIsMaskedInTheResult() async {
        let echo = #"{"headers":{"Authorization":"Bearer secret-token-value-123456"}}"#
        let t = ScriptedTransport([.success(HTTPResponseData(status: 200, reason: "OK", headers: [
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Echo", "secret-token-value-123456"),
        ], body: Array(echo.utf8)))])
        let r = await BackendCaller(transport: t).call(postPlan())
        let text = String(decoding: r.body, as: UTF8.self)
        #expect(!text.contains("secret-token-value-123456"))
        #expect(text.contains(Secret.mask("secret-token-value-123456")))
        #expect(r.headers.first(named: "X-Echo") == Secret.mask("secret-token-value-123456"))
        #expect(r.bodySize == echo.utf8.count)
        #expect(r.notes.contains("the response contained the token sent; tokentop masked it"))
        #expect(!r.request.headers.contains { $0.value.contains("secret-token-value-123456") })
        #expect(!r.hops[0].requestHeaders.contains { $0.value.contains("secret-token-value-123456") })
    }

    @Test func sameOriginRules() {
        #expect(BackendCaller.sameOrigin("http://a/x", "http://A:80/y"))
        #expect(BackendCaller.sameOrigin("https://a:443/x", "https://a/y"))
        #expect(!BackendCaller.sameOrigin("http://a/x", "https://a/x"))
        #expect(!BackendCaller.sameOrigin("http://127.0.0.1:80/x", "http://localhost/x"))
        #expect(BackendCaller.resolve("../z?q=1", against: "http://a/x/y") == "http://a/z?q=1")
        #expect(BackendCaller.resolve("//b/c", against: "https://a/x") == "https://b/c")
        #expect(BackendCaller.resolve("mailto:x@y", against: "http://a/") == nil)
    }

    @Test func tokenRefreshHintNeedsInvalidTokenCode() {
        func result(_ status: Int, _ challenge: String?) -> CallResult {
            CallResult(request: HTTPRequestData(method: "GET", url: "http://a/", headers: [], body: []), outcome: .response,
                       status: status, reason: "", headers: challenge.map { [HTTPHeader("WWW-Authenticate", $0)] } ?? [], body: [],
                       truncated: false, bodyLimit: 1, latency: 0, timeToFirstByte: nil, hops: [], tokenMasked: nil, failure: nil, notes: [])
        }
        #expect(result(401, #"Bearer realm="x", error="invalid_token""#).suggestsTokenRefresh)
        #expect(result(403, #"Bearer error=invalid_token"#).suggestsTokenRefresh)
        #expect(!result(401, #"Bearer realm="x""#).suggestsTokenRefresh)
        #expect(!result(403, #"Bearer error="insufficient_scope""#).suggestsTokenRefresh)
        #expect(!result(500, #"Bearer error="invalid_token""#).suggestsTokenRefresh)
        #expect(!result(401, nil).suggestsTokenRefresh)
    }
}

@Suite struct BodyPreviewTests {
    @Test func jsonIsPrettyPrintedInServerOrder() {
        let body = Array(#"{"z":1.0,"a":[1,2,{}],"s":"x,y:{z}\"q\"","e":[],"n":null}"#.utf8)
        let p = BodyPreview(body: body, contentType: "application/json; charset=utf-8")
        #expect(p.kind == .json)
        #expect(!p.truncated)
        #expect(p.text == """
        {
          "z": 1.0,
          "a": [
            1,
            2,
            {}
          ],
          "s": "x,y:{z}\\"q\\"",
          "e": [],
          "n": null
        }
        """)
    }

    @Test func jsonIsSniffedWhenMislabelled() {
        let p = BodyPreview(body: Array(" [1]".utf8), contentType: "text/plain")
        #expect(p.kind == .json)
        #expect(p.text == "[\n  1\n]")
        // Not JSON after all: shown as text.
        let q = BodyPreview(body: Array("{nope".utf8), contentType: "application/json")
        #expect(q.kind == .text)
        #expect(q.text == "{nope")
    }

    @Test func textAsIsAndBounded() {
        let p = BodyPreview(body: Array("<html>\n\tök\n</html>".utf8), contentType: "text/html")
        #expect(p.kind == .text)
        #expect(p.text == "<html>\n\tök\n</html>")
        let long = BodyPreview(body: Array(String(repeating: "a", count: 100).utf8), contentType: nil, maxCharacters: 10)
        #expect(long.text == String(repeating: "a", count: 10))
        #expect(long.truncated)
        // A body the reader cut short is not parsed as JSON and says so.
        let cut = BodyPreview(body: Array(#"{"a":"#.utf8), contentType: "application/json", truncatedByReader: true)
        #expect(cut.kind == .text)
        #expect(cut.truncated)
    }

    @Test func binaryIsAHexSummary() {
        let body: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] + Array(repeating: 0, count: 300)
        let p = BodyPreview(body: body, contentType: "image/png")
        #expect(p.kind == .binary)
        let lines = p.text.split(separator: "\n")
        #expect(lines.first == "binary, 308 bytes (image/png)")
        #expect(lines[1] == "00000000  89 50 4e 47 0d 0a 1a 0a  00 00 00 00 00 00 00 00  |.PNG............|")
        #expect(lines.count == 1 + 16 + 1)
        #expect(lines.last == "… 52 more bytes")
        let short = BodyPreview.hexSummary([0x41, 0x00, 0x42], contentType: nil)
        #expect(short == "binary, 3 bytes\n00000000  41 00 42                                          |A.B|")
        #expect(BodyPreview(body: [], contentType: "application/json").kind == .empty)
    }
}
