import ArgumentParser

@main
struct N8s: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "n8s",
        abstract: "Nebulnetes: automatic MIG partitioning and elastic quotas for Kubernetes.",
        subcommands: [Geometries.self, Plan.self]
    )
}

/// Output format shared by the laptop subcommands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
