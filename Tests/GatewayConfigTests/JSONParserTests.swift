import Testing
@testable import GatewayConfig

@Suite("JSON parser")
struct JSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    func parseError(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> JSONParseError? {
        parseError(bytes: Array(text.utf8), sourceLocation: sourceLocation)
    }

    func parseError(bytes: [UInt8], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> JSONParseError? {
        do {
            let v = try JSONParser.parse(bytes)
            Issue.record("expected a syntax error, parsed \(v.typeName)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test func valuesAndKeysCarryLocations() throws {
        let text = """
        {
          "a": [1, "é", true],
          "b": {"c": null}
        }
        """
        let root = try parse(text)
        #expect(root.location == loc(1, 1))
        let members = try #require(root.objectMembers)
        #expect(members.map(\.key) == ["a", "b"])
        #expect(members[0].keyLocation == loc(2, 3))
        let a = try #require(root["a"])
        #expect(a.location == loc(2, 8))
        let elements = try #require(a.arrayValue)
        #expect(elements.map(\.location) == [loc(2, 9), loc(2, 12), loc(2, 17)])  // columns count scalars: é is one
        #expect(elements[1].stringValue == "é")
        #expect(elements[2].boolValue == true)
        #expect(root["b"]?["c"]?.isNull == true)
        #expect(root["b"]?["c"]?.location == loc(3, 14))
    }

    @Test func scalarKinds() throws {
        let v = try parse(#"[0, -1.5e3, 123456789012345678, 1E2, "x", false, null, {}, []]"#)
        let e = try #require(v.arrayValue)
        #expect(e[0].numberValue == 0)
        #expect(e[1].numberValue == -1500)
        #expect(e[2].numberValue == 1.2345678901234568e17)
        #expect(e[3].numberValue == 100)
        #expect(e[4].kind == .string("x"))
        #expect(e[5].kind == .bool(false))
        #expect(e[6].kind == .null)
        #expect(e[7].kind == .object([]))
        #expect(e[8].kind == .array([]))
        #expect(e.map(\.typeName) == ["number", "number", "number", "number", "string", "boolean", "null", "object", "array"])
    }

    @Test func duplicateKeysAreKeptAndTheLaterWins() throws {
        let v = try parse(#"{"a": 1, "b": 2, "a": 3}"#)
        #expect(v.objectMembers?.map(\.key) == ["a", "b", "a"])
        #expect(v["a"]?.numberValue == 3)
        #expect(v["a"]?.location == loc(1, 23))
        #expect(v["missing"] == nil)
    }

    @Test func escapes() throws {
        let v = try parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\ud83d\ude00", "\ud800x", "\udc00"]"#)
        let e = try #require(v.arrayValue)
        #expect(e[0].stringValue == "a\"b\\c/d\u{8}\u{C}\n\r\t")
        #expect(e[1].stringValue == "é😀")
        // Lone surrogates become U+FFFD, as in Go's encoding/json.
        #expect(e[2].stringValue == "\u{FFFD}x")
        #expect(e[3].stringValue == "\u{FFFD}")
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let v = try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array(#"{"a": 1}"#.utf8))
        #expect(v.location == loc(1, 1))
        #expect(v.objectMembers?.first?.keyLocation == loc(1, 2))
    }

    @Test func crlfLineEndings() throws {
        let v = try parse("{\r\n  \"a\": 1\r\n}")
        #expect(v.objectMembers?.first?.keyLocation == loc(2, 3))
        #expect(v["a"]?.location == loc(2, 8))
    }

    @Test func trailingCommaInObject() {
        let e = parseError("{\n  \"a\": 1,\n}")
        #expect(e?.location == loc(2, 9))
        #expect(e?.message == "trailing ',' before '}' (JSON does not allow trailing commas)")
    }

    @Test func trailingCommaInArray() {
        let e = parseError("[1, 2,]")
        #expect(e?.location == loc(1, 6))
        #expect(e?.message == "trailing ',' before ']' (JSON does not allow trailing commas)")
    }

    @Test func truncatedFile() {
        let e = parseError("{\n  \"a\": [1, 2")
        #expect(e?.location == loc(2, 13))
        #expect(e?.message == "unexpected end of input, expected ',' or ']' after array element")
        let e2 = parseError("{\"a\": 1")
        #expect(e2?.location == loc(1, 8))
        #expect(e2?.message == "unexpected end of input, expected ',' or '}' after object member")
        let e3 = parseError("{\"a\":")
        #expect(e3?.message == "unexpected end of input, expected a JSON value")
        #expect(e3?.location == loc(1, 6))
    }

    @Test func missingComma() {
        let e = parseError("{\"a\": 1 \"b\": 2}")
        #expect(e?.location == loc(1, 9))
        #expect(e?.message == "expected ',' or '}' after object member")
        let e2 = parseError("[1 2]")
        #expect(e2?.location == loc(1, 4))
        #expect(e2?.message == "expected ',' or ']' after array element")
    }

    @Test func missingColon() {
        let e = parseError("{\"a\" 1}")
        #expect(e?.location == loc(1, 6))
        #expect(e?.message == "expected ':' after object key")
    }

    @Test func unterminatedStringPointsAtItsOpeningQuote() {
        let atEOF = parseError("{\"a\": \"abc")
        #expect(atEOF?.location == loc(1, 7))
        #expect(atEOF?.message == "unterminated string")
        let atNewline = parseError("{\"a\": \"abc,\n \"b\": 1}")
        #expect(atNewline?.location == loc(1, 7))
        #expect(atNewline?.message == "unterminated string")
    }

    @Test func controlCharacterInString() {
        let e = parseError("[\"a\tb\"]")
        #expect(e?.location == loc(1, 4))
        #expect(e?.message == "control character U+0009 in string must be escaped")
    }

    @Test func invalidUTF8() {
        let e = parseError(bytes: Array("[\"ab".utf8) + [0xFF] + Array("\"]".utf8))
        #expect(e?.location == loc(1, 5))
        #expect(e?.message == "invalid UTF-8")
        // An overlong encoding and a truncated sequence are invalid too.
        #expect(parseError(bytes: Array("[\"".utf8) + [0xC0, 0x80] + Array("\"]".utf8))?.message == "invalid UTF-8")
        #expect(parseError(bytes: Array("[\"".utf8) + [0xE2, 0x82] + Array("\"]".utf8))?.message == "invalid UTF-8")
        // Outside a string.
        #expect(parseError(bytes: [0x5B, 0xFF, 0x5D])?.message == "invalid UTF-8")
    }

    @Test func invalidEscapes() {
        let e = parseError(#"["a\x"]"#)
        #expect(e?.location == loc(1, 4))
        #expect(e?.message == "invalid escape '\\x' in string")
        let u = parseError(#"["\u12G4"]"#)
        #expect(u?.location == loc(1, 3))
        #expect(u?.message == "invalid \\u escape (expected 4 hex digits)")
    }

    @Test func numbers() {
        #expect(parseError("[01]")?.message == "invalid number: leading zeros are not allowed")
        #expect(parseError("[01]")?.location == loc(1, 2))
        #expect(parseError("[-]")?.message == "invalid number, expected a digit after '-'")
        #expect(parseError("[1.]")?.location == loc(1, 4))
        #expect(parseError("[1e]")?.message == "invalid number, expected a digit in the exponent")
        #expect(parseError("[.5]")?.message == "unexpected '.', expected a JSON value")
    }

    @Test func hintsForNonJSONHabits() {
        let single = parseError("{'a': 1}")
        #expect(single?.location == loc(1, 2))
        #expect(single?.message == "unexpected ''', expected '\"' to start an object key after '{' (JSON strings use double quotes)")
        let comment = parseError("{\n  // note\n  \"a\": 1\n}")
        #expect(comment?.location == loc(2, 3))
        #expect(comment?.message.hasSuffix("(JSON does not allow comments)") == true)
        #expect(parseError("[tru]")?.message == "invalid literal, expected 'true'")
        #expect(parseError("[undefined]")?.message == "unexpected 'u', expected a JSON value")
    }

    @Test func dataAfterTheDocument() {
        let e = parseError("{}\n}")
        #expect(e?.location == loc(2, 1))
        #expect(e?.message == "unexpected '}' after the end of the JSON value")
    }

    @Test func emptyInput() {
        let e = parseError("  \n ")
        #expect(e?.message == "unexpected end of input, expected a JSON value")
        #expect(e?.location == loc(2, 2))
    }

    @Test func nestingLimit() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        var v = try parse(ok)
        var depth = 1
        while let inner = v.arrayValue?.first { v = inner; depth += 1 }
        #expect(depth == JSONParser.maxDepth)

        let tooDeep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        let e = parseError(tooDeep)
        #expect(e?.message == "nesting deeper than 512 levels")
        #expect(e?.location == loc(1, JSONParser.maxDepth + 1))

        // Far deeper input must fail cleanly too (no recursion to overflow).
        let huge = String(repeating: "{\"a\":", count: 100_000)
        #expect(parseError(huge)?.message == "nesting deeper than 512 levels")
    }

    @Test func minifiedSingleLineColumns() throws {
        // Long single lines must still give exact columns (the tracker scans forward only).
        let items = (0..<2000).map { "{\"k\":\($0)}" }.joined(separator: ",")
        let v = try parse("[" + items + "]")
        let last = try #require(v.arrayValue?.last)
        let expectedColumn = 2 + (0..<1999).map { "{\"k\":\($0)},".count }.reduce(0, +)
        #expect(last.location == loc(1, expectedColumn))
    }
}
