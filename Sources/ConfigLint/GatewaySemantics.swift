import Foundation

/// Small reproductions of gateway behaviour that the rules need. Each one follows the gateway's
/// own code (lura `config/config.go`, Go's `net/url` and `golang.org/x/oauth2`), not what would be
/// "right", because lint predicts what the gateway does.
enum GatewaySemantics {
    // MARK: url_pattern placeholders (lura config.go)

    /// Placeholders of a backend `url_pattern`: lura's `simpleURLKeysPattern`,
    /// `\{([\w\-\.:/]+)\}`, found leftmost-first without overlap like Go's `FindAllStringSubmatch`.
    /// The query part counts too (`/posts?x={x}`).
    static func outputPlaceholders(_ urlPattern: String) -> [String] {
        placeholders(urlPattern, needsSlash: false, allowed: isOutputKeyByte)
    }

    /// Parameters an endpoint path defines: lura's `endpointURLKeysPattern`,
    /// `/\{([a-zA-Z\-_0-9]+)\}` — a `{name}` directly after a `/`. With the root's
    /// `disable_rest: true` lura uses the output pattern instead (no slash needed, `.:/` allowed).
    static func inputParameters(_ endpoint: String, disableREST: Bool) -> Set<String> {
        // lura's CleanPath first: "/" + the path without its leading slash.
        let path = "/" + (endpoint.hasPrefix("/") ? String(endpoint.dropFirst()) : endpoint)
        if disableREST { return Set(placeholders(path, needsSlash: false, allowed: isOutputKeyByte)) }
        return Set(placeholders(path, needsSlash: true, allowed: isInputKeyByte))
    }

    /// lura's `sequentialParamsPattern`, `^(resp[\d]+_.+)?(JWT\.([\w\-\.:/]+))?$`: values filled
    /// from an earlier backend's response (`resp0_id`) or from the caller's JWT (`JWT.sub`), which
    /// the endpoint path never defines and the gateway accepts.
    static func isSequentialOrJWT(_ name: String) -> Bool {
        let b = Array(name.utf8)
        if b.starts(with: Array("JWT.".utf8)) { return b.count > 4 }
        guard b.starts(with: Array("resp".utf8)) else { return false }
        var i = 4
        let digits = i
        while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
        guard i > digits, i < b.count, b[i] == UInt8(ascii: "_") else { return false }
        return i + 1 < b.count  // `.+` after the underscore
    }

    private static func isInputKeyByte(_ c: UInt8) -> Bool {
        isAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
    }

    /// Go's `[\w\-\.:/]` (`\w` is ASCII-only in Go).
    private static func isOutputKeyByte(_ c: UInt8) -> Bool {
        isInputKeyByte(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: ":") || c == UInt8(ascii: "/")
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    private static func placeholders(_ s: String, needsSlash: Bool, allowed: (UInt8) -> Bool) -> [String] {
        let b = Array(s.utf8)
        var out: [String] = []
        var i = 0
        while i < b.count {
            let open = needsSlash ? i + 1 : i
            guard open < b.count, b[open] == UInt8(ascii: "{"), !needsSlash || b[i] == UInt8(ascii: "/") else { i += 1; continue }
            var k = open + 1
            while k < b.count, allowed(b[k]) { k += 1 }
            if k > open + 1, k < b.count, b[k] == UInt8(ascii: "}") {
                out.append(String(decoding: b[(open + 1)..<k], as: UTF8.self))
                i = k + 1
            } else {
                i += 1
            }
        }
        return out
    }

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
}
