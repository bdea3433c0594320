import Foundation
import TestProcess
import GatewayConfig

/// The corpus folder next to this file.
let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

/// The built `tokentop` (`.build/debug/tokentop`), or `TOKENTOP_BINARY`.
var tokentopBinary: String {
    if let b = ProcessInfo.processInfo.environment["TOKENTOP_BINARY"] { return b }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return repo.appendingPathComponent(".build/debug/tokentop").path
}

/// Runs a program under `nice -n 15` (these runs chew through big files and must not starve
/// the timing-sensitive tests beside them); see `spawnAndWait`.
func spawn(_ argv: [String], environment: [String: String] = [:]) throws -> Spawned {
    try spawnAndWait(argv, environment: environment, nice: true)
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

