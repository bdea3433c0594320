import TerminalScreen
import ConfigLint
import Foundation
import GatewayConfig
import TokenKit

/// How lint findings look: a glyph per severity, readable without colour.
extension Finding.Severity {
    /// One display column each: `!` error, `⚠` warning, `ℹ` note.
    public var glyph: String {
        switch self {
        case .error: "!"
        case .warning: "⚠"
        case .info: "ℹ"
        }
    }

    var style: Style {
        switch self {
        case .error: Theme.errorBold
        case .warning: Theme.warning
        case .info: Style.plain
        }
    }
}

/// Per-file lint facts the view needs, derived once when findings arrive.
struct LintIndex: Sendable {
    var all: [Finding] = []
    /// Route id → its findings, in file order.
    var byRoute: [Int: [Finding]] = [:]
    /// Worst severity per route position (index into `context.routes`); empty when no route has one.
    var worst: [Finding.Severity?] = []
    /// Lower-cased rule codes per route position, for the filter (`secret-in-file`, …).
    var codes: [Int: String] = [:]
    var global: [Finding] = []
    var errors = 0
    var warnings = 0
    var notes = 0

    init() {}

    init(_ findings: [Finding], routes: [Route], indexByID: [Int: Int]) {
        all = findings
        for f in findings {
            switch f.severity {
            case .error: errors += 1
            case .warning: warnings += 1
            case .info: notes += 1
            }
            if f.routeIDs.isEmpty { global.append(f); continue }
            for id in f.routeIDs where indexByID[id] != nil { byRoute[id, default: []].append(f) }
        }
        guard !byRoute.isEmpty else { return }
        worst = Array(repeating: nil, count: routes.count)
        for (id, fs) in byRoute {
            guard let i = indexByID[id] else { continue }
            worst[i] = fs.map(\.severity).min()
            codes[i] = Set(fs.map(\.code)).sorted().joined(separator: " ")
        }
    }

    var isEmpty: Bool { all.isEmpty }
    /// Rows carry a marker: the table gets a wider left margin for it.
    var hasRowMarkers: Bool { !byRoute.isEmpty }

    /// `2 errors, 3 warnings, 1 note` (zero counts left out).
    var countText: String {
        var parts: [String] = []
        if errors > 0 { parts.append("\(errors) error\(errors == 1 ? "" : "s")") }
        if warnings > 0 { parts.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
        if notes > 0 { parts.append("\(notes) note\(notes == 1 ? "" : "s")") }
        return parts.joined(separator: ", ")
    }
}

extension DashboardModel {
    /// Installs findings (at start from the context, later from `Msg.lint`).
    mutating func setFindings(_ findings: [Finding]) {
        lint = LintIndex(findings, routes: context.routes, indexByID: routeIndexByID)
        lintScroll = 0
    }

    /// The findings of a route (a dashboard row), in file order.
    public func findings(forRoute id: Int) -> [Finding] { lint.byRoute[id] ?? [] }

    /// The header's lint count: `lint: 1 error, 28 warnings` in words, or glyphs + numbers when
    /// `compact` (`lint !1 ⚠28`). Empty when the file is clean.
    func lintCountLine(compact: Bool) -> Line {
        guard !lint.isEmpty else { return [] }
        var line: Line = [Span(compact ? "lint" : "lint:", Theme.dim)]
        let parts: [(Int, Finding.Severity, String)] = [(lint.errors, .error, "error"), (lint.warnings, .warning, "warning"),
                                                         (lint.notes, .info, "note")]
        for (n, sev, word) in parts where n > 0 {
            line.append(Span(" "))
            line.append(Span(compact ? "\(sev.glyph)\(n)" : "\(n) \(word)\(n == 1 ? "" : "s")", sev.style))
        }
        return line
    }

    /// `⚠ 2 warnings, ℹ 1 note` for a route; empty when it is clean.
    func lintSummary(forRoute id: Int) -> Line {
        let fs = findings(forRoute: id)
        var line: Line = []
        for sev in Finding.Severity.allCases {
            let n = fs.count { $0.severity == sev }
            guard n > 0 else { continue }
            if !line.isEmpty { line.append(Span(", ")) }
            line.append(Span("\(sev.glyph) \(n) \(sev.label)\(n == 1 ? "" : "s")", sev.style))
        }
        return line
    }

