import ArgumentParser

/// `n8s sim`: the whole system on an embedded, simulated cluster.
struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run n8s on a simulated cluster (no Kubernetes or GPU needed).",
        subcommands: [SimAPIServer.self, SimTraceStats.self, SimReport.self]
    )
}
