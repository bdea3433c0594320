import ArgumentParser
import Foundation

@main
struct TokenTop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokentop",
        abstract: "Watch and test the OAuth 2.0 client-credentials tokens of a KrakenD gateway.",
        discussion: """
        Run `tokentop CONFIG` for the live dashboard, `tokentop demo` to try it on a built-in demo gateway.
        Exit codes of the scriptable commands: 0 all good, 1 something failed, 2 the config or the \
        command line could not be used.
        """,
        version: "0.1.0",
        subcommands: [DashboardCommand.self, ListCommand.self, CheckCommand.self, CallCommand.self, LintCommand.self, DemoCommand.self],
        defaultSubcommand: DashboardCommand.self
    )
}
