import TerminalScreen
import ConfigLint
import Foundation
import GatewayConfig
import TokenKit

/// Which screen is in front.
public enum Mode: Sendable, Hashable {
    /// The route table (with the filter prompt when `filterEditing`).
    case table
    /// Everything about the selected route, its credential, token and last error.
    case detail
    /// Key overview, drawn over the mode it was opened from.
    case help
    /// Every fetch of every token, newest first.
    case events
    /// "Refresh all N tokens? y/n".
    case confirmRefreshAll
    /// The test-call prompt (`t`): placeholder values, host, body; drawn over the mode it was
    /// opened from.
    case callPrompt
    /// A test call's response (or the wait for it).
    case response
    /// Every lint finding of the file (`L`).
    case lint
}

/// What the table can be ordered by; `s` cycles through them in this order.
public enum SortColumn: String, Sendable, Hashable, CaseIterable {
    /// The order of the config file (endpoint, then backend).
    case table = "table order"
    /// Most urgent first: failed, expired, expiring, fetching, not fetched, valid, no expiry, disabled, unprotected.
    case state
    case endpoint
    /// Soonest effective expiry first; tokens that never expire, then rows without a token, last.
    case expiry
    case client

    /// The column `s` switches to (wrapping around to table order).
    public var next: SortColumn {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// A one-line message about the result of an action.
public struct Flash: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Something started or a key did nothing; cleared by the next key or after a few seconds.
        case info
        /// An action worked; cleared after `DashboardModel.successFlashSeconds` of ticks.
        case success
        /// An action failed; stays until the next key so it can't be missed.
        case error
    }
    public var kind: Kind
    public var text: String
    /// When it was shown (model time), for the timeout.
    public var at: Date
    /// For "refreshing …": the entry being refreshed. Such a flash doesn't time out, its result
    /// replaces it.
    public var pendingEntryID: Int?

    public init(_ kind: Kind, _ text: String, at: Date, pendingEntryID: Int? = nil) {
        self.kind = kind; self.text = text; self.at = at; self.pendingEntryID = pendingEntryID
    }
}

/// The whole state of the dashboard. A value: `update` changes it, `view` draws it, and both are
/// pure so every screen can be tested without a terminal.
///
/// Per-row facts that `view` needs (state, display order, counts) are cached here and recomputed
/// by `update` only when data, time, filter or sort change, so drawing costs O(visible rows) even
/// for configs with tens of thousands of backends.
public struct DashboardModel: Sendable {
    /// Successes (and plain info) leave the flash line after this many seconds of ticks.
    public static let successFlashSeconds: TimeInterval = 3

    public let context: DashboardContext
    /// Token entries by entry id (`context.entryForRoute` maps routes to these).
    public internal(set) var entries = EntriesByID()
    /// Every attempt of every token, newest first.
    public internal(set) var events: [Attempt] = []
    /// Model time: the only clock `update` and `view` use.
    public internal(set) var now: Date
    public internal(set) var size: Size

    /// The selected route, by id so the selection survives sorting, filtering and new data.
    public internal(set) var selectedRouteID: Int?
    /// First table row on screen (an index into `visible`).
    public internal(set) var scroll = 0
    public internal(set) var filter = ""
    /// The filter prompt has the keyboard.
    public internal(set) var filterEditing = false
    public internal(set) var sort: SortColumn = .table
    public internal(set) var ascending = true
    public internal(set) var mode: Mode = .table
    /// The mode the help overlay returns to.
    public internal(set) var helpReturnMode: Mode = .table
    public internal(set) var flash: Flash?
    /// The detail pane shows the full token. Reset whenever the pane is left.
    public internal(set) var revealed = false
    public internal(set) var detailScroll = 0
    public internal(set) var eventScroll = 0
    public internal(set) var helpScroll = 0

    // MARK: Test calls and lint

    /// The open test-call prompt.
    public internal(set) var callForm: CallForm?
    /// The mode the prompt was opened from (table, detail or response pane).
    public internal(set) var promptReturnMode: Mode = .table
    /// The response pane (kept after closing, so the last call's pane can be reopened).
    public internal(set) var pane: ResponsePane?
    /// Values typed for each route's last call, to prefill the next prompt.
    public internal(set) var callMemory: [Int: CallMemory] = [:]
    /// Each route's last answered call (the table's CALL column).
    public internal(set) var callReports: [Int: CallReport] = [:]
    /// Route id → id of its call in flight.
    public internal(set) var callsPending: [Int: Int] = [:]
    public internal(set) var nextCallID = 1
    var lint = LintIndex()
    public internal(set) var lintScroll = 0

    // MARK: Caches (recomputed by update, read by view)

