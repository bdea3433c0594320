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
        subcommands: [DashboardCommand.self, ListCommand.self, CheckCommand.self, CallCommand.self, LintCommand.self, ServeCommand.self, DemoCommand.self],
        defaultSubcommand: DashboardCommand.self
    )

    /// argument-parser's own `main`, except for the exit status of an unusable command line: it
    /// exits 64 (EX_USAGE) for an unknown option, a value that doesn't parse or a failed
    /// `validate`, and the README promises 2 for those, as for a config that can't be used. So
    /// 64 becomes 2 with the same message (reason, then the usage line), and a `UsageError` found
    /// while running exits 2 with its one line and the command's usage line. Everything else is unchanged: `--help` and
    /// `--version` exit 0, an `ExitCode` thrown by a command keeps its value.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exitForUsage(error)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch var usage as UsageError {
            // `tokentop check: no config file…`; the dashboard, run as `tokentop CONFIG`, stays `tokentop:`.
            if usage.command == nil, !(command is DashboardCommand) { usage.command = type(of: command).configuration.commandName }
            stderr(usage.description)
            stderr("Usage: " + usageString(for: type(of: command)))
            Foundation.exit(usageExitStatus)
        } catch {
            exitForUsage(error)
        }
    }

    /// argument-parser's `exit(withError:)`, with 64 (EX_USAGE) replaced by 2.
    static func exitForUsage(_ error: any Error) -> Never {
        guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
        stderr(fullMessage(for: error))
        Foundation.exit(usageExitStatus)
    }

    /// The exit status of an unusable command line (and config): 2, as documented in the README.
    static let usageExitStatus: Int32 = 2
}
