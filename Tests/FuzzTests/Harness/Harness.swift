import ConfigLint
import Dashboard
import TerminalScreen
import Foundation
import GatewayConfig
import TokenKit

/// One broken promise found by a fuzz input (a crash kills the process instead; see the runner).
public struct Violation: Error, CustomStringConvertible, Sendable {
    public var target: String
    public var message: String
    public var input: [UInt8]
    public var description: String { "\(target): \(message) (input of \(input.count) bytes)" }
}

/// What the config loader promises for any bytes at all:
/// - it returns or throws `ConfigLoadError`; a thrown error holds at least one error diagnostic;
/// - every diagnostic names the file, and has a line:column inside the file, except the
///   file-level ones (an empty file), which have none;
/// - `lint` on the same bytes returns or throws the same way;
/// - loading is deterministic.
public enum ConfigHarness {
    public static let environment = ["TT_FUZZ_ID": "fuzz-client", "TT_FUZZ_SECRET": "s\"e\\c{{r}}et\n", "TT_EMPTY": ""]

    /// Messages allowed without a location: they are about the file, not a place in it (it is
    /// empty, unreadable, or YAML/TOML by its name).
    static func isFileLevel(_ message: String) -> Bool {
        message.hasPrefix("file is empty") || message.hasPrefix("cannot read") || message == "is a directory"
            || message.hasPrefix("tokentop reads JSON configs")
    }

    public static func check(_ bytes: [UInt8], file: String = "fuzz.json", lint: Bool = true, twice: Bool = false) -> Violation? {
        var loaded = false
        return check(bytes, file: file, lint: lint, twice: twice, loaded: &loaded)
    }

    /// As above; `loaded` tells whether the loader accepted the input.
    public static func check(_ bytes: [UInt8], file: String, lint: Bool, twice: Bool, loaded: inout Bool) -> Violation? {
        func fail(_ m: String) -> Violation { Violation(target: "config", message: m, input: bytes) }
        let lines = LineTable(bytes)
        func checkDiagnostics(_ ds: [Diagnostic], what: String) -> Violation? {
            for d in ds {
                guard d.file == file else { return fail("\(what): diagnostic names file \(d.file): \(d)") }
                guard !d.message.isEmpty else { return fail("\(what): empty message: \(d)") }
                if let loc = d.location {
                    guard lines.contains(loc) else { return fail("\(what): location \(loc) outside the file (\(lines.summary)): \(d)") }
                } else if !isFileLevel(d.message) {
                    return fail("\(what): no location on a diagnostic that is not about the whole file: \(d)")
                }
            }
            return nil
        }

        var first: [Diagnostic] = []
        do {
            let c = try ConfigLoader.load(bytes: bytes, file: file, environment: environment)
            if let v = checkDiagnostics(c.diagnostics, what: "warnings") { return v }
            guard c.diagnostics.allSatisfy({ $0.severity == .warning }) else { return fail("an error in a loaded config's diagnostics") }
            for r in c.routes {
                if let loc = r.location, !lines.contains(loc) { return fail("route location \(loc) outside the file") }
                // What `list` and the dashboard do with every route.
                _ = r.displayURL
                if let cred = r.credentials { _ = cred.scopeList; _ = cred.identity.hashValue }
            }
            first = c.diagnostics
            loaded = true
        } catch {
            guard !error.errors.isEmpty else { return fail("ConfigLoadError without an error diagnostic") }
            if let v = checkDiagnostics(error.diagnostics, what: "errors") { return v }
            _ = error.description
            first = error.diagnostics
        }

        if twice {
            let again: [Diagnostic]
            do { again = try ConfigLoader.load(bytes: bytes, file: file, environment: environment).diagnostics } catch { again = error.diagnostics }
            if again != first { return fail("two loads of the same bytes disagree") }
        }

        if lint {
            do {
                let result = try ConfigLinter.lint(file: file, bytes: bytes, environment: environment)
                for f in result.findings {
                    if let loc = f.location, !lines.contains(loc) {
                        return fail("lint finding at \(loc) outside the file: \(f)")
                    }
                    _ = f.description
                }
                _ = result.summary
            } catch {
                guard !error.errors.isEmpty else { return fail("lint: ConfigLoadError without an error diagnostic") }
                if let v = checkDiagnostics(error.diagnostics, what: "lint errors") { return v }
            }
        }
        return nil
    }
}


/// Lines of a file as the parser counts them: `\n` ends a line, a column counts Unicode scalars
/// (every byte that is not a UTF-8 continuation byte), a leading BOM is not counted.
struct LineTable {
    /// Columns in each line (1-based line i → widths[i - 1]).
    var widths: [Int] = []

