import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import Logging
import MetricsTestKit
import N8sCore
import ServiceLifecycle
import Yams

@testable import N8sServices

/// One operator replica against a KubeSim over HTTP, with the repository's quota CRDs installed.
struct OperatorReplica: Sendable {
    let quotaOperator: QuotaOperator
    let service: QuotaOperatorService
    let metrics: TestMetrics

    init(client: KubeClient, clock: ManualClock, leadership: Leadership? = nil) throws {
        metrics = TestMetrics()
        let recorder = EventRecorder(client: client, component: "n8s-operator", instance: "o", clock: clock, logger: quietLogger)
        quotaOperator = QuotaOperator(
            client: client, rates: GPUMemoryRates(catalog: try MIGCatalog.bundled()), recorder: recorder,
            metrics: QuotaMetrics(factory: metrics), clock: clock, logger: quietLogger)
        service = QuotaOperatorService(quotaOperator: quotaOperator, leadership: leadership, logger: quietLogger)
    }

    /// Runs the operator for the duration of `body`, then shuts it down gracefully.
    func running(_ body: @Sendable () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do { try await body() } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

enum OFixtures {
    static let crds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy/crds")

    /// Installs both quota CRDs from `deploy/crds/` and the namespaces.
    static func install(into sim: KubeSim, namespaces: [String]) throws {
        for file in ["elasticquotas.yaml", "compositeelasticquotas.yaml"] {
            let yaml = try String(contentsOf: crds.appendingPathComponent(file), encoding: .utf8)
            let data = try JSONSerialization.data(withJSONObject: try Yams.load(yaml: yaml) as Any)
            _ = try sim.create(.customResourceDefinition, namespace: nil, try JSONDecoder().decode(JSONValue.self, from: data))
        }
        for namespace in namespaces { _ = try sim.create(sim.resourceType(group: "", plural: "namespaces")!, namespace: nil, ["metadata": ["name": .string(namespace)]]) }
    }

    /// A pod of `gb` GB of gpu-memory as `1g.10gb` devices, plus CPU and memory (case C32).
    static func pod(_ name: String, in namespace: String, gb: Int, priority: Int32? = nil) -> Pod {
        var spec = PodSpec(containers: [Container(name: "main", limits: ["nvidia.com/mig-1g.10gb": Quantity(gb / 10), "cpu": Quantity(2), "memory": "4Gi"])])
        spec.priority = priority
        return Pod(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec)
    }

    static func gb(_ n: Int) -> [String: Quantity] { [QuotaNames.gpuMemory: Quantity(n)] }
}

extension KubeSim {
    /// Creates `pod` and sets its phase (the create call resets status, as the API server does).
    func start(_ pod: Pod, phase: String = "Running") throws {
        let created = try create(Pod.self, Pod(metadata: pod.metadata, spec: pod.spec))
        try setPhase(created.name, in: created.metadata.namespace ?? "", phase)
    }

    /// Sets the pod's phase, reading again when the operator's label patch came in between (409).
    func setPhase(_ name: String, in namespace: String, _ phase: String) throws {
        for attempt in 0..<5 {
            var pod = try get(Pod.self, namespace: namespace, name: name)
            pod.status = PodStatus(phase: phase)
            do {
                _ = try update(pod, subresource: "status")
                return
            } catch {
                if error.code != 409 || attempt == 4 { throw error }
            }
        }
    }

    func capacity(_ name: String, in namespace: String) -> String? {
        (try? get(Pod.self, namespace: namespace, name: name))?.metadata.labels?[QuotaNames.capacityLabel]
    }

    func used(ofElastic name: String, in namespace: String) -> [String: Quantity]? {
        (try? get(ElasticQuota.self, namespace: namespace, name: name))?.status?.used
    }

    func used(ofComposite name: String, in namespace: String) -> [String: Quantity]? {
        (try? get(CompositeElasticQuota.self, namespace: namespace, name: name))?.status?.used
    }
}
