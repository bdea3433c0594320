/// A small JSON parser that remembers where every value and every object key came from.
///
/// Why not Foundation's `JSONSerialization`/`JSONDecoder`? They drop positions, key order and
/// duplicate keys, and their errors carry byte offsets at best. tokentop (and the linter built on
/// this later) must say `krakend.json:12:9: endpoints[3].backend[0]...`, so every value carries
/// its `SourceLocation`.
///
/// Positions: lines and columns are 1-based. **Columns count Unicode scalars** (not bytes, not
/// UTF-16 units), so a line with `"é": 1` puts `1` at column 7. Only `\n` ends a line (a `\r` before
/// it is ordinary whitespace, so CRLF files get the same numbers). A UTF-8 byte-order mark at the
/// start is skipped and not counted.
///
/// Semantics follow Go's `encoding/json` (what the gateway uses) where that matters: objects keep
/// duplicate keys and the later one wins on lookup; a lone UTF-16 surrogate in a `\u` escape
/// becomes U+FFFD. Stricter than Go in one way: invalid UTF-8 is an error (Go silently replaces
/// it), because a config with broken bytes is almost always a broken file.

/// One JSON value and where it starts (the first byte of its token: `{`, `[`, `"`, digit, …).
public struct JSONValue: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case null
        case bool(Bool)
        /// Numbers are kept as `Double`, like Go's `interface{}` decoding does.
        case number(Double)
        case string(String)
        case array([JSONValue])
        /// Members in file order, duplicates included (see `subscript(key:)`).
        case object([JSONMember])
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The JSON type name used in diagnostics: `object`, `array`, `string`, `number`, `boolean`, `null`.
    public var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The member value for `key`; with duplicate keys the **last** one wins, like Go's
    /// `encoding/json`. nil when this isn't an object or has no such key.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = kind else { return nil }
        for member in members.reversed() where member.key == key { return member.value }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = kind { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = kind { b } else { nil } }
    public var numberValue: Double? { if case .number(let d) = kind { d } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = kind { a } else { nil } }
    public var objectMembers: [JSONMember]? { if case .object(let m) = kind { m } else { nil } }
    public var isNull: Bool { if case .null = kind { true } else { false } }
}

/// One `"key": value` pair of an object, with the key's own location (diagnostics about a key,
/// such as "duplicate key", point at the key rather than at the value).
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: JSONValue

    public init(key: String, keyLocation: SourceLocation, value: JSONValue) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}

/// A JSON syntax error: where, and a short message such as `expected ',' or '}' after object member`.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation
    /// Byte offset of the error in the parsed buffer (after template rendering, if any).
    public var offset: Int

    public init(message: String, location: SourceLocation, offset: Int) {
        self.message = message
        self.location = location
        self.offset = offset
    }

    public var description: String { "\(location): \(message)" }
}

/// Entry points of the parser.
public enum JSONParser {
    /// Deeper nesting is rejected with an error. KrakenD configs nest maybe 10 levels; the limit
    /// only exists so hostile input gets an error instead of unbounded memory use (the parser is
    /// iterative, so there is no recursion to overflow).
    public static let maxDepth = 512

    /// Parses one JSON document (a UTF-8 BOM at the start is skipped).
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
            try parse(buffer)
        }
    }

    /// Parses one JSON document from raw memory (the buffer must stay valid for the call only).
    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var core = JSONParserCore(buffer: buffer, tracker: LocationTracker(text: buffer, map: nil))
        return try core.parseDocument()
    }

    /// Parses `rendered`, but reports locations in `original` through `map` (used after template
    /// rendering, so positions still point into the file the user edits).
    static func parse(rendered: UnsafeBufferPointer<UInt8>, original: UnsafeBufferPointer<UInt8>,
                      map: OffsetMap?) throws(JSONParseError) -> JSONValue {
        var core = JSONParserCore(buffer: rendered, tracker: LocationTracker(text: original, map: map))
        return try core.parseDocument()
    }

    /// Length of a UTF-8 byte-order mark at the start of `buffer` (0 or 3).
    static func bomLength(_ buffer: UnsafeBufferPointer<UInt8>) -> Int {
        buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0
    }
}

// MARK: - Locations