    /// Route positions (indices into `context.routes`) in display order after filter and sort.
    public internal(set) var visible: [Int] = []
    /// Position of the selection in `visible`; nil when nothing is visible.
    var selectedPos: Int?
    /// State of each route (by position), as of `now`.
    var rowStates: [TokenState] = []
    /// When `rowStates` were computed, and the earliest instant after that at which one of them
    /// can change by time alone (nil: none can).
    var statesComputedAt: Date?
    var nextStateChange: Date?
    /// Per route (by index): its token entry id, or `Self.unprotectedRow` / `Self.disabledRow`.
    /// Worked out once, so the once-a-second state pass copies no Route and no snapshot.
    var rowEntry: [Int] = []
    static let unprotectedRow = -1, disabledRow = -2, unknownRow = -3
    var counts: [CountBucket: Int] = [:]
    var routeIndexByID: [Int: Int] = [:]
    /// Entry id → how many routes use it (the `×2` mark).
    var shareCount: [Int: Int] = [:]
    /// Lower-cased static search text per route (endpoint, method, backend, client_id).
    var haystacks: [String] = []
    /// Lower-cased error summary per entry id, for the filter.
    var errorHaystacks: [Int: String] = [:]
    /// Widest content of each flexible column (capped), so column widths don't depend on which
    /// rows happen to be on screen.
    var contentWidths = ContentWidths()
    /// Distinct tokens (entries) in the config.
    public internal(set) var tokenCount = 0
    /// Set while `update(.keys)` applies a batch: filter edits then mark `visible` stale instead
    /// of recomputing it per character; the batch ends (or the first key that needs the rows
    /// comes) with one pass. `view` never sees a stale model: `update` returns after that pass.
    var deferFilterRebuild = false
    var filterStale = false
    /// How many times `visible` was recomputed (filter and sort passes over every row), for
    /// tests and benchmarks.
    public internal(set) var visibleRebuilds = 0

    /// - Parameters:
    ///   - context: what is watched; its routes are the table rows.
    ///   - now: the model clock until the first `.tick`.
    ///   - size: the terminal size until the first `Key.resize`.
    ///   - entries: initial token snapshots, if any (usually they arrive with `Msg.tokens`).
    ///   - events: initial event log, newest first.
    public init(context: DashboardContext, now: Date, size: Size, entries: [TokenEntrySnapshot] = [], events: [Attempt] = []) {
        self.context = context
        self.now = now
        self.size = size
        let routes = context.routes
        haystacks.reserveCapacity(routes.count)
        var w = ContentWidths()
        rowEntry.reserveCapacity(routes.count)
        for (i, r) in routes.enumerated() {
            routeIndexByID[r.id] = i
            if let c = r.credentials {
                rowEntry.append(c.isDisabled ? Self.disabledRow : context.entryForRoute[r.id] ?? Self.unknownRow)
            } else {
                rowEntry.append(Self.unprotectedRow)
            }
            let backend = Self.backendText(r, scheme: false)
            let client = r.credentials?.clientID ?? ""
            haystacks.append("\(r.method) \(r.endpoint)\u{1}\(r.endpointMethod)\u{1}\(r.hosts.joined(separator: " "))\(r.urlPattern)\u{1}\(client)".lowercased())
            w.endpoint = max(w.endpoint, DisplayWidth.of(r.method) + 1 + DisplayWidth.of(r.endpoint))
            w.backend = max(w.backend, DisplayWidth.of(backend))
        }
        for (_, e) in context.entryForRoute { shareCount[e, default: 0] += 1 }
        for r in routes {
            guard let c = r.credentials else { continue }
            var cw = DisplayWidth.of(c.clientID)
            if let e = context.entryForRoute[r.id], let n = shareCount[e], n > 1 { cw += 1 + DisplayWidth.of("×\(n)") }
            w.client = max(w.client, cw)
        }
        tokenCount = Set(context.entryForRoute.values).count
        contentWidths = w
        selectedRouteID = routes.first?.id
        self.events = events
        if !context.findings.isEmpty { setFindings(context.findings) }
        setEntries(entries)
        recomputeStates()
        rebuildVisible()
    }

    // MARK: Derived facts

    public var routes: [Route] { context.routes }

    /// The selected route, if any row is visible.
    public var selectedRoute: Route? {
        guard let p = selectedPos, p < visible.count else { return nil }
        return context.routes[visible[p]]
    }

    /// The token entry of a route (nil for unprotected/disabled routes and before the first snapshot).
    public func entry(forRoute id: Int) -> TokenEntrySnapshot? {
        context.entryForRoute[id].flatMap { entries[$0] }
    }

    /// A route's state as of `now`.
    public func state(ofRoute id: Int) -> TokenState {
        guard let i = routeIndexByID[id] else { return .notFetched }
        return rowStates[i]
    }

