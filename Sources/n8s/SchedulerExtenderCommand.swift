import ArgumentParser
import Foundation
import KubeClient
import Logging
import N8sServices

/// `n8s scheduler-extender`: kube-scheduler's extender for elastic quotas (docs/quotas.md).
struct SchedulerExtenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler-extender",
        abstract: "Quota admission (filter) and quota-aware preemption (preempt) for kube-scheduler's n8s-scheduler profile.",
        discussion: """
            Runs as a sidecar of an upstream kube-scheduler whose KubeSchedulerConfiguration has the
            profile n8s-scheduler and this extender (deploy/scheduler/): listens on 127.0.0.1 for
            extender/v1 JSON (POST /filter, /preempt) and serves /healthz, /readyz and /metrics on
            --health-port. Stops on SIGTERM or SIGINT.
            RBAC: list/watch pods, nodes, elasticquotas and compositeelasticquotas.
            """
    )

    @OptionGroup var replica: ReplicaOptions

    @Option(help: "Address the extender listens on (kube-scheduler runs in the same pod).")
    var host = "127.0.0.1"

    @Option(help: "Port of the extender (the urlPrefix of the scheduler configuration).")
    var port = 8888

    @Option(help: "Port of /healthz, /readyz and /metrics.")
    var healthPort = 8082

    @Option(help: "GB of n8s.nebuly.ai/gpu-memory charged per nvidia.com/gpu.")
    var gpuMemoryPerGPU = 32

    @Option(help: "Seconds an admitted pod's request is held until its binding is seen (must exceed kube-scheduler's bind timeout, 600).")
    var assumeTimeoutSeconds = 660

    var settings: ExtenderConfig {
        var c = ExtenderConfig()
        c.host = host
        c.port = port
        c.healthPort = healthPort
        c.gpuMemoryPerGPU = gpuMemoryPerGPU
        c.assumeTimeout = .seconds(assumeTimeoutSeconds)
        return c
    }

    func validate() throws {
        do { try settings.validate() } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        try await SchedulerExtenderProcess.run(config: settings, cluster: try replica.cluster(), logger: replica.logger(label: "n8s.scheduler-extender"))
    }
}