/// Maps byte offsets of a rendered template back to offsets in the original file. The rendered
/// text is a sequence of segments, each either copied verbatim from the original (offsets map
/// one to one) or substituted (every offset maps to the start of the `{{` it replaced).
struct OffsetMap: Sendable {
    struct Segment: Sendable {
        var renderedStart: Int
        var originalStart: Int
        var isCopy: Bool
    }
    var segments: [Segment]
    var renderedCount: Int
    var originalCount: Int

    func original(_ renderedOffset: Int) -> Int {
        if renderedOffset >= renderedCount { return originalCount }
        // Binary search for the last segment starting at or before the offset.
        var lo = 0, hi = segments.count - 1
        guard hi >= 0 else { return renderedOffset }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if segments[mid].renderedStart <= renderedOffset { lo = mid } else { hi = mid - 1 }
        }
        let s = segments[lo]
        return s.isCopy ? s.originalStart + (renderedOffset - s.renderedStart) : s.originalStart
    }
}

/// Turns byte offsets into line:column. Offsets are almost always asked for in increasing order
/// (token starts), so it scans forward from the last answer: one extra linear pass over the file
/// in total, and correct for minified single-line files (no quadratic rescans of a long line).
/// An earlier offset (only happens for error messages) restarts from the top.
struct LocationTracker {
    let text: UnsafeBufferPointer<UInt8>
    let map: OffsetMap?
    private var offset: Int
    private var line = 1
    private var column = 1
    private let start: Int

    init(text: UnsafeBufferPointer<UInt8>, map: OffsetMap?) {
        self.text = text
        self.map = map
        self.start = JSONParser.bomLength(text)
        self.offset = start
    }

    /// Location of `renderedOffset` (an offset into the parsed buffer).
    @inline(__always)
    mutating func location(at renderedOffset: Int) -> SourceLocation {
        let target = map.map { $0.original(renderedOffset) } ?? renderedOffset
        return location(original: target)
    }

    /// Location of an offset into the original text.
    mutating func location(original target: Int) -> SourceLocation {
        let target = min(max(target, start), text.count)
        if target < offset { offset = start; line = 1; column = 1 }
        var i = offset, l = line, c = column
        while i < target {
            let b = text[i]
            if b == 0x0A {
                l += 1; c = 1
            } else if b & 0xC0 != 0x80 { // count scalars: skip UTF-8 continuation bytes
                c += 1
            }
            i += 1
        }
        offset = i; line = l; column = c
        return SourceLocation(line: l, column: c)
    }
}

// MARK: - The parser

/// An open array or object while parsing. The parser keeps an explicit stack of these instead of
/// recursing, so nesting depth costs heap, not call stack (Swift Testing and dispatch threads can
/// have small stacks).
///
/// Children are collected on two shared scratch stacks (`values`, `members`) and copied into an
/// exactly-sized array when the container closes: one allocation per container instead of one per
/// growth step. Allocation and, later, deallocation dominate the cost of a 5 MB config.
private struct Frame {
    var isObject: Bool
    var location: SourceLocation
    /// Where this container's children start on the scratch stack.
    var start: Int
    /// The key whose value is being parsed (objects only).
    var key: String = ""
    var keyLocation: SourceLocation
}

private enum Byte {
    static let quote: UInt8 = 0x22, backslash: UInt8 = 0x5C, slash: UInt8 = 0x2F
    static let openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D
    static let openBracket: UInt8 = 0x5B, closeBracket: UInt8 = 0x5D
    static let comma: UInt8 = 0x2C, colon: UInt8 = 0x3A, minus: UInt8 = 0x2D, plus: UInt8 = 0x2B
    static let dot: UInt8 = 0x2E, zero: UInt8 = 0x30, nine: UInt8 = 0x39
}

struct JSONParserCore {
    let buf: UnsafeBufferPointer<UInt8>
    var pos: Int
    var tracker: LocationTracker

    init(buffer: UnsafeBufferPointer<UInt8>, tracker: LocationTracker) {
        self.buf = buffer
        self.pos = JSONParser.bomLength(buffer)
        self.tracker = tracker
    }

    @inline(__always) mutating func location(_ offset: Int) -> SourceLocation { tracker.location(at: offset) }

    mutating func error(_ message: String, at offset: Int) -> JSONParseError {
        JSONParseError(message: message, location: location(offset), offset: offset)
    }

