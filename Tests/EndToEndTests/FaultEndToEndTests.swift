import DemoGateway
import Foundation
import Polling
import Testing

/// The fault matrix and terminal safety, with the real binary in tmux against DemoGateways in this
/// process: the dashboard keeps answering keys while rows hang, a server that goes away and comes
/// back recovers on screen, signals and a crash in a background task leave a working shell.
@Suite(.serialized) struct FaultEndToEndTests {
    /// Two servers: A is always healthy, B gets the faults (or goes away). Rows:
    /// `/ok` → A's healthy client; `/faulty` → B's `/oauth/token` (client `faulty`);
    /// `/second` → B's `/oauth/healthy/token` (client `healthy`), for a second fault.
    struct Rig {
        var a: DemoGateway
        var b: DemoGateway
        var dir: URL
        var config: String
        static let faultyPath = "/oauth/token"
        static let secondPath = "/oauth/healthy/token"
    }

    static func configJSON(a: DemoGateway, b: DemoGateway, insecure: Bool = false) -> String {
        func endpoint(_ path: String, host: String, id: String, secret: String, tokenURL: String) -> String {
            """
                {"endpoint": "\(path)", "backend": [{"host": ["\(host)"], "url_pattern": "/api/public",
                  "extra_config": {"auth/client-credentials": {"client_id": "\(id)", "client_secret": "\(secret)",
                    "token_url": "\(tokenURL)", "scopes": "read"}}}]}
            """
        }
        return """
        {"version": 3, "name": "fault rig", \(insecure ? "\"allow_insecure_connections\": true," : "")
         "endpoints": [
        \(endpoint("/ok", host: a.baseURL, id: "healthy", secret: "healthy-secret", tokenURL: a.baseURL + "/oauth/healthy/token")),
        \(endpoint("/faulty", host: b.baseURL, id: "faulty", secret: "faulty-secret", tokenURL: b.baseURL + Rig.faultyPath)),
        \(endpoint("/second", host: b.baseURL, id: "healthy", secret: "healthy-secret", tokenURL: b.baseURL + Rig.secondPath))
        ]}
        """
    }

