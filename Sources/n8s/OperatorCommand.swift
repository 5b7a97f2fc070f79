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

    @OptionGroup var replica: ReplicaOptions

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
        do { try settings.validate() } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        let logger = replica.logger(label: "n8s.operator")
        try await QuotaOperatorProcess.run(config: settings, cluster: try replica.cluster(), identity: replica.replicaIdentity, logger: logger)
    }
}
