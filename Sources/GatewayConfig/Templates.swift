#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// KrakenD "flexible configuration" files are Go templates that only become JSON once rendered
/// (`{{ include "x.tmpl" }}`, `{{ range .settings.hosts }}`, `{{ marshal . }}`…). tokentop can't
/// run Go templates; it handles the one form that is common in otherwise plain JSON files —
/// `{{ env "NAME" }}` for secrets — and recognises everything else so it can say "render it first"
/// instead of printing a baffling JSON syntax error.
enum TemplateRenderer {
    enum Outcome {
        /// No `{{` in the file: parse it as is.
        case none
        /// Every action was `{{ env "NAME" }}`; `bytes` is the rendered text, `map` leads
        /// positions back to the original. `missing` lists variables that aren't set.
        case rendered(bytes: [UInt8], map: OffsetMap, missing: [(name: String, offset: Int)])
        /// Some other template action, the first one at `offset` (of its `{{`).
        case goTemplate(offset: Int)
    }

    /// Scans for `{{`. Cheap when there is none (the common case): one pass over the bytes.
    static func render(_ text: UnsafeBufferPointer<UInt8>, environment: [String: String]) -> Outcome {
        let n = text.count
        var actions: [(start: Int, end: Int, name: String)] = []
        var i = 0
        while i + 1 < n {
            guard text[i] == UInt8(ascii: "{") else {
                // memchr: the scan runs over every loaded file, `{{` or not.
                guard let base = text.baseAddress, let hit = memchr(base + i + 1, Int32(UInt8(ascii: "{")), n - i - 1) else { break }
                i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                continue
            }
            guard text[i + 1] == UInt8(ascii: "{") else { i += 1; continue }
            guard let (end, name) = parseEnvAction(text, at: i) else { return .goTemplate(offset: i) }
            actions.append((i, end, name))
            i = end
        }
        guard !actions.isEmpty else { return .none }

        var out: [UInt8] = []
        out.reserveCapacity(n)
        var segments: [OffsetMap.Segment] = []
        var missing: [(name: String, offset: Int)] = []
        var copied = 0
        for action in actions {
            if action.start > copied {
                segments.append(.init(renderedStart: out.count, originalStart: copied, isCopy: true))
                out.append(contentsOf: text[copied..<action.start])
            }
            segments.append(.init(renderedStart: out.count, originalStart: action.start, isCopy: false))
            if let value = environment[action.name] {
                out.append(contentsOf: value.utf8)
            } else {
                missing.append((action.name, action.start))
            }
            copied = action.end
        }
        if copied < n {
            segments.append(.init(renderedStart: out.count, originalStart: copied, isCopy: true))
            out.append(contentsOf: text[copied..<n])
        }
        return .rendered(bytes: out, map: OffsetMap(segments: segments, renderedCount: out.count, originalCount: n), missing: missing)
    }

    /// Recognises `{{ env "NAME" }}` (any amount of blanks where Go allows them, none required
    /// around the braces) starting at `start`; returns the offset after `}}` and the name. Trim
    /// markers (`{{-`), raw-string names and pipelines are deliberately not accepted: they are
    /// flexible-configuration files and must be rendered by KrakenD.
    /// `{{ env "NAME" }}` at `start` (`GatewayRules.envAction`): the end offset and the name.
    private static func parseEnvAction(_ t: UnsafeBufferPointer<UInt8>, at start: Int) -> (Int, String)? {
        guard let a = GatewayRules.envAction(t, at: start) else { return nil }
        return (a.end, String(decoding: UnsafeBufferPointer(rebasing: t[(a.openQuote + 1)..<a.closeQuote]), as: UTF8.self))
    }
}
