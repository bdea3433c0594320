import Foundation
import TestProcess
import Testing

/// The repository root, from this file.
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `tokentop` (`.build/debug/tokentop`), or `TOKENTOP_BINARY`.
var tokentopBinary: String {
    ProcessInfo.processInfo.environment["TOKENTOP_BINARY"] ?? repository.appendingPathComponent(".build/debug/tokentop").path
}

/// A loadable config with an endpoint `/labels` (Tests/Fixtures/configs/README.md).
let fixtureConfig = repository.appendingPathComponent("Tests/Fixtures/configs/v1-parcels.json").path

/// Runs the binary off the cooperative pool (the wait blocks a thread).
func run(_ args: [String]) async throws -> Spawned {
    try await offPool { try spawnAndWait([tokentopBinary] + args, environment: ["NO_COLOR": "1"]) }
}

/// One unusable command line and the first line of stderr it must give.
struct UsageCase: Sendable, CustomTestStringConvertible {
    var command: String
    var what: String
    var args: [String]
    /// The reason line, exactly; or, for argument-parser's unknown-option message (which may
    /// append "Did you mean …?"), its beginning.
    var reason: String
    var reasonIsPrefix = false
    var testDescription: String { "\(command): \(what)" }
}

/// Every command × every way to get its command line wrong. `list` and `lint` have no
/// `--timeout`/`--concurrency`: for them those are unknown options, and still exit 2.
let usageCases: [UsageCase] = ["check", "list", "call", "lint"].flatMap { command -> [UsageCase] in
    let base = [command, fixtureConfig] + (command == "call" ? ["/labels"] : [])
    let hasTimeout = command == "check" || command == "call"
    func unknown(_ option: String) -> String { "Error: Unknown option '\(option)'" }
    return [
        UsageCase(command: command, what: "unknown flag", args: base + ["--bogus"], reason: unknown("--bogus"), reasonIsPrefix: true),
        UsageCase(command: command, what: "missing config", args: [command],
                  reason: "tokentop \(command): no config file: pass it as an argument or with -c FILE"),
        command == "check"
            ? UsageCase(command: command, what: "--concurrency 0", args: base + ["--concurrency", "0"],
                        reason: "Error: --concurrency must be between 1 and 1024 (got 0)")
            : UsageCase(command: command, what: "--concurrency 0", args: base + ["--concurrency", "0"],
                        reason: unknown("--concurrency"), reasonIsPrefix: true),
        // Was "Missing value for '--timeout <timeout>'": the parser took -1 for an option.
        hasTimeout
            ? UsageCase(command: command, what: "--timeout -1", args: base + ["--timeout", "-1"],
                        reason: "Error: --timeout must be more than 0 and at most 600 seconds (got -1)")
            : UsageCase(command: command, what: "--timeout -1", args: base + ["--timeout", "-1"],
                        reason: unknown("--timeout"), reasonIsPrefix: true),
        hasTimeout
            ? UsageCase(command: command, what: "--timeout abc", args: base + ["--timeout", "abc"],
                        reason: "Error: The value 'abc' is invalid for '--timeout <timeout>'")
            : UsageCase(command: command, what: "--timeout abc", args: base + ["--timeout", "abc"],
                        reason: unknown("--timeout"), reasonIsPrefix: true),
    ]
}

