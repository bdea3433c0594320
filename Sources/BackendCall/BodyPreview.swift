import Foundation

/// A response body made readable: JSON pretty-printed, text as is, anything else as a hex
/// summary. Bounded, so a UI can show it without measuring it first.
public struct BodyPreview: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case empty, json, text, binary
    }

    public var kind: Kind
    /// The text to show (at most `maxCharacters` characters).
    public var text: String
    /// True when ``text`` stops short of the body (here, or because the reader stopped at its
    /// limit).
    public var truncated: Bool

    /// Bytes shown in the hex dump of a binary body.
    public static let hexBytes = 256

    /// - Parameters:
    ///   - contentType: The response's `Content-Type`; the body is sniffed as well, because
    ///     backends often mislabel it.
    ///   - truncatedByReader: The body is already cut (the call stopped reading at its limit):
    ///     such JSON can't be parsed and is shown as text.
    public init(body: [UInt8], contentType: String?, truncatedByReader: Bool = false, maxCharacters: Int = 16 * 1024) {
        let media = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if body.isEmpty {
            self.init(kind: .empty, text: "", truncated: truncatedByReader)
            return
        }
        let limit = max(0, maxCharacters)
        if let text = String(validating: body, as: UTF8.self), Self.looksLikeText(text) || media.hasPrefix("text/") || media.contains("json") {
            if !truncatedByReader, media.contains("json") || Self.startsLikeJSON(body),
               (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil {
                let pretty = Self.prettyJSON(text)
                self.init(kind: .json, text: String(pretty.prefix(limit)), truncated: pretty.count > limit)
            } else {
                self.init(kind: .text, text: String(text.prefix(limit)), truncated: truncatedByReader || text.count > limit)
            }
            return
        }
        let hex = Self.hexSummary(body, contentType: media.isEmpty ? nil : media, truncatedByReader: truncatedByReader)
        self.init(kind: .binary, text: String(hex.prefix(limit)), truncated: true)
    }

    public init(kind: Kind, text: String, truncated: Bool) {
        self.kind = kind; self.text = text; self.truncated = truncated
    }

    /// Text is UTF-8 without control characters other than tab, line feed, carriage return (and
    /// form feed, seen in old logs).
    static func looksLikeText(_ s: String) -> Bool {
        !s.unicodeScalars.contains { ($0.value < 32 && $0 != "\t" && $0 != "\n" && $0 != "\r" && $0 != "\u{0C}") || $0.value == 0x7F }
    }

    static func startsLikeJSON(_ body: [UInt8]) -> Bool {
        guard let first = body.first(where: { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }) else { return false }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
    }

    /// Re-indents JSON text (two spaces) without parsing it into values: keys keep the server's
    /// order and numbers their exact spelling, which JSONSerialization would lose (it sorts or
    /// shuffles keys and turns `1.0` into `1`). The input must be valid JSON.
    public static func prettyJSON(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count + json.utf8.count / 4)
        var depth = 0
        var inString = false
        var escaped = false
        let chars = Array(json)
        var i = 0
        func newline() { out.append("\n"); out.append(String(repeating: "  ", count: depth)) }
        while i < chars.count {
            let c = chars[i]
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                i += 1
                continue
            }
            switch c {
            case "\"":
                inString = true
                out.append(c)
            case "{", "[":
                // Empty containers stay on one line: `{}` and `[]`.
                var j = i + 1
                while j < chars.count, chars[j] == " " || chars[j] == "\n" || chars[j] == "\t" || chars[j] == "\r" { j += 1 }
                if j < chars.count, chars[j] == (c == "{" ? "}" : "]") {
                    out.append(c); out.append(chars[j])
                    i = j
                } else {
                    out.append(c)
                    depth += 1
                    newline()
                }
            case "}", "]":
                depth = max(0, depth - 1)
                newline()
                out.append(c)
            case ",":
                out.append(c)
                newline()
            case ":":
                out.append(": ")
            case " ", "\n", "\t", "\r":
                break
            default:
                out.append(c)
            }
            i += 1
        }
        return out
    }

    /// `binary, 1234 bytes (image/png)` then an `xxd`-style dump of the first ``hexBytes`` bytes.
    public static func hexSummary(_ body: [UInt8], contentType: String?, truncatedByReader: Bool = false) -> String {
        var s = "binary, \(body.count)\(truncatedByReader ? "+" : "") bytes"
        if let contentType { s += " (\(contentType))" }
        let shown = body.prefix(hexBytes)
        let hex = Array("0123456789abcdef")
        for lineStart in stride(from: 0, to: shown.count, by: 16) {
            let line = shown[lineStart..<min(lineStart + 16, shown.count)]
            var text = "\n" + String(lineStart, radix: 16).leftPadded(to: 8) + "  "
            for (k, b) in line.enumerated() {
                text.append(hex[Int(b >> 4)]); text.append(hex[Int(b & 15)]); text.append(" ")
                if k == 7 { text.append(" ") }
            }
            let missing = 16 - line.count
            text += String(repeating: " ", count: missing * 3 + (line.count <= 8 ? 1 : 0))
            text += " |" + String(line.map { (32...126).contains($0) ? Character(UnicodeScalar($0)) : "." }) + "|"
            s += text
        }
        if body.count > shown.count { s += "\n… \(body.count - shown.count) more bytes" }
        return s
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}