    @inline(__always) mutating func skipWhitespace() {
        while pos < buf.count {
            let b = buf[pos]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos += 1
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard pos < buf.count else { throw error("unexpected end of input, expected a JSON value", at: pos) }
        var stack: [Frame] = []
        var values: [JSONValue] = []     // children of open arrays
        var members: [JSONMember] = []   // children of open objects

        // Each turn parses one value; containers push a frame and `continue`, scalars fall through
        // to the inner loop, which attaches the finished value to its parent and closes parents
        // whose closing bracket follows.
        nextValue: while true {
            guard pos < buf.count else {
                throw error("unexpected end of input, expected a JSON value", at: pos)
            }
            let start = pos
            var value: JSONValue
            switch buf[pos] {
            case Byte.openBrace:
                let loc = location(start)
                guard stack.count < JSONParser.maxDepth else {
                    throw error("nesting deeper than \(JSONParser.maxDepth) levels", at: start)
                }
                pos += 1
                skipWhitespace()
                if pos < buf.count && buf[pos] == Byte.closeBrace {
                    pos += 1
                    value = JSONValue(.object([]), at: loc)
                } else {
                    let (key, keyLoc) = try parseKey(after: "'{'")
                    stack.append(Frame(isObject: true, location: loc, start: members.count, key: key, keyLocation: keyLoc))
                    skipWhitespace()
                    continue nextValue
                }
            case Byte.openBracket:
                let loc = location(start)
                guard stack.count < JSONParser.maxDepth else {
                    throw error("nesting deeper than \(JSONParser.maxDepth) levels", at: start)
                }
                pos += 1
                skipWhitespace()
                if pos < buf.count && buf[pos] == Byte.closeBracket {
                    pos += 1
                    value = JSONValue(.array([]), at: loc)
                } else {
                    stack.append(Frame(isObject: false, location: loc, start: values.count, keyLocation: loc))
                    continue nextValue
                }
            case Byte.quote:
                let loc = location(start)
                value = JSONValue(.string(try parseString()), at: loc)
            case Byte.minus, Byte.zero...Byte.nine:
                let loc = location(start)
                value = JSONValue(.number(try parseNumber()), at: loc)
            case UInt8(ascii: "t"):
                let loc = location(start)
                try expectLiteral("true")
                value = JSONValue(.bool(true), at: loc)
            case UInt8(ascii: "f"):
                let loc = location(start)
                try expectLiteral("false")
                value = JSONValue(.bool(false), at: loc)
            case UInt8(ascii: "n"):
                let loc = location(start)
                try expectLiteral("null")
                value = JSONValue(.null, at: loc)
            default:
                throw unexpected(at: pos, expecting: "a JSON value")
            }

            // Attach `value` to its parent; close every container whose end follows.
            while true {
                guard !stack.isEmpty else {
                    skipWhitespace()
                    if pos < buf.count {
                        throw error("unexpected \(describeCharacter(at: pos)) after the end of the JSON value", at: pos)
                    }
                    return value
                }
                let top = stack.count - 1
                if stack[top].isObject {
                    members.append(JSONMember(key: stack[top].key, keyLocation: stack[top].keyLocation, value: value))
                    skipWhitespace()
                    guard pos < buf.count else {
                        throw error("unexpected end of input, expected ',' or '}' after object member", at: pos)
                    }
                    switch buf[pos] {
                    case Byte.comma:
                        let comma = pos
                        pos += 1
                        skipWhitespace()
                        if pos < buf.count && buf[pos] == Byte.closeBrace {
                            throw error("trailing ',' before '}' (JSON does not allow trailing commas)", at: comma)
                        }
                        let (key, keyLoc) = try parseKey(after: "','")
                        stack[top].key = key
                        stack[top].keyLocation = keyLoc
                        skipWhitespace()
                        continue nextValue
                    case Byte.closeBrace:
                        pos += 1
                        let frame = stack.removeLast()
                        let children = Array(members[frame.start...])
                        members.removeLast(members.count - frame.start)
                        value = JSONValue(.object(children), at: frame.location)
                    default:
                        throw error("expected ',' or '}' after object member", at: pos)
                    }
                } else {
                    values.append(value)
                    skipWhitespace()
                    guard pos < buf.count else {
                        throw error("unexpected end of input, expected ',' or ']' after array element", at: pos)
                    }
                    switch buf[pos] {
                    case Byte.comma:
                        let comma = pos
                        pos += 1
                        skipWhitespace()
                        if pos < buf.count && buf[pos] == Byte.closeBracket {
                            throw error("trailing ',' before ']' (JSON does not allow trailing commas)", at: comma)
                        }
                        continue nextValue
                    case Byte.closeBracket:
                        pos += 1
                        let frame = stack.removeLast()
                        let children = Array(values[frame.start...])
                        values.removeLast(values.count - frame.start)
                        value = JSONValue(.array(children), at: frame.location)
                    default:
                        throw error("expected ',' or ']' after array element", at: pos)
                    }
                }
            }
        }
    }

    /// Parses `"key"` and the `:` after it; leaves `pos` after the colon.
    mutating func parseKey(after what: String) throws(JSONParseError) -> (String, SourceLocation) {
        skipWhitespace()
        guard pos < buf.count else {
            throw error("unexpected end of input, expected '\"' to start an object key", at: pos)
        }
        guard buf[pos] == Byte.quote else {
            throw unexpected(at: pos, expecting: "'\"' to start an object key after \(what)")
        }
        let loc = location(pos)
        let key = try parseString()
        skipWhitespace()
        guard pos < buf.count else { throw error("unexpected end of input, expected ':' after object key", at: pos) }
        guard buf[pos] == Byte.colon else { throw error("expected ':' after object key", at: pos) }
        pos += 1
        return (key, loc)
    }

    /// An "unexpected character" error with a hint for the usual non-JSON habits.
    mutating func unexpected(at offset: Int, expecting: String) -> JSONParseError {
        let b = buf[offset]
        if b >= 0x80 && validUTF8End(at: offset) == nil {
            return error("invalid UTF-8", at: offset)
        }
        var message = "unexpected \(describeCharacter(at: offset)), expected \(expecting)"
        switch b {
        case UInt8(ascii: "'"): message += " (JSON strings use double quotes)"
        case Byte.slash, UInt8(ascii: "#"): message += " (JSON does not allow comments)"
        default: break
        }
        return error(message, at: offset)
    }

    func describeCharacter(at offset: Int) -> String {
        let b = buf[offset]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        if b < 0x80 { return "character U+" + hex4(UInt32(b)) }
        // Decode one scalar for the message.
        if let end = validUTF8End(at: offset),
           let scalar = String(decoding: UnsafeBufferPointer(rebasing: buf[offset..<end]), as: UTF8.self).unicodeScalars.first {
            return "character U+" + hex4(scalar.value) + " '\(scalar)'"
        }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    private func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        let ok: Bool = literal.withUTF8Buffer { lit in
            guard pos + n <= buf.count else { return false }
            for i in 0..<n where buf[pos + i] != lit[i] { return false }
            return true
        }
        guard ok else { throw error("invalid literal, expected '\(literal)'", at: pos) }
        pos += n
    }

    // MARK: Strings

    /// Parses a string starting at the opening quote at `pos`.
    @inline(__always)
    mutating func parseString() throws(JSONParseError) -> String {
        let quote = pos
        var i = pos + 1
        let n = buf.count
        // Fast path: no escapes → one String built straight from the bytes.
        while i < n {
            let b = buf[i]
            if b == Byte.quote {
                pos = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: buf[(quote + 1)..<i]), as: UTF8.self)
            }
            if b == Byte.backslash { return try parseEscapedString(quote: quote, from: i) }
            if b < 0x20 { throw controlCharacterError(quote: quote, at: i) }
            if b >= 0x80 {
                guard let end = validUTF8End(at: i) else { throw error("invalid UTF-8", at: i) }
                i = end
            } else {
                i += 1
            }
        }
        throw error("unterminated string", at: quote)
    }

    mutating func controlCharacterError(quote: Int, at i: Int) -> JSONParseError {
        // A raw line break almost always means a missing closing quote: point at the string's start.
        if buf[i] == 0x0A || buf[i] == 0x0D { return error("unterminated string", at: quote) }
        return error("control character U+\(hex4(UInt32(buf[i]))) in string must be escaped", at: i)
    }

    /// Slow path, from the first backslash at `from`.
    mutating func parseEscapedString(quote: Int, from: Int) throws(JSONParseError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(from - quote + 16)
        out.append(contentsOf: buf[(quote + 1)..<from])
        var i = from
        let n = buf.count
        while i < n {
            let b = buf[i]
            if b == Byte.quote {
                pos = i + 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == Byte.backslash {
                guard i + 1 < n else { break }
                switch buf[i + 1] {
                case Byte.quote: out.append(Byte.quote)
                case Byte.backslash: out.append(Byte.backslash)
                case Byte.slash: out.append(Byte.slash)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard let unit = hex4(at: i + 2) else { throw error("invalid \\u escape (expected 4 hex digits)", at: i) }
                    i += 6
                    var scalar: UInt32 = unit
                    if (0xD800...0xDBFF).contains(unit) {
                        // A high surrogate must be followed by a low one; otherwise U+FFFD, as Go does.
                        if i + 1 < n, buf[i] == Byte.backslash, buf[i + 1] == UInt8(ascii: "u"),
                           let low = hex4(at: i + 2), (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        scalar = 0xFFFD
                    }
                    appendUTF8(scalar, to: &out)
                    continue
                default:
                    throw error("invalid escape '\\\(describeEscape(at: i + 1))' in string", at: i)
                }
                i += 2
                continue
            }
            if b < 0x20 { throw controlCharacterError(quote: quote, at: i) }
            if b >= 0x80 {
                guard let end = validUTF8End(at: i) else { throw error("invalid UTF-8", at: i) }
                out.append(contentsOf: buf[i..<end])
                i = end
                continue
            }
            out.append(b)
            i += 1
        }
        throw error("unterminated string", at: quote)
    }

    func describeEscape(at i: Int) -> String {
        let b = buf[i]
        return b >= 0x20 && b < 0x7F ? String(Character(Unicode.Scalar(b))) : "\\u{\(String(b, radix: 16))}"
    }

    func hex4(at i: Int) -> UInt32? {
        guard i + 4 <= buf.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = buf[i + k]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// If a well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF) starts
    /// at `i`, the offset after it.
    func validUTF8End(at i: Int) -> Int? {
        let n = buf.count
        let b0 = buf[i]
        @inline(__always) func cont(_ k: Int) -> Bool { k < n && buf[k] & 0xC0 == 0x80 }
        switch b0 {
        case 0x00...0x7F:
            return i + 1
        case 0xC2...0xDF:
            return cont(i + 1) ? i + 2 : nil
        case 0xE0...0xEF:
            guard cont(i + 1), cont(i + 2) else { return nil }
            let b1 = buf[i + 1]
            if b0 == 0xE0 && b1 < 0xA0 { return nil }  // overlong
            if b0 == 0xED && b1 > 0x9F { return nil }  // UTF-16 surrogate
            return i + 3
        case 0xF0...0xF4:
            guard cont(i + 1), cont(i + 2), cont(i + 3) else { return nil }
            let b1 = buf[i + 1]
            if b0 == 0xF0 && b1 < 0x90 { return nil }  // overlong
            if b0 == 0xF4 && b1 > 0x8F { return nil }  // > U+10FFFF
            return i + 4
        default:
            return nil
        }
    }

    // MARK: Numbers

    /// Parses a number per the JSON grammar. Integers of up to 15 digits are converted directly
    /// (exact in a Double); anything else goes through Swift's own locale-independent
    /// `Double(String)` — never C `strtod`, which follows `LC_NUMERIC` once curses calls setlocale.
    mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = pos
        let n = buf.count
        var i = pos
        var negative = false
        if buf[i] == Byte.minus { negative = true; i += 1 }
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < n && buf[k] >= Byte.zero && buf[k] <= Byte.nine }
        guard isDigit(i) else { throw error("invalid number, expected a digit after '-'", at: start) }
        var integer: Int64 = 0
        var digits = 0
        if buf[i] == Byte.zero {
            i += 1
            if isDigit(i) { throw error("invalid number: leading zeros are not allowed", at: start) }
            digits = 1
        } else {
            while isDigit(i) {
                if digits < 18 { integer = integer &* 10 &+ Int64(buf[i] &- Byte.zero) }
                digits += 1
                i += 1
            }
        }
        var isInteger = true
        if i < n && buf[i] == Byte.dot {
            isInteger = false
            i += 1
            guard isDigit(i) else { throw error("invalid number, expected a digit after '.'", at: i) }
            while isDigit(i) { i += 1 }
        }
        if i < n && (buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E")) {
            isInteger = false
            i += 1
            if i < n && (buf[i] == Byte.plus || buf[i] == Byte.minus) { i += 1 }
            guard isDigit(i) else { throw error("invalid number, expected a digit in the exponent", at: i) }
            while isDigit(i) { i += 1 }
        }
        pos = i
        if isInteger && digits <= 15 {
            return Double(negative ? -integer : integer)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw error("number \(text) is out of range", at: start) }
        return d
    }
}
