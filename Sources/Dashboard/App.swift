import TerminalScreen
import ConfigLint
import Foundation
import GatewayConfig
import TokenKit

// The contract between the pure dashboard and its runtime (tokentop's DashboardRunner, which owns
// the terminal and the TokenManager). Keep these signatures stable; the bodies live in Update.swift
// and View.swift.

/// Static facts about what is being watched.
public struct DashboardContext: Sendable {
    public var file: String
    public var gatewayName: String?
    public var routes: [Route]
    /// Route id → token entry id (routes without an entry are unprotected or disabled).
    public var entryForRoute: [Int: Int]
    /// `--readonly`: refresh keys disabled (help shows them greyed).
    public var readonly: Bool
    /// NO_COLOR / --no-color: the view must still show every state in words/glyphs.
    public var monochrome: Bool
    public var policy: RefreshPolicy
    /// `tokentop lint` findings for the file, known at start (in file order; a finding names its
    /// rows in `routeIDs`, root-level ones name none). Findings that arrive later come as
    /// `Msg.lint` and replace these.
    public var findings: [Finding]
    /// The `{placeholders}` of a route's url_pattern that a test call must ask for (the runtime
    /// passes `BackendCallBuilder.placeholders(in:)`). Asked once per `t`, for one route.
    public var placeholders: @Sendable (Route) -> [CallPlaceholder]
    /// The config's `allow_insecure_connections` is true: token servers' and backends'
    /// certificates are not verified (as on the gateway). The header says so on every screen,
    /// because the warning `list`/`check` print on stderr would be hidden behind curses.
    public var tlsNotVerified: Bool
    public init(file: String, gatewayName: String?, routes: [Route], entryForRoute: [Int: Int], readonly: Bool = false,
                monochrome: Bool = false, policy: RefreshPolicy = RefreshPolicy(), tlsNotVerified: Bool = false,
                findings: [Finding] = [], placeholders: @escaping @Sendable (Route) -> [CallPlaceholder] = { _ in [] }) {
        self.file = file; self.gatewayName = gatewayName; self.routes = routes; self.entryForRoute = entryForRoute
        self.readonly = readonly; self.monochrome = monochrome; self.policy = policy; self.tlsNotVerified = tlsNotVerified
        self.findings = findings; self.placeholders = placeholders
    }
}

/// Everything that happens to the dashboard.
public enum Msg: Sendable {
    case key(Key)
    /// Keys that arrived together (a paste, a held key, typing faster than a frame), in order.
    /// The same as one `.key` each, but the table filter is recomputed once for the batch instead
    /// of after every character: a 10 KB paste into `/` on 1,000 rows took 84 s one by one.
    case keys([Key])
    /// The clock moved (sent about once a second, and with every other message's time).
    case tick(Date)
    /// Fresh token state from the manager (all entries, indexed by entry id) and the event log (newest first).
    case tokens([TokenEntrySnapshot], events: [Attempt])
    /// A refresh the user asked for finished (for the flash line).
    case refreshFinished(entryID: Int, attempt: Attempt?)
    /// Lint findings for the file (the runtime lints in the background and sends them once);
    /// they replace `DashboardContext.findings`.
    case lint([Finding])
    /// A test call asked for with `Effect.testCall`/`.refreshAndCall` ended (answered, failed,
    /// or was never sent); `report.callID` says which.
    case callFinished(CallReport)
    /// Something the runtime could not do and the operator must know about, though the dashboard
    /// goes on (e.g. the `--log-file` cannot be written): shown as an error on the flash line.
    case runtimeError(String)
}

/// What the runtime must do after an update. Nothing in Dashboard waits on the network.
public enum Effect: Sendable, Hashable {
    case refresh(entryID: Int)
    case refreshAll
    /// Test-call a backend: ensure the route's token (fetch one if there is no usable token),
    /// build the request as the gateway would and send it; answer with `Msg.callFinished`.
    case testCall(CallSpec)
    /// The same after the backend rejected the token: force a fresh token first, then call.
    case refreshAndCall(CallSpec)
    case quit
}
