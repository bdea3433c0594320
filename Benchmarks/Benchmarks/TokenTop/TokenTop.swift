// In-process figures of tokentop (ordo-one/benchmark). scripts/bench.sh runs these and puts
// them next to their references (jq, curl, htop) measured in the same run; see BENCHMARKS.md.
//
//   ConfigLoad/N        ConfigLoader.load(path:) of the generated config with N backends: read,
//                       parse with positions, KrakenD's loading rules → [Route]
//   Render/10000 rows   view() of a 10,000-row model with every token held, at 200×60
//   Render/55 rows      the same for a model that exactly fills the screen (the reference: if
//                       only visible rows are formatted, both cost the same)
//   Tick/10000 rows     the once-a-second update (every row's state recomputed for the new time)
//   ModelInit/10000     building the dashboard model (part of the time to the first frame)
//   SingleFlight/1000   1,000 concurrent refreshes of one credential; custom metric: POSTs the
//                       token server received (must be 1)
import BenchSupport
import Benchmark
import Dashboard
import TerminalScreen
import DemoGateway
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import TokenKit

/// Models built once in a benchmark's setup (the setup hook is async, the measured closure not).
final class Fixture<T>: @unchecked Sendable {
    var value: T?
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .seconds(4),
        maxIterations: 1_000
    )

    for n in [100, 1_000, 10_000] {
        let path = BenchConfigs.path(backends: n)
        Benchmark("ConfigLoad/\(n)", configuration: .init(maxIterations: n >= 10_000 ? 40 : 400)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(BenchConfigs.load(path))
            }
        }
    }

    let size = Size(width: 200, height: 60)
    for n in [10_000, 55] {
        let model = Fixture<DashboardModel>()
        Benchmark("Render/\(n) rows 200x60", configuration: .init(setup: {
            model.value = await BenchModels.dashboard(BenchConfigs.load(BenchConfigs.path(backends: n)), size: size)
        })) { benchmark in
            let m = model.value!
            for _ in benchmark.scaledIterations {
                blackHole(view(m, size: size))
            }
        }
    }

    let tickModel = Fixture<DashboardModel>()
    Benchmark("Tick/10000 rows", configuration: .init(setup: {
        tickModel.value = await BenchModels.dashboard(BenchConfigs.load(BenchConfigs.path(backends: 10_000)), size: size)
    })) { benchmark in
        var m = tickModel.value!
        var t = m.now
        for _ in benchmark.scaledIterations {
            t = t.addingTimeInterval(1)
            blackHole(update(&m, .tick(t)))
        }
    }

    let initInputs = Fixture<(DashboardContext, [TokenEntrySnapshot])>()
    Benchmark("ModelInit/10000", configuration: .init(maxIterations: 100, setup: {
        let m = await BenchModels.dashboard(BenchConfigs.load(BenchConfigs.path(backends: 10_000)), size: size)
        initInputs.value = (m.context, Array(m.entries.values))
    })) { benchmark in
        let (context, entries) = initInputs.value!
        for _ in benchmark.scaledIterations {
            // As the runner does: the model starts without tokens, the first snapshot follows.
            var m = DashboardModel(context: context, now: Date(), size: size)
            blackHole(update(&m, .tokens(entries, events: [])))
        }
    }

    let gateway = Fixture<DemoGateway>()
    let transport = Fixture<AHCTransport>()
    Benchmark("SingleFlight/1000",
              configuration: .init(metrics: [.wallClock, .custom("POSTs", polarity: .prefersSmaller, useScalingFactor: false)],
                                   warmupIterations: 1, maxDuration: .seconds(5), maxIterations: 15,
                                   setup: {
                                       var options = DemoGateway.Options()
                                       options.slowDelay = .milliseconds(100)
                                       gateway.value = try await DemoGateway.start(options: options)
                                       transport.value = try AHCTransport()
                                   },
                                   teardown: {
                                       await transport.value?.shutdown()
                                       try? await gateway.value?.shutdown()
                                   })) { benchmark in
        let r = await SingleFlight.run(callers: 1_000, gateway: gateway.value!, transport: transport.value!)
        benchmark.measurement(.custom("POSTs", polarity: .prefersSmaller, useScalingFactor: false), r.serverPOSTs)
        if r.serverPOSTs != 1 { fatalError("single-flight broken: \(r.serverPOSTs) POSTs for 1,000 concurrent refreshes") }
    }
}
