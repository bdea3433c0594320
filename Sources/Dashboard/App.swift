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
    public init(file: String, gatewayName: String?, routes: [Route], entryForRoute: [Int: Int], readonly: Bool = false,
                monochrome: Bool = false, policy: RefreshPolicy = RefreshPolicy()) {
        self.file = file; self.gatewayName = gatewayName; self.routes = routes; self.entryForRoute = entryForRoute
        self.readonly = readonly; self.monochrome = monochrome; self.policy = policy
    }
}

/// Everything that happens to the dashboard.
public enum Msg: Sendable {
    case key(Key)
    /// The clock moved (sent about once a second, and with every other message's time).
    case tick(Date)
    /// Fresh token state from the manager (all entries, indexed by entry id) and the event log (newest first).
    case tokens([TokenEntrySnapshot], events: [Attempt])
    /// A refresh the user asked for finished (for the flash line).
    case refreshFinished(entryID: Int, attempt: Attempt?)
}

/// What the runtime must do after an update. Nothing in Dashboard waits on the network.
public enum Effect: Sendable, Hashable {
    case refresh(entryID: Int)
    case refreshAll
    case quit
}
