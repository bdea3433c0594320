import ArgumentParser
import Foundation
import GatewayConfig

struct DashboardOptions {
    var network: NetworkOptions
}

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The live dashboard (the default command): `tokentop CONFIG`.")

    @OptionGroup var config: ConfigOptions
    @OptionGroup var network: NetworkOptions

    func run() async throws {
        let cfg = try config.load()
        let code = try await runDashboard(cfg, options: DashboardOptions(network: network))
        if code != 0 { throw ExitCode(code) }
    }
}

func runDashboard(_ cfg: GatewayConfiguration, options: DashboardOptions) async throws -> Int32 {
    stderr("tokentop: the dashboard is not built yet; use `tokentop check \(cfg.file)`")
    return 2
}
