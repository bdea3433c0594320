/// Form encoding exactly as Go's `net/url` does it (`url.QueryEscape`, `url.Values.Encode`),
/// because the gateway builds its token request with Go and tokentop must send the same bytes.
public enum FormEncoding {
    /// Go's `url.QueryEscape`: everything but `A–Z a–z 0–9 - _ . ~` is percent-encoded (upper-case
    /// hex), and space becomes `+`. Note that `/ : @ + & =` are all escaped.
    public static func escape(_ s: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(s.utf8.count)
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%")); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `url.Values.Encode`: keys sorted byte-wise, each value of a key in order, `k=v` joined by `&`.
    public static func encode(_ values: [String: [String]]) -> String {
        var parts: [String] = []
        for key in values.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let k = escape(key)
            for v in values[key] ?? [] { parts.append(k + "=" + escape(v)) }
        }
        return parts.joined(separator: "&")
    }

    /// Go's `url.ParseQuery` (lenient variant): splits on `&`, decodes `+` and `%XX`. Returns nil
    /// when a `%` escape is malformed (Go reports an error there) or a key contains `;`.
    public static func parseQuery(_ s: String) -> [String: [String]]? {
        var result: [String: [String]] = [:]
        for part in s.split(separator: "&", omittingEmptySubsequences: true) {
            if part.contains(";") { return nil }
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = unescape(String(kv[0])) else { return nil }
            guard let v = unescape(kv.count > 1 ? String(kv[1]) : "") else { return nil }
            result[k, default: []].append(v)
        }
        return result
    }

    /// Decodes `+` as space and `%XX`; nil on a malformed escape.
    public static func unescape(_ s: String) -> String? {
        var out = [UInt8]()
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "+") { out.append(UInt8(ascii: " ")) }
            else if b == UInt8(ascii: "%") {
                guard bytes.count >= 2, let h = hexValue(bytes[bytes.startIndex]), let l = hexValue(bytes[bytes.startIndex + 1]) else { return nil }
                out.append(h << 4 | l); bytes = bytes.dropFirst(2)
            } else { out.append(b) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
