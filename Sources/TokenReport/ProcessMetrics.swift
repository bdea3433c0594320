import Foundation
import Prometheus

/// The process metrics Prometheus's own client libraries export (`process_*`, same names and
/// meaning), read from `/proc/self`. swift-prometheus 2.4 offers none, so they are read here.
/// On a system without `/proc` every value stays 0.
struct ProcessMetrics {
    struct Reading {
        var cpuSeconds: Double = 0
        var residentBytes: Double = 0
        var virtualBytes: Double = 0
        var startTime: Double = 0
        var openFDs: Double = 0
        var maxFDs: Double = 0
    }

    struct Gauges {
        var cpu: Counter, resident: Gauge, virtual: Gauge, start: Gauge, openFDs: Gauge, maxFDs: Gauge
        init(registry r: PrometheusCollectorRegistry) {
            cpu = r.makeCounter(descriptor: .named("process_cpu_seconds_total", "Total user and system CPU time spent in seconds."))
            resident = r.makeGauge(descriptor: .named("process_resident_memory_bytes", "Resident memory size in bytes."))
            virtual = r.makeGauge(descriptor: .named("process_virtual_memory_bytes", "Virtual memory size in bytes."))
            start = r.makeGauge(descriptor: .named("process_start_time_seconds", "Start time of the process since unix epoch in seconds."))
            openFDs = r.makeGauge(descriptor: .named("process_open_fds", "Number of open file descriptors."))
            maxFDs = r.makeGauge(descriptor: .named("process_max_fds", "Maximum number of open file descriptors."))
        }
        /// The kernel's total; the counter goes up by what it lacks (counters only increase).
        func update(_ v: Reading, previous: inout Double) {
            if v.cpuSeconds > previous { cpu.increment(by: v.cpuSeconds - previous); previous = v.cpuSeconds }
            resident.set(to: v.residentBytes); virtual.set(to: v.virtualBytes)
            start.set(to: v.startTime); openFDs.set(to: v.openFDs); maxFDs.set(to: v.maxFDs)
        }
    }

    private let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    private let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
    private let bootTime: Double = {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return 0 }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }()

    func read() -> Reading {
        var r = Reading()
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after the command name (which may contain spaces): state is field 3.
            let f = stat[stat.index(after: close)...].split(separator: " ")
            // utime 14, stime 15, starttime 22, vsize 23, rss 24 (1-based) → 11, 12, 19, 20, 21 here.
            if f.count > 21 {
                r.cpuSeconds = ((Double(f[11]) ?? 0) + (Double(f[12]) ?? 0)) / ticks
                r.startTime = bootTime + (Double(f[19]) ?? 0) / ticks
                r.virtualBytes = Double(f[20]) ?? 0
                r.residentBytes = (Double(f[21]) ?? 0) * pageSize
            }
        }
        r.openFDs = Double((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count ?? 0)
        var lim = rlimit()
        #if os(Linux)
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0 { r.maxFDs = Double(lim.rlim_cur) }
        #else
        if getrlimit(RLIMIT_NOFILE, &lim) == 0 { r.maxFDs = Double(lim.rlim_cur) }
        #endif
        return r
    }
}

extension MetricNameDescriptor {
    /// A whole metric name (the suffixes are part of it) with its HELP text.
    static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
