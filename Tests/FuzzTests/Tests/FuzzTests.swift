import Foundation
import FuzzHarness
import Testing

/// A bounded, seeded fuzz run of the config loader (and `lint`) and the token-response parser
/// inside `swift test`: the same inputs on every run, a few seconds in a debug build. A crash
/// would kill the test process; a broken promise (see `ConfigHarness`, `TokenHarness`) fails
/// the test with the input. Long runs: `scripts/fuzz.sh SECONDS` (see docs/fuzzing.md).
/// Serialized: one core at most, so the timing-sensitive tests beside it keep the other.
@Suite(.serialized) struct FuzzTests {
    /// The hostile-config corpus doubles as seeds.
    static var corpus: [[UInt8]] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("HostileConfigTests/Corpus")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
        return files.compactMap { FileManager.default.contents(atPath: dir.appendingPathComponent($0).path).map { [UInt8]($0) } }
    }

    /// About 5 s of CPU in a debug build for the three seeds together.
    static let iterations = 800
    static let maxSize = 16 << 10

    @Test(arguments: [UInt64(1), 2, 3])
    func boundedSeededRun(seed: UInt64) async throws {
        let started = Date()
        let (violation, s) = await offPool { () -> (Violation?, FuzzLoop.Stats) in
            var loop = FuzzLoop(seed: seed, extraConfigs: Self.corpus, maxSize: Self.maxSize)
            return (loop.run(iterations: Self.iterations), loop.stats)
        }
        if let v = violation {
            Issue.record("seed \(seed): \(v)\ninput (first 2000 bytes, lossy UTF-8):\n\(String(decoding: v.input.prefix(2000), as: UTF8.self))")
            return
        }
        print("fuzz seed \(seed): \(s) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        #expect(s.configRuns == Self.iterations && s.tokenRuns == Self.iterations)
        // Both outcomes must get traffic, or the run tests only one path.
        #expect(s.configLoaded > Self.iterations / 20, "too few inputs loaded: \(s)")
        #expect(s.configLoaded < Self.iterations, "every input loaded: the mutator does nothing: \(s)")
        #expect(s.tokenSucceeded > Self.iterations / 20, "too few token answers parsed: \(s)")
    }

    @Test func sameSeedSameRun() {
        var a = FuzzLoop(seed: 42), b = FuzzLoop(seed: 42)
        var inputsA: [[UInt8]] = [], inputsB: [[UInt8]] = []
        a.willCheck = { inputsA.append($0) }
        b.willCheck = { inputsB.append($0) }
        _ = a.run(iterations: 50)
        _ = b.run(iterations: 50)
        #expect(inputsA == inputsB)
        #expect(inputsA.count == 100)
    }
}
