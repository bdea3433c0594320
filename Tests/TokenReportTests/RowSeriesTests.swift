import Foundation
import GatewayConfig
import Testing
import TokenKit
@testable import TokenReport

/// The per-row families written without swift-prometheus's registry: escaping and number format.
@Suite struct RowSeriesTests {
    static func config(endpoint: String) throws -> GatewayConfiguration {
        let json = """
        {"version": 3, "endpoints": [{"endpoint": \(String(decoding: try JSONEncoder().encode(endpoint), as: UTF8.self)),
          "backend": [{"host": ["http://api"], "url_pattern": "/x",
            "extra_config": {"auth/client-credentials": {"client_id": "c\\"1", "client_secret": "s3cr3t", "token_url": "http://idp/token"}}}]}]}
        """
        return try ConfigLoader.load(bytes: Array(json.utf8), file: "t.json")
    }

    @Test func labelValuesAreEscapedAsTheTextFormatRequires() throws {
        let cfg = try Self.config(endpoint: "/a\"b\\c\nd")
        let w = RowSeriesWriter(routes: cfg.routes, routeEntry: [:])
        var out: [UInt8] = []
        w.write(into: &out, snapshots: [], now: Date(), policy: RefreshPolicy(), succeeded: [:], failed: [:])
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains(#"tokentop_token_state{endpoint="/a\"b\\c\nd",method="GET",backend="http://api/x",client_id="c\"1",token_url="http://idp/token",state="disabled"} 1"#))
        // Every sample is one line: the newline in the endpoint did not split one.
        #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("#") || $0.hasPrefix("tokentop_") })
        #expect(!text.contains("s3cr3t"))
    }

    @Test func timestampsHaveMillisecondsAndNoExponent() {
        #expect(RowSeriesWriter.decimal(1_796_408_451_685) == "1796408451.685")
        #expect(RowSeriesWriter.decimal(1_000) == "1.000")
        #expect(RowSeriesWriter.decimal(7) == "0.007")
        #expect(RowSeriesWriter.decimal(-1_500) == "-1.500")
    }
}
