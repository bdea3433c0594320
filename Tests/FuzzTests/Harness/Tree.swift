import GatewayConfig

/// A mutable JSON tree for structure-aware mutations: parse a seed with the project's own parser,
/// change the tree (types, keys, duplicates, nesting), write it back as text.
public indirect enum Node: Sendable {
    case null
    case bool(Bool)
    /// Raw number text, so mutations can write numbers no Double holds (`1e999`, `-0`).
    case number(String)
    case string(String)
    case array([Node])
    case object([(String, Node)])

    public init(_ v: JSONValue) {
        switch v.kind {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let d):
            self = .number(d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d))
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(Node.init))
        case .object(let m): self = .object(m.map { ($0.key, Node($0.value)) })
        }
    }

    /// Number of nodes (bounded walks pick a node by index).
    public var count: Int {
        switch self {
        case .array(let a): return 1 + a.reduce(0) { $0 + $1.count }
        case .object(let m): return 1 + m.reduce(0) { $0 + $1.1.count }
        default: return 1
        }
    }

    /// The node at pre-order index `i`.
    public func node(at i: Int) -> Node? {
        var k = i
        return find(&k)
    }

    private func find(_ k: inout Int) -> Node? {
        if k == 0 { return self }
        k -= 1
        switch self {
        case .array(let a):
            for c in a { if let r = c.find(&k) { return r } }
        case .object(let m):
            for (_, c) in m { if let r = c.find(&k) { return r } }
        default: break
        }
        return nil
    }

    /// Replaces the node at pre-order index `i` with `f(node)`.
    public mutating func update(at i: Int, _ f: (Node) -> Node) {
        var k = i
        _ = update(&k, f)
    }

    private mutating func update(_ k: inout Int, _ f: (Node) -> Node) -> Bool {
        if k == 0 { self = f(self); return true }
        k -= 1
        switch self {
        case .array(var a):
            for j in a.indices where a[j].update(&k, f) { self = .array(a); return true }
        case .object(var m):
            for j in m.indices where m[j].1.update(&k, f) { self = .object(m); return true }
        default: break
        }
        return false
    }

    // MARK: Writing

    /// JSON text. `pretty` indents with two spaces (line:column positions then vary a lot).
    public func write(pretty: Bool) -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(into out: inout [UInt8], pretty: Bool, indent: Int) {
        func newline(_ level: Int) {
            guard pretty else { return }
            out.append(0x0A)
            out.append(contentsOf: [UInt8](repeating: 0x20, count: 2 * level))
        }
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .number(let n): out += Array(n.utf8)
        case .string(let s): Node.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, c) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                c.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if !a.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let m):
            out.append(UInt8(ascii: "{"))
            for (i, (k, c)) in m.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                Node.writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(0x20) }
                c.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if !m.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
