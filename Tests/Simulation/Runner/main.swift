import Foundation
import SimulationHarness

// tokentop-sim: the token manager's deterministic simulation in a process of its own, so the test
// suite can run it under `nice` without its thousands of histories starving the timing-sensitive
// loopback tests beside it (docs/simulation.md).
//
//   tokentop-sim histories N FIRST_SEED [JOBS] seeded random histories (JOBS at a time, default 2);
//                                           exit 1 on any violation
//   tokentop-sim fairness N                 N hanging rows beside 3 healthy ones, 10 minutes

let args = CommandLine.arguments.dropFirst()
func fail(_ s: String) -> Never { FileHandle.standardError.write(Data((s + "\n").utf8)); exit(1) }

switch args.first {
case "histories":
    guard args.count == 3 || args.count == 4, let n = Int(args[args.startIndex + 1]), let first = UInt64(args[args.startIndex + 2]) else {
        fail("usage: tokentop-sim histories N FIRST_SEED [JOBS]")
    }
    let jobs = args.count == 4 ? max(1, Int(args[args.startIndex + 3]) ?? 2) : 2
    let started = ContinuousClock.now
    let seeds = (0..<UInt64(n)).map { first &+ $0 }
    // `jobs` at a time: each history is sequential inside.
    let reports = await withTaskGroup(of: Simulator.Report.self) { group in
        var it = seeds.makeIterator()
        var out: [Simulator.Report] = []
        for _ in 0..<jobs { if let s = it.next() { group.addTask { var sim = Simulator(seed: s); return await sim.run() } } }
        while let r = await group.next() {
            out.append(r)
            if let s = it.next() { group.addTask { var sim = Simulator(seed: s); return await sim.run() } }
        }
        return out
    }
    let failed = reports.filter { !$0.violations.isEmpty }.sorted { $0.seed < $1.seed }
    for r in failed.prefix(5) {
        print("FAILED \(r.summary)")
        for v in r.violations.prefix(5) { print("  \(v)") }
        print("  replay: TOKENTOP_SIM_SEED=\(r.seed) TOKENTOP_SIM_HISTORIES=1 swift test --filter SimulationTests")
    }
    let steps = reports.reduce(0) { $0 + $1.steps }
    let requests = reports.reduce(0) { $0 + $1.requests }
    let hours = reports.reduce(0) { $0 + $1.simulatedSeconds } / 3600
    let worstFirst = reports.max { $0.worstFirstMinute < $1.worstFirstMinute }
    let worstLater = reports.max { $0.worstLaterMinute < $1.worstLaterMinute }
    let elapsed = started.duration(to: .now)
    print("simulation: \(reports.count) histories from seed \(first), \(steps) steps, \(requests) requests, "
          + "\(Int(hours)) simulated hours, \(failed.count) failed, \(elapsed.components.seconds) s; worst automatic requests after a "
          + "success turned to failure: \(worstFirst?.worstFirstMinute ?? 0) in the first 60 s, \(worstLater?.worstLaterMinute ?? 0) in any later 60 s")
    var ok = failed.isEmpty
    if let w = worstFirst, w.worstFirstMinute > 7 { print("BUDGET first minute: seed \(w.seed): \(w.worstFirstMinute) requests"); ok = false }
    if let w = worstLater, w.worstLaterMinute > 2 { print("BUDGET later minute: seed \(w.seed): \(w.worstCase)"); ok = false }
    if requests <= n { print("TOO FEW requests: the histories did not exercise the manager"); ok = false }
    exit(ok ? 0 : 1)

case "fairness":
    guard args.count == 2 || args.count == 3, let failing = Int(args[args.startIndex + 1]) else { fail("usage: tokentop-sim fairness N [MINUTES]") }
    let minutes = args.count == 3 ? max(2, Int(args[args.startIndex + 2]) ?? 10) : 10
    // `failing` rows on one token server that hangs after a minute of health (each fetch then holds
    // a slot for the whole 10 s timeout), beside 3 healthy rows with 60 s tokens on another.
    let healthy: [[ServerBehaviour]] = Array(repeating: [.healthy(expiresIn: .number(60), latency: 0...200)], count: 3)
    let broken: [[ServerBehaviour]] = Array(repeating: [.healthy(expiresIn: .number(30), latency: 0...200), .hang], count: failing)
    var sim = Simulator(seed: 7, fixed: broken + healthy, every: 60, minutes: minutes, maxConcurrent: 16,
                        tokenURL: { $0 < failing ? "http://127.0.0.1:9/broken/token" : "http://127.0.0.1:9/token" })
    let report = await sim.run()
    var ok = report.violations.isEmpty
    for v in report.violations.prefix(5) { print("VIOLATION \(v)") }
    for e in failing..<(failing + 3) {
        let starts = (sim.successes[e] ?? []).sorted()
        let gaps = zip(starts.dropFirst(), starts).map { $0.timeIntervalSince($1) }
        // 60 s tokens refresh 50 s after arrival (≤ 0.2 s after the fetch started).
        let late = gaps.filter { $0 > 50.5 }
        print("healthy row \(e): \(starts.count) tokens in \(minutes) min, longest gap \(String(format: "%.1f", gaps.max() ?? 0)) s")
        // One every 50 s from the start (the first waits for the initial round of everyone).
        if starts.count < minutes * 60 / 50 || !late.isEmpty { ok = false }
    }
    print("fairness: \(failing) failing rows, \(report.requests) requests in \(minutes) simulated minutes")
    exit(ok ? 0 : 1)

default:
    fail("usage: tokentop-sim histories N FIRST_SEED [JOBS] | fairness N [MINUTES]")
}
