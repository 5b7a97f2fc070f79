import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import Metrics
import N8sCore
import Prometheus
import ServiceLifecycle

/// Keeps the extender's caches: watches pods, nodes, ElasticQuotas and CompositeElasticQuotas,
/// releases assumed requests as pods are seen bound or deleted, and drops the cached usage when a
/// pod or quota change can move it. Runs until graceful shutdown.
/// Every replica does it; the extender needs no leadership (only the leading kube-scheduler of its
/// pod calls it).
public struct SchedulerExtenderService: Service {
    public let extender: SchedulerExtender
    public let client: KubeClient
    let logger: Logger

    public init(extender: SchedulerExtender, client: KubeClient, logger: Logger = Logger(label: "n8s.scheduler-extender")) {
        self.extender = extender
        self.client = client
        self.logger = logger
    }

    public func run() async throws {
        let ext = extender
        let clock = ext.clock
        let watchers: [any Service] = [
            Watcher(api: client.resource(Pod.self), store: ext.pods, clock: clock, logger: logger) { ext.observe($0) },
            Watcher(api: client.resource(Node.self), store: ext.nodes, clock: clock, logger: logger),
            Watcher(api: client.resource(ElasticQuota.self), store: ext.elasticQuotas, clock: clock, logger: logger) { _ in ext.invalidateUsage() },
            Watcher(api: client.resource(CompositeElasticQuota.self), store: ext.compositeQuotas, clock: clock, logger: logger) { _ in ext.invalidateUsage() },
        ]
        await withDiscardingTaskGroup { group in
            for watcher in watchers { group.addTask { try? await cancelWhenGracefulShutdown { try await watcher.run() } } }
        }
    }
}

/// The whole `n8s scheduler-extender` process: the caches, the extender on `host:port`, and
/// `/healthz`, `/readyz` (caches synced), `/metrics` on `healthPort`. Stops on SIGTERM/SIGINT.
public enum SchedulerExtenderProcess {
    public static func run(config: ExtenderConfig, cluster: ClusterConfig, logger: Logger) async throws {
        try config.validate()
        let catalog = try MIGCatalog.bundled()
        let registry = PrometheusCollectorRegistry()
        try await KubeClient.withHTTP(config: cluster, logger: logger) { client in
            let extender = SchedulerExtender(
                rates: GPUMemoryRates(catalog: catalog, gpuMemoryPerGPU: config.gpuMemoryPerGPU), assumeTimeout: config.assumeTimeout,
                clock: client.clock, logger: logger)
            let checks = HealthChecks()
            checks.addReadiness("pod, node and quota caches synced") { extender.hasSynced }
            let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: SchedulerExtenderService(extender: extender, client: client, logger: logger)),
                .init(service: SchedulerExtenderServer(host: config.host, port: config.port, extender: extender, logger: logger)),
                .init(service: HealthServer(port: config.healthPort, checks: checks, registry: registry, logger: logger)),
            ]
            logger.info("starting", metadata: ["address": "\(config.host):\(config.port)", "assume.timeout": "\(config.assumeTimeout)"])
            try await ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
        }
    }
}
