import ArgumentParser
import DemoGateway
import Foundation
import GatewayConfig

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the built-in demo gateway (an OAuth2 server with every failure scenario) and open the dashboard on it.")

    @Flag(help: "Run `check` on the demo instead of opening the dashboard.") var check = false
    @Flag(help: "With --check: JSON output.") var json = false
    @Option(help: "Port for the demo server (0 = any free port).") var port: Int = 0
    @Option(help: "Also write the demo's gateway config to this file.") var writeConfig: String?
    @OptionGroup var network: NetworkOptions
    @OptionGroup var dashboard: DashboardOptions

    func run() async throws {
        if !check { try requireTerminal() }
        let demo = try await DemoGateway.start(port: port)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokentop-demo-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = writeConfig ?? dir.appendingPathComponent("krakend.json").path
        try demo.writeConfig(to: file)
        defer { try? FileManager.default.removeItem(at: dir) }
        let code: Int32
        do {
            let cfg = try ConfigLoader.load(path: file)
            if check {
                code = try await runCheck(cfg, network: network, json: json, verbose: false)
            } else {
                code = try await runDashboard(cfg, network: network, options: dashboard)
            }
        } catch let e as ConfigLoadError {
            try? await demo.shutdown()
            stderr("tokentop: the demo's own config did not load (a bug):\n\(e)")
            throw ExitCode(2)
        }
        try? await demo.shutdown()
        if code != 0 { throw ExitCode(code) }
    }
}
