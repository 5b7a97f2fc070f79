import Foundation
import KubeCore
import Testing
@testable import N8sCore

@Suite("Quota usage and the capacity label")
struct QuotaUsageTests {
    typealias F = QuotaFixtures

    @Test("C32: resources a quota does not name are neither counted nor limiting")
    func c32() throws {
        let q = F.elastic("q", in: "a", min: F.gb(20), max: F.gb(20))
        let pods = [F.pod("p1", in: "a", F.mig10(10)), F.pod("p2", in: "a", ["nvidia.com/mig-1g.10gb": Quantity(1), "cpu": Quantity(500), "memory": "2Ti"])]
        let usage = try F.usage([q], pods)
        #expect(usage.used[q.id] == F.gb(20))  // only gpu-memory, no cpu or memory entry
        let cpuHungry = F.pod("p3", in: "a", ["cpu": Quantity(10_000), "memory": "100Ti"], node: nil)
        #expect(try usage.admit(try F.rates.charge(of: cpuHungry), namespace: "a") == .inQuota(q.id))
    }

    @Test("a quota reports zero for every counted resource nobody uses")
    func zeros() throws {
        let q = F.elastic("q", in: "a", min: ["nvidia.com/gpu": Quantity(2)], max: F.gb(100))
        let usage = try F.usage([q], [])
        #expect(usage.used[q.id] == ["nvidia.com/gpu": .zero, F.gpuMemory: .zero])
    }

    @Test("C33: a composite over two namespaces sums both, each pod once, and refuses the fifth pod naming quota and resource")
    func c33() throws {
        let ceq = F.composite("shared", in: "ops", over: ["a", "b"], min: F.gb(40), max: F.gb(40))
        let p1 = F.pod("p1", in: "a", F.mig10(10))
        let pods = [p1, F.pod("p2", in: "a", F.mig10(10)), F.pod("p3", in: "b", F.mig10(10)), F.pod("p4", in: "b", F.mig10(10)),
                    p1,  // listed twice: still one pod
                    F.pod("other", in: "c", F.mig10(10))]  // no quota
        let usage = try F.usage([ceq], pods)
        #expect(usage.used[ceq.id] == F.gb(40))
        #expect(usage.members[ceq.id]?.count == 4)
        let fifth = F.pod("p5", in: "b", F.mig10(10), node: nil)
        let decision = try usage.admit(try F.rates.charge(of: fifth), namespace: "b")
        guard case .rejected(let id, let reason) = decision else { Issue.record("admitted: \(decision)"); return }
        #expect(id == ceq.id)
        #expect(reason == "CompositeElasticQuota ops/shared: n8s.nebuly.ai/gpu-memory would be 50 with this pod (10), over its max 40")
    }

    @Test("C24: no max means unlimited in admission and usage, never 0")
    func c24() throws {
        let noMax = F.elastic("q", in: "a", min: F.gb(10))
        let other = F.elastic("r", in: "b", min: F.gb(1000))
        let usage = try F.usage([noMax, other], [F.pod("p1", in: "a", F.mig10(10))])
        #expect(noMax.maximum(of: F.gpuMemory) == nil)
        let big = F.pod("p2", in: "a", F.mig10(500), node: nil)
        #expect(try usage.admit(try F.rates.charge(of: big), namespace: "a") == .borrowing(noMax.id, borrowed: F.gb(500)))
        // A max map that names other resources leaves gpu-memory unlimited too.
        let partial = F.elastic("q", in: "a", min: F.gb(10), max: ["cpu": Quantity(4)])
        let u2 = try F.usage([partial, other], [])
        #expect(try u2.admit(try F.rates.charge(of: F.pod("x", in: "a", ["nvidia.com/mig-1g.10gb": Quantity(50)], node: nil)), namespace: "a").isAdmissible)
    }

    @Test("C28: terminated pods never count; terminating pods stop counting when configured; used follows the live pod set")
    func c28() throws {
        let q = F.elastic("off", in: "off", min: ["nvidia.com/gpu": Quantity(8)], max: ["nvidia.com/gpu": Quantity(8)])
        var victim = F.pod("victim", in: "off", ["nvidia.com/gpu": Quantity(8)])
        victim.metadata.deletionTimestamp = F.t0.addingTimeInterval(30)
        let done = F.pod("done", in: "off", ["nvidia.com/gpu": Quantity(8)], phase: "Succeeded")
        let strict = try F.usage([q], [victim, done])
        #expect(strict.used(QuotaNames.gpu, by: q.id) == Quantity(8))
        let releasing = try F.usage([q], [victim, done], rule: UsageRule(phase: .bound, releasesTerminating: true))
        #expect(releasing.used(QuotaNames.gpu, by: q.id) == .zero)
        let twoGPUs = try F.rates.charge(of: F.pod("new", in: "off", ["nvidia.com/gpu": Quantity(2)], node: nil))
        #expect(try releasing.admit(twoGPUs, namespace: "off") == .inQuota(q.id))
        let gone = try F.usage([q], [done])
        #expect(gone.used(QuotaNames.gpu, by: q.id) == .zero)
    }

