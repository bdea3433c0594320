// tt-bench: the tokentop side of scripts/bench.sh's whole-process comparisons, and a driver for
// profiling (valgrind --tool=callgrind) the in-process code paths.
//
//   tt-bench load FILE [--repeat N]         load a config (parse + routes) N times (default 1) and
//                                           exit: vs `jq empty FILE`
//   tt-bench fetch FILE [--concurrency N]   fetch every token of FILE once (from a separate token
//                                           server), print JSON: ms until all held, tokens, held, requests
//   tt-bench single-flight [--callers N] [--delay-ms D]
//                                           N concurrent refreshes of one credential against an
//                                           in-process demo server whose token endpoint answers after
//                                           D ms; print JSON with the POSTs the server received
//   tt-bench render FILE [--repeat N] [--ticks]
//                                           build the dashboard model of FILE with every token held,
//                                           then N × view() at 200×60 (with --ticks: a tick before each)
//
// The main thread is synchronous on purpose and waits for async work on a semaphore: valgrind
// 3.19 crashes in libdispatch's dispatch_main (what an async `main` parks the main thread in),
// and callgrind is the profiler that works on these machines.
import BenchSupport
import Dashboard
import TerminalScreen
import DemoGateway
import Dispatch
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import TokenKit

func option(_ name: String, _ args: [String], default value: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return value }
    return v
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tt-bench: \(message)\n".utf8))
    exit(2)
}

final class ResultBox<T>: @unchecked Sendable { var result: Result<T, any Error>? }

/// Runs async work to completion from the synchronous main thread.
func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    switch box.result! {
    case .success(let v): return v
    case .failure(let e): fail("\(e)")
    }
}

func load(_ path: String) -> GatewayConfiguration {
    do { return try ConfigLoader.load(path: path) } catch { fail("\(error)") }
}

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "load":
    guard args.count >= 2 else { fail("usage: tt-bench load FILE [--repeat N]") }
    var routes = 0
    for _ in 0..<max(1, option("--repeat", args, default: 1)) { routes = load(args[1]).routes.count }
    print("routes \(routes)")

case "fetch":
    guard args.count >= 2 else { fail("usage: tt-bench fetch FILE [--concurrency N]") }
    let cfg = load(args[1])
    var policy = RefreshPolicy()
    policy.maxConcurrent = option("--concurrency", args, default: 16)
    let ahc: AHCTransport
    do { ahc = try AHCTransport(insecure: cfg.allowInsecureConnections) } catch { fail("\(error)") }
    let transport = CountingTransport(ahc)
    let manager = TokenManager(routes: cfg.routes, fetcher: TokenFetcher(transport: transport), policy: policy)
    let (elapsed, snaps) = blocking {
        let t0 = ContinuousClock.now
        await manager.fetchAllOnce()
        let elapsed = ContinuousClock.now - t0
        let snaps = await manager.snapshot()
        await ahc.shutdown()
        return (elapsed, snaps)
    }
    let held = snaps.filter { $0.token != nil }.count
    print(#"{"ms": \#(String(format: "%.1f", seconds(elapsed) * 1000)), "tokens": \#(snaps.count), "held": \#(held), "requests": \#(transport.count), "concurrency": \#(policy.maxConcurrent)}"#)
    if held != snaps.count { exit(1) }

case "single-flight":
    let callers = option("--callers", args, default: 1000)
    var gatewayOptions = DemoGateway.Options()
    gatewayOptions.slowDelay = .milliseconds(option("--delay-ms", args, default: 200))
    let options = gatewayOptions
    let r = blocking {
        let gateway = try await DemoGateway.start(options: options)
        let ahc = try AHCTransport()
        let r = await SingleFlight.run(callers: callers, gateway: gateway, transport: ahc)
        await ahc.shutdown()
        try? await gateway.shutdown()
        return r
    }
    print(#"{"callers": \#(callers), "answered": \#(r.answered), "server_posts": \#(r.serverPOSTs), "client_requests": \#(r.clientRequests), "ms": \#(String(format: "%.1f", r.seconds * 1000))}"#)
    if r.serverPOSTs != 1 { exit(1) }

case "render":
    guard args.count >= 2 else { fail("usage: tt-bench render FILE [--repeat N] [--ticks]") }
    let size = Size(width: 200, height: 60)
    let cfg = load(args[1])
    var model = blocking { await BenchModels.dashboard(cfg, size: size) }
    let ticks = args.contains("--ticks")
    var t = model.now
    var cells = 0
    let t0 = ContinuousClock.now
    let n = max(1, option("--repeat", args, default: 100))
    for _ in 0..<n {
        if ticks { t = t.addingTimeInterval(1); _ = update(&model, .tick(t)) }
        cells &+= view(model, size: size).cells.count
    }
    let elapsed = ContinuousClock.now - t0
    print("\(n) frames, \(String(format: "%.1f", seconds(elapsed) * 1e6 / Double(n))) µs each (\(cells) cells)")

case "schedule":
    // The dashboard's way of getting every token at start: TokenManager.run() (startDue on every
    // completion), against the in-memory token endpoint; until all are held.
    guard args.count >= 2 else { fail("usage: tt-bench schedule FILE") }
    let cfg = load(args[1])
    let manager = TokenManager(routes: cfg.routes, fetcher: TokenFetcher(transport: InstantTokenTransport()))
    let elapsed = blocking {
        let t0 = ContinuousClock.now
        let scheduler = Task { await manager.run() }
        while await manager.snapshot().contains(where: { $0.token == nil }) { try? await Task.sleep(for: .milliseconds(5)) }
        let elapsed = ContinuousClock.now - t0
        scheduler.cancel()
        return elapsed
    }
    print("all \(blocking { await manager.entryCount }) tokens held after \(String(format: "%.1f", seconds(elapsed) * 1000)) ms")

case "frame":
    // What `tokentop CONFIG` does before its first frame, minus the terminal and the network:
    // load, token manager, dashboard context and model, one view.
    guard args.count >= 2 else { fail("usage: tt-bench frame FILE") }
    let size = Size(width: 200, height: 60)
    let t0 = ContinuousClock.now
    let cfg = load(args[1])
    let t1 = ContinuousClock.now
    let manager = TokenManager(routes: cfg.routes, fetcher: TokenFetcher(transport: InstantTokenTransport()))
    let map = blocking { await manager.routeEntryMap() }
    let context = DashboardContext(file: cfg.file, gatewayName: cfg.name, routes: cfg.routes, entryForRoute: map)
    let t2 = ContinuousClock.now
    let model = DashboardModel(context: context, now: Date(), size: size)
    let t3 = ContinuousClock.now
    let screen = view(model, size: size)
    let t4 = ContinuousClock.now
    func ms(_ a: ContinuousClock.Instant, _ b: ContinuousClock.Instant) -> String { String(format: "%.1f", seconds(b - a) * 1000) }
    print("load \(ms(t0, t1)) ms, manager+context \(ms(t1, t2)) ms, model \(ms(t2, t3)) ms, view \(ms(t3, t4)) ms (\(screen.cells.count) cells)")

default:
    fail("usage: tt-bench load FILE [--repeat N] | fetch FILE [--concurrency N] | single-flight [--callers N] [--delay-ms D] | render FILE [--repeat N] [--ticks]")
}