    init(_ bytes: [UInt8]) {
        var width = 0
        let start = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        for b in bytes[start...] {
            if b == 0x0A { widths.append(width); width = 0 } else if b & 0xC0 != 0x80 { width += 1 }
        }
        widths.append(width)
    }

    /// A location may point one past the last character of a line (end of input).
    func contains(_ loc: GatewayConfig.SourceLocation) -> Bool {
        loc.line >= 1 && loc.line <= widths.count && loc.column >= 1 && loc.column <= widths[loc.line - 1] + 1
    }

    var summary: String { "\(widths.count) lines" }
}

/// What the token-response parser promises for any answer at all:
/// - a success only for a 2xx status, with a non-empty token;
/// - a failure always has a message, and a non-2xx status is always `httpStatus`;
/// - everything shown of a token (mask, type, expiry, JWT claims) can be computed;
/// - the mask of a token of 16 characters or more never contains the token.
public enum TokenHarness {
    public struct Input: Sendable {
        public var status: Int
        public var reason: String
        public var headers: [HTTPHeader]
        public var body: [UInt8]
        public var truncated: Bool
    }

    public static func check(_ input: Input) -> Violation? {
        var ok = false
        return check(input, succeeded: &ok)
    }

    /// As above; `succeeded` tells whether the parser returned a token.
    public static func check(_ input: Input, succeeded: inout Bool) -> Violation? {
        func fail(_ m: String) -> Violation {
            Violation(target: "token", message: "\(m) [status \(input.status), headers \(input.headers)]", input: input.body)
        }
        let response = HTTPResponseData(status: input.status, reason: input.reason, headers: input.headers,
                                        body: input.body, truncated: input.truncated)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        switch TokenResponseParser.parse(response, receivedAt: now) {
        case .success(let token):
            succeeded = true
            guard (200...299).contains(input.status) else { return fail("success for status \(input.status)") }
            guard !token.value.isEmpty else { return fail("success with an empty token") }
            let masked = token.masked
            if token.value.count >= 16, masked.contains(token.value) { return fail("the mask shows the whole token") }
            _ = token.tokenType
            _ = token.effectiveExpiry
            _ = token.isExpired(at: now)
            // The refresh time the manager computes for this token (expiry − 10 s, at least 5 s away).
            if let eff = token.effectiveExpiry { _ = max(eff, now.addingTimeInterval(5)).timeIntervalSince(now) }
            if let jwt = JWT.decode(token.value) { _ = jwt.header.mapValues(\.display); _ = jwt.claims.mapValues(\.compact) }
        case .failure(let f):
            guard !f.message.isEmpty else { return fail("failure without a message") }
            if !(200...299).contains(input.status), f.kind != .httpStatus { return fail("non-2xx status judged \(f.kind)") }
            _ = f.summary
            _ = f.bodyPreview
        }
        return nil
    }

    /// Convenience for callers without TokenKit (the libFuzzer entry).
    public static func check(status: Int, contentType: String?, body: [UInt8], truncated: Bool) -> Violation? {
        check(Input(status: status, reason: "OK", headers: contentType.map { [HTTPHeader("Content-Type", $0)] } ?? [],
                    body: body, truncated: truncated))
    }

    /// A random answer built from the seeds.
    public static func randomInput(_ rng: inout SplitMix64, mutator: inout Mutator) -> Input {
        var headers: [HTTPHeader] = []
        if let ct = rng.pick(Seeds.contentTypes) { headers.append(HTTPHeader(rng.oneIn(4) ? "content-type" : "Content-Type", ct)) }
        if rng.oneIn(4) { headers.append(HTTPHeader("Retry-After", rng.pick(["7", "-1", "1e9", "Wed, 21 Oct 2015 07:28:00 GMT", "", " 3 "]))) }
        if rng.oneIn(4) { headers.append(HTTPHeader("WWW-Authenticate", rng.pick(["Basic realm=\"x\"", "", "Bearer error=\"invalid_token\""]))) }
        if rng.oneIn(8) { headers.append(HTTPHeader("Content-Type", "text/plain")) }   // a repeated header
        var body = Array(rng.pick(Seeds.tokenBodies).utf8)
        if rng.oneIn(2) { body = mutator.mutate(body) }
        let status = rng.oneIn(8) ? rng.below(1000) - 1 : rng.oneIn(2) ? 200 : rng.pick(Seeds.statuses)
        return Input(status: status, reason: rng.pick(["OK", "", "Bad Request", "Ünïcode", "\r\n"]), headers: headers,
                     body: body, truncated: rng.oneIn(8))
    }
}
