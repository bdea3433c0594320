import ArgumentParser
import BackendCall
import ConfigLint
import Dashboard
import TerminalScreen
import FileLogging
import Foundation
import GatewayConfig
import HTTPTransport
import Logging
import Synchronization
import TerminalCurses
import TokenKit

struct DashboardOptions: ParsableArguments {
    @Flag(help: "Disable the keys that act: refresh (r, R) and test calls (t). Watch only.") var readonly = false
    @Flag(name: .customLong("no-color"), help: "Monochrome screen (also when NO_COLOR is set).") var noColor = false
    @Flag(help: "Report mouse clicks and the wheel (takes over the terminal's own selection).") var mouse = false
    @Option(help: "Write logs (every token attempt) to this file; nothing is written to the terminal.")
    var logFile: String?
}

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The live dashboard (the default command): `tokentop CONFIG`.")

    @OptionGroup var config: ConfigOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var dashboard: DashboardOptions

    func run() async throws {
        // Checked before loading so `tokentop FILE | less` gets the hint, not a config dump.
        try requireTerminal()
        limitMallocArenas()
        let (cfg, source) = try config.loadKeepingSource()
        let code = try await runDashboard(cfg, source: source, network: network, options: dashboard)
        if code != 0 { throw ExitCode(code) }
    }
}

func requireTerminal() throws {
    guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
        stderr("tokentop: the dashboard needs a terminal (stdin and stdout are not both a tty).\n"
               + "For scripts and cron use `tokentop check CONFIG` (or `tokentop list CONFIG`).")
        throw ExitCode(2)
    }
}

/// Messages from the token world to the UI thread. The UI thread blocks in curses' input wait;
/// `post` wakes it through the terminal's waker so changes show at once, without polling.
final class Inbox: Sendable {
    private let queue = Mutex<[Msg]>([])
    private let waker = Mutex<TerminalWaker?>(nil)
    func setWaker(_ w: TerminalWaker) { waker.withLock { $0 = w } }
    func post(_ m: Msg) {
        queue.withLock { $0.append(m) }
        waker.withLock { $0 }?.wake()
    }
    func drain() -> [Msg] { queue.withLock { q in defer { q.removeAll() }; return q } }
}

/// A task started later, at most once, from any thread (the token schedule, after the first frame).
final class LateTask: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)
    func start(_ body: @escaping @Sendable () async -> Void) { task.withLock { if $0 == nil { $0 = Task { await body() } } } }
    func cancel() { task.withLock { $0?.cancel() } }
}

/// Collapses bursts of token events into one snapshot message: at 10,000 tokens the initial
/// fetch produces 10,000 events, and copying every snapshot for each would be quadratic.
actor SnapshotPump {
    let manager: TokenManager
    let inbox: Inbox
    var scheduled = false
    init(manager: TokenManager, inbox: Inbox) { self.manager = manager; self.inbox = inbox }

    func changed() {
        guard !scheduled else { return }
        scheduled = true
        Task {
            try? await Task.sleep(for: .milliseconds(50))
            await self.publish()
        }
    }
    func publish() async {
        scheduled = false
        let snaps = await manager.snapshot()
        let events = await manager.events()
        inbox.post(.tokens(snaps, events: events))
    }
}

