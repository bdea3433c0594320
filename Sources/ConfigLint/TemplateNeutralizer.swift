import GatewayConfig

/// Makes a config that uses `{{ env "NAME" }}` parseable as JSON **without rendering it** and
/// without moving anything: every byte keeps its offset, so every line:column the parser reports
/// is the one in the file the user edits.
///
/// Why not render with the environment, as the loader does? Lint judges the file, not the
/// machine it runs on: a secret taken from the environment is exactly what lint recommends, so
/// it must still be recognisable as "comes from the environment" (and lint must work in CI where
/// the variables are not set).
///
/// - Inside a JSON string, `"client_secret": "{{ env "SECRET" }}"` becomes
///   `"{{ env 'SECRET' }}"`: the quotes around the name turn into apostrophes, so the string is
///   valid and its value still shows `{{` (see `isTemplated`).
/// - Outside a string (`"port": {{ env "PORT" }}`) the action becomes `null` padded with blanks:
///   lint treats `null` as absent, which is the least surprising guess for an unknown value.
///
/// Only the exact `{{ env "NAME" }}` form is touched (the one `ConfigLoader` renders); any other
/// Go template stays as it is and fails to parse, and the loader then explains "render it first".
enum TemplateNeutralizer {
    /// The neutralised bytes, how many actions were neutralised (0: the input unchanged), and
    /// whether a line break inside a string had to become a blank. Offsets never move, but then
    /// the parser's line numbers do: see ``LocationRemapper``.
    static func neutralize(_ input: [UInt8]) -> (bytes: [UInt8], actions: Int, joinedLines: Bool) {
        // Cheap exit for the common case: no `{{` at all.
        guard input.indices.dropLast().contains(where: { input[$0] == brace && input[$0 + 1] == brace }) else {
            return (input, 0, false)
        }
        var out = input
        var actions = 0
        var joinedLines = false
        var inString = false
        var i = 0
        let n = input.count
        while i < n {
            let b = input[i]
            if b == brace, i + 1 < n, input[i + 1] == brace, let action = envAction(input, at: i) {
                actions += 1
                if inString {
                    out[action.openQuote] = apostrophe
                    out[action.closeQuote] = apostrophe
                    // Blanks inside the action may be line breaks, which a JSON string can't hold.
                    for k in i..<action.end where out[k] == 0x0A || out[k] == 0x0D || out[k] == 0x09 {
                        if out[k] == 0x0A { joinedLines = true }
                        out[k] = space
                    }
                } else {
                    let literal = Array("null".utf8)
                    var k = i
                    for c in literal { out[k] = c; k += 1 }
                    // Keep line breaks so later line numbers stay right.
                    while k < action.end { if out[k] != 0x0A { out[k] = space }; k += 1 }
                }
                i = action.end
                continue
            }
            if inString {
                if b == backslash { i += 2; continue }
                if b == quote { inString = false }
            } else if b == quote {
                inString = true
            }
            i += 1
        }
        return (out, actions, joinedLines)
    }

    /// True when a string value came from a neutralised (or any other) template action.
    static func isTemplated(_ s: String) -> Bool { s.contains("{{") }

    private static let brace = UInt8(ascii: "{"), quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")
    private static let backslash = UInt8(ascii: "\\"), space = UInt8(ascii: " ")

    /// `{{ env "NAME" }}` at `start`: the loader's grammar, from `GatewayRules`.
    private static func envAction(_ t: [UInt8], at start: Int) -> (end: Int, openQuote: Int, closeQuote: Int)? {
        guard let a = t.withUnsafeBufferPointer({ GatewayRules.envAction($0, at: start) }) else { return nil }
        return (a.end, a.openQuote, a.closeQuote)
    }
}

/// Maps a line:column the parser reported in the neutralised text back to the file as written.
/// Needed only when ``TemplateNeutralizer`` joined lines (a line break inside an `{{ env }}`
/// action in a string): every byte kept its offset, so a location goes neutral line:column →
/// offset → original line:column. Columns count Unicode scalars, as the parser's do.
struct LocationRemapper {
    private let neutral: [UInt8], text: [UInt8]
    private let neutralLines: [Int], originalLines: [Int]

    init(neutral: [UInt8], original: [UInt8]) {
        self.neutral = neutral
        self.text = original
        neutralLines = Self.lineStarts(neutral)
        originalLines = Self.lineStarts(original)
    }

    func original(_ location: SourceLocation) -> SourceLocation {
        guard location.line >= 1, location.line <= neutralLines.count else { return location }
        // Neutral line:column → offset: past (column - 1) scalars from the line's start.
        var i = neutralLines[location.line - 1]
        var column = 1
        while column < location.column, i < neutral.count, neutral[i] != 0x0A {
            i += 1
            while i < neutral.count, neutral[i] & 0xC0 == 0x80 { i += 1 }
            column += 1
        }
        // Offset → original line (the last line starting at or before it) and column.
        var lo = 0, hi = originalLines.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if originalLines[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        var c = 1
        for k in originalLines[lo]..<min(i, text.count) where text[k] & 0xC0 != 0x80 { c += 1 }
        return SourceLocation(line: lo + 1, column: c)
    }

    /// Offsets where lines start; line 1 starts after a UTF-8 BOM, as for the parser.
    private static func lineStarts(_ t: [UInt8]) -> [Int] {
        let bom = t.count >= 3 && t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF ? 3 : 0
        var starts = [bom]
        for (k, b) in t.enumerated() where b == 0x0A { starts.append(k + 1) }
        return starts
    }
}
