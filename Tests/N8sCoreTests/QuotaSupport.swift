import Foundation
import KubeCore
@testable import N8sCore

/// Builders for the quota suites.
enum QuotaFixtures {
    static let rates = GPUMemoryRates(catalog: Fixtures.catalog)
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A pod in `namespace` whose one container asks `limits`; Running on `node-1` unless `node` is nil.
    static func pod(
        _ name: String, in namespace: String, _ limits: [String: Quantity], createdAt minute: Int = 0,
        priority: Int32 = 0, node: String? = "node-1", phase: String? = nil
    ) -> Pod {
        var spec = PodSpec(containers: [Container(name: "main", limits: limits)], nodeName: node)
        spec.priority = priority
        var meta = ObjectMeta(name: name, namespace: namespace)
        meta.creationTimestamp = t0.addingTimeInterval(Double(minute) * 60)
        return Pod(metadata: meta, spec: spec, status: PodStatus(phase: phase ?? (node == nil ? "Pending" : "Running")))
    }

    /// `gb` GB of gpu-memory as `1g.10gb` devices (gb a multiple of 10).
    static func mig10(_ gb: Int) -> [String: Quantity] { ["nvidia.com/mig-1g.10gb": Quantity(gb / 10), "cpu": Quantity(2)] }

    static func elastic(_ name: String, in namespace: String, min: [String: Quantity]? = nil, max: [String: Quantity]? = nil, createdAt minute: Int = 0) -> Quota {
        Quota(id: QuotaID(.elastic, namespace: namespace, name: name), namespaces: [namespace], min: min ?? [:], max: max,
              creationTimestamp: t0.addingTimeInterval(Double(minute) * 60))
    }

    static func composite(_ name: String, in namespace: String, over namespaces: [String], min: [String: Quantity]? = nil, max: [String: Quantity]? = nil, createdAt minute: Int = 0) -> Quota {
        Quota(id: QuotaID(.composite, namespace: namespace, name: name), namespaces: namespaces, min: min ?? [:], max: max,
              creationTimestamp: t0.addingTimeInterval(Double(minute) * 60))
    }

    static func usage(_ quotas: [Quota], _ pods: [Pod], rule: UsageRule = .admission) throws -> QuotaUsage {
        try QuotaUsage(quotas: QuotaSet(quotas), pods: pods, rates: rates, rule: rule)
    }

    static let gpuMemory = QuotaNames.gpuMemory
    static func gb(_ n: Int) -> [String: Quantity] { [gpuMemory: Quantity(n)] }

    /// docs/quotas.md's worked example: `a` (min 40) runs 30 GB; `b` (min 20) runs 20, 10 and 10 GB
    /// (`b3` the newest); `c` (min 20) is idle.
    static func workedExample() -> (a: Quota, b: Quota, c: Quota, pods: [Pod]) {
        (elastic("a", in: "a", min: gb(40)), elastic("b", in: "b", min: gb(20)), elastic("c", in: "c", min: gb(20)),
         [pod("a1", in: "a", mig10(30)), pod("b1", in: "b", mig10(20)), pod("b2", in: "b", mig10(10), createdAt: 1),
          pod("b3", in: "b", mig10(10), createdAt: 5)])
    }
}
