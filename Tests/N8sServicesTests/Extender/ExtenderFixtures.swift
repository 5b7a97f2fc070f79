import Foundation
import KubeCore
import KubeRuntime
import N8sCore

@testable import N8sServices

/// Builders for the extender suites: pods with UIDs, quotas, nodes, and an extender over filled caches.
enum XF {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let gpuMemory = QuotaNames.gpuMemory

    /// A pod asking `cpu` CPUs and `gb` GB of gpu-memory as `1g.10gb` devices; Running on `node` unless nil.
    static func pod(_ name: String, in namespace: String, cpu: Int = 1, gb: Int = 0, node: String? = "n1", minute: Int = 0, priority: Int32 = 0) -> Pod {
        var limits: [String: Quantity] = ["cpu": Quantity(cpu)]
        if gb > 0 { limits["nvidia.com/mig-1g.10gb"] = Quantity(gb / 10) }
        var spec = PodSpec(containers: [Container(name: "main", limits: limits)], nodeName: node)
        spec.priority = priority
        var meta = ObjectMeta(name: name, namespace: namespace)
        meta.uid = "uid-\(namespace)-\(name)"
        meta.creationTimestamp = t0.addingTimeInterval(Double(minute) * 60)
        return Pod(metadata: meta, spec: spec, status: PodStatus(phase: node == nil ? "Pending" : "Running"))
    }

    static func quota(_ namespace: String, min: [String: Quantity]? = nil, max: [String: Quantity]? = nil) -> ElasticQuota {
        var meta = ObjectMeta(name: namespace, namespace: namespace)
        meta.creationTimestamp = t0
        return ElasticQuota(metadata: meta, spec: .init(min: min, max: max))
    }

    static func node(_ name: String, cpu: Int, mig10: Int = 0) -> Node {
        Node(metadata: ObjectMeta(name: name), status: NodeStatus(allocatable: ["cpu": Quantity(cpu), "nvidia.com/mig-1g.10gb": Quantity(mig10), "pods": Quantity(110)]))
    }

    /// 10 GB per `1g.10gb` (the bundled catalog charges the largest model's memory).
    static let rates = GPUMemoryRates(gbPerProfile: ["1g.10gb": 10])

    static func cpu(_ n: Int) -> [String: Quantity] { ["cpu": Quantity(n)] }
    static func gb(_ n: Int) -> [String: Quantity] { [gpuMemory: Quantity(n)] }

    static func extender(quotas: [ElasticQuota], pods: [Pod], nodes: [Node] = [], clock: ManualClock = ManualClock()) -> SchedulerExtender {
        let ext = SchedulerExtender(rates: rates, clock: clock, logger: quietLogger)
        ext.pods.replaceAll(with: pods)
        ext.nodes.replaceAll(with: nodes)
        ext.elasticQuotas.replaceAll(with: quotas)
        ext.compositeQuotas.replaceAll(with: [])
        return ext
    }

    /// The `filter` body kube-scheduler sends with `nodeCacheCapable: true`.
    static func filterBody(_ pod: Pod, nodes: [String]) throws -> Data {
        try KubeJSON.encode(ExtenderArgs(pod: pod, nodeNames: nodes))
    }

    static func preemptBody(_ pod: Pod, victims: [String: [Pod]]) throws -> Data {
        try KubeJSON.encode(ExtenderPreemptionArgs(
            pod: pod, nodeNameToMetaVictims: victims.mapValues { ExtenderMetaVictims(pods: $0.map { ExtenderMetaPod(uid: $0.metadata.uid ?? "") }) }))
    }

    /// `data`'s top-level extender keys rewritten in lower case (Go accepts any case).
    static func lowercasedKeys(_ data: Data) throws -> Data {
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return data }
        object = Dictionary(uniqueKeysWithValues: object.map { ($0.key.lowercased(), $0.value) })
        if let victims = object["nodenametometavictims"] as? [String: [String: Any]] {
            object["nodenametometavictims"] = victims.mapValues { v in
                ["pods": ((v["Pods"] as? [[String: Any]]) ?? []).map { ["uid": $0["UID"] ?? ""] }, "numpdbviolations": v["NumPDBViolations"] ?? 0]
            }
        }
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func victims(_ result: ExtenderPreemptionResult) -> [String: [String]] {
        result.nodeNameToMetaVictims.mapValues { $0.pods.map(\.uid) }
    }
}
