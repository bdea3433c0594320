import Foundation
import Testing
import ConfigLint

/// docs/lint.md documents every rule with an example and its output; these tests keep the page
/// true: every rule has a section, and each section's example still produces the output shown.
@Suite("docs/lint.md")
struct DocsTests {
    static let docsURL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/lint.md")

    /// `### \`code\`` sections: code → (first ```json block, first plain ``` block after it).
    static func sections() throws -> [String: (example: String, output: [String])] {
        let text = try String(contentsOf: docsURL, encoding: .utf8)
        var result: [String: (String, [String])] = [:]
        for chunk in text.components(separatedBy: "\n### `").dropFirst() {
            guard let code = chunk.split(separator: "`", maxSplits: 1).first.map(String.init) else { continue }
            let lines = chunk.components(separatedBy: "\n")
            guard let jsonStart = lines.firstIndex(of: "```json"),
                  let jsonEnd = lines[(jsonStart + 1)...].firstIndex(of: "```"),
                  let outStart = lines[(jsonEnd + 1)...].firstIndex(of: "```"),
                  let outEnd = lines[(outStart + 1)...].firstIndex(of: "```") else { continue }
            result[code] = (lines[(jsonStart + 1)..<jsonEnd].joined(separator: "\n"), Array(lines[(outStart + 1)..<outEnd]))
        }
        return result
    }

    @Test func everyRuleHasASectionWithAnExampleAndItsOutput() throws {
        let sections = try Self.sections()
        for rule in LintRule.allCases {
            let section = try #require(sections[rule.code], "docs/lint.md has no section for \(rule.code)")
            let result = try #require(lint(section.example, file: "krakend.json"), "\(rule.code)")
            #expect(result.findings.contains { $0.rule == rule }, "the example of \(rule.code) doesn't trigger it")
            // The same lines `tokentop lint` prints for each finding.
            let printed = result.findings.flatMap { ["\($0)", "    gateway: \($0.gatewayBehaviour)", "    fix: \($0.fix)"] }
            #expect(printed == section.output, "docs/lint.md output for \(rule.code) is stale")
        }
    }
}