@Suite("Exit codes of the binary")
struct ExitCodeTests {
    /// An unusable command line exits 2 (not argument-parser's 64), prints nothing on stdout, and
    /// says why in the first line of stderr, followed by the command's usage.
    @Test(arguments: usageCases)
    func unusableCommandLineExits2WithAReason(_ c: UsageCase) async throws {
        let r = try await run(c.args)
        #expect(!r.signalled && r.status == 2, "exit \(r.status)\n\(r.stderr)")
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout.prefix(500))")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = lines.first ?? ""
        if c.reasonIsPrefix {
            #expect(first.hasPrefix(c.reason), "stderr: \(r.stderr)")
        } else {
            #expect(first == c.reason, "stderr: \(r.stderr)")
        }
        #expect(lines.contains { $0.hasPrefix("Usage: tokentop \(c.command) ") }, "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Missing value"), "stderr: \(r.stderr)")
    }

    /// The default command (`tokentop CONFIG`, the dashboard) too.
    @Test func dashboardUnknownFlagExits2() async throws {
        let r = try await run(["--bogus", fixtureConfig])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("Error: Unknown option '--bogus'"), "\(r.stderr)")
    }

    /// Found while running, not parsing: `call` with an endpoint the config lacks.
    @Test func callUnknownEndpointExits2WithItsOwnLine() async throws {
        let r = try await run(["call", fixtureConfig, "/nope"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("tokentop call: no endpoint matches /nope (see `tokentop list \(fixtureConfig)`)\nUsage: tokentop call "),
                "\(r.stderr)")
    }

    @Test func twoDifferentConfigFilesExit2() async throws {
        let r = try await run(["list", "-c", fixtureConfig, "other.json"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("tokentop list: two different config files given: \(fixtureConfig) and other.json\n"), "\(r.stderr)")
    }

    // MARK: What must not change

    @Test func helpAndVersionExit0OnStdout() async throws {
        let help = try await run(["check", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: tokentop check "), "\(help.stdout)\(help.stderr)")
        let version = try await run(["--version"])
        #expect(version.status == 0 && version.stdout == "0.1.0\n", "\(version.stdout)\(version.stderr)")
    }

    @Test func successExits0() async throws {
        let r = try await run(["list", fixtureConfig])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("6 backend(s)"), "\(r.stdout)")
    }

    /// 1 is "the command ran and found a problem"; 2 for a config that can't be used stays 2.
    @Test func commandFailuresKeepTheirCodes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-exit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Port 1 on loopback: refused at once, no network needed. No token_url elsewhere: a lint error.
        let refused = dir.appendingPathComponent("refused.json").path
        try Data(#"""
        {"version": 3, "endpoints": [{"endpoint": "/a", "backend": [{"host": ["http://127.0.0.1:8080"], "url_pattern": "/a",
          "extra_config": {"auth/client-credentials": {"client_id": "id", "client_secret": "{{ env "TT_EXIT_SECRET" }}",
            "token_url": "http://127.0.0.1:1/token", "scopes": "x"}}}]}]}
        """#.utf8).write(to: URL(fileURLWithPath: refused))
        let noTokenURL = dir.appendingPathComponent("no-token-url.json").path
        try Data(#"""
        {"version": 3, "endpoints": [{"endpoint": "/a", "backend": [{"host": ["http://127.0.0.1:8080"], "url_pattern": "/a",
          "extra_config": {"auth/client-credentials": {"client_id": "id", "client_secret": "{{ env "TT_EXIT_SECRET" }}", "scopes": "x"}}}]}]}
        """#.utf8).write(to: URL(fileURLWithPath: noTokenURL))
        let broken = dir.appendingPathComponent("broken.json").path
        try Data(#"{"version": 99, "endpoints": []}"#.utf8).write(to: URL(fileURLWithPath: broken))

        let check = try await offPool {
            try spawnAndWait([tokentopBinary, "check", refused, "--timeout", "5"], environment: ["TT_EXIT_SECRET": "s"])
        }
        #expect(check.status == 1, "\(check.stdout)\(check.stderr)")
        let lint = try await run(["lint", noTokenURL])
        #expect(lint.status == 1, "\(lint.stdout)\(lint.stderr)")
        #expect(lint.stdout.contains(#"error [credentials-missing-field]"#), "\(lint.stdout)")
        let list = try await run(["list", broken])
        #expect(list.status == 2, "\(list.stderr)")
        #expect(list.stderr.contains("tokentop: cannot load \(broken): 1 error"), "\(list.stderr)")
    }
}
