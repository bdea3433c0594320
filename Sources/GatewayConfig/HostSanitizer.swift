/// KrakenD's host sanitising, reproduced exactly.
///
/// lura (`config/uri.go`) runs the **unanchored** Go regexp `(https?://)?([a-zA-Z0-9\._\-]+)(:[0-9]{2,6})?/?`
/// with `FindAllStringSubmatch` and accepts the host only when there is exactly one match; the
/// result is scheme (default `http://`) + name + port. Because the regexp is not anchored, a path
/// (`http://a/b` → two matches), an upper-case scheme (`HTTP://a` → `HTTP` and `a`), an IPv6
/// literal or a one-digit port (`a:8` → `a` and `8`) are rejected — the gateway refuses to start —
/// while characters the regexp cannot match at all are silently dropped (`" http://a "` is read as
/// `http://a`). tokentop must agree with the gateway on both, so this is a hand-written matcher
/// with Go's leftmost-first semantics rather than an anchored pattern.
public enum HostSanitizer {
    /// Outcome of sanitising one host string.
    public enum Result: Sendable, Hashable {
        /// The URL the gateway uses. `ignored` is true when some characters of the input matched
        /// nothing and were dropped (worth a warning: the gateway isn't using what the user wrote).
        case valid(String, ignored: Bool)
        /// The gateway refuses it: `host X not valid: invalid host`.
        case invalid
    }

    /// Sanitises `host` the way lura's `SafeCleanHost` does.
    public static func sanitize(_ host: String) -> Result {
        var host = host
        return host.withUTF8 { sanitize(utf8: $0) }
    }

    private static func sanitize(utf8 b: UnsafeBufferPointer<UInt8>) -> Result {
        let n = b.count
        var found: Match?
        var i = 0
        while i < n {
            // A match can only start on a name character (a scheme starts with `h`, itself one).
            guard isNameByte(b[i]) else { i += 1; continue }
            let m = match(b, at: i)
            if found != nil { return .invalid }  // a second match: the gateway refuses it
            found = m
            i = m.end
        }
        guard let m = found else { return .invalid }
        let ignored = m.start != 0 || m.end != n
        var out = m.schemeLength == 0 ? "http://" : String(decoding: UnsafeBufferPointer(rebasing: b[m.start..<(m.start + m.schemeLength)]), as: UTF8.self)
        out += String(decoding: UnsafeBufferPointer(rebasing: b[(m.start + m.schemeLength)..<m.portEnd]), as: UTF8.self)
        return .valid(out, ignored: ignored)
    }

    /// Convenience: the sanitised host, or nil when the gateway would refuse it.
    public static func sanitized(_ host: String) -> String? {
        if case .valid(let s, _) = sanitize(host) { return s }
        return nil
    }

    private static func isNameByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// One regexp match: `start ..< start+schemeLength` is the scheme (maybe empty), then the
    /// name and port up to `portEnd`, then an optional `/` up to `end`.
    private struct Match {
        var start: Int
        var schemeLength: Int
        var portEnd: Int
        var end: Int
    }

    /// The leftmost-first match starting at `start` (which holds a name byte, so a match exists).
    /// Every part after the name is optional, so the first alternative that gets a non-empty name
    /// wins: greedy scheme, greedy name, greedy port of 2–6 digits, optional slash.
    private static func match(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Match {
        let n = b.count
        func hasPrefix(_ p: StaticString, at k: Int) -> Bool {
            p.withUTF8Buffer { u in
                guard k + u.count <= n else { return false }
                for j in 0..<u.count where b[k + j] != u[j] { return false }
                return true
            }
        }
        var schemeLength = 0
        // `https?://`: tried once — with the `s` when the text has one, else without.
        let candidate: StaticString? = hasPrefix("https://", at: start) ? "https://" : hasPrefix("http://", at: start) ? "http://" : nil
        if let candidate {
            let afterScheme = start + candidate.utf8CodeUnitCount
            if afterScheme < n && isNameByte(b[afterScheme]) { schemeLength = candidate.utf8CodeUnitCount }
        }
        var i = start + schemeLength
        while i < n && isNameByte(b[i]) { i += 1 }
        if i < n && b[i] == UInt8(ascii: ":") {
            var k = i + 1
            while k < n && k - (i + 1) < 6 && isDigit(b[k]) { k += 1 }
            if k - (i + 1) >= 2 { i = k }
        }
        let portEnd = i
        if i < n && b[i] == UInt8(ascii: "/") { i += 1 }
        return Match(start: start, schemeLength: schemeLength, portEnd: portEnd, end: i)
    }
}