/// - Parameter source: the bytes `cfg` was loaded from; the background lint reads those, never the
///   file again (see `ConfigOptions.loadKeepingSource`).
func runDashboard(_ cfg: GatewayConfiguration, source: ConfigSource, network: NetworkOptions, options: DashboardOptions) async throws -> Int32 {
    try requireTerminal()
    limitMallocArenas()
    // The config's parse tree is gone: its pages go back before the model and tokens arrive.
    releaseFreeMemory()
    let env = ProcessInfo.processInfo.environment
    let monochrome = options.noColor || (env["NO_COLOR"].map { !$0.isEmpty } ?? false)
    let inbox = Inbox()
    // A log that cannot be written (disk full, a FIFO whose reader left) must not end the
    // dashboard: said once on the flash line and on stderr (kept aside while curses runs and
    // shown after the terminal is restored), then the dashboard goes on without a log.
    let logger = try options.logFile.map { path in
        do throws(FileLog.OpenError) {
            return try FileLog(path: path) { problem in
                stderr("tokentop: \(problem)")
                inbox.post(.runtimeError(problem))
            }.logger()
        } catch {
            throw UsageError(message: "--log-file: \(error.message)")
        }
    }
    if cfg.allowInsecureConnections {
        logger?.warning("allow_insecure_connections is true in \(cfg.file): TLS certificates are not verified")
    }
    let transport = try network.tokenTransport(for: cfg)
    var policy = RefreshPolicy()
    policy.maxConcurrent = network.concurrency
    let manager = TokenManager(routes: cfg.routes, fetcher: TokenFetcher(transport: transport, timeout: network.duration), policy: policy)
    let context = DashboardContext(file: cfg.file, gatewayName: cfg.name, routes: cfg.routes,
                                   entryForRoute: await manager.routeEntryMap(), readonly: options.readonly,
                                   monochrome: monochrome, policy: policy, tlsNotVerified: cfg.allowInsecureConnections,
                                   placeholders: { route in
                                       BackendCallBuilder.placeholders(in: route).map {
                                           CallPlaceholder(name: $0.name, note: $0.note, isRuntimeOnly: $0.isRuntimeOnly)
                                       }
                                   })
    // Test calls: as `tokentop call` does, never following redirects in the transport (BackendCaller
    // stops at one to another host so the token can't leak) and failing at the first refused connect.
    let backendTransport = try AHCTransport(connectTimeout: .seconds(2), followRedirects: false, insecure: cfg.allowInsecureConnections,
                                            caFile: network.caFile, retryConnects: false)
    // --timeout is about token requests (often lowered to fail fast on a hanging IdP); a backend
    // under test gets at least `tokentop call`'s default. Nothing waits on it: the pane counts.
    let caller = DashboardCaller(routes: cfg.routes, manager: manager, transport: backendTransport,
                                 timeout: max(network.duration, .seconds(10)), logger: logger)
    // Lint once, off the UI's way: a 10k-backend config takes seconds, and the table must not
    // wait for it. Findings arrive as a message. Lint gets the bytes the loader read: the path
    // may be a pipe, a FIFO or /dev/stdin (the terminal!), or a file changed since.
    let linter = Task.detached(priority: .utility) {
        let bytes = source.take() ?? []
        let findings = (try? ConfigLinter.lint(file: cfg.file, bytes: bytes, environment: env, loaded: cfg))?.findings ?? []
        if !findings.isEmpty { inbox.post(.lint(findings)) }
        // Lint's parse tree is gone: hand the freed pages back instead of keeping them mapped.
        releaseFreeMemory()
    }
    let pump = SnapshotPump(manager: manager, inbox: inbox)
    let events = await manager.subscribe()
    let forwarder = Task {
        for await e in events {
            if case .finished(let a) = e, let logger {
                let route = cfg.routes.first { context.entryForRoute[$0.id] == a.entryID }
                let who = route.map { "\($0.endpointMethod) \($0.endpoint)" } ?? "entry \(a.entryID)"
                if let f = a.failure { logger.warning("token \(who) [\(a.trigger.rawValue)] failed: \(f.summary)") }
                else { logger.info("token \(who) [\(a.trigger.rawValue)] ok, expires_in \(a.expiresIn.map(String.init) ?? "none"), \(a.style?.rawValue ?? "-")") }
            }
            await pump.changed()
        }
    }
    // The token schedule starts once the first frame is on screen: with thousands of tokens its
    // first fetches would otherwise compete with loading the model and drawing on 2 cores.
    let scheduler = LateTask()
    let startScheduler: @Sendable () -> Void = { scheduler.start { await manager.run() } }
    let tokenCount = await manager.entryCount
    logger?.info("dashboard started on \(cfg.file): \(cfg.routes.count) routes, \(tokenCount) tokens")

    // curses lives on its own thread: it blocks in its input wait and must never hop threads.
    let outcome: Result<Void, TerminalError> = await withCheckedContinuation { cont in
        let thread = Thread {
            cont.resume(returning: uiLoop(context: context, manager: manager, caller: caller, inbox: inbox, pump: pump,
                                          monochrome: monochrome, mouse: options.mouse, onFirstFrame: startScheduler))
        }
        thread.name = "tokentop-ui"
        thread.stackSize = 8 << 20
        thread.start()
    }
    scheduler.cancel()
    // Fetches in flight end (cancelled) before their transport goes away under them.
    await manager.stop()
    forwarder.cancel()
    linter.cancel()
    await transport.shutdown()
    await backendTransport.shutdown()
    logger?.info("dashboard stopped")
    if case .failure(let e) = outcome {
        stderr("tokentop: \(e)")
        return 2
    }
    return 0
}

