import ArgumentParser

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "call", abstract: "(in progress)")
    func run() async throws { throw ExitCode(2) }
}
