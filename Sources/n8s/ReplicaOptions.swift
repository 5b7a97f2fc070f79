import ArgumentParser
import Foundation
import KubeClient
import Logging

/// Options shared by the leader-elected controllers (`gpu-partitioner`, `operator`): where the
/// cluster is, who this replica is, how much to log.
struct ReplicaOptions: ParsableArguments {
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

    func logger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }

    /// The cluster from the kubeconfig options.
    /// - Throws: `ValidationError` saying why no cluster can be reached.
    func cluster() throws -> ClusterConfig {
        do { return try ClusterConfig.load(kubeconfig: kubeconfig, context: context) } catch {
            throw ValidationError("cannot reach a cluster: \(error)")
        }
    }

    /// `--identity` as given, else POD_NAME or the host name with a random suffix (unique per start).
    var replicaIdentity: String {
        if let identity { return identity }
        let base = ProcessInfo.processInfo.environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName
        return "\(base)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}
