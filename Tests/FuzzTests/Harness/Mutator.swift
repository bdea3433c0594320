import Foundation
import GatewayConfig

/// A deterministic mutator: byte-level mutations (bit flips, interesting bytes, inserts, deletes,
/// duplicated ranges, truncation, splices with other inputs) and, when the input is JSON,
/// structure-aware ones (a value replaced by one of another type, keys renamed to KrakenD keys,
/// duplicated members, deep nesting, subtrees grafted from other inputs).
public struct Mutator {
    public var rng: SplitMix64
    /// Inputs to splice and graft from.
    public var pool: [[UInt8]]
    /// Largest input produced (bigger results are cut), so a run stays fast.
    public var maxSize: Int

    public init(seed: UInt64, pool: [[UInt8]], maxSize: Int = 64 << 10) {
        rng = SplitMix64(seed: seed)
        self.pool = pool.isEmpty ? [Array("{}".utf8)] : pool
        self.maxSize = maxSize
    }

    /// 1–4 stacked mutations of `input`.
    public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var data = input
        for _ in 0..<(1 + rng.below(4)) {
            if rng.below(2) == 0, let tree = Self.parse(data) {
                data = mutateTree(tree)
            } else {
                data = mutateBytes(data)
            }
        }
        if data.count > maxSize { data.removeLast(data.count - maxSize) }
        return data
    }

    static func parse(_ data: [UInt8]) -> Node? {
        guard data.count < 256 << 10, let v = try? JSONParser.parse(data) else { return nil }
        return Node(v)
    }

    // MARK: Bytes

    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud800", "\\udc00\\ud800", "\\u0000", "\\x", "{{", "}}",
        "{{ env \"TT_FUZZ_ID\" }}", "{{ env \"TT_FUZZ_UNSET\" }}", "{{ range . }}", "null", "true", "false", "-", "1e999",
        "0.", "01", "//", "/*", "#", "---\n", "version: 3\n", "version = 3\n", "[server]\n", "'", "\r\n", "\t", "\u{2028}",
        "\"version\":", "\"endpoints\":[", "\"backend\":[", "\"auth/client-credentials\":{", "\"@comment\":",
    ].map { Array($0.utf8) } + [
        [0xEF, 0xBB, 0xBF], [0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xE2, 0x82], [0x80], [0x00], [0xC3, 0xA9], [0xF0, 0x9F, 0x99, 0x82],
    ]

    static let interestingBytes: [UInt8] = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x2C, 0x2D, 0x2E, 0x30, 0x3A,
                                            0x5B, 0x5C, 0x5D, 0x7B, 0x7D, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED,
                                            0xEF, 0xF0, 0xF4, 0xF5, 0xFF]

    mutating func mutateBytes(_ input: [UInt8]) -> [UInt8] {
        var d = input
        let n = d.count
        switch rng.below(10) {
        case 0 where n > 0: // flip a bit
            let i = rng.below(n)
            d[i] ^= 1 << UInt8(rng.below(8))
        case 1 where n > 0: // set an interesting byte
            d[rng.below(n)] = rng.pick(Self.interestingBytes)
        case 2: // insert a token
            d.insert(contentsOf: rng.pick(Self.tokens), at: rng.below(n + 1))
        case 3: // insert random bytes
            let k = 1 + rng.below(8)
            d.insert(contentsOf: (0..<k).map { _ in rng.byte() }, at: rng.below(n + 1))
        case 4 where n > 0: // delete a range
            let a = rng.below(n)
            let len = min(n - a, 1 + rng.below(rng.oneIn(4) ? 256 : 8))
            d.removeSubrange(a..<(a + len))
        case 5 where n > 0: // duplicate a range somewhere else
            let a = rng.below(n)
            let len = min(n - a, 1 + rng.below(64))
            let chunk = Array(d[a..<(a + len)])
            d.insert(contentsOf: chunk, at: rng.below(n + 1))
        case 6 where n > 0: // truncate
            d.removeLast(n - rng.below(n))
        case 7: // splice: a prefix of this, a suffix of another input
            let other = rng.pick(pool)
            let cut = rng.below(n + 1)
            let from = rng.below(other.count + 1)
            d = Array(d[..<cut]) + Array(other[from...])
        case 8 where n > 0: // replace a digit run or a byte with a number
            let i = rng.below(n)
            d.replaceSubrange(i..<(i + 1), with: Array(rng.pick(Seeds.numbers).utf8))
        default: // repeat a byte many times (long runs, deep brackets)
            let b = n > 0 && rng.oneIn(2) ? d[rng.below(n)] : rng.pick([0x5B, 0x7B, 0x20, 0x61, 0x22] as [UInt8])
            d.insert(contentsOf: [UInt8](repeating: b, count: 1 + rng.below(rng.oneIn(8) ? 2000 : 40)), at: rng.below(n + 1))
        }
        return d
    }

    // MARK: Trees

    mutating func randomScalar() -> Node {
        switch rng.below(6) {
        case 0: return .null
        case 1: return .bool(rng.oneIn(2))
        case 2: return .number(rng.pick(Seeds.numbers))
        default: return .string(rng.pick(Seeds.strings))
        }
    }

    mutating func randomValue(depth: Int = 0) -> Node {
        guard depth < 3 else { return randomScalar() }
        switch rng.below(8) {
        case 0: return .array((0..<rng.below(4)).map { _ in randomValue(depth: depth + 1) })
        case 1, 2: return .object((0..<rng.below(4)).map { _ in (rng.pick(Seeds.keys), randomValue(depth: depth + 1)) })
        default: return randomScalar()
        }
    }

    mutating func mutateTree(_ tree: Node) -> [UInt8] {
        var t = tree
        let total = t.count
        let target = rng.below(total)
        switch rng.below(10) {
        case 0, 1: // a value of another type
            let v = randomValue()
            t.update(at: target) { _ in v }
        case 2: // rename a key / add a known key
            let key = rng.pick(Seeds.keys)
            let value = randomValue()
            let rename = rng.oneIn(2)
            let pick = rng.next()
            t.update(at: target) { node in
                guard case .object(var m) = node else { return node }
                if rename, !m.isEmpty { m[Int(pick % UInt64(m.count))].0 = key } else { m.append((key, value)) }
                return .object(m)
            }
        case 3: // duplicate a member or element
            let pick = rng.next()
            t.update(at: target) { node in
                switch node {
                case .object(var m) where !m.isEmpty:
                    let i = Int(pick % UInt64(m.count)); m.insert(m[i], at: i); return .object(m)
                case .array(var a) where !a.isEmpty:
                    let i = Int(pick % UInt64(a.count)); a.insert(a[i], at: i); return .array(a)
                default: return node
                }
            }
        case 4: // delete a member or element
            let pick = rng.next()
            t.update(at: target) { node in
                switch node {
                case .object(var m) where !m.isEmpty: m.remove(at: Int(pick % UInt64(m.count))); return .object(m)
                case .array(var a) where !a.isEmpty: a.remove(at: Int(pick % UInt64(a.count))); return .array(a)
                default: return node
                }
            }
        case 5: // wrap in an array or object
            let key = rng.pick(Seeds.keys)
            let asArray = rng.oneIn(2)
            t.update(at: target) { asArray ? .array([$0]) : .object([(key, $0)]) }
        case 6: // graft a subtree of another input
            if let other = Self.parse(rng.pick(pool)) {
                let sub = other.node(at: rng.below(other.count)) ?? .null
                t.update(at: target) { _ in sub }
            }
        case 7: // nesting around the parser's limit
            let depth = JSONParser.maxDepth - 8 + rng.below(16)
            let asArray = rng.oneIn(2)
            t.update(at: target) { node in
                var v = node
                for _ in 0..<depth { v = asArray ? .array([v]) : .object([("a", v)]) }
                return v
            }
        case 8: // many members (hashing path of duplicate detection, long arrays)
            let count = 10 + rng.below(300)
            let key = rng.pick(Seeds.keys)
            let v = randomScalar()
            t.update(at: target) { node in
                switch node {
                case .object(var m): m += (0..<count).map { i in (i % 3 == 0 ? key : "\(key)\(i)", v) }; return .object(m)
                case .array(var a): a += [Node](repeating: v, count: count); return .array(a)
                default: return node
                }
            }
        default: // a long string
            let len = rng.oneIn(4) ? 100_000 : 1 + rng.below(2000)
            let ch = rng.pick(["a", "é", "\"", "\\", "\u{0}", "🙂", "{{"])
            t.update(at: target) { _ in .string(String(repeating: ch, count: len)) }
        }
        var out = t.write(pretty: rng.oneIn(2))
        if rng.oneIn(16) { out = [0xEF, 0xBB, 0xBF] + out }   // a BOM
        if rng.oneIn(16) { out = Array(String(decoding: out, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8) }
        return out
    }
}
