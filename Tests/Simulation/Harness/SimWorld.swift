import Foundation
import GatewayConfig
import Synchronization
import TokenKit

/// SplitMix64: small, fast, and the same sequence on every machine for a seed.
struct SimRandom: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// In 0..<1.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    /// Exponentially distributed, mean `mean`.
    mutating func exponential(mean: Double) -> Double { -mean * log(1 - unit()) }
    mutating func pick<T>(_ weighted: [(Double, T)]) -> T {
        let total = weighted.reduce(0) { $0 + $1.0 }
        var x = unit() * total
        for (w, v) in weighted { if x < w { return v }; x -= w }
        return weighted.last!.1
    }
}

/// The jitter source the manager gets: seeded, so a history replays exactly.
final class SeededUnit: Sendable {
    private let rng: Mutex<SimRandom>
    init(seed: UInt64) { rng = Mutex(SimRandom(seed: seed)) }
    func next() -> Double { rng.withLock { $0.unit() } }
}

/// What one token server does during one phase of a history.
public enum ServerBehaviour: Sendable, Hashable, CustomStringConvertible {
    /// Answers tokens. `expiresIn` is the JSON value sent (nil: the field is absent).
    case healthy(expiresIn: ExpiresIn, latency: ClosedRange<Int>)
    case status500
    case status503(retryAfter: Int)
    case invalidClient401
    /// 200 with an `error` field, or a body the gateway rejects.
    case malformed
    case refused
    /// Accepts and never answers: the fetcher's timeout ends the exchange.
    case hang

    public enum ExpiresIn: Sendable, Hashable {
        case absent, number(Int), string(Int), fraction
    }

    public var isHealthy: Bool { if case .healthy(let e, _) = self { return e != .fraction }; return false }

    public var description: String {
        switch self {
        case .healthy(let e, let l): return "healthy(\(e), latency \(l))"
        case .status500: return "500"
        case .status503(let ra): return "503 Retry-After \(ra)"
        case .invalidClient401: return "401 invalid_client"
        case .malformed: return "malformed"
        case .refused: return "refused"
        case .hang: return "hang"
        }
    }
}

/// Which client authentication a server accepts.
enum AcceptedStyle: Sendable, Hashable { case any, basicOnly, bodyOnly }

/// One credential of a simulated history: its request identity and its server's timeline.
struct SimCredential: Sendable {
    var index: Int
    var credentials: ClientCredentials
    var accepts: AcceptedStyle
    /// (from, behaviour), ascending; the first starts at the history's start.
    var phases: [(at: Date, behaviour: ServerBehaviour)]

    func behaviour(at t: Date) -> ServerBehaviour {
        var b = phases[0].behaviour
        for p in phases where p.at <= t { b = p.behaviour }
        return b
    }
}

/// A request the simulated network holds until the simulation's clock reaches `answerAt`.
struct PendingRequest {
    var id: Int
    var credential: Int
    var style: AuthStyle
    var arrivedAt: Date
    var answerAt: Date
    var outcome: Result<HTTPResponseData, TransportError>
    var continuation: CheckedContinuation<Result<HTTPResponseData, TransportError>, Never>
}

/// The network of a simulated history: answers each token request from its credential's server
/// timeline, at a simulated time; never sleeps, never touches a socket. Everything it decides
/// comes from per-credential seeded randomness, so the order in which concurrent requests
/// arrive cannot change a history.
final class SimTransport: HTTPTransport {
    struct Seen: Sendable { var credential: Int; var style: AuthStyle; var at: Date }
    private struct State {
        var pending: [PendingRequest] = []
        var nextID = 0
        var seen: [Seen] = []
        var answered: [Int: Int] = [:]
        var rngs: [SimRandom]
        var violations: [String] = []
        var closed = false
        var cancelled: Set<Int> = []
    }
    private let state: Mutex<State>
    let clock: ManualClock
    let credentials: [SimCredential]

    init(clock: ManualClock, credentials: [SimCredential], seed: UInt64) {
        self.clock = clock
        self.credentials = credentials
        state = Mutex(State(rngs: credentials.map { SimRandom(seed: seed &+ 0x1000 &+ UInt64($0.index) &* 7919) }))
    }

    var pendingCount: Int { state.withLock { $0.pending.count } }
    var seen: [Seen] { state.withLock { $0.seen } }
    func answered(_ credential: Int) -> Int { state.withLock { $0.answered[credential] ?? 0 } }
    var violations: [String] { state.withLock { $0.violations } }
    var nextAnswerAt: Date? { state.withLock { $0.pending.map(\.answerAt).min() } }
    /// Every request that reaches the network after this is a violation ("nothing keeps running").
    func close() { state.withLock { $0.closed = true } }

