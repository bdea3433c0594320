import Testing
@testable import GatewayConfig

@Suite("Host sanitising (lura's SafeCleanHost)")
struct HostSanitizerTests {
    @Test(arguments: [
        ("host1", "http://host1"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://api.github.com", "https://api.github.com"),
        ("https://api.github.com/", "https://api.github.com"),
        ("http://showrss.info/", "http://showrss.info"),
        ("localhost:8080", "http://localhost:8080"),
        ("fake_api:8080", "http://fake_api:8080"),
        ("http://a-b.c_d:99", "http://a-b.c_d:99"),
        ("http://x:123456", "http://x:123456"),
    ])
    func valid(host: String, expected: String) {
        #expect(HostSanitizer.sanitize(host) == .valid(expected, ignored: false))
        #expect(HostSanitizer.sanitized(host) == expected)
    }

    @Test(arguments: [
        "http://a/b",               // a path
        "https://idp.example/oauth/token",
        "HTTP://a",                 // upper-case scheme
        "Https://a",
        "http://[::1]:8080",        // IPv6 literal
        "[2001:db8::1]",
        "http://a:8",               // one-digit port
        "http://a:1234567",         // seven-digit port
        "http://user:pw@host",
        "http://a?x=1",
        "",
        "://",
    ])
    func invalid(host: String) {
        #expect(HostSanitizer.sanitize(host) == .invalid)
        #expect(HostSanitizer.sanitized(host) == nil)
    }

    /// The Go regexp is unanchored: characters it can't match are dropped, not rejected.
    @Test func unmatchedCharactersAreDropped() {
        #expect(HostSanitizer.sanitize(" http://a ") == .valid("http://a", ignored: true))
        #expect(HostSanitizer.sanitize("http://a//") == .valid("http://a", ignored: true))
        #expect(HostSanitizer.sanitize("ftp://a") == .invalid)  // "ftp" and "a": two matches
    }
}

@Suite("Go durations")
struct GoDurationTests {
    @Test(arguments: [
        ("3s", Duration.seconds(3)),
        ("1500ms", .milliseconds(1500)),
        ("1h30m", .seconds(5400)),
        ("1.5h", .seconds(5400)),
        ("2m3.5s", .milliseconds(123_500)),
        ("300us", .microseconds(300)),
        ("300µs", .microseconds(300)),   // U+00B5 micro sign
        ("300μs", .microseconds(300)),   // U+03BC Greek mu
        ("10ns", .nanoseconds(10)),
        ("-2s", .seconds(-2)),
        ("+2s", .seconds(2)),
        ("0", .zero),
        (".5s", .milliseconds(500)),
    ])
    func valid(text: String, expected: Duration) {
        #expect(GoDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "3", "3 s", "3d", "s", "1.s.", "-", "3sec", "99999999999h", "."])
    func invalid(text: String) {
        #expect(GoDuration.parse(text) == nil)
    }

    @Test func numbersAreNanoseconds() {
        #expect(GoDuration.fromNanoseconds(1_000_000_000) == .seconds(1))
        #expect(GoDuration.fromNanoseconds(10) == .nanoseconds(10))
        #expect(GoDuration.fromNanoseconds(.infinity) == nil)
    }
}