    @Test("admission counts bound pods; status.used counts Running ones")
    func rules() throws {
        let q = F.elastic("q", in: "a", min: F.gb(100))
        let pods = [F.pod("running", in: "a", F.mig10(10)), F.pod("bound", in: "a", F.mig10(20), phase: "Pending"),
                    F.pod("pending", in: "a", F.mig10(40), node: nil)]
        #expect(try F.usage([q], pods, rule: .admission).used[q.id] == F.gb(30))
        #expect(try F.usage([q], pods, rule: .running).used[q.id] == F.gb(10))
    }

    @Test("a namespace claimed twice belongs to the oldest quota; the other is reported in conflict")
    func conflicts() throws {
        let old = F.composite("old", in: "ops", over: ["a", "b"], min: F.gb(10), createdAt: 0)
        let young = F.elastic("young", in: "a", min: F.gb(10), createdAt: 5)
        let set = QuotaSet([young, old])
        #expect(set.quota(forNamespace: "a")?.id == old.id)
        #expect(set.conflicts[young.id]?.map(\.namespace) == ["a"])
        #expect(set.conflicts[young.id]?.first?.heldBy == old.id)
        let usage = try QuotaUsage(quotas: set, pods: [F.pod("p", in: "a", F.mig10(10))], rates: F.rates, rule: .admission)
        #expect(usage.used[old.id] == F.gb(10) && usage.used[young.id] == F.gb(0))
    }

    @Test("labels: creation time, then priority, then smaller request, then name; in-quota pods never exceed min")
    func labels() throws {
        let q = F.elastic("q", in: "a", min: F.gb(40))
        let pods = [
            F.pod("first", in: "a", F.mig10(20), createdAt: 0),
            F.pod("late", in: "a", F.mig10(10), createdAt: 9),
            F.pod("low", in: "a", F.mig10(10), createdAt: 1, priority: 0),
            F.pod("high", in: "a", F.mig10(10), createdAt: 1, priority: 100),
            F.pod("b-big", in: "a", F.mig10(20), createdAt: 2),
            F.pod("a-small", in: "a", F.mig10(10), createdAt: 2),
            F.pod("z-same", in: "a", F.mig10(10), createdAt: 3),
        ]
        let labels = try F.usage([q], pods, rule: .running).capacities()
        // first 20, high 10 (=30), low 10 (=40): full. Later pods borrow.
        #expect(labels[ObjectKey(namespace: "a", name: "first")] == .inQuota)
        #expect(labels[ObjectKey(namespace: "a", name: "high")] == .inQuota)
        #expect(labels[ObjectKey(namespace: "a", name: "low")] == .inQuota)
        for name in ["a-small", "b-big", "z-same", "late"] { #expect(labels[ObjectKey(namespace: "a", name: name)] == .overQuota) }
        // Smaller request first at equal time and priority, then name.
        let tie = try F.usage([F.elastic("q", in: "a", min: F.gb(10))],
                              [F.pod("b", in: "a", F.mig10(10)), F.pod("a", in: "a", F.mig10(10)), F.pod("c", in: "a", F.mig10(20))]).capacities()
        #expect(tie[ObjectKey(namespace: "a", name: "a")] == .inQuota)
        #expect(tie[ObjectKey(namespace: "a", name: "b")] == .overQuota)
        #expect(tie[ObjectKey(namespace: "a", name: "c")] == .overQuota)
    }

    @Test("C27 (quota side): a quota with only max labels every pod that uses a counted resource over-quota")
    func c27Labels() throws {
        let x = F.elastic("x", in: "x", max: F.gb(100))
        let labels = try F.usage([x], [F.pod("gpu", in: "x", F.mig10(10)), F.pod("cpu-only", in: "x", ["cpu": Quantity(1)])]).capacities()
        #expect(labels[ObjectKey(namespace: "x", name: "gpu")] == .overQuota)
        #expect(labels[ObjectKey(namespace: "x", name: "cpu-only")] == .inQuota)
    }

    @Test("sums past Int128 fail with an error naming the quota, never a trap")
    func overflow() throws {
        let q = F.elastic("q", in: "a", min: ["cpu": Quantity(1)])
        let huge: Quantity = "1e29"
        let pods = [F.pod("p1", in: "a", ["cpu": huge]), F.pod("p2", in: "a", ["cpu": huge])]
        #expect(throws: QuotaError.overflow(resource: "cpu", context: "ElasticQuota a/q")) { try F.usage([q], pods) }
    }
}
