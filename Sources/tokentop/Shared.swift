import ArgumentParser
import Foundation
import GatewayConfig
import Synchronization
import TokenKit

/// `FILE` positional or `-c FILE`, like `krakend run -c`.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("config")], help: "The gateway's JSON config file.")
    var configOption: String?

    @Argument(help: "The gateway's JSON config file (same as -c).")
    var configArgument: String?

    @Flag(name: .shortAndLong, help: "Print details (warnings, the full error text).")
    var verbose = false

    /// The config file. Checked when the command runs, not in `validate`: argument-parser runs
    /// `validate` before it reports an unknown option, so `check --bogus` would say "no config
    /// file" instead of naming `--bogus`; and `call -c FILE ENDPOINT` parses ENDPOINT as the
    /// config argument, which `call` sorts out itself.
    func path() throws(UsageError) -> String {
        switch (configOption, configArgument) {
        case let (a?, b?) where a != b: throw UsageError(message: "two different config files given: \(a) and \(b)")
        case let (a?, _): return a
        case let (nil, b?): return b
        default: throw UsageError(message: "no config file: pass it as an argument or with -c FILE")
        }
    }

    /// Loads the config or exits 2 with the diagnostics on stderr.
    func load() throws -> GatewayConfiguration { try loadKeepingSource().config }

    /// Loads the config and keeps the bytes that were read, for callers that need the file again
    /// (the dashboard's background lint): the file is read once. A second read would get other
    /// bytes from a pipe or FIFO (or wait forever for a writer), take keys from the terminal when
    /// the config is `/dev/stdin`, and lint a different version of a file edited meanwhile.
    func loadKeepingSource() throws -> (config: GatewayConfiguration, source: ConfigSource) {
        let file = try path()
        do {
            let bytes = try ConfigLoader.readBytes(path: file)
            let config = try ConfigLoader.load(bytes: bytes, file: file, environment: ProcessInfo.processInfo.environment)
            if verbose { for d in config.diagnostics { stderr("\(d)") } }
            else if !config.diagnostics.isEmpty {
                stderr("\(config.diagnostics.count) warning(s) in \(file); run with -v to see them")
            }
            if config.allowInsecureConnections { stderr(insecureWarning(file: file)) }
            return (config, ConfigSource(bytes))
        } catch {
            for d in error.diagnostics where verbose || d.severity == .error { stderr("\(d)") }
            let n = error.errors.count
            stderr("tokentop: cannot load \(file): \(n) error\(n == 1 ? "" : "s")")
            throw ExitCode(2)
        }
    }
}

/// A command line that parsed but cannot be used (no config file, an unknown endpoint for
/// `call`, a bad `--param`…), found while a command runs. `TokenTop.main` prints `description`
/// and the command's usage line on stderr and exits 2, like the usage errors argument-parser
/// finds itself (whose 64, EX_USAGE, it maps to 2).
struct UsageError: Error, CustomStringConvertible {
    /// The subcommand, for the `tokentop call:` prefix; nil for `tokentop:`.
    var command: String?
    var message: String
    init(command: String? = nil, message: String) { self.command = command; self.message = message }
    var description: String { "tokentop\(command.map { " \($0)" } ?? ""): \(message)" }
}

/// Why a `--timeout` value is unusable, or nil. NaN fails both comparisons, so it is refused too.
func timeoutProblem(_ seconds: Double) -> String? {
    seconds > 0 && seconds <= 600 ? nil : "--timeout must be more than 0 and at most 600 seconds (got \(shownNumber(seconds)))"
}

/// `-1` rather than `-1.0` in messages: the number as the user most likely typed it.
func shownNumber(_ d: Double) -> String {
    d.isFinite && d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
}

/// A config file's bytes as they were read for loading, handed over once (`take`) to whoever
/// needs the file again. A box, so the bytes don't stay alive in the caller's frame for the
/// whole dashboard session after the one who needs them is done (a 10,000-backend file is
/// megabytes).
final class ConfigSource: Sendable {
    private let bytes: Mutex<[UInt8]?>
    init(_ bytes: [UInt8]) { self.bytes = Mutex(bytes) }
    /// The bytes, the first time; nil afterwards.
    func take() -> [UInt8]? { bytes.withLock { b in defer { b = nil }; return b } }
}

/// Said on stderr whenever a config with `allow_insecure_connections: true` is loaded: tokentop
/// then skips certificate checks as the gateway does, and nobody should miss that.
func insecureWarning(file: String) -> String {
    "tokentop: warning: allow_insecure_connections is true in \(file): TLS certificates of token servers "
        + "and backends are NOT verified (as on the gateway); --ca-file is the safe alternative"
}

/// One line to stderr with write(2): `FileHandle.write` traps when the write fails (stderr closed
/// with `2>&-`, a pipe whose reader left), and a message about a problem must not become a crash.
func stderr(_ s: String) {
    let bytes = Array((s + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { return }
    }
}

/// Prints rows as left-aligned columns separated by two spaces (like kubectl): nothing is cut,
/// so shell users can `grep` and `awk` the output.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    // Plain appends, one write: NSString's padding(toLength:) was 6 % of a 1,000-token `check`.
    var out = ""
    func line(_ cells: [String]) {
        for (i, c) in cells.enumerated() {
            out += c
            if i < cells.count - 1 { out += String(repeating: " ", count: max(0, widths[i] + 2 - c.count)) }
        }
        out += "\n"
    }
    line(header)
    for r in rows { line(r) }
    print(out, terminator: "")
}

func jsonString<T: Encodable>(_ value: T) -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    e.dateEncodingStrategy = .iso8601
    return String(decoding: (try? e.encode(value)) ?? Data("null".utf8), as: UTF8.self)
}

#if canImport(Glibc)
import Glibc
#endif

/// Returns freed heap pages to the system (glibc keeps them mapped otherwise, so a transient
/// peak, e.g. lint's parse tree of a big config, would stay in the RSS for the whole session).
func releaseFreeMemory() {
    #if canImport(Glibc)
    // Not in Swift's Glibc module: looked up by name.
    typealias Trim = @convention(c) (Int) -> Int32
    if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") { _ = unsafeBitCast(sym, to: Trim.self)(0) }
    #endif
}

/// Caps glibc's malloc arenas at 2. By default every thread that allocates under contention gets
/// an arena of its own (up to 8 per core), and memory freed in one stays mapped there: with the UI
/// thread, NIO's event loop and the cooperative pool, a 10,000-backend dashboard kept tens of MB
/// of such slack. Called before the config is loaded; threads that already have an arena keep it.
func limitMallocArenas() {
    #if canImport(Glibc)
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    let M_ARENA_MAX: Int32 = -8  // <malloc.h>
    if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") { _ = unsafeBitCast(sym, to: MallOpt.self)(M_ARENA_MAX, 2) }
    #endif
}
