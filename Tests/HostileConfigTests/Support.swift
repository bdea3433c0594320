import Foundation
import GatewayConfig

/// The corpus folder next to this file.
let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

/// The built `tokentop` (`.build/debug/tokentop`), or `TOKENTOP_BINARY`.
var tokentopBinary: String {
    if let b = ProcessInfo.processInfo.environment["TOKENTOP_BINARY"] { return b }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return repo.appendingPathComponent(".build/debug/tokentop").path
}

struct Spawned: Sendable {
    /// Exit status, or 128 + signal number when a signal ended the process.
    var status: Int32
    var stdout: String
    var stderr: String
    var signalled: Bool
}

/// Runs a program with posix_spawn and waits with waitpid (Foundation's `Process` can stall in the
/// test concurrency pool on Linux). stdout and stderr go to temporary files, stdin is /dev/null.
/// The program runs under `nice -n 15`: these runs chew through big files, and must not starve
/// the timing-sensitive tests that run beside them.
func spawn(_ argv: [String], environment: [String: String] = [:]) throws -> Spawned {
    let argv = ["nice", "-n", "15"] + argv
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("tt-hostile-\(UUID().uuidString)").path
    let outPath = base + ".out", errPath = base + ".err"
    defer { unlink(outPath); unlink(errPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for e in cEnv { free(e) } }
    let cArgs = (["/usr/bin/env"] + argv).map { strdup($0) } + [nil]
    defer { for a in cArgs { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, "/usr/bin/env", &actions, nil, cArgs, cEnv)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "(stdout not UTF-8)"
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "(stderr not UTF-8)"
    let exited = (status & 0x7f) == 0
    return Spawned(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: out, stderr: err, signalled: !exited)
}

/// A fresh temporary directory (world-readable, so a test can run the binary as `nobody`).
func makeTemporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-hostile-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    return dir
}

/// Outcome of loading a config in-process.
enum Loaded: Sendable {
    case config(GatewayConfiguration)
    case failure(ConfigLoadError)

    var diagnostics: [Diagnostic] {
        switch self {
        case .config(let c): c.diagnostics
        case .failure(let e): e.diagnostics
        }
    }
}

func load(_ path: String, environment: [String: String] = [:]) -> Loaded {
    do { return .config(try ConfigLoader.load(path: path, environment: environment)) } catch { return .failure(error) }
}

/// Runs CPU-heavy or blocking work (big loads, waiting for a child process) on a thread of its
/// own at low priority, not on Swift concurrency's cooperative pool: that pool has one thread per
/// core (two here), and blocking both starves every async test running beside this one — their
/// deadlines then expire while they wait to be scheduled.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result: Result<T, any Error> = await withCheckedContinuation { continuation in
        let thread = Thread {
            // Linux: the nice value of the calling thread only.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 15)
            continuation.resume(returning: Result { try body() })
        }
        thread.stackSize = 16 << 20
        thread.start()
    }
    return try result.get()
}
