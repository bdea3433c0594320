import ArgumentParser

struct LintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lint", abstract: "(in progress)")
    func run() async throws { throw ExitCode(2) }
}
