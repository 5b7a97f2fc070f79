import ArgumentParser
import Foundation
import KubeClient
import Logging
import N8sServices

/// `n8s operator`: the elastic-quota controllers and validating webhook (docs/design.md section 6).
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Keep elastic quotas' status.used and pods' capacity labels current; serve the quota validating webhook.",
        discussion: """
            Runs as a leader-elected Deployment: only the replica holding the Lease writes quota
            status, pod labels and Events; every replica serves the validating webhook over HTTPS
            (certificate and key files, reloaded when they change) and /healthz, /readyz and
            /metrics. Stops on SIGTERM or SIGINT.
            RBAC: list/watch elasticquotas, compositeelasticquotas and pods; patch their status
            subresources and pods; create/patch events; get/create/update leases.
            """
    )

    @Option(help: "kubeconfig path (default: KUBECONFIG, in-cluster, then ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "kubeconfig context (default: the current one).")
    var context: String?

    @Option(help: "Replica identity for leader election (default: POD_NAME or the host name, plus a random suffix).")
    var identity: String?

    @Option(help: "Lease name for leader election.")
    var leaseName = "n8s-operator"

    @Option(help: "Lease namespace (default: the client's namespace).")
    var leaseNamespace: String?

    @Option(help: "Port of /healthz, /readyz and /metrics.")
    var healthPort = 8081

    @Option(help: "Port of the validating webhook (HTTPS).")
    var webhookPort = 9443

    @Option(help: "Webhook certificate chain (PEM); reloaded when the file changes.")
    var tlsCertFile: String?

    @Option(help: "Webhook private key (PEM); reloaded when the file changes.")
    var tlsKeyFile: String?

    @Option(help: "GB of n8s.nebuly.ai/gpu-memory charged per nvidia.com/gpu.")
    var gpuMemoryPerGPU = 32

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    var settings: OperatorConfig {
        var c = OperatorConfig()
        c.leaseName = leaseName
        c.leaseNamespace = leaseNamespace
        c.healthPort = healthPort
        c.webhookPort = webhookPort
        c.webhookCertificatePath = tlsCertFile
        c.webhookKeyPath = tlsKeyFile
        c.gpuMemoryPerGPU = gpuMemoryPerGPU
        return c
    }

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'")
        }
        do { try settings.validate() } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        var logger = Logger(label: "n8s.operator")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let cluster: ClusterConfig
        do { cluster = try ClusterConfig.load(kubeconfig: kubeconfig, context: context) } catch {
            throw ValidationError("cannot reach a cluster: \(error)")
        }
        let base = identity ?? ProcessInfo.processInfo.environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName
        let name = identity ?? "\(base)_\(UUID().uuidString.prefix(8).lowercased())"
        try await QuotaOperatorProcess.run(config: settings, cluster: cluster, identity: name, logger: logger)
    }
}
