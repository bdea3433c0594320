// tokentop-fuzz: long fuzz runs of the config loader, `lint` and the token-response parser with
// the same seeded mutator as the in-test run (Tests/FuzzTests). Usage:
//
//   tokentop-fuzz [--seconds N] [--iterations N] [--seed S] [--corpus DIR] [--crash-dir DIR] [--max-size BYTES]
//   tokentop-fuzz --write-seeds DIR      (seed files for the libFuzzer build)
//
// Stops at the first broken promise (exit 1, input saved) or when time/iterations run out
// (exit 0). A crash (trap, segfault) can't be caught, so the input being checked is written to
// the crash directory by a signal handler before the process dies. Built with -DLIBFUZZER the
// same harness is a libFuzzer target instead (see scripts/fuzz.sh).
#if LIBFUZZER
import FuzzHarness

/// libFuzzer entry: the first byte picks the target, the rest is the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] & 1 == 0 {
        if let v = ConfigHarness.check(bytes, file: "fuzz.json", lint: data[0] & 2 == 0, twice: false) { fatalError("\(v)") }
    } else {
        let statuses = [200, 200, 201, 400, 401, 500, 204, 299]
        let types: [String?] = ["application/json", "application/x-www-form-urlencoded", "text/plain", nil]
        if let v = TokenHarness.check(status: statuses[Int(data[0] >> 3) % statuses.count], contentType: types[Int(data[0] >> 1) % 4],
                                      body: bytes, truncated: data[0] & 0x80 != 0) {
            fatalError("\(v)")
        }
    }
    return 0
}
#else
import Foundation
import FuzzHarness

/// Unbuffered, so progress shows at once through a pipe.
func say(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }
func warn(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

@main
struct FuzzRunner {
    static func main() {
        var seconds: Double = 60
        var iterations = Int.max
        var seed = UInt64(Date().timeIntervalSince1970)
        var corpusDir: String?
        var crashDir = "fuzz-crashes"
        var maxSize = 64 << 10
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            func value() -> String {
                guard let v = args.popFirst() else { warn("tokentop-fuzz: \(a) needs a value"); exit(2) }
                return v
            }
            switch a {
            case "--seconds": seconds = Double(value()) ?? 60
            case "--iterations": iterations = Int(value()) ?? .max
            case "--seed": seed = UInt64(value()) ?? 1
            case "--corpus": corpusDir = value()
            case "--crash-dir": crashDir = value()
            case "--max-size": maxSize = Int(value()) ?? maxSize
            case "--write-seeds":
                // Seeds for libFuzzer, in the entry's format: first byte 0 = config, 1 = token answer.
                let dir = value()
                try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for (i, s) in Seeds.configs.enumerated() {
                    _ = FileManager.default.createFile(atPath: "\(dir)/seed-config-\(i)", contents: Data([0] + Array(s.utf8)))
                }
                for (i, s) in Seeds.tokenBodies.enumerated() {
                    _ = FileManager.default.createFile(atPath: "\(dir)/seed-token-\(i)", contents: Data([1] + Array(s.utf8)))
                }
                say("wrote \(Seeds.configs.count + Seeds.tokenBodies.count) seeds to \(dir)")
                exit(0)
            case "-h", "--help":
                print("usage: tokentop-fuzz [--seconds N] [--iterations N] [--seed S] [--corpus DIR] [--crash-dir DIR] [--max-size BYTES] [--write-seeds DIR]")
                exit(0)
            default:
                warn("tokentop-fuzz: unknown argument \(a)"); exit(2)
            }
        }

        var extra: [[UInt8]] = []
        if let corpusDir {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: corpusDir)) ?? []).sorted() {
                if let d = FileManager.default.contents(atPath: corpusDir + "/" + name) { extra.append([UInt8](d)) }
            }
        }
        try? FileManager.default.createDirectory(atPath: crashDir, withIntermediateDirectories: true)
        CrashKeeper.install(path: crashDir + "/crash-seed\(seed).bin")

        var loop = FuzzLoop(seed: seed, extraConfigs: extra, maxSize: maxSize)
        loop.willCheck = { CrashKeeper.remember($0) }
        let started = Date()
        say("tokentop-fuzz: seed \(seed), \(extra.count) corpus files, up to \(seconds) s")
        let violation = loop.run(iterations: iterations, until: started.addingTimeInterval(seconds)) { stats in
            let t = Date().timeIntervalSince(started)
            say(String(format: "  %6.0f s  %@  (%.0f inputs/s)", t, "\(stats)", Double(stats.configRuns + stats.tokenRuns) / max(t, 0.001)))
        }
        let elapsed = Date().timeIntervalSince(started)
        let total = loop.stats.configRuns + loop.stats.tokenRuns
        if let violation {
            let path = crashDir + "/violation-seed\(seed).bin"
            _ = FileManager.default.createFile(atPath: path, contents: Data(violation.input))
            say("FAILED after \(total) inputs in \(String(format: "%.1f", elapsed)) s: \(violation)\ninput saved to \(path)")
            exit(1)
        }
        say("OK: seed \(seed), \(total) inputs (\(loop.stats)) in \(String(format: "%.1f", elapsed)) s, no crash, no broken promise")
    }
}
#endif