    /// Rows of the table at a terminal size: the size minus 2 header rows, the column header, the
    /// flash line and the key hints. `update` and `view` share it so scrolling agrees with drawing.
    static func tableRows(for size: Size) -> Int { max(1, size.height - 5) }

    /// Hosts and pattern as one string; `(+N)` names further hosts (load-balanced backends).
    /// Without `scheme` the `http://`/`https://` prefix is left out: in the table it costs 7–8
    /// columns on every row and the detail pane shows it.
    static func backendText(_ r: Route, scheme: Bool = true) -> String {
        var host = r.hosts.first ?? ""
        if !scheme {
            // Plain prefix checks: this runs for every drawn row, and Foundation's range(of:) is slow.
            if host.hasPrefix("http://") { host.removeFirst(7) } else if host.hasPrefix("https://") { host.removeFirst(8) }
        }
        var s = host + r.urlPattern
        if r.hosts.count > 1 { s += " (+\(r.hosts.count - 1))" }
        return s
    }

    func computeState(routeIndex i: Int) -> TokenState {
        switch rowEntry[i] {
        case Self.unprotectedRow: return .unprotected
        case Self.disabledRow: return .disabled
        case let eid: return entries.state(of: eid, at: now, policy: context.policy) ?? .notFetched
        }
    }

    // MARK: Cache maintenance

    mutating func setEntries(_ snaps: [TokenEntrySnapshot]) {
        var errs: [Int: String] = [:]
        var errWidth = 0
        for s in snaps {
            if let f = s.lastFailure {
                let summary = Text.oneLine(f.summary)
                errs[s.id] = summary.lowercased()
                errWidth = max(errWidth, DisplayWidth.of(summary))
            }
        }
        entries = EntriesByID(snaps)
        errorHaystacks = errs
        contentWidths.error = errWidth
    }

    /// Recomputes every row's state for `now`. Returns whether any row changed, so callers only
    /// re-sort/re-filter when the order could have changed.
    @discardableResult
    mutating func recomputeStates() -> Bool {
        let n = context.routes.count
        var changed = rowStates.count != n
        if changed { rowStates = Array(repeating: .notFetched, count: n) }
        var c: [CountBucket: Int] = [:]
        for i in 0..<n {
            let s = computeState(routeIndex: i)
            if rowStates[i] != s { rowStates[i] = s; changed = true }
            c[CountBucket(s), default: 0] += 1
        }
        counts = c
        nextStateChange = entries.nextStateChange(after: now, policy: context.policy)
        statesComputedAt = now
        return changed
    }

    /// The once-a-second pass: states only change at a token's expiring/expiry instant (or with
    /// new snapshots, which recompute anyway), so until the earliest of those nothing is done.
    /// At 1,000 rows the full pass was the idle dashboard's largest cost after drawing.
    mutating func recomputeStatesIfDue() -> Bool {
        if let at = statesComputedAt, now >= at, nextStateChange.map({ now < $0 }) ?? true { return false }
        return recomputeStates()
    }

    /// Whether a route passes the current filter.
    func matches(routeIndex i: Int, needle: String) -> Bool {
        if haystacks[i].contains(needle) { return true }
        if rowStates[i].rawValue.contains(needle) { return true }
        let r = context.routes[i]
        if let eid = context.entryForRoute[r.id], let e = errorHaystacks[eid], e.contains(needle) { return true }
        if let codes = lint.codes[i], codes.contains(needle) { return true }
        if let report = callReports[r.id], report.statusSummary.lowercased().contains(needle) { return true }
        return false
    }

    /// Filters and sorts all rows into `visible` (O(n log n); only on filter/sort/data changes,
    /// never in `view`), then puts the selection back on the same route.
    mutating func rebuildVisible() {
        visibleRebuilds += 1
        filterStale = false
        let n = context.routes.count
        let needle = filter.lowercased()
        var rows: [Int]
        if needle.isEmpty {
            rows = Array(0..<n)
        } else {
            rows = []
            for i in 0..<n where matches(routeIndex: i, needle: needle) { rows.append(i) }
        }
        if sort != .table { sortRows(&rows) }
        if !ascending { rows.reverse() }
        visible = rows
        relocateSelection()
    }

