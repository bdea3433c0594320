import ArgumentParser
import Dashboard
import Foundation
import GatewayConfig
import HTTPTransport
import Logging
import Synchronization
import TerminalCurses
import TokenKit

struct DashboardOptions: ParsableArguments {
    @Flag(help: "Disable the refresh keys (r, R): watch only.") var readonly = false
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
        let cfg = try config.load()
        let code = try await runDashboard(cfg, network: network, options: dashboard)
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

func runDashboard(_ cfg: GatewayConfiguration, network: NetworkOptions, options: DashboardOptions) async throws -> Int32 {
    try requireTerminal()
    let env = ProcessInfo.processInfo.environment
    let monochrome = options.noColor || (env["NO_COLOR"].map { !$0.isEmpty } ?? false)
    let logger = try options.logFile.map { try FileLog.make(path: $0) }
    if cfg.allowInsecureConnections {
        logger?.warning("allow_insecure_connections is true in \(cfg.file): TLS certificates are not verified")
    }
    let transport = try network.tokenTransport(for: cfg)
    var policy = RefreshPolicy()
    policy.maxConcurrent = network.concurrency
    let manager = TokenManager(routes: cfg.routes, fetcher: TokenFetcher(transport: transport, timeout: network.duration), policy: policy)
    let context = DashboardContext(file: cfg.file, gatewayName: cfg.name, routes: cfg.routes,
                                   entryForRoute: await manager.routeEntryMap(), readonly: options.readonly,
                                   monochrome: monochrome, policy: policy)
    let inbox = Inbox()
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
            cont.resume(returning: uiLoop(context: context, manager: manager, inbox: inbox, pump: pump, monochrome: monochrome, mouse: options.mouse,
                                              onFirstFrame: startScheduler))
        }
        thread.name = "tokentop-ui"
        thread.stackSize = 8 << 20
        thread.start()
    }
    scheduler.cancel()
    forwarder.cancel()
    await transport.shutdown()
    logger?.info("dashboard stopped")
    if case .failure(let e) = outcome {
        stderr("tokentop: \(e)")
        return 2
    }
    return 0
}

/// The UI loop: drain messages, tick the clock on whole seconds, draw (only changed cells reach
/// the terminal), wait for a key or a wake-up. Runs on one thread from start to stop.
private func uiLoop(context: DashboardContext, manager: TokenManager, inbox: Inbox, pump: SnapshotPump,
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
            if key == .ctrl("l") { terminal.invalidate() }
            if apply(update(&model, .tick(Date()))) || apply(update(&model, .key(key))) { break }
        }
        if terminal.inputClosed { break }
    }
    return .success(())
}

/// A minimal swift-log handler that appends lines to a file, flushing each line (a SIGTERM ends
/// the process without running Swift code, so nothing may wait in a buffer).
struct FileLog: LogHandler {
    let handle: FileHandle
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static func make(path: String) throws -> Logger {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ValidationError("cannot create log file \(path)")
            }
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot open log file \(path)") }
        h.seekToEndOfFile()
        let handler = FileLog(handle: h)
        return Logger(label: "tokentop") { _ in handler }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        handle.write(Data("\(stamp) \(level) \(message)\n".utf8))
    }
}