/// The most keys applied between two frames (a tty delivers a paste in pieces of at most 4 KiB).
private let maxKeysPerFrame = 4096

/// The UI loop: drain messages, tick the clock on whole seconds, draw (only changed cells reach
/// the terminal), wait for a key or a wake-up. Runs on one thread from start to stop.
private func uiLoop(context: DashboardContext, manager: TokenManager, caller: DashboardCaller, inbox: Inbox, pump: SnapshotPump,
                    monochrome: Bool, mouse: Bool, onFirstFrame: @Sendable () -> Void) -> Result<Void, TerminalError> {
    let terminal: CursesTerminal
    do { terminal = try CursesTerminal(monochrome: monochrome, mouse: mouse) } catch { return .failure(error) }
    defer { terminal.stop() }
    inbox.setWaker(terminal.waker)
    Task { await pump.publish() }
    var model = DashboardModel(context: context, now: Date(), size: terminal.size)
    var lastSecond = Int(Date().timeIntervalSince1970)

    func apply(_ effects: [Effect]) -> Bool {
        for e in effects {
            switch e {
            case .quit: return true
            case .refresh(let id):
                Task {
                    let attempt = await manager.refresh(entry: id, trigger: .forced)
                    inbox.post(.refreshFinished(entryID: id, attempt: attempt))
                    await pump.publish()
                }
            case .refreshAll:
                Task { await manager.refreshAll(); await pump.publish() }
            case .testCall(let spec), .refreshAndCall(let spec):
                let fresh: Bool
                if case .refreshAndCall = e { fresh = true } else { fresh = false }
                Task {
                    let report = await caller.run(spec, newToken: fresh)
                    inbox.post(.callFinished(report))
                    await pump.publish()
                }
            }
        }
        return false
    }

    while true {
        var quit = false
        for msg in inbox.drain() { quit = apply(update(&model, msg)) || quit }
        let now = Date()
        let second = Int(now.timeIntervalSince1970)
        if second != lastSecond || model.now > now { lastSecond = second; quit = apply(update(&model, .tick(now))) || quit }
        if quit { break }
        terminal.draw(view(model, size: terminal.size))
        onFirstFrame()  // starts the token schedule once; later calls do nothing
        // Sleep until the next whole second so countdowns change on the second, unless a key or
        // a message (the waker) comes first.
        let msToNextSecond = max(10, Int((1 - now.timeIntervalSince1970.truncatingRemainder(dividingBy: 1)) * 1000) + 5)
        if let key = terminal.readKey(timeoutMs: msToNextSecond) {
            // Input that arrived together (a paste, key repeat) is applied together, then drawn
            // once: one update and one frame per character made a 10 KB paste into `/` on 1,000
            // rows take 84 s. Only what is already buffered is taken (no waiting), and a bounded
            // amount, so an endless stream still gets frames.
            var keys = [key]
            while keys.count < maxKeysPerFrame, let more = terminal.readKey(timeoutMs: 0) { keys.append(more) }
            if keys.contains(.ctrl("l")) { terminal.invalidate() }
            if apply(update(&model, .tick(Date()))) || apply(update(&model, .keys(keys))) { break }
        }
        if terminal.inputClosed { break }
    }
    return .success(())
}

/// Runs the dashboard's test calls: the token comes from the dashboard's own TokenManager (fetched
/// when there is no usable one, or forced after the backend rejected it), the request is built and
/// sent by BackendCall exactly as `tokentop call` does, and the answer is reduced to a
/// `CallReport` — masked, bounded, safe to keep in the model.
struct DashboardCaller: Sendable {
    /// The config's routes, shared with everyone else (no copy): route ids are their indices.
    let routes: [Route]
    let manager: TokenManager
    let transport: AHCTransport
    let timeout: Duration
    let logger: Logger?

    init(routes: [Route], manager: TokenManager, transport: AHCTransport, timeout: Duration, logger: Logger?) {
        self.routes = routes; self.manager = manager; self.transport = transport; self.timeout = timeout; self.logger = logger
    }

    func run(_ spec: CallSpec, newToken: Bool) async -> CallReport {
        let found = routes.indices.contains(spec.routeID) && routes[spec.routeID].id == spec.routeID
            ? routes[spec.routeID] : routes.first { $0.id == spec.routeID }
        guard let route = found else {
            return Self.notSent(spec, method: "", url: "", "no route with id \(spec.routeID)")
        }
        let report = await call(route, spec, newToken: newToken)
        logger?.info("test call \(route.endpointMethod) \(route.endpoint) → \(report.method) \(report.url): \(report.summary)")
        return report
    }

