import Foundation
import KubeClient
import KubeCore
import KubeSim
import N8sSimulation
import TestSupport

/// The shared bounded wait, pausing 1 ms between polls so the 50× simulations beside it keep their cores.
func eventually(timeout: Duration = .seconds(30), _ condition: @Sendable () async -> Bool) async -> Bool {
    await TestSupport.eventually(timeout: timeout, every: .milliseconds(1), condition)
}

/// Runs `body` with a ``SimScheduler`` working against `sim` over HTTP.
func withScheduler(
    _ sim: KubeSim,
    _ configuration: SimScheduler.Configuration = SimScheduler.Configuration(),
    _ body: @escaping @Sendable (KubeClient) async throws -> Void
) async throws {
    try await sim.withServer { url in
        try await KubeClient.withHTTP(config: ClusterConfig(server: url), qps: nil, retry: .none, clock: sim.clock) { client in
            let scheduler = SimScheduler(client: client, configuration: configuration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await scheduler.run() }
                try await body(client)
                group.cancelAll()
            }
        }
    }
}

func gpuNode(_ name: String, mig: [String: Int] = [:], labels: [String: String] = [:], cpu: Int = 32) -> Node {
    var allocatable: [String: Quantity] = ["cpu": Quantity(cpu), "memory": Quantity(bytes: 128 << 30), "pods": Quantity(110)]
    for (profile, n) in mig { allocatable["nvidia.com/mig-\(profile)"] = Quantity(n) }
    return Node(
        metadata: ObjectMeta(name: name, labels: labels),
        status: NodeStatus(capacity: allocatable, allocatable: allocatable, conditions: [NodeCondition(type: "Ready", status: "True")])
    )
}

func migPod(_ name: String, profile: String = "1g.10gb", priority: Int32? = nil, nodeSelector: [String: String]? = nil) -> Pod {
    let requests: [String: Quantity] = ["cpu": Quantity(1), "nvidia.com/mig-\(profile)": Quantity(1)]
    var spec = PodSpec(containers: [Container(name: "main", requests: requests, limits: requests)])
    spec.priority = priority
    spec.nodeSelector = nodeSelector
    return Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec)
}

extension KubeSim {
    func pod(_ name: String) -> Pod? { try? get(Pod.self, namespace: "default", name: name) }
}

/// The repository root (for `scenarios/example.yaml`).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