    func withRig(bOptions: DemoGateway.Options = .init(), insecure: Bool = false, _ body: (Rig) async throws -> Void) async throws {
        let a = try await DemoGateway.start()
        let b = try await DemoGateway.start(options: bOptions)
        b.registerClient(id: "faulty", secret: "faulty-secret", lifetime: 3600)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-fault-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("krakend.json").path
        try Data(Self.configJSON(a: a, b: b, insecure: insecure).utf8).write(to: URL(fileURLWithPath: config))
        let rig = Rig(a: a, b: b, dir: dir, config: config)
        do { try await body(rig) } catch {
            try? await a.shutdown(); try? await b.shutdown(); try? FileManager.default.removeItem(at: dir)
            throw error
        }
        try await a.shutdown(); try await b.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Opens the dashboard on the rig in tmux; the pane's shell prints `exit=N` afterwards.
    /// `before` runs in the pane's shell first (e.g. `ulimit -c 0;`).
    func dashboard(_ rig: Rig, args: String = "--timeout 5", before: String = "", env: [String: String] = [:]) throws -> TmuxDriver {
        let tmux = TmuxDriver()
        try tmux.start("\(before)\(TmuxDriver.binary) \(rig.config) \(args); echo \"exit=$?\"", width: 160, height: 30, env: env)
        return tmux
    }

    func row(_ screen: String, _ endpoint: String) -> String? {
        screen.split(separator: "\n").map(String.init).first { $0.contains(" \(endpoint) ") || $0.hasSuffix(" \(endpoint)") }
    }

    /// The pid of the program running in the pane (the child of the pane's shell).
    func programPID(_ tmux: TmuxDriver) throws -> String {
        let r = try run(["sh", "-c", "pgrep -P $(tmux -L \(tmux.socket) list-panes -F '#{pane_pid}')"])
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// After the program has gone: the shell echoes, and nothing of the dashboard is left on screen.
    func expectWorkingShell(_ tmux: TmuxDriver, marker: String) async throws {
        try tmux.send(literal: "echo \(marker)-$((40+2))")
        try tmux.send(keys: "Enter")
        let s = try await tmux.waitFor(text: "\(marker)-42")
        #expect(!s.contains("STATE"), "the dashboard is still on screen:\n\(s)")
    }

    // MARK: Faults on screen
    // Hanging, trickling, refused, rate-limited and non-HTTP rows run in process now
    // (DashboardRuntimeTests/RuntimeFaultTests); TLS needs the real options and stays here.

    @Test func untrustedCertificateOnScreenAndCAFileFixesIt() async throws {
        try await withRig(bOptions: .init(tls: TLSFiles.trusted)) { rig in
            let tmux = try dashboard(rig)
            // Wait for both: on a loaded machine the TLS failure can show before /ok's token is back.
            try await tmux.waitFor("the certificate error beside a valid /ok", timeout: 20) {
                row($0, "/faulty")?.contains("certificate not trusted") == true && row($0, "/ok")?.contains("valid") == true
            }
            try tmux.send(keys: "q")
            _ = try await tmux.waitFor(text: "exit=0")
            tmux.stop()
            let trusted = try dashboard(rig, args: "--timeout 5 --ca-file \(TLSFiles.caFile)")
            defer { trusted.stop() }
            try await trusted.waitFor("B rows valid with --ca-file", timeout: 20) {
                row($0, "/faulty")?.contains("valid") == true && row($0, "/second")?.contains("valid") == true
            }
            // A test call to the HTTPS backend trusts the same CA.
            try trusted.send(keys: "j")
            try trusted.send(keys: "t")
            var pane = try await trusted.waitFor("the test call's answer", timeout: 15) {
                $0.contains("Test call · GET /faulty") && ($0.contains("200 OK") || $0.contains("connect timeout"))
            }
            if pane.contains("connect timeout") {
                // A debug build's TLS handshake on a loaded machine (a fresh-clone run beside a
                // release build) once outlasted the 2 s connect timeout of test calls. The subject
                // here is the CA, so the call is made once more.
                try trusted.send(keys: "t")
                pane = try await trusted.waitFor("the second call's answer", timeout: 15) { $0.contains("200 OK") }
            }
            #expect(!pane.contains("certificate not trusted"))
        }
    }

    // MARK: Terminal safety

    /// Every signal whose default action ends the process, sent from outside: the terminal is
    /// restored and the process ends (by that signal: the shell's `$?` is 128 + signo). Before,
    /// SIGSEGV/SIGQUIT/SIGABRT went on to Swift's backtracer, which returned after its report and
    /// left the program running and drawing over the shell; SIGUSR1 ended it with the terminal
    /// raw and on the alternate screen.
    @Test(arguments: [("INT", 130), ("TERM", 143), ("HUP", 129), ("SEGV", 139), ("QUIT", 131), ("ABRT", 134),
                      ("USR1", 138), ("USR2", 140), ("ALRM", 142)])
    func signalRestoresTheTerminalAndEndsTheProcess(_ signal: String, _ status: Int) async throws {
        try await withRig { rig in
            // SEGV, QUIT and ABRT dump core by default: not into the repository.
            let tmux = try dashboard(rig, before: "ulimit -c 0; ")
            defer { tmux.stop() }
            try await tmux.waitFor("the table") { row($0, "/ok")?.contains("valid") == true }
            let pid = try programPID(tmux)
            let process = try #require(pid_t(pid), "pid: \(pid)")
            try run(["kill", "-\(signal)", pid])
            try await waitUntilGone(process, what: "SIG\(signal)")
            if signal == "INT" {
                // Killed by SIGINT, the program tells its shell the user interrupted it, and the
                // shell drops the rest of the command line (the `echo`), as after Ctrl-C.
                try tmux.send(literal: "echo \"status=$?\"")
                try tmux.send(keys: "Enter")
                _ = try await tmux.waitFor(text: "status=130")
            } else {
                _ = try await tmux.waitFor(text: "exit=\(status)")
            }
            try await expectShellModes(tmux)
            try await expectWorkingShell(tmux, marker: "after-\(signal.lowercased())")
        }
    }

    /// Polls until no process `pid` exists (the pane's shell has reaped it): a process that is
    /// gone draws nothing more.
    func waitUntilGone(_ pid: pid_t, what: String, timeout: TimeInterval = 10,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await poll("process \(pid) to end after \(what)", timeout: timeout, every: .milliseconds(50), sourceLocation: sourceLocation) {
            kill(pid, 0) != 0 && errno == ESRCH
        }
    }

    /// The shell's terminal modes are back: line editing and echo (curses ran it raw, no echo).
    func expectShellModes(_ tmux: TmuxDriver, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try tmux.send(literal: #"printf 'modes=%s\n' "$(stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e -icanon -e echo -e -echo | sort | tr '\n' ,)""#)
        try tmux.send(keys: "Enter")
        try await tmux.waitFor("stty: echo and icanon on", sourceLocation: sourceLocation) { $0.contains("modes=echo,icanon,") }
    }

    @Test func trapInABackgroundTaskRestoresTheTerminal() async throws {
        try await withRig { rig in
            // Debug builds: the first token fetch traps (fatalError) after 8 s, inside the
            // manager's fetch task, while curses owns the terminal.
            let tmux = try dashboard(rig, env: ["TOKENTOP_DEBUG_TRAP_IN_FETCH": "8000", "SWIFT_BACKTRACE": "enable=no"])
            defer { tmux.stop() }
            try await tmux.waitFor("the dashboard", timeout: 8) { $0.contains("STATE") && $0.contains("/faulty") }
            // The typed command line itself contains `exit=$?`: only a line the echo printed counts.
            func status(_ screen: String) -> Int? {
                screen.split(separator: "\n").compactMap { line -> Int? in
                    let t = line.trimmingCharacters(in: .whitespaces)
                    return t.hasPrefix("exit=") ? Int(t.dropFirst(5)) : nil
                }.last
            }
            let s = try await tmux.waitFor("the crash", timeout: 20) { status($0) != nil }
            let code = status(s)
            #expect((code ?? 0) >= 128, "exit status \(code ?? -1)")
            // The fatal error message was kept aside while curses ran and shown after restore.
            #expect(s.contains("tokentop debug hook"), "\(s)")
            try await expectWorkingShell(tmux, marker: "after-trap")
        }
    }

    // MARK: CLI

    /// Runs the binary with stderr merged into the output, on a thread of its own: `run` blocks
    /// in waitpid, and a `check` that waits seconds must not hold one of the few threads that
    /// every other test of the process needs to make progress.
    func cli(_ args: String) async throws -> (status: Int32, out: String) {
        let argv = ["sh", "-c", "'\(TmuxDriver.binary)' \(args) 2>&1"]
        return try await withCheckedThrowingContinuation { cont in
            Thread { cont.resume(with: Result { try run(argv) }) }.start()
        }
    }

    @Test func checkAndCallNameTheFaultAndTakeCAFile() async throws {
        try await withRig(bOptions: .init(tls: TLSFiles.trusted)) { rig in
            let untrusted = try await cli("check \(rig.config) --timeout 3")
            #expect(untrusted.status == 1)
            #expect(untrusted.out.contains("certificate not trusted"), "\(untrusted.out)")
            #expect(untrusted.out.contains("--ca-file"))
            let trusted = try await cli("check \(rig.config) --timeout 3 --ca-file \(TLSFiles.caFile)")
            #expect(trusted.status == 0, "\(trusted.out)")
            let badCA = try await cli("check \(rig.config) --ca-file \(TLSFiles.path("ca.key"))")
            #expect(badCA.status != 0 && badCA.out.contains("--ca-file"), "\(badCA.out)")

            let call = try await cli("call \(rig.config) /faulty --timeout 3 --ca-file \(TLSFiles.caFile)")
            #expect(call.status == 0, "\(call.out)")
            rig.b.setFault(.html500, path: Rig.faultyPath)
            let failed = try await cli("call \(rig.config) /faulty --timeout 3 --ca-file \(TLSFiles.caFile)")
            #expect(failed.status == 1)
            #expect(failed.out.contains("token   500 Internal Server Error"), "\(failed.out)")
            #expect(failed.out.contains("the backend was not called"))
        }
    }

    @Test func allowInsecureConnectionsWarnsAndSkipsVerification() async throws {
        try await withRig(bOptions: .init(tls: TLSFiles.selfSigned), insecure: true) { rig in
            let warning = "allow_insecure_connections is true in \(rig.config)"
            let check = try await cli("check \(rig.config) --timeout 3")
            #expect(check.status == 0, "\(check.out)")
            #expect(check.out.contains("tokentop: warning: \(warning)"))
            let list = try await cli("list \(rig.config)")
            #expect(list.out.contains(warning))
            let call = try await cli("call \(rig.config) /faulty --timeout 3")
            #expect(call.status == 0, "\(call.out)")
            #expect(call.out.contains(warning))
            // The dashboard can't print to stderr while curses runs: its header says it instead.
            let tmux = try dashboard(rig, args: "--timeout 3")
            defer { tmux.stop() }
            let s = try await tmux.waitFor("the self-signed row valid", timeout: 20) { row($0, "/faulty")?.contains("valid") == true }
            #expect(s.split(separator: "\n").first?.contains("⚠ TLS NOT VERIFIED (allow_insecure_connections)") == true, "\(s)")
        }
    }
}

/// Test-only TLS files (Tests/Fixtures/tls; never trust them anywhere).
enum TLSFiles {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tls/\(name)").path
    }
    static var caFile: String { path("ca.pem") }
    static var trusted: DemoGateway.TLSFiles { .init(certificateChain: path("server.pem"), privateKey: path("server.key")) }
    static var selfSigned: DemoGateway.TLSFiles { .init(certificateChain: path("selfsigned.pem"), privateKey: path("selfsigned.key")) }
}