    func send(_ request: HTTPRequestData, timeout: Duration, bodyLimit: Int) async throws(TransportError) -> HTTPResponseData {
        let body = request.bodyString
        guard let row = body.split(separator: "&").first(where: { $0.hasPrefix("sim_row=") }).flatMap({ Int($0.dropFirst(8)) }),
              credentials.indices.contains(row) else {
            state.withLock { $0.violations.append("a request without a known sim_row: \(body)") }
            throw .other("unknown credential")
        }
        let style: AuthStyle = request.headers.first(named: "Authorization") != nil ? .basic : .body
        let now = clock.now
        let timeoutSeconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let id = state.withLock { s -> Int in s.nextID += 1; return s.nextID }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Result<HTTPResponseData, TransportError>, Never>) in
                let cancelledEarly: Bool = state.withLock { s in
                    if s.cancelled.remove(id) != nil {
                        // Counted like any request the manager will record an exchange for.
                        s.seen.append(Seen(credential: row, style: style, at: now))
                        s.answered[row, default: 0] += 1
                        return true
                    }
                    if s.closed { s.violations.append("a request for credential \(row) after the manager stopped") }
                    if s.pending.contains(where: { $0.credential == row }) {
                        s.violations.append("two requests in flight at once for credential \(row) at \(now.timeIntervalSince1970)")
                    }
                    s.seen.append(Seen(credential: row, style: style, at: now))
                    let (latency, outcome) = Self.answer(credentials[row], style: style, at: now, rng: &s.rngs[row], timeout: timeoutSeconds)
                    s.pending.append(PendingRequest(id: id, credential: row, style: style, arrivedAt: now,
                                                    answerAt: now.addingTimeInterval(latency), outcome: outcome, continuation: cont))
                    return false
                }
                if cancelledEarly { cont.resume(returning: .failure(.other("cancelled"))) }
            }
        } onCancel: {
            // Like a real transport: a cancelled request ends at once (the manager's stop()).
            let p: PendingRequest? = state.withLock { s in
                guard let i = s.pending.firstIndex(where: { $0.id == id }) else { s.cancelled.insert(id); return nil }
                s.answered[s.pending[i].credential, default: 0] += 1
                return s.pending.remove(at: i)
            }
            p?.continuation.resume(returning: .failure(.other("cancelled")))
        }
        return try result.get()
    }

    /// Resumes every request whose answer time has come. Returns how many.
    @discardableResult
    func deliver(upTo now: Date) -> Int {
        let ready: [PendingRequest] = state.withLock { s in
            let r = s.pending.filter { $0.answerAt <= now }.sorted { $0.id < $1.id }
            s.pending.removeAll { $0.answerAt <= now }
            for p in r { s.answered[p.credential, default: 0] += 1 }
            return r
        }
        for p in ready { p.continuation.resume(returning: p.outcome) }
        return ready.count
    }

    /// Fails every held request (the end of a history).
    func failAll() {
        let all: [PendingRequest] = state.withLock { s in
            defer { s.pending.removeAll() }
            for p in s.pending { s.answered[p.credential, default: 0] += 1 }
            return s.pending
        }
        for p in all { p.continuation.resume(returning: .failure(.other("simulation over"))) }
    }

    private static func json(_ status: Int, _ body: String, headers: [HTTPHeader] = []) -> HTTPResponseData {
        HTTPResponseData(status: status, reason: status == 200 ? "OK" : "Error",
                         headers: [HTTPHeader("Content-Type", "application/json")] + headers, body: Array(body.utf8))
    }

    private static func answer(_ c: SimCredential, style: AuthStyle, at now: Date, rng: inout SimRandom,
                               timeout: Double) -> (TimeInterval, Result<HTTPResponseData, TransportError>) {
        let latency = Double(rng.int(0...2000)) / 1000
        switch c.behaviour(at: now) {
        case .healthy(let e, let range):
            let wait = Double(rng.int(range)) / 1000
            let styleOK: Bool = switch c.accepts { case .any: true; case .basicOnly: style == .basic; case .bodyOnly: style == .body }
            guard styleOK else { return (wait, .success(json(401, #"{"error":"invalid_client","error_description":"wrong auth style"}"#))) }
            let token = "tok-\(c.index)-\(rng.next())"
            let field: String = switch e {
            case .absent: ""
            case .number(let n): ",\"expires_in\":\(n)"
            case .string(let n): ",\"expires_in\":\"\(n)\""
            case .fraction: ",\"expires_in\":1.5"
            }
            if wait >= timeout { return (timeout, .failure(.deadlineExceeded(seconds: timeout))) }
            return (wait, .success(json(200, "{\"access_token\":\"\(token)\",\"token_type\":\"bearer\"\(field)}")))
        case .status500:
            return (latency, .success(HTTPResponseData(status: 500, reason: "Internal Server Error",
                                                        headers: [HTTPHeader("Content-Type", "text/html")], body: Array("<h1>500</h1>".utf8))))
        case .status503(let ra):
            return (latency, .success(json(503, #"{"error":"temporarily_unavailable"}"#, headers: [HTTPHeader("Retry-After", "\(ra)")])))
        case .invalidClient401:
            return (latency, .success(json(401, #"{"error":"invalid_client","error_description":"Client authentication failed"}"#)))
        case .malformed:
            return rng.chance(0.5)
                ? (latency, .success(json(200, #"{"error":"server_error"}"#)))
                : (latency, .success(json(200, #"{"token_type":"bearer"}"#)))
        case .refused:
            return (0, .failure(.connectionRefused("127.0.0.1:9")))
        case .hang:
            return (timeout, .failure(.deadlineExceeded(seconds: timeout)))
        }
    }
}
