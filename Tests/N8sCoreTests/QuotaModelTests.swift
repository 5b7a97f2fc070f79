import Foundation
import KubeCore
import Testing
@testable import N8sCore

@Suite("ElasticQuota and CompositeElasticQuota wire types")
struct QuotaModelTests {
    @Test("an ElasticQuota decodes, keeps unknown fields, and encodes without nulls")
    func elasticRoundTrip() throws {
        let json = #"""
        {"apiVersion":"n8s.nebuly.ai/v1alpha1","kind":"ElasticQuota","metadata":{"name":"q","namespace":"team-a",
         "creationTimestamp":"2026-12-01T10:00:00Z"},
         "spec":{"min":{"n8s.nebuly.ai/gpu-memory":"40","cpu":2},"future":"kept"},
         "status":{"used":{"n8s.nebuly.ai/gpu-memory":"10"}},"extra":{"a":1}}
        """#
        let quota = try KubeJSON.decode(ElasticQuota.self, from: Data(json.utf8))
        #expect(quota.spec.min?["cpu"] == Quantity(2))
        #expect(quota.spec.max == nil)
        #expect(quota.status?.used?[QuotaNames.gpuMemory] == Quantity(10))
        let back = try KubeJSON.value(of: quota)
        #expect(back["extra"] == ["a": 1])
        #expect(back.value(at: ["spec", "future"]) == "kept")
        #expect(back.value(at: ["spec", "max"]) == nil)
        #expect(back["apiVersion"] == "n8s.nebuly.ai/v1alpha1")
        let engine = Quota(quota)
        #expect(engine.id == QuotaID(.elastic, namespace: "team-a", name: "q"))
        #expect(engine.namespaces == ["team-a"])
        #expect(engine.countedResources == [QuotaNames.gpuMemory, "cpu"])
        #expect(engine.maximum(of: "cpu") == nil)
    }

    @Test("a CompositeElasticQuota covers its listed namespaces")
    func composite() throws {
        let json = #"{"metadata":{"name":"shared","namespace":"ops"},"spec":{"namespaces":["a","b"],"max":{"nvidia.com/gpu":"4"}}}"#
        let quota = try KubeJSON.decode(CompositeElasticQuota.self, from: Data(json.utf8))
        let engine = Quota(quota)
        #expect(engine.id.description == "CompositeElasticQuota ops/shared")
        #expect(engine.namespaces == ["a", "b"])
        #expect(engine.minimum(of: "nvidia.com/gpu") == .zero)
        #expect(engine.maximum(of: "nvidia.com/gpu") == Quantity(4))
        #expect(CompositeElasticQuota.plural == "compositeelasticquotas" && CompositeElasticQuota.group == "n8s.nebuly.ai")
    }
}

@Suite("gpu-memory charges")
struct GPUMemoryRatesTests {
    let rates = QuotaFixtures.rates

    @Test("MIG devices are charged the catalog's memory, rounded up to whole GB", arguments: [
        ("1g.10gb", 10), ("1g.5gb", 5), ("7g.80gb", 80), ("3g.71gb", 70), ("1g.18gb", 18), ("7g.141gb", 140),
        ("1g.10gb.me", 10), ("7g.79gb", 79), ("3g.20gb", 20),
    ])
    func catalogSizes(profile: String, gb: Int) {
        #expect(rates.gb(ofProfile: profile) == gb)
    }

    @Test("whole GPUs are charged gpuMemoryPerGPU (default 32, configurable)")
    func wholeGPUs() throws {
        let r = PodRequests(resources: ["nvidia.com/gpu": Quantity(2), "nvidia.com/mig-3g.71gb": Quantity(1)])
        #expect(try rates.gpuMemory(of: r) == Quantity(2 * 32 + 70))
        var big = rates
        big.gpuMemoryPerGPU = 80
        #expect(try big.gpuMemory(of: r) == Quantity(2 * 80 + 70))
    }

    @Test("C34: init containers, sidecars and overhead set the request, and gpu-memory follows from it")
    func c34() throws {
        var spec = PodSpec(containers: [
            Container(name: "a", limits: ["nvidia.com/mig-1g.5gb": Quantity(1), "cpu": Quantity(1)]),
            Container(name: "b", limits: ["nvidia.com/mig-1g.5gb": Quantity(1), "cpu": Quantity(1)]),
        ])
        spec.initContainers = [Container(name: "init", limits: ["nvidia.com/mig-3g.20gb": Quantity(1), "cpu": Quantity(3)])]
        spec.overhead = ["cpu": Quantity(milli: 250)]
        let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "a"), spec: spec)
        let charge = try rates.charge(of: pod)
        #expect(charge["cpu"] == Quantity(milli: 3250))  // max(3, 1 + 1) + 0.25
        #expect(charge["nvidia.com/mig-1g.5gb"] == Quantity(2))
        #expect(charge["nvidia.com/mig-3g.20gb"] == Quantity(1))
        // 2 × 1g.5gb (5) from the app phase plus 1 × 3g.20gb (20) from the init phase: Kubernetes
        // reserves both profiles for the pod (per resource, the larger phase).
        #expect(charge[QuotaNames.gpuMemory] == Quantity(30))
    }

    @Test("fractional devices and sums past Int128 are errors naming the pod, never a trap")
    func badInput() {
        let fractional = QuotaFixtures.pod("f", in: "a", ["nvidia.com/gpu": Quantity(milli: 500)])
        #expect(throws: QuotaError.invalidPodRequest(pod: ObjectKey(namespace: "a", name: "f"),
                                                     reason: .fractionalDevices(resource: "nvidia.com/gpu", quantity: "500m"))) {
            try rates.charge(of: fractional)
        }
        let huge: Quantity = "1e29"
        let absurdGPUs = QuotaFixtures.pod("g", in: "a", ["nvidia.com/gpu": huge])
        #expect(throws: QuotaError.invalidPodRequest(pod: ObjectKey(namespace: "a", name: "g"), reason: .overflow(resource: QuotaNames.gpuMemory))) {
            try rates.charge(of: absurdGPUs)
        }
        var twice = PodSpec(containers: [Container(name: "a", requests: ["cpu": huge]), Container(name: "b", requests: ["cpu": huge])])
        twice.overhead = ["cpu": huge]
        #expect(throws: RequestError.overflow(resource: "cpu")) { try PodRequests(checking: twice) }
        #expect(PodRequests(twice)["cpu"].nanos == .max)  // the planner's view saturates instead of trapping
    }
}
