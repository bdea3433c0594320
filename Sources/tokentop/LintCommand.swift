import ArgumentParser
import ConfigLint
import Foundation
import GatewayConfig

struct LintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Report what the gateway will get wrong with a config: misplaced or mistyped client credentials, scope traps, secrets in the file, martian and host problems (no network).",
        discussion: "Exit 0 when there are no errors (warnings and notes allowed), 1 when there are, 2 when the config cannot be read. The codes are documented in docs/lint.md.")

    @OptionGroup var config: ConfigOptions
    @Flag(help: "One JSON document instead of text.") var json = false

    struct Row: Encodable {
        var code: String
        var severity: String
        var path: String
        var line: Int?
        var column: Int?
        var routes: [Int]
        var message: String
        var gateway: String
        var fix: String
    }

    func run() async throws {
        let file = try config.path()
        let result: LintResult
        do {
            result = try ConfigLinter.lint(path: file)
        } catch {
            for d in error.diagnostics where config.verbose || d.severity == .error { stderr("\(d)") }
            let n = error.errors.count
            stderr("tokentop: cannot lint \(file): \(n) error\(n == 1 ? "" : "s")")
            throw ExitCode(2)
        }

        if json {
            struct Summary: Encodable { var errors: Int; var warnings: Int; var notes: Int }
            struct Doc: Encodable { var file: String; var fragment: Bool; var ok: Bool; var summary: Summary; var findings: [Row] }
            let rows = result.findings.map { f in
                Row(code: f.code, severity: f.severity.rawValue, path: f.path, line: f.location?.line, column: f.location?.column,
                    routes: f.routeIDs, message: f.message, gateway: f.gatewayBehaviour, fix: f.fix)
            }
            print(jsonString(Doc(file: file, fragment: result.isFragment, ok: !result.hasErrors,
                                 summary: Summary(errors: result.errorCount, warnings: result.warningCount, notes: result.infoCount),
                                 findings: rows)))
        } else {
            // Compiler style, so editors and terminals can jump to each finding.
            let routes = Dictionary(uniqueKeysWithValues: (result.configuration?.routes ?? []).map { ($0.id, $0) })
            for f in result.findings {
                print(f.description)
                print("    gateway: \(f.gatewayBehaviour)")
                print("    fix: \(f.fix)")
                if config.verbose && !f.routeIDs.isEmpty {
                    let names = f.routeIDs.map { id in routes[id].map { "\(id) (\($0.endpointMethod.uppercased()) \($0.endpoint))" } ?? "\(id)" }
                    print("    rows: " + names.joined(separator: ", "))
                }
            }
            if !result.findings.isEmpty { print("") }
            print("\(file): \(result.summary)\(result.isFragment ? " (endpoint fragment)" : "")")
        }
        if result.hasErrors { throw ExitCode(1) }
    }
}
