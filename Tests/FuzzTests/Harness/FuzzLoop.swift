import Foundation

/// The loop used by the in-test run (`swift test`, bounded by iterations) and by the long runs of
/// `tokentop-fuzz` (bounded by time): pick an input, mutate it, check it.
public struct FuzzLoop {
    public struct Stats: Sendable, CustomStringConvertible {
        public var configRuns = 0
        public var tokenRuns = 0
        /// Config inputs that loaded (the rest threw): both paths must see traffic.
        public var configLoaded = 0
        public var tokenSucceeded = 0
        public var bytes = 0
        public var largestInput = 0
        public var description: String {
            "config \(configRuns) (\(configLoaded) loaded), token \(tokenRuns) (\(tokenSucceeded) ok), "
                + "\(bytes) bytes checked, largest input \(largestInput) bytes"
        }
    }

    public var seed: UInt64
    public var stats = Stats()
    var rng: SplitMix64
    var mutator: Mutator
    var tokenMutator: Mutator
    /// Recent inputs that loaded: mutating them again reaches deeper into the reader.
    var loadedPool: [[UInt8]] = []
    let configSeeds: [[UInt8]]
    /// Called with the input about to be checked (the runner keeps it for a crash report).
    public var willCheck: (([UInt8]) -> Void)?

    /// - Parameter maxSize: largest config input; seeds bigger than this are left out.
    public init(seed: UInt64, extraConfigs: [[UInt8]] = [], maxSize: Int = 64 << 10) {
        self.seed = seed
        configSeeds = (Seeds.configs.map { Array($0.utf8) } + extraConfigs).filter { $0.count <= maxSize }
        rng = SplitMix64(seed: seed)
        mutator = Mutator(seed: seed &+ 1, pool: configSeeds, maxSize: maxSize)
        tokenMutator = Mutator(seed: seed &+ 2, pool: Seeds.tokenBodies.map { Array($0.utf8) }, maxSize: 8 << 10)
    }

    /// One config input; returns a violation or nil.
    public mutating func stepConfig() -> Violation? {
        let base = !loadedPool.isEmpty && rng.oneIn(2) ? rng.pick(loadedPool) : rng.pick(configSeeds)
        let input = mutator.mutate(base)
        willCheck?(input)
        stats.configRuns += 1
        stats.bytes += input.count
        stats.largestInput = max(stats.largestInput, input.count)
        // The file name decides YAML/TOML detection; mostly .json.
        let file = rng.oneIn(32) ? rng.pick(["fuzz.yaml", "fuzz.toml", "fuzz", "FUZZ.JSON", "dir/fuzz.json"]) : "fuzz.json"
        var loaded = false
        if let v = ConfigHarness.check(input, file: file, lint: rng.oneIn(2), twice: rng.oneIn(16), loaded: &loaded) { return v }
        if loaded {
            stats.configLoaded += 1
            if input.count < 32 << 10 {
                if loadedPool.count < 64 { loadedPool.append(input) } else { loadedPool[rng.below(64)] = input }
            }
        }
        return nil
    }

    /// One token-response input.
    public mutating func stepToken() -> Violation? {
        let input = TokenHarness.randomInput(&rng, mutator: &tokenMutator)
        willCheck?(input.body)
        stats.tokenRuns += 1
        stats.bytes += input.body.count
        var succeeded = false
        if let v = TokenHarness.check(input, succeeded: &succeeded) { return v }
        if succeeded { stats.tokenSucceeded += 1 }
        return nil
    }

    /// Runs until `iterations` steps of each kind are done or `deadline` passes.
    public mutating func run(iterations: Int = .max, until deadline: Date = .distantFuture,
                             progress: ((Stats) -> Void)? = nil) -> Violation? {
        var i = 0
        while i < iterations {
            if i % 64 == 0 {
                if Date() >= deadline { break }
                if i % 4096 == 0, i > 0 { progress?(stats) }
            }
            if let v = stepConfig() { return v }
            if let v = stepToken() { return v }
            i += 1
        }
        return nil
    }
}

