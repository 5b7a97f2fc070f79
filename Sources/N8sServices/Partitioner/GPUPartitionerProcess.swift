import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import Metrics
import N8sCore
import Prometheus
import ServiceLifecycle

/// The whole `n8s gpu-partitioner` process: one `ServiceGroup` with leader election, the
/// partitioner, and the health/metrics server. SIGTERM and SIGINT shut it down gracefully (the
/// leader releases its lease so a standby takes over at once).
public enum GPUPartitionerProcess {
    /// Loads the MIG catalog: the override file when the config names one, else the bundled one.
    /// - Throws: ``PartitionerError/catalog(path:reason:)``.
    public static func catalog(for config: PartitionerConfig) throws(PartitionerError) -> MIGCatalog {
        guard let path = config.catalogOverridePath else {
            do { return try MIGCatalog.bundled() } catch { throw .catalog(path: nil, reason: error.description) }
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .catalog(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        do { return try MIGCatalog(yaml: text) } catch { throw .catalog(path: path, reason: "\(error)") }
    }

    /// Runs until SIGTERM/SIGINT.
    /// - Parameters:
    ///   - identity: unique per replica (pod name); the lease holder's name.
    /// - Throws: configuration and catalog errors at start; whatever the service group throws.
    public static func run(config: PartitionerConfig, cluster: ClusterConfig, identity: String, logger: Logger) async throws {
        try config.validate()
        let catalog = try catalog(for: config)
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        try await KubeClient.withHTTP(config: cluster, logger: logger) { client in
            let wiring = ReplicaWiring(
                client: client, leaseName: config.leaseName, leaseNamespace: config.leaseNamespace, identity: identity,
                component: "n8s-gpu-partitioner", metrics: factory, logger: logger)
            let pods = Store<Pod>(indexes: [.byNamespace, .byNodeName])
            let quotaGate = config.quotaChecks
                ? QuotaAdmissionGate(pods: pods, rates: GPUMemoryRates(catalog: catalog, gpuMemoryPerGPU: config.gpuMemoryPerGPU), clock: client.clock, logger: logger)
                : nil
            let partitioner = GPUPartitioner(
                client: client, nodes: Store<Node>(), pods: pods, config: config,
                catalog: catalog, recorder: wiring.recorder, quota: quotaGate ?? QuotasOff(), metrics: PartitionerMetrics(factory: factory), logger: logger)
            let service = GPUPartitionerService(partitioner: partitioner, leadership: wiring.leadership, logger: logger)
            let checks = HealthChecks()
            checks.addReadiness("node and pod caches synced") { service.hasSynced }
            if let quotaGate { checks.addReadiness("quota caches synced") { quotaGate.hasSynced } }
            let quotaWatchers = (quotaGate?.watchers(client: client, logger: logger) ?? []).map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
            let health = HealthServer(port: config.healthPort, checks: checks, registry: registry, logger: logger)
            logger.info("starting", metadata: [
                "identity": "\(identity)", "lease": "\(config.leaseName)", "catalog.models": "\(catalog.models.count)",
                "batch.timeout": "\(config.batchWindowTimeoutSeconds)s", "batch.idle": "\(config.batchWindowIdleSeconds)s",
                "quota.checks": "\(config.quotaChecks)",
            ])
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: wiring.election), .init(service: service), .init(service: health)] + quotaWatchers,
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