    private func sortRows(_ rows: inout [Int]) {
        let routes = context.routes
        switch sort {
        case .table:
            break
        case .state:
            let states = rowStates
            rows.sort { (states[$0].severity, $0) < (states[$1].severity, $1) }
        case .endpoint:
            rows.sort { a, b in
                let ra = routes[a], rb = routes[b]
                if ra.endpoint != rb.endpoint { return ra.endpoint < rb.endpoint }
                if ra.method != rb.method { return ra.method < rb.method }
                return a < b
            }
        case .expiry:
            // Keys computed once: (group, seconds) with group 0 = expires, 1 = never, 2 = no token.
            var keys = [(Int, Double)](repeating: (2, 0), count: routes.count)
            for i in rows {
                guard let e = entry(forRoute: routes[i].id), let t = e.token, !routes[i].isDisabled else { continue }
                if let eff = t.effectiveExpiry { keys[i] = (0, eff.timeIntervalSince1970) } else { keys[i] = (1, 0) }
            }
            rows.sort { a, b in
                let ka = keys[a], kb = keys[b]
                if ka.0 != kb.0 { return ka.0 < kb.0 }
                if ka.1 != kb.1 { return ka.1 < kb.1 }
                return a < b
            }
        case .client:
            rows.sort { a, b in
                let ca = routes[a].credentials?.clientID, cb = routes[b].credentials?.clientID
                switch (ca, cb) {
                case let (x?, y?): return x != y ? x < y : a < b
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return a < b
                }
            }
        }
    }

    /// Finds the selected route in the new order; if it was filtered out, the first row is selected.
    mutating func relocateSelection() {
        if let id = selectedRouteID, let i = routeIndexByID[id], let p = visible.firstIndex(of: i) {
            selectedPos = p
        } else if visible.isEmpty {
            selectedPos = nil
        } else {
            selectedPos = 0
            selectedRouteID = context.routes[visible[0]].id
        }
        keepSelectionOnScreen()
    }

    mutating func select(position p: Int) {
        guard !visible.isEmpty else { selectedPos = nil; return }
        let q = min(max(0, p), visible.count - 1)
        selectedPos = q
        selectedRouteID = context.routes[visible[q]].id
        keepSelectionOnScreen()
    }

    /// Scrolls the least amount that brings the selection on screen; never leaves empty rows at
    /// the bottom while there is more above.
    mutating func keepSelectionOnScreen() {
        scroll = Self.scrollOffset(current: scroll, selected: selectedPos, count: visible.count, rows: Self.tableRows(for: size))
    }

    static func scrollOffset(current: Int, selected: Int?, count: Int, rows: Int) -> Int {
        var s = current
        if let p = selected {
            if p < s { s = p }
            if p >= s + rows { s = p - rows + 1 }
        }
        return min(max(0, s), max(0, count - rows))
    }
}

/// Widest content per flexible column (display columns, capped so one absurd value can't starve
/// the others).
struct ContentWidths: Sendable, Hashable {
    var endpoint = 0
    var backend = 0
    var client = 0
    var error = 0
    /// Widest CALL cell; 0 until the first test call (then the column appears).
    var call = 0
}

/// Token snapshots by entry id. The manager numbers its entries 0, 1, 2 … and sends them in that
/// order, so the array it sends is kept as it is (shared, not copied: a snapshot is a large
/// struct, and a dictionary of 3,750 of them cost 8.5 MB at 10,000 backends). Any other
/// numbering falls back to a dictionary.
public struct EntriesByID: Sendable {
    private var dense: [TokenEntrySnapshot] = []
    private var sparse: [Int: TokenEntrySnapshot]?

    public init() {}

    public init(_ snaps: [TokenEntrySnapshot]) {
        if snaps.indices.allSatisfy({ snaps[$0].id == $0 }) {
            dense = snaps
        } else {
            var map: [Int: TokenEntrySnapshot] = [:]
            map.reserveCapacity(snaps.count)
            for s in snaps { map[s.id] = s }
            sparse = map
        }
    }

    public subscript(id: Int) -> TokenEntrySnapshot? {
        if let sparse { return sparse[id] }
        return dense.indices.contains(id) ? dense[id] : nil
    }

    public var count: Int { sparse?.count ?? dense.count }

    /// Every snapshot (by id for the dense form).
    public var values: [TokenEntrySnapshot] { sparse.map { Array($0.values) } ?? dense }

    /// The earliest ``TokenEntrySnapshot/nextStateChange(after:policy:)`` of all entries.
    func nextStateChange(after now: Date, policy: RefreshPolicy) -> Date? {
        var best: Date?
        func consider(_ s: TokenEntrySnapshot) {
            if let d = s.nextStateChange(after: now, policy: policy), best.map({ d < $0 }) ?? true { best = d }
        }
        if let sparse { for s in sparse.values { consider(s) } } else { for s in dense { consider(s) } }
        return best
    }

    /// The entry's state, read in place (no copy of the snapshot); nil for an unknown id.
    func state(of id: Int, at now: Date, policy: RefreshPolicy) -> TokenState? {
        if let sparse { return sparse[id]?.state(at: now, policy: policy) }
        return dense.indices.contains(id) ? dense[id].state(at: now, policy: policy) : nil
    }
}
