import BackendCall
import ConfigLint
import Dashboard
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import Logging
import TerminalScreen
import TokenKit

/// Everything between the pure dashboard (model, update, view) and a terminal: the UI loop on its
/// own thread, the messages from the token world, the effects' tasks, the token schedule. The
/// executable runs it on a curses terminal; tests run the same on an `InMemoryTerminal` with
/// DemoGateway and a manual clock.
public struct DashboardRuntime: Sendable {
    public let context: DashboardContext
    public let manager: TokenManager
    public let caller: DashboardCaller
    /// Messages to the UI from outside (e.g. a log file that failed); the runtime posts its own.
    public let inbox: Inbox
    /// The UI's clock: ticks, countdowns. The token manager's own clock in tests (`ManualClock`).
    public let clock: any TokenClock
    /// Where every finished token attempt is logged (`--log-file`), if anywhere.
    public let logger: Logger?
    /// Lints the config off the UI's way; its findings arrive as a message. nil: no lint.
    public let lint: (@Sendable () -> [Finding])?

    public init(context: DashboardContext, manager: TokenManager, caller: DashboardCaller, inbox: Inbox = Inbox(),
                clock: any TokenClock = SystemClock(), logger: Logger? = nil, lint: (@Sendable () -> [Finding])? = nil) {
        self.context = context; self.manager = manager; self.caller = caller; self.inbox = inbox
        self.clock = clock; self.logger = logger; self.lint = lint
    }

    /// The dashboard on a loaded config, wired as the executable runs it: a token manager over
    /// `fetcher` (whose clock the UI uses too), test calls through `backendTransport`.
    ///
    /// - Parameters:
    ///   - callTimeout: how long a test call may take (the pane counts meanwhile).
    ///   - readonly: the keys that act (refresh, test call) are disabled.
    public static func make(config cfg: GatewayConfiguration, fetcher: TokenFetcher, policy: RefreshPolicy = RefreshPolicy(),
                            backendTransport: AHCTransport, callTimeout: Duration, readonly: Bool = false, monochrome: Bool = false,
                            inbox: Inbox = Inbox(), logger: Logger? = nil,
                            lint: (@Sendable () -> [Finding])? = nil) async -> DashboardRuntime {
        let manager = TokenManager(routes: cfg.routes, fetcher: fetcher, policy: policy)
        let context = DashboardContext(file: cfg.file, gatewayName: cfg.name, routes: cfg.routes,
                                       entryForRoute: await manager.routeEntryMap(), readonly: readonly,
                                       monochrome: monochrome, policy: policy, tlsNotVerified: cfg.allowInsecureConnections,
                                       placeholders: { route in
                                           BackendCallBuilder.placeholders(in: route).map {
                                               CallPlaceholder(name: $0.name, note: $0.note, isRuntimeOnly: $0.isRuntimeOnly)
                                           }
                                       })
        let caller = DashboardCaller(routes: cfg.routes, manager: manager, transport: backendTransport, timeout: callTimeout, logger: logger)
        return DashboardRuntime(context: context, manager: manager, caller: caller, inbox: inbox, clock: fetcher.clock,
                                logger: logger, lint: lint)
    }

    /// Runs the dashboard until the user quits or input ends. `makeTerminal` is called on the UI
    /// thread (curses must live on one thread from start to stop). When this returns, every task
    /// the dashboard started has ended and the manager is stopped: the caller may shut down the
    /// transports.
    ///
    /// - Returns: the terminal's setup error, if it could not start.
    public func run<T: Terminal>(makeTerminal: @escaping @Sendable () throws -> T) async -> Result<Void, any Error> {
        let inbox = self.inbox, manager = self.manager, context = self.context, logger = self.logger
        let linter = lint.map { lint in
            Task.detached(priority: .utility) {
                let findings = lint()
                if !findings.isEmpty { inbox.post(.lint(findings)) }
            }
        }
        let pump = SnapshotPump(manager: manager, inbox: inbox)
        let events = await manager.subscribe()
        let forwarder = Task {
            for await e in events {
                if case .finished(let a) = e, let logger {
                    let route = context.routes.first { context.entryForRoute[$0.id] == a.entryID }
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
        let effects = EffectTasks()
        let loop = UILoop(context: context, manager: manager, caller: caller, inbox: inbox, pump: pump,
                          effects: effects, clock: clock)

        // The UI lives on its own thread: it blocks in the terminal's key wait and must never hop threads.
        let outcome: Result<Void, any Error> = await withCheckedContinuation { cont in
            let thread = Thread {
                cont.resume(returning: loop.run(makeTerminal: makeTerminal, onFirstFrame: startScheduler))
            }
            thread.name = "tokentop-ui"
            thread.stackSize = 8 << 20
            thread.start()
        }
        // Effects first (a refresh or test call in flight is cancelled and awaited), then the
        // schedule, then fetches still in flight: nothing runs once this returns.
        await effects.cancelAndWait()
        await scheduler.stop()
        await manager.stop()
        forwarder.cancel()
        linter?.cancel()
        return outcome
    }
}

/// The most keys applied between two frames (a tty delivers a paste in pieces of at most 4 KiB).
let maxKeysPerFrame = 4096

/// The UI loop: drain messages, tick the clock on whole seconds, draw (only changed cells reach
/// the terminal), wait for a key or a wake-up. Runs on one thread from start to stop.
struct UILoop: Sendable {
    let context: DashboardContext
    let manager: TokenManager
    let caller: DashboardCaller
    let inbox: Inbox
    let pump: SnapshotPump
    let effects: EffectTasks
    let clock: any TokenClock

    func run<T: Terminal>(makeTerminal: () throws -> T, onFirstFrame: @Sendable () -> Void) -> Result<Void, any Error> {
        let terminal: T
        do { terminal = try makeTerminal() } catch { return .failure(error) }
        defer { terminal.stop() }
        inbox.setWaker(terminal.waker)
        let pump = self.pump
        Task { await pump.publish() }
        var model = DashboardModel(context: context, now: clock.now, size: terminal.size)
        var lastSecond = Int(clock.now.timeIntervalSince1970)

        while true {
            var quit = false
            for msg in inbox.drain() { quit = apply(update(&model, msg)) || quit }
            let now = clock.now
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
                if apply(update(&model, .tick(clock.now))) || apply(update(&model, .keys(keys))) { break }
            }
            if terminal.inputClosed { break }
        }
        return .success(())
    }

    /// Interprets the effects `update` returned; true when one of them is `.quit`.
    private func apply(_ list: [Effect]) -> Bool {
        let manager = self.manager, inbox = self.inbox, pump = self.pump, caller = self.caller
        for e in list {
            switch e {
            case .quit: return true
            case .refresh(let id):
                effects.start {
                    let attempt = await manager.refresh(entry: id, trigger: .forced)
                    inbox.post(.refreshFinished(entryID: id, attempt: attempt))
                    await pump.publish()
                }
            case .refreshAll:
                effects.start { await manager.refreshAll(); await pump.publish() }
            case .testCall(let spec), .refreshAndCall(let spec):
                let fresh: Bool
                if case .refreshAndCall = e { fresh = true } else { fresh = false }
                effects.start {
                    let report = await caller.run(spec, newToken: fresh)
                    inbox.post(.callFinished(report))
                    await pump.publish()
                }
            }
        }
        return false
    }
}
