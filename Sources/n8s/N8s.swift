import ArgumentParser

/// The one `n8s` binary: each component is a subcommand (design.md section 2).
@main
struct N8s: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "n8s",
        abstract: "Nebulnetes: automatic MIG partitioning and elastic quotas for Kubernetes.",
        subcommands: [Sim.self, PlanCommand.self, Geometries.self, MigAgent.self, GPUPartitionerCommand.self, OperatorCommand.self, SchedulerExtenderCommand.self]
    )
}

/// Output format shared by the laptop subcommands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
