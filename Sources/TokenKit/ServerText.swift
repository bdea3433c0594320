import Foundation

/// Text that came from a server, made safe for a terminal and a log before anything keeps it.
///
/// A token server controls `error_description`, headers and bodies; printed raw, an escape
/// sequence in them clears an operator's screen or sets the terminal's title (found by a hostile
/// server in `check`, `call` and the log file). Cleaning at the point of arrival means no printer
/// can forget it. Controls become their visible Unicode *control pictures* (ESC → `␛`), which
/// every later escaper leaves alone, so nothing is escaped twice.
public enum ServerText {
    /// One line: every C0/C1 control, DEL and bidirectional override made visible.
    public static func line(_ s: String) -> String { clean(s, keepLayout: false) }

    /// Multi-line text (a body preview, a message with a `Response:` line): `\n` and `\t` kept,
    /// every other control made visible.
    public static func text(_ s: String) -> String { clean(s, keepLayout: true) }

    /// True when `s` has nothing `line`/`text` would change (the common case: no copy).
    static func isClean(_ s: String, keepLayout: Bool) -> Bool {
        for u in s.unicodeScalars where needsCleaning(u, keepLayout: keepLayout) { return false }
        return true
    }

    private static func needsCleaning(_ u: Unicode.Scalar, keepLayout: Bool) -> Bool {
        let v = u.value
        if v < 0x20 { return !(keepLayout && (v == 0x0A || v == 0x09)) }
        if v >= 0x7F && v < 0xA0 { return true }
        return isBidiControl(v)
    }

    /// LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI: they reorder what a terminal shows after them.
    private static func isBidiControl(_ v: UInt32) -> Bool { (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) }

    private static func clean(_ s: String, keepLayout: Bool) -> String {
        if isClean(s, keepLayout: keepLayout) { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            guard needsCleaning(u, keepLayout: keepLayout) else { out.append(u); continue }
            let v = u.value
            if v < 0x20 { out.append(Unicode.Scalar(0x2400 + v)!) }       // ␀ … ␟ (␛ for ESC)
            else if v == 0x7F { out.append(Unicode.Scalar(0x2421)!) }      // ␡
            else { out.append(Unicode.Scalar(0xFFFD)!) }                   // C1 controls, bidi overrides
        }
        return String(out)
    }
}

/// Keeps the secrets of one credential set out of what a server said back.
///
/// Some token servers echo the request in their errors (`error_description` carrying
/// `client_secret=…`); the secret would then reach the row, the detail pane, `check` and the log.
/// Every spelling the request itself used is masked: the raw value, its form encoding (body
/// style and Basic's inner encoding), its percent-encoding, and the Basic credentials in base64.
public struct SecretMasker: Sendable {
    private let needles: [String]
    public static let replacement = "***"
    /// Shorter secrets are not masked in server text: replacing every "ab" in a message would
    /// make it unreadable and hide nothing (such a secret can be guessed anyway; lint says so).
    public static let minimumLength = 4

    public init(clientID: String, clientSecret: String) {
        var n: [String] = []
        if clientSecret.count >= Self.minimumLength {
            n.append(clientSecret)
            n.append(FormEncoding.escape(clientSecret))
            n.append(clientSecret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? clientSecret)
            let basic = TokenRequestBuilder.basicAuthorization(clientID: clientID, clientSecret: clientSecret)
            n.append(String(basic.dropFirst("Basic ".count)))
            // The same credentials base64-encoded without the form encoding (servers that echo
            // what they decoded, or clients that never encoded).
            n.append(Data("\(clientID):\(clientSecret)".utf8).base64EncodedString())
            // As a JSON string inside an echoed body: `/` may come as `\/`, and Go escapes
            // `& < >` as `\u0026 \u003c \u003e`.
            n.append(Self.jsonEscaped(clientSecret, goStyle: false))
            n.append(Self.jsonEscaped(clientSecret, goStyle: true))
        }
        // Longest first, so a spelling that contains another is masked whole.
        needles = Array(Set(n)).sorted { $0.count > $1.count }
    }

    static func jsonEscaped(_ s: String, goStyle: Bool) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "/" where !goStyle: out += "\\/"
            case "&" where goStyle: out += "\\u0026"
            case "<" where goStyle: out += "\\u003c"
            case ">" where goStyle: out += "\\u003e"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    public func mask(_ s: String) -> String {
        var out = s
        for n in needles where out.contains(n) { out = out.replacingOccurrences(of: n, with: Self.replacement) }
        return out
    }

    public func mask(_ s: String?) -> String? { s.map { mask($0) } }
}

extension TokenFailure {
    /// The failure with every server-sent field made terminal-safe (``ServerText``) and the
    /// credential's secrets masked (``SecretMasker``).
    public func made(safeWith masker: SecretMasker) -> TokenFailure {
        var f = self
        f.message = ServerText.text(masker.mask(message))
        f.reason = reason.map { ServerText.line(masker.mask($0)) }
        f.error = error.map { ServerText.line(masker.mask($0)) }
        f.errorDescription = errorDescription.map { ServerText.line(masker.mask($0)) }
        f.errorURI = errorURI.map { ServerText.line(masker.mask($0)) }
        f.wwwAuthenticate = wwwAuthenticate.map { ServerText.line(masker.mask($0)) }
        f.contentType = contentType.map { ServerText.line($0) }
        f.retryAfter = retryAfter.map { ServerText.line($0) }
        f.bodyPreview = bodyPreview.map { ServerText.text(masker.mask($0)) }
        return f
    }
}
