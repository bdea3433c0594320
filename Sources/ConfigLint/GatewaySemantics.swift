import Foundation

/// Small reproductions of gateway behaviour that the rules need. Each one follows the gateway's
/// own code (lura `config/config.go`, Go's `net/url` and `golang.org/x/oauth2`), not what would be
/// "right", because lint predicts what the gateway does.
enum GatewaySemantics {
    // url_pattern placeholders and endpoint parameters: `GatewayRules` (GatewayConfig), shared
    // with test calls.

    // MARK: token_url

    /// For `http://` URLs (scheme in any case, as Go's `url.Parse` lower-cases it): the host part,
    /// without user info, port or IPv6 brackets. nil for any other scheme.
    static func plainHTTPHost(_ url: String) -> String? {
        guard url.count > 7, url.prefix(7).lowercased() == "http://" else { return nil }
        var authority = Substring(url.dropFirst(7))
        if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { authority = authority[..<end] }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return String(authority.dropFirst()) }
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        if let colon = authority.lastIndex(of: ":") { authority = authority[..<colon] }
        return String(authority)
    }

    /// Loopback: `localhost`, 127.0.0.0/8, `::1` (also written out, or as an IPv4-mapped
    /// 127.x address). Traffic to these never leaves the machine, so plain http is acceptable.
    static func isLoopback(_ host: String) -> Bool {
        var h = host.lowercased()
        if h.hasSuffix(".") { h.removeLast() }
        if h == "localhost" { return true }
        if h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        if h.hasPrefix("::ffff:") { h.removeFirst(7) }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy({ ("0"..."9").contains($0) }) && UInt8($0) != nil }) else {
            return false
        }
        return parts[0] == "127"
    }

    // MARK: Form encoding (Go's url.QueryEscape)

    /// How a form value goes on the wire: space → `+`, `A–Z a–z 0–9 - _ . ~` as is, any other
    /// byte as `%XX`.
    /// Standard base64 with padding, as Go's `SetBasicAuth` encodes `id:secret`.
    static func base64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

    static func formEncode(_ s: String) -> String {
        var out = ""
        for c in s.utf8 {
            if isAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "~") {
                out.unicodeScalars.append(Unicode.Scalar(c))
            } else if c == UInt8(ascii: " ") {
                out += "+"
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(c >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(c & 0xF)]))
            }
        }
        return out
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }
}
