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

    @Option(help: "kubeconfig path (default: KUBECONFIG, in-cluster, then ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "kubeconfig context (default: the current one).")
    var context: String?

    @Option(help: "Replica identity for leader election (default: POD_NAME or the host name, plus a random suffix).")
    var identity: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'")
        }
    }

    func run() async throws {
        var logger = Logger(label: "n8s.gpu-partitioner")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let settings: PartitionerConfig
        do { settings = try config.map { try PartitionerConfig(contentsOf: $0) } ?? PartitionerConfig() } catch {
            throw ValidationError("\(error)")
        }
        do { _ = try GPUPartitionerProcess.catalog(for: settings) } catch { throw ValidationError("\(error)") }
        let cluster: ClusterConfig
        do { cluster = try ClusterConfig.load(kubeconfig: kubeconfig, context: context) } catch {
            throw ValidationError("cannot reach a cluster: \(error)")
        }
        let base = identity ?? ProcessInfo.processInfo.environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName
        let name = identity ?? "\(base)_\(UUID().uuidString.prefix(8).lowercased())"
        try await GPUPartitionerProcess.run(config: settings, cluster: cluster, identity: name, logger: logger)
    }
}