    private func call(_ route: Route, _ spec: CallSpec, newToken: Bool) async -> CallReport {
        var options = CallOptions(hostIndex: spec.hostIndex, hostOverride: spec.hostOverride, params: spec.params)
        let method = route.method.uppercased()
        let pattern = (spec.hostOverride ?? route.hosts.first ?? "") + route.urlPattern
        if let body = spec.body, !body.isEmpty {
            if body.hasPrefix("@"), body.count > 1 {
                let path = NSString(string: String(body.dropFirst())).expandingTildeInPath
                guard let data = FileManager.default.contents(atPath: path) else {
                    return Self.notSent(spec, method: method, url: pattern, "cannot read the body file \(path)")
                }
                options.body = Array(data)
            } else {
                options.body = Array(body.utf8)
            }
        }
        // Built once without a token: a missing value or a bad host needs no token fetch.
        let draft: BackendRequestPlan
        do throws(BackendCallError) { draft = try BackendCallBuilder.plan(route: route, options: options, token: nil) } catch {
            return Self.notSent(spec, method: method, url: pattern, error.description)
        }
        var token: AccessToken?
        var fetched = false
        if let creds = route.credentials, !creds.isDisabled, let entry = await manager.entryID(forRoute: route.id) {
            // As the gateway picks it: the current token while the 10 s rule allows it, else the
            // token of a fetch made for this call — even one living ≤ 10 s.
            let got = await manager.token(forCall: entry, forceNew: newToken)
            fetched = got.fetched
            guard let t = got.token else {
                let why = got.failure?.summary ?? "no usable token"
                return Self.tokenFailed(spec, draft, "\(why) (client \(creds.clientID), \(creds.tokenURL))")
            }
            token = t
        }
        let plan: BackendRequestPlan
        do throws(BackendCallError) { plan = try BackendCallBuilder.plan(route: route, options: options, token: token) } catch {
            return Self.notSent(spec, method: method, url: pattern, error.description)
        }
        let result = await BackendCaller(transport: transport, timeout: timeout).call(plan)
        return Self.report(spec, result, tokenFetched: fetched)
    }

    static func report(_ spec: CallSpec, _ r: CallResult, tokenFetched: Bool) -> CallReport {
        let outcome: CallReport.Outcome
        switch r.outcome {
        case .response: outcome = .response
        case .crossHostRedirect(let location): outcome = .redirectNotFollowed(location: location)
        case .tooManyRedirects: outcome = .tooManyRedirects
        case .transportFailure: outcome = .noResponse
        }
        let preview = r.preview()
        let hops = r.hops.count > 1 ? r.hops.dropLast().map { h in
            "\(h.status.map(String.init) ?? "?") \(h.method) \(h.url) → \(h.location ?? "?")"
        } : []
        return CallReport(
            callID: spec.callID, routeID: spec.routeID, outcome: outcome, status: r.status, reason: r.reason,
            statusSummary: r.statusSummary, summary: r.summary, method: r.request.method, url: r.request.url,
            requestHeaders: r.request.headers, requestBodySize: r.request.body.count, tokenMasked: r.tokenMasked,
            tokenFetched: tokenFetched, headers: BackendCallBuilder.maskedHeaders(r.headers), bodyText: preview.text,
            bodyKind: preview.kind.rawValue, bodySize: r.bodySize, bodyTruncated: preview.truncated || r.truncated,
            latency: r.latency, timeToFirstByte: r.timeToFirstByte, hops: hops, notes: r.notes, error: r.failure?.description)
    }

    static func notSent(_ spec: CallSpec, method: String, url: String, _ why: String) -> CallReport {
        CallReport(callID: spec.callID, routeID: spec.routeID, outcome: .notSent, statusSummary: "not sent", summary: "not sent: \(why)",
                   method: method, url: url, error: why)
    }

    static func tokenFailed(_ spec: CallSpec, _ draft: BackendRequestPlan, _ why: String) -> CallReport {
        let r = draft.displayRequest
        return CallReport(callID: spec.callID, routeID: spec.routeID, outcome: .tokenFailed, statusSummary: "no token",
                          summary: "no token: \(why)", method: r.method, url: r.url, requestHeaders: r.headers,
                          requestBodySize: r.body.count, tokenFetched: true,
                          // The draft was built without a token on purpose; its note saying so would mislead.
                          notes: draft.notes.filter { !$0.hasPrefix("no token attached") }, error: why)
    }
}