    // MARK: Lines (detail pane and lint view)

    /// One finding as lines: `⚠ warning [code] message`, the place, what the gateway does, the fix.
    func addFinding(_ f: Finding, to b: inout DetailBuilder, showRows: Bool) {
        let head: Line = [Span(f.severity.glyph + " " + f.severity.label, f.severity.style)]
        let code = "[\(f.code)]"
        for (k, piece) in Text.wordWrap(code + " " + Text.oneLine(f.message), width: b.valueWidth).enumerated() {
            if k == 0, piece.hasPrefix(code) {
                b.kv(head, [Span(code, Theme.bold), Span(String(piece.dropFirst(code.count)))])
            } else {
                b.kv(k == 0 ? head : [], [Span(piece)])
            }
        }
        var place = f.path.isEmpty ? "(the whole file)" : f.path
        if let loc = f.location { place += " at \(loc.line):\(loc.column)" }
        b.long("where", Text.oneLine(place), style: Theme.dim)
        if showRows, !f.routeIDs.isEmpty {
            let names = f.routeIDs.prefix(4).compactMap { id -> String? in
                guard let i = routeIndexByID[id] else { return nil }
                let r = context.routes[i]
                return "\(r.method) \(Text.oneLine(r.endpoint))"
            }
            var text = names.joined(separator: ", ")
            if f.routeIDs.count > 4 { text += " and \(f.routeIDs.count - 4) more" }
            b.prose(f.routeIDs.count == 1 ? "row" : "rows", text)
        }
        b.prose("gateway", Text.oneLine(f.gatewayBehaviour), style: Theme.dim)
        b.prose("fix", Text.oneLine(f.fix))
    }

    /// The detail pane's lint section for a route (nothing when the route is clean).
    func addLint(_ route: Route, to b: inout DetailBuilder) {
        let fs = findings(forRoute: route.id)
        guard !fs.isEmpty else { return }
        let idx = LintIndex(fs, routes: [], indexByID: [:])
        b.section("Lint: \(idx.countText)")
        for (k, f) in fs.enumerated() {
            if k > 0 { b.raw([]) }
            addFinding(f, to: &b, showRows: false)
        }
    }

    /// Every finding: root-level ones first, then in file order, with the rows each concerns.
    func lintLines(width: Int) -> [Line] {
        var b = DetailBuilder(width: width)
        if lint.isEmpty {
            b.raw([Span(" "), Span("No findings: the gateway should read this file as written.", Theme.dim)])
            return b.lines
        }
        if !lint.global.isEmpty {
            b.section("About the whole file (\(lint.global.count))")
            for (k, f) in lint.global.enumerated() {
                if k > 0 { b.raw([]) }
                addFinding(f, to: &b, showRows: false)
            }
        }
        let perRoute = lint.all.filter { !$0.routeIDs.isEmpty }
        if !perRoute.isEmpty {
            b.section("About endpoints and backends (\(perRoute.count))")
            for (k, f) in perRoute.enumerated() {
                if k > 0 { b.raw([]) }
                addFinding(f, to: &b, showRows: true)
            }
        }
        return b.lines
    }

    static func lintRows(for size: Size) -> Int { max(1, size.height - 3) }

    mutating func handleLintKey(_ key: Key) -> [Effect] {
        handleListPaneKey(key, in: .lint, offset: \.lintScroll, rows: Self.lintRows(for: size)) { $0.lintLines(width: $0.size.width).count }
    }

    func drawLint(into screen: inout Screen) {
        let size = screen.size
        let lines = lintLines(width: size.width)
        var title: Line = [Span("Lint", Theme.barBold)]
        if !lint.isEmpty { title.append(Span(" · \(lint.countText)")) }
        title.append(Span(" · " + Text.oneLine(context.file)))
        drawScrolledPane(lines, scroll: lintScroll, rows: Self.lintRows(for: size), title: title, into: &screen)
        if let f = flash { drawFlash(f, into: &screen, row: size.height - 2, maxWidth: size.width - 2) }
        drawHints(into: &screen, row: size.height - 1,
                  hints: KeyMap.hints(.lint, order: [.lineUp, .pageUp, .close, .help], readonly: context.readonly))
    }
}
