import Foundation
import KubeCore
import KubeRuntime
import N8sCore
import Testing

@testable import N8sServices

/// `quotaChecks: true`: the partitioner plans only for pods their quota admits.
@Suite("partitioner quota gate")
struct QuotaAdmissionGateTests {
    typealias X = XF

    static func gate(quotas: [ElasticQuota], pods: [Pod], clock: ManualClock) -> QuotaAdmissionGate {
        let store = Store<Pod>()
        store.replaceAll(with: pods)
        let gate = QuotaAdmissionGate(pods: store, rates: X.rates, clock: clock, logger: quietLogger)
        gate.elasticQuotas.replaceAll(with: quotas)
        gate.compositeQuotas.replaceAll(with: [])
        return gate
    }

    @Test("a pod its quota admits passes; one over max or beyond the borrowable min is refused with the extender's words")
    func rejection() {
        let clock = ManualClock()
        let gate = Self.gate(
            quotas: [X.quota("a", min: X.gb(20), max: X.gb(30)), X.quota("b", min: X.gb(20))],
            pods: [X.pod("a0", in: "a", gb: 20), X.pod("b0", in: "b", gb: 10)], clock: clock)
        #expect(gate.rejection(of: X.pod("a1", in: "a", gb: 10, node: nil)) == nil, "borrows 10 of b's idle 10")
        #expect(gate.rejection(of: X.pod("a2", in: "a", gb: 20, node: nil)) == "ElasticQuota a/a: n8s.nebuly.ai/gpu-memory would be 40 with this pod (20), over its max 30")
        #expect(gate.rejection(of: X.pod("b1", in: "b", gb: 10, node: nil)) == nil, "in quota")
        #expect(gate.rejection(of: X.pod("f1", in: "free", gb: 70, node: nil)) == nil, "no quota")
        #expect(gate.rejection(of: X.pod("b2", in: "b", gb: 30, node: nil))?.contains("would borrow") == true)
    }

    @Test("fails closed until the quota caches sync")
    func unsynced() {
        let gate = QuotaAdmissionGate(pods: Store<Pod>(), rates: X.rates, clock: ManualClock(), logger: quietLogger)
        #expect(gate.rejection(of: X.pod("p", in: "free", node: nil)) == "the quota caches have not synced yet")
    }

    @Test("one usage answers a round; it is computed again once the injected clock moves past reuse")
    func reuse() {
        let clock = ManualClock()
        let gate = Self.gate(quotas: [X.quota("a", min: X.gb(20), max: X.gb(20))], pods: [], clock: clock)
        let pod = X.pod("a1", in: "a", gb: 20, node: nil)
        #expect(gate.rejection(of: pod) == nil)
        gate.pods.replaceAll(with: [X.pod("a0", in: "a", gb: 10)])
        #expect(gate.rejection(of: pod) == nil, "same instant: the cached usage")
        clock.advance(by: gate.reuse)
        #expect(gate.rejection(of: pod)?.contains("over its max 20") == true)
    }

    @Test("with quotaChecks on, the ledger refuses candidates the gate refuses; the config accepts quotaChecks: true")
    func ledger() throws {
        let clock = ManualClock()
        let gate = Self.gate(quotas: [X.quota("a", min: X.gb(10), max: X.gb(10))], pods: [X.pod("a0", in: "a", gb: 10)], clock: clock)
        var config = try PartitionerConfig(yaml: "quotaChecks: true\ngpuMemoryPerGPU: 40\n")
        #expect(config.quotaChecks && config.gpuMemoryPerGPU == 40)
        var pod = PFixtures.pendingPod("a1", ["1g.10gb": 1])  // reported Unschedulable for lack of MIG devices
        pod.metadata.namespace = "a"
        let decision = PlanLedger().decide(pod, now: clock.now, nodesVersion: 0, config: config, quota: gate)
        #expect(decision == .quotaRejected("ElasticQuota a/a: n8s.nebuly.ai/gpu-memory would be 20 with this pod (10), over its max 10"))
        config.quotaChecks = false
        #expect(PlanLedger().decide(pod, now: clock.now, nodesVersion: 0, config: config, quota: gate) == .candidate)
    }
}
