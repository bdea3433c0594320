/// The gateway's own rules that more than one part of tokentop needs: the loader (env actions),
/// lint (what the gateway refuses or does) and test calls (which `{…}` a backend URL fills). One
/// home, so they cannot disagree; each follows the gateway's code (lura `config/config.go`,
/// Go's `text/template` lexer), not what would be "right".
public enum GatewayRules {
    // MARK: {{ env "NAME" }}

    /// One `{{ env "NAME" }}` action: byte offsets in the scanned text.
    public struct EnvAction: Sendable, Hashable {
        /// Just after the closing `}}`.
        public var end: Int
        /// The quotes around the name (the name is between them).
        public var openQuote: Int
        public var closeQuote: Int
    }

    /// `{{ env "NAME" }}` starting at `start` (the first `{`), or nil when the action there is
    /// anything else. Blanks (space, tab, CR, LF) where Go allows them, `env` followed by at least
    /// one blank, a double-quoted name without backslashes or line breaks.
    public static func envAction(_ t: UnsafeBufferPointer<UInt8>, at start: Int) -> EnvAction? {
        let n = t.count
        let quote = UInt8(ascii: "\"")
        func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        var i = start + 2
        while i < n && isBlank(t[i]) { i += 1 }
        for c in "env".utf8 {
            guard i < n, t[i] == c else { return nil }
            i += 1
        }
        let blanks = i
        while i < n && isBlank(t[i]) { i += 1 }
        guard i > blanks, i < n, t[i] == quote else { return nil }
        let open = i
        i += 1
        let nameStart = i
        while i < n && t[i] != quote {
            if t[i] == UInt8(ascii: "\\") || t[i] == 0x0A { return nil }
            i += 1
        }
        guard i < n, i > nameStart else { return nil }
        let close = i
        i += 1
        while i < n && isBlank(t[i]) { i += 1 }
        guard i + 1 < n, t[i] == UInt8(ascii: "}"), t[i + 1] == UInt8(ascii: "}") else { return nil }
        return EnvAction(end: i + 2, openQuote: open, closeQuote: close)
    }

    // MARK: url_pattern placeholders (lura config.go)

    /// One `{name}` found in a text.
    public struct Placeholder: Sendable, Hashable {
        /// The text between the braces.
        public var name: String
        /// `{name}`, braces included.
        public var range: Range<String.Index>
        /// After the first `?` of the text (its value is query-escaped there).
        public var inQuery: Bool
    }

    /// Placeholders of a backend `url_pattern`: lura's `simpleURLKeysPattern`,
    /// `\{([\w\-\.:/]+)\}`, found leftmost-first without overlap like Go's `FindAllStringSubmatch`.
    /// The query part counts too (`/posts?x={x}`).
    public static func outputPlaceholders(_ text: String) -> [Placeholder] {
        scan(text, needsSlash: false, allowed: isOutputKeyByte)
    }

    /// Parameters an endpoint path defines: lura's `endpointURLKeysPattern`,
    /// `/\{([a-zA-Z\-_0-9]+)\}` — a `{name}` directly after a `/`. With the root's
    /// `disable_rest: true` lura uses the output pattern instead (no slash needed, `.:/` allowed).
    public static func inputParameters(_ endpoint: String, disableREST: Bool) -> Set<String> {
        // lura's CleanPath first: "/" + the path without its leading slash.
        let path = "/" + (endpoint.hasPrefix("/") ? String(endpoint.dropFirst()) : endpoint)
        if disableREST { return Set(scan(path, needsSlash: false, allowed: isOutputKeyByte).map(\.name)) }
        return Set(scan(path, needsSlash: true, allowed: isInputKeyByte).map(\.name))
    }

    /// `n` for a value filled from backend `n`'s response: lura's sequential-proxy pattern
    /// `^resp[\d]+_.+` (something must follow the underscore). nil otherwise.
    public static func responseIndex(_ name: String) -> Int? {
        let b = Array(name.utf8)
        guard b.starts(with: Array("resp".utf8)) else { return nil }
        var i = 4
        while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
        guard i > 4, i < b.count, b[i] == UInt8(ascii: "_"), i + 1 < b.count else { return nil }
        return Int(String(decoding: b[4..<i], as: UTF8.self))
    }

    /// The claim of a `JWT.<claim>` placeholder (lura's `JWT\.([\w\-\.:/]+)`), else nil.
    public static func jwtClaim(_ name: String) -> Substring? {
        guard name.hasPrefix("JWT."), name.utf8.count > 4 else { return nil }
        return name.dropFirst(4)
    }

    /// lura's `sequentialParamsPattern`, `^(resp[\d]+_.+)?(JWT\.([\w\-\.:/]+))?$`: values filled
    /// from an earlier backend's response (`resp0_id`) or from the caller's JWT (`JWT.sub`), which
    /// the endpoint path never defines and the gateway accepts.
    public static func isSequentialOrJWT(_ name: String) -> Bool {
        responseIndex(name) != nil || jwtClaim(name) != nil
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    private static func isInputKeyByte(_ c: UInt8) -> Bool {
        isAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
    }

    /// Go's `[\w\-\.:/]` (`\w` is ASCII-only in Go).
    private static func isOutputKeyByte(_ c: UInt8) -> Bool {
        isInputKeyByte(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: ":") || c == UInt8(ascii: "/")
    }

    private static func scan(_ s: String, needsSlash: Bool, allowed: (UInt8) -> Bool) -> [Placeholder] {
        let utf8 = s.utf8
        let b = Array(utf8)
        let query = b.firstIndex(of: UInt8(ascii: "?"))
        func index(_ offset: Int) -> String.Index { utf8.index(utf8.startIndex, offsetBy: offset) }
        var out: [Placeholder] = []
        var i = 0
        while i < b.count {
            let open = needsSlash ? i + 1 : i
            guard open < b.count, b[open] == UInt8(ascii: "{"), !needsSlash || b[i] == UInt8(ascii: "/") else { i += 1; continue }
            var k = open + 1
            while k < b.count, allowed(b[k]) { k += 1 }
            if k > open + 1, k < b.count, b[k] == UInt8(ascii: "}") {
                out.append(Placeholder(name: String(decoding: b[(open + 1)..<k], as: UTF8.self), range: index(open)..<index(k + 1),
                                       inQuery: query.map { open > $0 } ?? false))
                i = k + 1
            } else {
                i += 1
            }
        }
        return out
    }
}
