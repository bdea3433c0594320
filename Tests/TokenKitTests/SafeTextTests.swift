import Testing
import TokenKit

@Suite struct SafeTextTests {
    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(SafeText.escape("a\nb\tc\r") == "a\\nb\\tc\\r")
        // A colour change and a terminal-title change (OSC … BEL) arrive as text, not as effects.
        #expect(SafeText.escape("\u{1B}[31mred\u{1B}]0;owned\u{07}") == "\\x1B[31mred\\x1B]0;owned\\x07")
        #expect(SafeText.escape("\u{0}\u{1F}\u{7F}") == "\\x00\\x1F\\x7F")
        // C1: CSI (U+009B) and NEL (U+0085) act like ESC [ and a newline on some terminals.
        #expect(SafeText.escape("\u{9B}2J\u{85}\u{80}\u{9F}") == "\\x9B2J\\x85\\x80\\x9F")
    }

    @Test func printableTextIsKeptAsItIs() {
        let text = "401 invalid_client: café ✓ 日本語 🙂 \u{A0}NBSP ¿¡ ÿ"
        #expect(SafeText.escape(text) == text)
        #expect(SafeText.escape("") == "")
    }

    @Test func backslashIsDoubledSoEscapesAreUnambiguous() {
        // A server that sends the four characters `\x1B` must not look like one that sent ESC.
        #expect(SafeText.escape("\\x1B") == "\\\\x1B")
        #expect(SafeText.escape("\u{1B}") == "\\x1B")
    }

    @Test func resultIsOneLineWithoutControlCharacters() {
        let every = String(String.UnicodeScalarView((0...0x2FF).compactMap(Unicode.Scalar.init)))
        let out = SafeText.escape(every)
        #expect(!out.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) })
        #expect(!out.contains("\n"))
        // Everything printable survives.
        #expect(out.hasSuffix(String(String.UnicodeScalarView((0xA0...0x2FF).compactMap(Unicode.Scalar.init)))))
    }

    @Test func bytesKeepValidUTF8AndNameInvalidBytes() {
        #expect(SafeText.escape(utf8: Array("é\n✓".utf8)) == "é\\n✓")
        // A lone continuation byte, a truncated sequence and an overlong NUL each show their bytes.
        #expect(SafeText.escape(utf8: [0x61, 0x80, 0x62]) == "a\\x80b")
        #expect(SafeText.escape(utf8: [0xE2, 0x9C]) == "\\xE2\\x9C")
        #expect(SafeText.escape(utf8: [0xC0, 0x80, 0x1B]) == "\\xC0\\x80\\x1B")
        #expect(SafeText.escape(utf8: [UInt8]()) == "")
    }
}
