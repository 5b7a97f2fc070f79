import ArgumentParser
import Foundation
import KubeClient
import Logging
import N8sServices

/// `n8s gpu-partitioner`: turns unschedulable MIG pods into node MIG layouts (design.md section 5).
struct GPUPartitionerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpu-partitioner",
        abstract: "Batch unschedulable MIG pods, plan MIG layouts and write them as node spec annotations.",
        discussion: """
            Runs as a leader-elected Deployment: only the replica holding the Lease plans. Serves
            /healthz, /readyz and /metrics on the config's healthPort. Stops on SIGTERM or SIGINT.
            RBAC: list/watch nodes and pods; patch nodes and nodes/status; create/patch events;
            get/create/update leases in the lease namespace.
            """
    )

    @Option(help: "Config file (YAML); absent fields keep their defaults.")
    var config: String?

    @OptionGroup var replica: ReplicaOptions

    func run() async throws {
        let logger = replica.logger(label: "n8s.gpu-partitioner")
        let settings: PartitionerConfig
        do { settings = try config.map { try PartitionerConfig(contentsOf: $0) } ?? PartitionerConfig() } catch {
            throw ValidationError("\(error)")
        }
        do { _ = try GPUPartitionerProcess.catalog(for: settings) } catch { throw ValidationError("\(error)") }
        try await GPUPartitionerProcess.run(config: settings, cluster: try replica.cluster(), identity: replica.replicaIdentity, logger: logger)
    }
}
