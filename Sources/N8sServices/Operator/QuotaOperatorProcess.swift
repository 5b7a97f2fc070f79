import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import Metrics
import N8sCore
import Prometheus
import ServiceLifecycle

/// Settings of `n8s operator` (docs/design.md section 6).
public struct OperatorConfig: Sendable, Hashable {
    /// Lease for leader election of the quota controllers.
    public var leaseName = "n8s-operator"
    /// Namespace of the lease; `nil`: the client's namespace (in-cluster: the pod's).
    public var leaseNamespace: String?
    /// Port of `/healthz`, `/readyz` and `/metrics` (0 picks a free one).
    public var healthPort = 8081
    /// Port of the validating webhook (HTTPS).
    public var webhookPort = 9443
    /// PEM certificate chain and private key of the webhook; both `nil`: no webhook server.
    public var webhookCertificatePath: String?
    public var webhookKeyPath: String?
    /// GB of `n8s.nebuly.ai/gpu-memory` charged per `nvidia.com/gpu`. Default 32.
    public var gpuMemoryPerGPU = 32

    public init() {}

    /// - Throws: ``OperatorError/invalidConfig(field:reason:)`` naming the first bad setting.
    public func validate() throws(OperatorError) {
        if let bad = QuotaSettingRules.badPort([("healthPort", healthPort), ("webhookPort", webhookPort)]) ?? QuotaSettingRules.badGPUMemoryPerGPU(gpuMemoryPerGPU) {
            throw .invalidConfig(field: bad.field, reason: bad.reason)
        }
        if (webhookCertificatePath == nil) != (webhookKeyPath == nil) {
            throw .invalidConfig(field: webhookCertificatePath == nil ? "webhookCertificatePath" : "webhookKeyPath", reason: "the webhook needs both a certificate and a key file")
        }
        guard !leaseName.isEmpty else { throw .invalidConfig(field: "leaseName", reason: "must not be empty") }
    }
}

/// The whole `n8s operator` process: one `ServiceGroup` with leader election, the quota
/// controllers (acting while leading), the webhook server (every replica) and the
/// health/metrics server. SIGTERM and SIGINT shut it down gracefully.
public enum QuotaOperatorProcess {
    /// Runs until SIGTERM/SIGINT.
    /// - Parameters:
    ///   - identity: unique per replica (pod name); the lease holder's name.
    /// - Throws: configuration and certificate errors at start; whatever the service group throws.
    public static func run(config: OperatorConfig, cluster: ClusterConfig, identity: String, logger: Logger) async throws {
        try config.validate()
        let catalog = try MIGCatalog.bundled()
        let certificates = try config.webhookCertificatePath.map { try CertificateFiles(certificatePath: $0, keyPath: config.webhookKeyPath ?? "") }
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        try await KubeClient.withHTTP(config: cluster, logger: logger) { client in
            let wiring = ReplicaWiring(
                client: client, leaseName: config.leaseName, leaseNamespace: config.leaseNamespace, identity: identity,
                component: "n8s-operator", metrics: factory, logger: logger)
            let op = QuotaOperator(
                client: client, pods: Store<Pod>(indexes: [.byNamespace]), rates: GPUMemoryRates(catalog: catalog, gpuMemoryPerGPU: config.gpuMemoryPerGPU),
                recorder: wiring.recorder, metrics: QuotaMetrics(factory: factory), logger: logger)
            let service = QuotaOperatorService(quotaOperator: op, leadership: wiring.leadership, logger: logger)
            let checks = HealthChecks()
            checks.addReadiness("quota and pod caches synced") { service.hasSynced }
            let health = HealthServer(port: config.healthPort, checks: checks, registry: registry, logger: logger)
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: wiring.election), .init(service: service), .init(service: health)]
            if let certificates {
                services.append(.init(service: QuotaWebhookServer(port: config.webhookPort, certificates: certificates, logger: logger, quotas: QuotaWebhookServer.cached(op))))
            } else {
                logger.warning("no webhook certificate configured: the validating webhook is not served")
            }
            logger.info("starting", metadata: [
                "identity": "\(identity)", "lease": "\(config.leaseName)", "webhook.port": "\(certificates == nil ? "off" : "\(config.webhookPort)")",
            ])
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
